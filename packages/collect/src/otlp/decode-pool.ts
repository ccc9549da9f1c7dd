/**
 * Request bodies decoded on a thread of their own. Decoding is the collector's largest single
 * cost (protobuf through the generated definitions, then to the mappings' span model); on its own
 * thread it runs beside the event loop that maps, tracks, commits and answers. That loop still
 * reads the structured clone of the result, which costs it nearly as much as decoding did: the
 * measured gain is small (docs/collect.md, Performance).
 *
 * A body that is not well-formed rejects with a {@link MalformedBody} (the caller answers 400).
 * If the thread fails (it exits, or cannot start), the bodies it had are decoded inline and a new
 * thread is started for what follows; after {@link MAX_RESTARTS} failures the pool decodes inline
 * for good. Nothing is lost either way, and no answer changes.
 */
import { Worker } from 'node:worker_threads';
import { decodeBody, type WorkerMessage } from './decode-body.js';
import type { Decoded } from './model.js';
import type { Encoding } from './response.js';

/** The body could not be decoded; the message says why (a 400). */
export class MalformedBody extends Error {}

/** Thread failures after which bodies are decoded inline for good. */
const MAX_RESTARTS = 3;

interface Pending {
  readonly encoding: Encoding;
  readonly body: Uint8Array;
  readonly resolve: (decoded: Decoded) => void;
  readonly reject: (error: Error) => void;
}

export class DecodePool {
  /** Times the thread failed (each time, what it had was decoded inline). */
  get failures(): number {
    return this.#failures;
  }

  #worker: Worker | undefined;
  /** Resolves once the current thread has loaded (or failed): see {@link ready}. */
  #loaded: Promise<void> = Promise.resolve();
  readonly #pending = new Map<number, Pending>();
  #next = 0;
  #failures = 0;
  #closed = false;

  /**
   * `start` makes the thread (the decoding worker; tests give one that fails), or is `false`: every
   * body is decoded inline, on the caller's event loop.
   */
  constructor(
    private readonly start: (() => Worker) | false = startWorker,
    /** Told of each failure of the thread (the collector logs it). */
    private readonly onFailure: (error: Error) => void = () => {},
  ) {}

  /**
   * Start the thread now and resolve once it has loaded its code (or failed, or after `timeoutMs`):
   * a collector listens only then, so its first requests do not wait for the thread to start.
   */
  async ready(timeoutMs = 10_000): Promise<void> {
    if (this.#closed || this.#thread() === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#loaded, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  decode(encoding: Encoding, body: Uint8Array): Promise<Decoded> {
    const worker = this.#closed ? undefined : this.#thread();
    if (worker === undefined) return Promise.resolve().then(() => inline(encoding, body));
    return new Promise<Decoded>((resolve, reject) => {
      const id = this.#next++;
      this.#pending.set(id, { encoding, body, resolve, reject });
      worker.postMessage({ id, encoding, body });
    });
  }

  /** Stop the thread; bodies it still had are decoded inline. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker !== undefined) {
      worker.removeAllListeners();
      this.#takeBack();
      await worker.terminate();
    }
  }

  #thread(): Worker | undefined {
    if (this.#worker !== undefined) return this.#worker;
    if (this.start === false || this.#failures >= MAX_RESTARTS) return undefined;
    let worker: Worker;
    try {
      worker = this.start();
    } catch (error) {
      this.#failures = MAX_RESTARTS;
      this.onFailure(
        new Error(
          `the decoding thread could not start (${(error as Error).message}); bodies are decoded inline`,
        ),
      );
      return undefined;
    }
    worker.unref();
    let loaded = () => {};
    this.#loaded = new Promise((resolve) => {
      loaded = resolve;
    });
    worker.on('message', (reply: WorkerMessage) => {
      if ('ready' in reply) return loaded();
      const p = this.#pending.get(reply.id);
      if (p === undefined) return;
      this.#pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.decoded);
      else p.reject(new MalformedBody(reply.message));
    });
    const failed = (cause: unknown) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#failures++;
      const why = cause instanceof Error ? cause.message : `it exited with code ${String(cause)}`;
      this.onFailure(
        new Error(
          `the decoding thread failed (${why}); its bodies are decoded inline${this.#failures >= MAX_RESTARTS ? ', and from now on all of them' : ''}`,
        ),
      );
      loaded();
      worker.removeAllListeners();
      void worker.terminate();
      this.#takeBack();
    };
    worker.on('error', failed);
    worker.on('exit', failed);
    this.#worker = worker;
    return worker;
  }

  /** The thread is gone: what it had is decoded here. */
  #takeBack(): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) {
      try {
        p.resolve(inline(p.encoding, p.body));
      } catch (error) {
        p.reject(error as Error);
      }
    }
  }
}

function inline(encoding: Encoding, body: Uint8Array): Decoded {
  try {
    return decodeBody(encoding, body);
  } catch (error) {
    throw new MalformedBody((error as Error).message);
  }
}

/**
 * The decoding thread, from the built `decode-worker.js`. Run from the TypeScript sources (the
 * tests, the bench), `decode-worker.ts` is loaded through tsx, which those runs have.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./decode-worker.js', import.meta.url));
  const source = JSON.stringify(new URL('./decode-worker.ts', import.meta.url).href);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(`import(${tsx}).then((tsx) => tsx.tsImport(${source}, ${source}))`, { eval: true });
}
