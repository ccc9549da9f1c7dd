/**
 * An independent Parquet reader for the compaction checks: pyarrow (Python), from the pinned
 * test venv (helpers/venv.ts). One Python process reads a whole set of files.
 */
import { execFileSync } from 'node:child_process';
import { testPython as python } from './venv.js';

export interface ParquetFileInfo {
  readonly path: string;
  /** `PAR1` at both ends and a footer pyarrow can parse. */
  readonly magic: boolean;
  readonly rows: number;
  readonly rowGroups: number;
  /** Every column chunk's codec, deduplicated (`ZSTD`, `SNAPPY`, …). */
  readonly codecs: string[];
  /** Column names and Arrow types. */
  readonly columns: { name: string; type: string }[];
}

export interface ParquetInspection {
  readonly files: ParquetFileInfo[];
  /** Rows of all the files together. */
  readonly rows: number;
  readonly distinctEventIds: number;
  readonly nullEventIds: number;
  /** Per file: true when its rows are in (call_id, event_time) order. */
  readonly sorted: boolean[];
}

const SCRIPT = `
import json, sys
import pyarrow.parquet as pq

out = {"files": [], "rows": 0, "sorted": []}
ids = set()
nulls = 0
for path in json.load(sys.stdin):
    with open(path, "rb") as f:
        head = f.read(4)
        f.seek(-4, 2)
        tail = f.read(4)
    pf = pq.ParquetFile(path)
    md = pf.metadata
    codecs = sorted({md.row_group(g).column(c).compression for g in range(md.num_row_groups) for c in range(md.num_columns)})
    table = pf.read()
    out["files"].append({
        "path": path,
        "magic": head == b"PAR1" and tail == b"PAR1",
        "rows": md.num_rows,
        "rowGroups": md.num_row_groups,
        "codecs": codecs,
        "columns": [{"name": fld.name, "type": str(fld.type)} for fld in table.schema],
    })
    out["rows"] += table.num_rows
    for v in table.column("event_id").to_pylist():
        if v is None:
            nulls += 1
        else:
            ids.add(v)
    keys = list(zip(table.column("call_id").to_pylist(), table.column("event_time").to_pylist()))
    out["sorted"].append(all(keys[i] <= keys[i + 1] for i in range(len(keys) - 1)))
out["distinctEventIds"] = len(ids)
out["nullEventIds"] = nulls
json.dump(out, sys.stdout)
`;

/** Read Parquet files with pyarrow: validity, codecs, columns, rows and event_ids. */
export function inspectParquet(paths: readonly string[]): ParquetInspection {
  const stdout = execFileSync(python(), ['-c', SCRIPT], {
    input: JSON.stringify(paths),
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(stdout.toString()) as ParquetInspection;
}
