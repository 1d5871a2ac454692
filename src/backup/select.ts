import { SrekitError } from '../common/errors.js';
import type { Manifest } from './manifest.js';

/** The choice of one backup: by id, the latest, or the latest before a time. */
export type BackupSelector =
  | { kind: 'latest'; className?: string }
  | { kind: 'id'; id: string }
  | { kind: 'at'; time: Date; className?: string };

/** Returns the backup that `selector` names among `manifests`, which are sorted oldest first. */
export function selectBackup(manifests: Manifest[], selector: BackupSelector): Manifest {
  if (selector.kind === 'id') {
    const found = manifests.find((manifest) => manifest.id === selector.id);
    if (found === undefined) {
      throw new SrekitError('BACKUP_NOT_FOUND', `no backup has the id ${selector.id}`, {
        hint: 'list the backups with `srekit backup list --repo REPO`',
      });
    }
    return found;
  }
  const candidates = manifests.filter((manifest) => selector.className === undefined
    || manifest.class === selector.className);
  const limit = selector.kind === 'at' ? selector.time.getTime() : Infinity;
  const eligible = candidates.filter((manifest) => Date.parse(manifest.time) <= limit);
  const chosen = eligible.at(-1);
  if (chosen === undefined) {
    const scope = selector.className === undefined ? '' : ` of class ${selector.className}`;
    const when = selector.kind === 'at' ? ` made at or before ${selector.time.toISOString()}` : '';
    throw new SrekitError('BACKUP_NOT_FOUND', `the repository has no backup${scope}${when}`);
  }
  return chosen;
}

/** Parses `--at`: an ISO 8601 date and time, such as 2026-12-04T17:00:00Z. */
export function parseTime(value: string): Date {
  const time = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(time.getTime())) {
    throw new SrekitError('USAGE', `--at ${value} is not a date and time`, {
      hint: 'use ISO 8601, such as 2026-12-04T17:00:00Z',
    });
  }
  return time;
}
