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

/** A one-line progress indicator on stderr, when stderr is a terminal. */
export function progress(label: string, total: number): { tick(done: number): void; done(): void } {
  const tty = process.stderr.isTTY === true;
  let last = -1;
  return {
    tick(done: number) {
      if (!tty) return;
      const pct = Math.floor((done / Math.max(1, total)) * 100);
      if (pct === last) return;
      last = pct;
      process.stderr.write(`\r${label} ${pct}% (${formatCount(done)}/${formatCount(total)})`);
    },
    done() {
      if (tty) process.stderr.write(`\r${label} 100% (${formatCount(total)}/${formatCount(total)})\n`);
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
