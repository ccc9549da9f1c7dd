/**
 * The HTTP face: `POST /v1/traces` (OTLP/HTTP, protobuf or JSON, optionally gzip),
 * `POST /v1/events` (NDJSON of track() inputs, one answer per line), `GET /healthz`,
 * `GET /metrics`. Every answer to an export waits for the spool's group commit.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Analytics } from 'voicelake';
import type { Collector } from '../collector.js';
import { utf8 } from '../otlp/decode-body.js';
import { type DecodePool, MalformedBody } from '../otlp/decode-pool.js';
import type { Decoded } from '../otlp/model.js';
import { type Encoding, exportResponse } from '../otlp/response.js';
import { SpoolAdmission } from './admission.js';
import { readBody } from './body.js';
import { type HttpStats, prometheus } from './metrics.js';

export interface ServerOptions {
  readonly collector: Collector;
  readonly analytics: Analytics;
  /** Where `/v1/traces` bodies are decoded (a thread of their own). */
  readonly decoder: DecodePool;
  readonly maxBodyBytes: number;
  readonly maxDecompressedBytes: number;
  /** Bearer token every request but `/healthz` must carry; undefined: none. */
  readonly token: string | undefined;
  /** Seconds an exporter is told to wait when the spool cannot take more. */
  readonly retryAfterSeconds: number;
  /** How long an answer may wait for the spool's commit before it is a 503. */
  readonly commitTimeoutMs: number;
}

export function createCollectorServer(options: ServerOptions): { server: Server; http: HttpStats } {
  const http: HttpStats = { requests: {} };
  const o: Handling = { ...options, admission: new SpoolAdmission(options.analytics) };
  const server = createServer((req, res) => {
    handle(req, res, o, http).then(
      (status) => {
        http.requests[status] = (http.requests[status] ?? 0) + 1;
      },
      () => {
        http.requests['500'] = (http.requests['500'] ?? 0) + 1;
        if (!res.headersSent) send(res, 500, 'text/plain', 'internal error');
      },
    );
  });
  return { server, http };
}

/** The options and the spool admission every request shares. */
interface Handling extends ServerOptions {
  readonly admission: SpoolAdmission;
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  o: Handling,
  http: HttpStats,
): Promise<number> {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/healthz' && req.method === 'GET') return send(res, 200, 'text/plain', 'ok\n');
  if (o.token !== undefined && !authorized(req, o.token)) {
    req.resume();
    return send(res, 401, 'text/plain', 'missing or wrong bearer token\n');
  }
  if (path === '/metrics' && req.method === 'GET')
    return send(res, 200, 'text/plain; version=0.0.4', prometheus(o.collector.stats, http, o.analytics));
  if (path === '/v1/traces' && req.method === 'POST') return traces(req, res, o);
  if (path === '/v1/events' && req.method === 'POST') return events(req, res, o);
  req.resume();
  return send(res, path === '/v1/traces' || path === '/v1/events' ? 405 : 404, 'text/plain', 'not found\n');
}

function authorized(req: IncomingMessage, token: string): boolean {
  const given = Buffer.from(req.headers.authorization ?? '');
  const want = Buffer.from(`Bearer ${token}`);
  return given.length === want.length && timingSafeEqual(given, want);
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

async function traces(req: IncomingMessage, res: ServerResponse, o: Handling): Promise<number> {
  const type = mediaType(req);
  const encoding: Encoding | undefined =
    type === 'application/x-protobuf' ? 'protobuf' : type === 'application/json' ? 'json' : undefined;
  if (encoding === undefined) {
    req.resume();
    return send(res, 415, 'text/plain', 'Content-Type must be application/x-protobuf or application/json\n');
  }
  const contentType = encoding === 'json' ? 'application/json' : 'application/x-protobuf';
  if (o.admission.full()) {
    req.resume();
    return unavailable(res, o, 'the spool is full');
  }
  const body = await readBody(req, o.maxBodyBytes, o.maxDecompressedBytes);
  if (!body.ok) return send(res, body.status, 'text/plain', `${body.message}\n`);
  let decoded: Decoded;
  try {
    decoded = await o.decoder.decode(encoding, body.body);
  } catch (error) {
    if (!(error instanceof MalformedBody)) throw error;
    return send(res, 400, 'text/plain', `malformed ExportTraceServiceRequest: ${error.message}\n`);
  }
  const release = o.admission.reserve(body.body.length, decoded.spans.length);
  if (release === undefined) return unavailable(res, o, 'the spool is full');
  let result: { rejected: number; message: string };
  try {
    result = await withTimeout(o.collector.ingest(decoded.spans), o.commitTimeoutMs);
  } catch (error) {
    return unavailable(res, o, `events could not be made durable: ${(error as Error).message}`);
  } finally {
    release();
  }
  const rejected = decoded.rejected + result.rejected;
  const message = [...decoded.problems, result.message].filter((m) => m !== '').join('; ');
  return send(res, 200, contentType, exportResponse(encoding, rejected, message));
}

async function events(req: IncomingMessage, res: ServerResponse, o: Handling): Promise<number> {
  const type = mediaType(req);
  if (type !== 'application/x-ndjson' && type !== 'application/jsonl') {
    req.resume();
    return send(res, 415, 'text/plain', 'Content-Type must be application/x-ndjson\n');
  }
  if (o.admission.full()) {
    req.resume();
    return unavailable(res, o, 'the spool is full');
  }
  const body = await readBody(req, o.maxBodyBytes, o.maxDecompressedBytes);
  if (!body.ok) return send(res, body.status, 'text/plain', `${body.message}\n`);
  let text: string;
  try {
    text = utf8(body.body);
  } catch (error) {
    return send(res, 400, 'text/plain', `${(error as Error).message}\n`);
  }
  const lines = text.split('\n');
  const release = o.admission.reserve(body.body.length, lines.length);
  if (release === undefined) return unavailable(res, o, 'the spool is full');
  try {
    return await trackLines(res, o, lines);
  } finally {
    release();
  }
}

/** track() each line, then answer once the accepted ones are committed. */
async function trackLines(res: ServerResponse, o: Handling, lines: string[]): Promise<number> {
  const results: unknown[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let input: unknown;
    try {
      input = JSON.parse(line);
    } catch {
      results.push({ line: i + 1, accepted: false, reason: 'not_json', message: 'the line is not JSON' });
      continue;
    }
    results.push({ line: i + 1, ...o.analytics.track(input) });
  }
  try {
    await withTimeout(o.analytics.commit(), o.commitTimeoutMs);
  } catch (error) {
    return unavailable(res, o, (error as Error).message);
  }
  return send(res, 200, 'application/json', `${JSON.stringify({ results })}\n`);
}

function unavailable(res: ServerResponse, o: ServerOptions, why: string): number {
  res.setHeader('Retry-After', String(o.retryAfterSeconds));
  return send(res, 503, 'text/plain', `${why}; retry later\n`);
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): number {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
  return status;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no commit within ${ms} ms`)), ms);
    timer.unref();
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
