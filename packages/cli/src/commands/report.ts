/**
 * `voicelake report`: one self-contained HTML file of the calls in the lake (local, or S3
 * through the query cache): headline numbers, charts, the slowest calls and their timelines.
 */
import { Command } from 'commander';
import { formatBytes, formatCount, positiveInt, progress } from '../format.js';
import {
  addSourceOptions,
  type RangeOptions,
  rangeFrom,
  rangeLabel,
  type SourceOptions,
  sourceFrom,
  syncAndReport,
} from '../lake/source-options.js';
import { generateReport } from '../report/index.js';

type ReportOptions = SourceOptions & RangeOptions & { agent?: string; out: string; slowest: number };

export function reportCommand(): Command {
  const cmd = new Command('report')
    .description(
      'Write one self-contained HTML report of the calls: headline numbers, charts, the slowest calls and their timelines',
    )
    .option('--agent <id>', "only this agent's calls")
    .option('--out <file>', 'the HTML file to write', 'report.html')
    .option('--slowest <n>', 'slowest calls to list, each with its timeline', positiveInt('--slowest'), 10);
  addSourceOptions(cmd);
  return cmd
    .addHelpText(
      'after',
      '\nThe page needs nothing else: no network, no script; open it from a file or send it as an attachment.\nIts numbers are the named queries of `voicelake query` (see `voicelake query --list`).',
    )
    .action(async (opts: ReportOptions) => {
      const source = sourceFrom(opts);
      try {
        const range = rangeFrom(opts, source);
        const synced = await syncAndReport(source, range);
        const report = await generateReport({
          dir: synced.dir,
          out: opts.out,
          range,
          agent: opts.agent,
          slowest: opts.slowest,
          source: source.description,
          progress,
        });
        process.stdout.write(
          `voicelake report: ${formatCount(report.calls)} calls (${rangeLabel(range)}${opts.agent === undefined ? '' : `, agent ${opts.agent}`}) → ${report.path} (${formatBytes(report.bytes)}, ${report.seconds.toFixed(1)} s)\n`,
        );
      } finally {
        source.close();
      }
    });
}
