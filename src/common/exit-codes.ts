/**
 * Process exit codes used by every srekit command. The table in
 * docs/exit-codes.md lists the same values; a test keeps the two in step.
 * The backup codes follow restic's, which users already script against.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  incomplete: 3,
  noRepository: 10,
  locked: 11,
  wrongKey: 12,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
