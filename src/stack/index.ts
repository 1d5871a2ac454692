import type { RegisterCommands } from '../common/command.js';

/** Adds the `srekit stack` commands to the program. */
export const registerStackCommands: RegisterCommands = (program) => {
  program.command('stack').description('(not yet built)');
};
