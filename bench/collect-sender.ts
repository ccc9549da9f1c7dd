/**
 * The exporters of bench/collect.ts, in a process of their own as real agents are: the collector's
 * process then spends its CPU on the collector alone. Reads one job (JSON) on stdin, sends, and
 * writes the result (JSON) on stdout.
 *
 * - `flood`: `senders` exporters share the calls, each posting one call's requests in order and
 *   the next as soon as it is answered. Returns when the first request left and the last was
 *   answered (epoch ms, the same clock as the collector's process).
 * - `paced`: `exporters` senders, each posting a request every `requestGapMs`, for `seconds`.
 *   Returns each request's latency (sent → 200) and the spans sent.
 */
import { Agent, request } from 'node:http';
import { text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';

interface Flood {
  kind: 'flood';
  url: string;
  senders: number;
  bodies: string[][];
}
interface Paced {
  kind: 'paced';
  url: string;
  exporters: number;
  requestGapMs: number;
  seconds: number;
  spansPerRequest: number;
  bodies: string[][];
}

/**
 * One export request, as an OTLP exporter sends it: a POST on a kept-alive connection, answered
 * 200. `node:http` with a keep-alive agent, not `fetch`: fetch (undici behind WHATWG streams)
 * costs this process about as much CPU per request as the collector spends serving it, and on a
 * small machine the two processes compete for the same cores.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
function post(url: string, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/traces`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.once('error', reject);
        res.once('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`collect answered ${res.statusCode}`)),
        );
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

async function flood(job: Flood) {
  const queue = job.bodies.map((call) => call.map((b) => Buffer.from(b, 'base64')));
  const startMs = Date.now();
  await Promise.all(
    Array.from({ length: job.senders }, async () => {
      for (let call = queue.shift(); call !== undefined; call = queue.shift())
        for (const body of call) await post(job.url, body);
    }),
  );
  return { startMs, endMs: Date.now() };
}

async function paced(job: Paced) {
  const bodies = job.bodies.map((call) => call.map((b) => Buffer.from(b, 'base64')));
  const latencies: number[] = [];
  let sent = 0;
  const end = performance.now() + job.seconds * 1000;
  await Promise.all(
    Array.from({ length: job.exporters }, async (_, e) => {
      await sleep((job.requestGapMs * e) / job.exporters);
      let next = performance.now();
      for (let i = 0; performance.now() < end; i++) {
        const call = bodies[(e + job.exporters * Math.floor(i / 8)) % bodies.length] ?? [];
        const body = call[i % call.length] as Buffer;
        const t0 = performance.now();
        await post(job.url, body);
        latencies.push(performance.now() - t0);
        sent += job.spansPerRequest;
        next += job.requestGapMs;
        await sleep(Math.max(0, next - performance.now()));
      }
    }),
  );
  return { latencies, sent };
}

const job = JSON.parse(await text(process.stdin)) as Flood | Paced;
const result = job.kind === 'flood' ? await flood(job) : await paced(job);
agent.destroy();
process.stdout.write(JSON.stringify(result));
