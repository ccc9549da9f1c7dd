/** Small formatting helpers shared by the subcommands. */

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Parse a positive integer CLI option, with a clear error. */
export function positiveInt(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n <= 0)
      throw new Error(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

/**
 * A one-line progress indicator on stderr, when stderr is a terminal (silent when piped).
 * With `totalBytes`, the line also shows the bytes done (pass them as `tick`'s second argument)
 * and the percentage follows the bytes.
 */
export function progress(
  label: string,
  total: number,
  totalBytes?: number,
): { tick(done: number, bytesDone?: number): void; done(): void } {
  const tty = process.stderr.isTTY === true;
  const byBytes = totalBytes !== undefined && totalBytes > 0;
  let lastPct = -1;
  let lastAt = 0;
  let finished = false;
  const line = (done: number, bytes: number | undefined): [number, string] => {
    const pct = Math.floor(
      ((byBytes ? (bytes ?? 0) : done) / Math.max(1, byBytes ? totalBytes : total)) * 100,
    );
    const size = totalBytes === undefined ? '' : `, ${formatBytes(bytes ?? 0)}/${formatBytes(totalBytes)}`;
    return [pct, `${label} ${pct}% (${formatCount(done)}/${formatCount(total)}${size})`];
  };
  return {
    tick(done: number, bytesDone?: number) {
      if (!tty) return;
      const [pct, text] = line(done, bytesDone);
      // Redraw when the percentage moves, and at most every 100 ms in between (counts move faster).
      const now = Date.now();
      if (pct === lastPct && now - lastAt < 100) return;
      lastPct = pct;
      lastAt = now;
      process.stderr.write(`\r${text}`);
    },
    /** Draw the finished line, once (later calls do nothing). */
    done() {
      if (tty && !finished) process.stderr.write(`\r${line(total, totalBytes)[1]}\n`);
      finished = true;
    },
  };
}

/** A duration in the largest unit that keeps it readable. */
export function formatAge(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms < 172_800_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}
