/** `voicelake cat`: one object's events, decompressed (`aws s3 cp s3://… - | gunzip`, for both sources). */
import { gunzipSync } from 'node:zlib';
import { Command, Option } from 'commander';
import { QueryError } from 'voicelake';
import { addSourceOptions, type SourceOptions, sourceFrom } from '../lake/source-options.js';
import { FORMATS, type Format, printRows, type Row } from '../output.js';

const CAT_FORMATS = ['ndjson', ...FORMATS] as const;
type CatFormat = (typeof CAT_FORMATS)[number];

interface CatOptions extends SourceOptions {
  format: CatFormat;
}

/** Decompress an object; a clear error when it is not gzip. */
export function gunzipObject(what: string, bytes: Buffer): Buffer {
  try {
    return gunzipSync(bytes);
  } catch (error) {
    throw new QueryError(`${what} is not a gzip file: ${(error as Error).message}`, { cause: error });
  }
}

/** The events of NDJSON text, one object per non-empty line. */
export function parseLines(what: string, text: string): Row[] {
  const rows: Row[] = [];
  let n = 0;
  for (const line of text.split('\n')) {
    n++;
    if (line.trim() === '') continue;
    try {
      rows.push(JSON.parse(line) as Row);
    } catch (error) {
      throw new QueryError(`${what}, line ${n}: not JSON: ${(error as Error).message}`, { cause: error });
    }
  }
  return rows;
}

/** Every column of `rows`, in first-seen order (events of different types have different fields). */
function columnsOf(rows: readonly Row[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

export function catCommand(): Command {
  return addSourceOptions(
    new Command('cat')
      .description(
        "Print one object's events, decompressed: NDJSON as stored, or parsed as a table, JSON or CSV",
      )
      .argument(
        '<key|path>',
        'a key as `voicelake ls` prints it (with or without the prefix; s3://bucket/key for S3), or a local .json.gz file',
      )
      .addOption(new Option('--format <format>', 'output format').choices(CAT_FORMATS).default('ndjson')),
    { range: false },
  ).action(async (keyOrPath: string, opts: CatOptions) => {
    // An s3:// URL names its bucket: no --bucket needed.
    const url = /^s3:\/\/([^/]+)\//.exec(keyOrPath);
    const source = sourceFrom(
      url && opts.bucket === undefined && opts.dataDir === undefined ? { ...opts, bucket: url[1] } : opts,
    );
    try {
      const text = gunzipObject(keyOrPath, await source.read(keyOrPath));
      // `voicelake cat … | head` closes the pipe early: that is not an error.
      process.stdout.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EPIPE') process.exit(0);
        throw error;
      });
      if (opts.format === 'ndjson') {
        process.stdout.write(text);
        return;
      }
      const rows = parseLines(keyOrPath, text.toString('utf8'));
      printRows(rows, opts.format as Format, columnsOf(rows));
    } finally {
      source.close();
    }
  });
}
