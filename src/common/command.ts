import { InvalidArgumentError, type Command } from 'commander';
import type { Io } from './io.js';

/** The context each area receives when it registers its subcommands. */
export interface CommandContext {
  io: Io;
  /** Sets the exit code the CLI returns once the command finishes. */
  setExitCode(code: number): void;
}

/** A function through which an area adds its subcommands to the program. */
export type RegisterCommands = (program: Command, context: CommandContext) => void;

/** Parses a TCP port number given on the command line, rejecting anything else. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`invalid port "${value}": expected an integer from 1 to 65535`);
  }
  return port;
}

/** Parses a positive duration in seconds, such as `90`, or with a unit: `500ms`, `30s`, `5m`. */
export function parseDurationSeconds(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value);
  if (!match) {
    throw new InvalidArgumentError(`invalid duration "${value}": expected a number with an optional unit ms, s, m or h`);
  }
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600 }[match[2] ?? 's'] ?? 1;
  return Number(match[1]) * factor;
}
