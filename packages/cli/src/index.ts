/**
 * The `voicelake` command. One file per subcommand; this file only wires them up and turns
 * errors into one clear line and a non-zero exit code.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { VoicelakeError } from 'voicelake';
import { athenaCommand } from './commands/athena.js';
import { cacheCommand } from './commands/cache.js';
import { catCommand } from './commands/cat.js';
import { cloudwatchCommand } from './commands/cloudwatch.js';
import { demoCommand } from './commands/demo.js';
import { iamPolicyCommand } from './commands/iam-policy.js';
import { lsCommand } from './commands/ls.js';
import { queryCommand } from './commands/query.js';
import { spoolCommand } from './commands/spool.js';

const program = new Command()
  .name('voicelake')
  .description('Analytics for voice agents: CloudWatch Logs + a GZIP, Hive-partitioned S3 lake.')
  .version(
    (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
      .version,
  )
  .showHelpAfterError();

program.addCommand(athenaCommand());
program.addCommand(demoCommand());
program.addCommand(iamPolicyCommand());
program.addCommand(queryCommand());
program.addCommand(spoolCommand());
program.addCommand(lsCommand());
program.addCommand(catCommand());
program.addCommand(cacheCommand());
program.addCommand(cloudwatchCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const message =
    error instanceof VoicelakeError ? `${error.code}: ${error.message}` : (error as Error).message;
  process.stderr.write(`voicelake: ${message}\n`);
  process.exitCode = 1;
}
