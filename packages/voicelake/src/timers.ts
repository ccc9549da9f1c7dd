/**
 * Small timer helpers. Every timer here is `unref()`ed: analytics never keeps a process alive;
 * the one exception is a bound someone awaits (`keepAlive`), which lasts until it fires at most.
 */

/**
 * Resolve with `promise`'s value, or with `undefined` after `ms`, whichever comes first. With
 * `keepAlive`, the timer holds the process open until then: an `await` on the result settles
 * even when nothing else keeps the event loop alive (else Node exits with the await unsettled).
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  keepAlive = false,
): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    if (!keepAlive) timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `task` at most once at a time, `intervalMs` after it was first requested (or at once
 * with `runNow`). Requests made while it runs are folded into one more run afterwards.
 */
export class Debounced {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  /** The run a `runNow()` asked for while another was in progress: it starts when that one ends. */
  #follow: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly task: () => Promise<void>,
  ) {}

  /** Run within `intervalMs`, unless a run is already due. */
  schedule(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => void this.runNow(), this.intervalMs);
    this.#timer.unref();
  }

  /**
   * Run now. With a run in progress, run once more right after it, and resolve when that run
   * ends: the run in progress may have started before what the caller needs done (records
   * appended since), so resolving with it would claim work that nobody will do once `stop()`
   * cancels the follow-up (a `close()` that lost what was appended during a commit).
   */
  runNow(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#running !== undefined) {
      const next = () => {
        this.#follow = undefined;
        return this.runNow();
      };
      this.#follow ??= this.#running.then(next, next);
      return this.#follow;
    }
    this.#running = this.task().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.schedule();
      }
    });
    return this.#running;
  }

  /** Cancel a pending run; no new ones are scheduled. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
