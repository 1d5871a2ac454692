import type { RegisterCommands } from '../common/command.js';

/** Adds the `srekit service` commands to the program. */
export const registerServiceCommands: RegisterCommands = (program) => {
  program.command('service').description('(not yet built)');
};
