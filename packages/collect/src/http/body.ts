/**
 * A request body, bounded: at most `maxBytes` on the wire, and, when gzip, at most
 * `maxDecompressedBytes` once inflated (a gzip bomb stops there, not in memory).
 */
import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';

export type BodyResult = { ok: true; body: Buffer } | { ok: false; status: 400 | 413 | 415; message: string };

export async function readBody(
  req: IncomingMessage,
  maxBytes: number,
  maxDecompressedBytes: number,
): Promise<BodyResult> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip')
    return { ok: false, status: 415, message: `unsupported Content-Encoding ${encoding}; use gzip or none` };
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return {
      ok: false,
      status: 413,
      message: `body of ${declared} bytes is over the ${maxBytes}-byte limit`,
    };
  }
  const raw = await collect(req, maxBytes);
  if (raw === undefined)
    return { ok: false, status: 413, message: `body is over the ${maxBytes}-byte limit` };
  if (encoding === 'identity') return { ok: true, body: raw };
  return gunzip(raw, maxDecompressedBytes);
}

function collect(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function gunzip(raw: Buffer, max: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const z = createGunzip();
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: BodyResult) => {
      if (done) return;
      done = true;
      resolve(r);
    };
    z.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        finish({ ok: false, status: 413, message: `gzip body inflates past the ${max}-byte limit` });
        z.destroy();
      } else chunks.push(chunk);
    });
    z.on('end', () => finish({ ok: true, body: Buffer.concat(chunks) }));
    z.on('error', (error) => finish({ ok: false, status: 400, message: `bad gzip body: ${error.message}` }));
    z.end(raw);
  });
}
