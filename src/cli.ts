import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { SrekitError } from './common/errors.js';
import { ExitCode } from './common/exit-codes.js';
import type { CommandContext, RegisterCommands } from './common/command.js';
import type { Io } from './common/io.js';

/** An area of srekit: its top-level command names and a loader for its commands. */
interface Area {
  commands: string[];
  load: () => Promise<RegisterCommands>;
}

// An area is imported only when its command runs, because importing all of them adds
// about 70 MiB of RSS (the AWS SDK, pg, better-sqlite3, pino) before any command starts.
const areas: Area[] = [
  { commands: ['service'],
    load: async () => (await import('./service/index.js')).registerServiceCommands },
  { commands: ['stack'],
    load: async () => (await import('./stack/index.js')).registerStackCommands },
  { commands: ['slo'],
    load: async () => (await import('./slo/index.js')).registerSloCommands },
  { commands: ['monitoring'], load: loadMonitoringCommands },
  { commands: ['gameday'],
    load: async () => (await import('./gameday/index.js')).registerGamedayCommands },
  { commands: ['backup'],
    load: async () => (await import('./backup/index.js')).registerBackupCommands },
  { commands: ['incident'],
    load: async () => (await import('./incident/index.js')).registerIncidentCommands },
];

async function loadMonitoringCommands(): Promise<RegisterCommands> {
  const { registerMonitoringCommands } = await import('./slo/index.js');
  const { defaultWorkdir, readStackStatus, stackLayout } = await import('./stack/index.js');
  // src/slo may not import src/stack, so the stack's state is passed in here.
  return (program, context) => registerMonitoringCommands(program, context,
    { defaultWorkdir, readStackStatus, stackLayout });
}

/**
 * Loads the commands that `argv` can reach: the area named by its first word, or every
 * area when that word names none, as for `--help`, `help` and a mistyped command.
 */
async function loadCommands(argv: string[]): Promise<RegisterCommands[]> {
  const named = areas.filter((area) => area.commands.includes(argv[0] ?? ''));
  return Promise.all((named.length > 0 ? named : areas).map((area) => area.load()));
}

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** Builds the `srekit` program with the subcommands of `registers` attached. */
export function buildProgram(context: CommandContext, registers: RegisterCommands[]): Command {
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
  for (const register of registers) register(program, context);
  return program;
}

/**
 * Runs the srekit command line with `argv` (without the node and script
 * paths) and returns the exit code. Nothing here calls `process.exit`.
 */
export async function run(argv: string[], io: Io): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const context: CommandContext = { io, setExitCode: (code) => { exitCode = code; } };
  const program = buildProgram(context, await loadCommands(argv));
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
