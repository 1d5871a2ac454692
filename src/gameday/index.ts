import type { RegisterCommands } from '../common/command.js';

/** Adds the `srekit gameday` commands to the program. */
export const registerGamedayCommands: RegisterCommands = (program) => {
  program.command('gameday').description('(not yet built)');
};
