import { ExitCode, type ExitCodeValue } from './exit-codes.js';

/**
 * Every error code srekit reports to users, with the exit code it leads to.
 * docs/exit-codes.md documents each code; a test fails when one is missing.
 */
export const errorCodes = {
  USAGE: { exit: ExitCode.usage, summary: 'the command line is invalid' },
  INVALID_INPUT: { exit: ExitCode.usage, summary: 'an input value or file is invalid' },
  INVALID_CONFIG: { exit: ExitCode.usage, summary: 'a configuration file is invalid' },
  PORT_IN_USE: { exit: ExitCode.failure, summary: 'a port is already in use' },
  DATABASE_UNAVAILABLE: { exit: ExitCode.failure, summary: 'the database cannot be opened' },
  MISSING_BINARY: { exit: ExitCode.failure, summary: 'a required program is not installed' },
  STACK_NOT_RUNNING: { exit: ExitCode.failure, summary: 'the local stack is not running' },
  STACK_ALREADY_RUNNING: { exit: ExitCode.failure, summary: 'the local stack is already running' },
  STARTUP_TIMEOUT: { exit: ExitCode.failure, summary: 'a process did not become ready in time' },
  CHECK_FAILED: { exit: ExitCode.failure, summary: 'a checked condition did not hold' },
  RELOAD_FAILED: {
    exit: ExitCode.failure, summary: 'a server could not be reached or did not reload its config',
  },
  INTERRUPTED: { exit: ExitCode.failure, summary: 'the command was interrupted by a signal' },
  BACKUP_NOT_FOUND: { exit: ExitCode.failure, summary: 'no backup matches the given id or time' },
  BACKUP_DAMAGED: { exit: ExitCode.failure, summary: 'a stored backup failed a check' },
  BACKUP_UNSAFE_ENTRY: { exit: ExitCode.failure, summary: 'restore rejected an unsafe archive entry' },
  BACKUP_INCOMPLETE: { exit: ExitCode.incomplete, summary: 'a backup was written without some source files' },
  BACKUP_NO_REPOSITORY: { exit: ExitCode.noRepository, summary: 'the backup repository does not exist' },
  BACKUP_LOCKED: { exit: ExitCode.locked, summary: 'another process holds the backup repository lock' },
  BACKUP_WRONG_KEY: { exit: ExitCode.wrongKey, summary: 'the backup key or passphrase is missing or wrong' },
  INCIDENT_NOT_FOUND: { exit: ExitCode.failure, summary: 'no incident has the given reference' },
  INCIDENT_INVALID_CHANGE: {
    exit: ExitCode.usage, summary: 'the change is not allowed in the incident\'s current state',
  },
  INCIDENT_UNAUTHORIZED: {
    exit: ExitCode.usage, summary: 'the incident server rejected the token or none was given',
  },
  INCIDENT_SERVER_UNAVAILABLE: {
    exit: ExitCode.failure, summary: 'the incident server could not be reached or failed',
  },
} as const satisfies Record<string, { exit: ExitCodeValue; summary: string }>;

/** A key of {@link errorCodes}. */
export type ErrorCode = keyof typeof errorCodes;

/**
 * An error meant for the user: a message naming what failed and the bad value,
 * an optional hint with the next step, and the exit code the CLI should use.
 */
export class SrekitError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SrekitError';
    this.code = code;
    this.hint = options.hint;
  }

  /** The process exit code for this error. */
  get exitCode(): ExitCodeValue {
    return errorCodes[this.code].exit;
  }
}

/** Returns true when `error` is a Node.js system error with the given `code`. */
export function isSystemError(error: unknown, code: string): error is NodeJS.ErrnoException {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
