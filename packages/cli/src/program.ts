/**
 * The `voicelake` program: one file per subcommand; this file wires them up, and `runCli`
 * turns errors into one clear line and an exit code. `index.ts` runs it for the bin; tests run
 * it in-process.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { VoicelakeError } from 'voicelake';
import { athenaCommand } from './commands/athena.js';
import { cacheCommand } from './commands/cache.js';
import { catCommand } from './commands/cat.js';
import { cloudwatchCommand } from './commands/cloudwatch.js';
import { collectCommand } from './commands/collect.js';
import { compactCommand } from './commands/compact.js';
import { costCommand } from './commands/cost.js';
import { demoCommand } from './commands/demo.js';
import { iamPolicyCommand } from './commands/iam-policy.js';
import { lifecycleCommand } from './commands/lifecycle.js';
import { lsCommand } from './commands/ls.js';
import { queryCommand } from './commands/query.js';
import { reportCommand } from './commands/report.js';
import { spoolCommand } from './commands/spool.js';
import { trinoCommand } from './commands/trino.js';

export function createProgram(): Command {
  const program = new Command()
    .name('voicelake')
    .description('Analytics for voice agents: CloudWatch Logs + a GZIP, Hive-partitioned S3 lake.')
    .version(
      (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
        .version,
    )
    .showHelpAfterError();

  program.addCommand(athenaCommand());
  program.addCommand(collectCommand());
  program.addCommand(demoCommand());
  program.addCommand(iamPolicyCommand());
  program.addCommand(queryCommand());
  program.addCommand(reportCommand());
  program.addCommand(spoolCommand());
  program.addCommand(lsCommand());
  program.addCommand(catCommand());
  program.addCommand(cacheCommand());
  program.addCommand(compactCommand());
  program.addCommand(cloudwatchCommand());
  program.addCommand(lifecycleCommand());
  program.addCommand(costCommand());
  program.addCommand(trinoCommand());
  return program;
}

/**
 * Run the program on `argv` (as `process.argv`) and return the exit code: 0, the command's
 * own (`athena ddl --check` answers 2), 1 on an error (one line on stderr), or commander's for
 * bad usage. Never calls `process.exit`.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  const override = (cmd: Command): void => {
    cmd.exitOverride();
    for (const sub of cmd.commands) override(sub);
  };
  override(program);
  process.exitCode = undefined;
  try {
    await program.parseAsync([...argv]);
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const message =
      error instanceof VoicelakeError ? `${error.code}: ${error.message}` : (error as Error).message;
    process.stderr.write(`voicelake: ${message}\n`);
    return 1;
  } finally {
    process.exitCode = undefined;
  }
}
