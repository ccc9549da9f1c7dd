/**
 * An HTTP proxy between the SDK and moto that records every request (the
 * "request-inspecting layer") and can simulate outages: refuse connections, or hang.
 */
import { createServer, request, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface Recorded {
  readonly method: string;
  readonly path: string;
  /** `X-Amz-Target` for JSON protocols, e.g. `Logs_20140328.PutLogEvents`. */
  readonly target: string | undefined;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export type ProxyMode = 'forward' | 'refuse' | 'hang';

/**
 * A fault for matching requests, `times` times: requests whose X-Amz-Target ends with `target`
 * (JSON protocols) or whose path matches `path` (S3) get an AWS JSON error, or, with `reset`,
 * a dropped connection, or, with `reply`, a 200 answer with that JSON body (built from the
 * request's JSON body) instead of the service's.
 */
export interface Fault {
  target?: string;
  path?: RegExp;
  status?: number;
  type?: string;
  reset?: boolean;
  reply?: (body: unknown) => unknown;
  times: number;
}

export interface InspectingProxy {
  readonly endpoint: string;
  readonly requests: Recorded[];
  /** Requests refused (`refuse` mode: the connection dropped as soon as their headers came). */
  readonly refused: Pick<Recorded, 'method' | 'path' | 'target'>[];
  mode: ProxyMode;
  /** Faults injected before forwarding; each counts down its `times`. */
  faults: Fault[];
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<InspectingProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  const requests: Recorded[] = [];
  const refused: InspectingProxy['refused'] = [];
  const state: { mode: ProxyMode } = { mode: 'forward' };
  const faults: Fault[] = [];
  const server: Server = createServer((req, res) => {
    if (state.mode === 'refuse') {
      refused.push({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        target: req.headers['x-amz-target'] as string | undefined,
      });
      req.socket.destroy();
      return;
    }
    if (state.mode === 'hang') return;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        target: req.headers['x-amz-target'] as string | undefined,
        headers: req.headers,
        body,
      });
      const target = req.headers['x-amz-target'] as string | undefined;
      const fault = faults.find(
        (f) =>
          f.times > 0 &&
          ((f.target !== undefined && target?.endsWith(f.target)) || f.path?.test(req.url ?? '') === true),
      );
      if (fault) {
        fault.times--;
        if (fault.reset) {
          req.socket.destroy();
          return;
        }
        if (fault.reply) {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify(fault.reply(JSON.parse(body.toString('utf8')))));
          return;
        }
        res.writeHead(fault.status ?? 500, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: fault.type, message: 'injected by the test proxy' }));
        return;
      }
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    refused,
    faults,
    get mode() {
      return state.mode;
    },
    set mode(mode: ProxyMode) {
      state.mode = mode;
      if (mode !== 'forward') for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
