import type { RegisterCommands } from '../common/command.js';

/** Adds the `srekit slo` commands to the program. */
export const registerSloCommands: RegisterCommands = (program) => {
  program.command('slo').description('(not yet built)');
};
