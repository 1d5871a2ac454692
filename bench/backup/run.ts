// Backs up, restores and verifies one generated corpus with srekit, restic,
// borg and tar piped to zstd, alternating the tools over the rounds, and
// compares srekit's medians with its targets. See bench/backup/README.md.
import { processIo } from '../../src/common/io.js';
import { runBackupBenchCommand } from './command.js';

process.exitCode = await runBackupBenchCommand(process.argv.slice(2), processIo());
