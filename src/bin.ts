#!/usr/bin/env node
import { run } from './cli.js';
import { processIo } from './common/io.js';

/**
 * Treats EPIPE on `stream` as a reader that has finished, such as `head`
 * after its first lines. Node has destroyed the stream by then, so later
 * writes are dropped and the command runs on to its own exit code. Other
 * stream errors are still thrown, because they point to a bug or a broken
 * machine.
 */
function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

endQuietlyOnClosedPipe(process.stdout);
endQuietlyOnClosedPipe(process.stderr);
process.exitCode = await run(process.argv.slice(2), processIo());
