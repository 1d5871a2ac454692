import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SrekitError } from '../common/errors.js';
import { describeFileError, isPathError, writeFileAtomic } from '../common/files.js';
import { writeJsonLine, type Io } from '../common/io.js';
import type { IncidentRecord } from './model.js';
import { renderPostmortem } from './postmortem.js';

/** The flags of `srekit incident postmortem`. */
export interface PostmortemFlags {
  out?: string;
  force?: boolean;
  json?: boolean;
}

/**
 * Writes the postmortem draft of `record` to stdout, or to --out through a
 * temporary file and a rename. Raises INVALID_INPUT, writing nothing, when
 * --out exists and --force is not given or when the file cannot be written.
 */
export async function writePostmortem(
  record: IncidentRecord, flags: PostmortemFlags, io: Io,
): Promise<void> {
  const markdown = renderPostmortem(record, new Date());
  const reference = record.incident.reference;
  if (flags.out === undefined || flags.out === '-') {
    if (flags.json === true) writeJsonLine(io.stdout, 'postmortem', { reference, markdown });
    else io.stdout.write(markdown.endsWith('\n') ? markdown : `${markdown}\n`);
    return;
  }

  const path = resolve(flags.out);
  if (flags.force !== true && existsSync(path)) {
    throw new SrekitError('INVALID_INPUT', `postmortem file ${path} already exists`, {
      hint: 'pass --force to overwrite it, or choose another --out',
    });
  }
  try {
    await writeFileAtomic(path, markdown);
  } catch (error) {
    if (!isPathError(error)) throw error;
    throw new SrekitError('INVALID_INPUT',
      `could not write postmortem file ${path}: ${describeFileError(error)}`,
      { hint: 'choose a writable --out path in an existing directory', cause: error });
  }
  if (flags.json === true) writeJsonLine(io.stdout, 'postmortem', { reference, path });
  else io.stderr.write(`wrote the postmortem draft of ${reference} to ${path}\n`);
}
