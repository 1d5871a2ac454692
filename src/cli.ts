import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { SrekitError } from './common/errors.js';
import { ExitCode } from './common/exit-codes.js';
import type { CommandContext, RegisterCommands } from './common/command.js';
import type { Io } from './common/io.js';
import { registerServiceCommands } from './service/index.js';
import {
  defaultWorkdir, readStackStatus, registerStackCommands, stackLayout,
} from './stack/index.js';
import { registerMonitoringCommands, registerSloCommands } from './slo/index.js';
import { registerGamedayCommands } from './gameday/index.js';
import { registerBackupCommands } from './backup/index.js';
import { registerIncidentCommands } from './incident/index.js';

const areas: RegisterCommands[] = [
  registerServiceCommands,
  registerStackCommands,
  registerSloCommands,
  // src/slo may not import src/stack, so the stack's state is passed in here.
  (program, context) => registerMonitoringCommands(program, context,
    { defaultWorkdir, readStackStatus, stackLayout }),
  registerGamedayCommands,
  registerBackupCommands,
  registerIncidentCommands,
];

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** Builds the `srekit` program with every area's subcommands attached. */
export function buildProgram(context: CommandContext): Command {
  const { io } = context;
  const program = new Command('srekit')
    .description('A reliability kit for a web service: the reference service, alerting as code,\n'
      + 'the local monitoring stack, backups, incident response and the game day that proves them')
    .version(version, '-V, --version', 'print the version and exit')
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .addHelpText('after', exitStatusHelp);
  for (const register of areas) register(program, context);
  return program;
}

/**
 * Runs the srekit command line with `argv` (without the node and script
 * paths) and returns the exit code. Nothing here calls `process.exit`.
 */
export async function run(argv: string[], io: Io): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const context: CommandContext = { io, setExitCode: (code) => { exitCode = code; } };
  const program = buildProgram(context);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportError(error, io);
  }
}

function reportError(error: unknown, io: Io): number {
  if (error instanceof CommanderError) {
    // Help and version output end the parse through an exception with code 0.
    if (error.exitCode === 0) return ExitCode.ok;
    return ExitCode.usage;
  }
  if (error instanceof SrekitError) {
    io.stderr.write(`error: ${error.message} [${error.code}]\n`);
    if (error.hint) io.stderr.write(`hint: ${error.hint}\n`);
    return error.exitCode;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  io.stderr.write(`internal error (please report it): ${detail}\n`);
  return ExitCode.failure;
}

const exitStatusHelp = `
Exit status:
  0   success
  1   the checked thing failed (a policy, a verification, a game day check)
  2   bad usage or invalid input
  See docs/exit-codes.md for every code.`;
