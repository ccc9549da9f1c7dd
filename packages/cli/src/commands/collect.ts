/** `voicelake collect`: the OTLP/HTTP receiver of voicelake-collect, run from the CLI (same options). */
import { Command } from 'commander';
import { collectMain } from 'voicelake-collect';

export function collectCommand(): Command {
  return new Command('collect')
    .description(
      'Receive OTLP/HTTP traces (LiveKit Agents, Pipecat) and NDJSON events into the lake: see voicelake-collect --help',
    )
    .helpOption(false)
    .allowUnknownOption(true)
    .argument('[args...]')
    .action(async (args: string[]) => {
      process.exitCode = await collectMain(args);
    });
}
