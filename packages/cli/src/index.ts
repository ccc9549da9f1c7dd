/** The `voicelake` bin: run the program, exit with its code. */
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv);
