import { access, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SrekitError } from '../common/errors.js';
import { writeFileAtomic } from '../common/files.js';
import { backupClasses, findBackupClass, type BackupClass } from './classes.js';
import { formatDuration } from './duration.js';

/** The scripts/backup.sh of this installation, which the service runs unless --script is given. */
export const defaultBackupScript = fileURLToPath(
  new URL('../../../scripts/backup.sh', import.meta.url));

/** Options of {@link renderUnits}. */
export interface ScheduleOptions {
  className: string;
  everySeconds: number;
  /** Absolute path of backup.sh. */
  script: string;
  /** Absolute path of the env file with the SREKIT_BACKUP_* settings. */
  envFile: string;
}

/** A systemd unit: its file name and contents. */
export interface UnitFile {
  name: string;
  text: string;
}

/**
 * Renders the service and timer units that run backup.sh for one class.
 * Throws USAGE when the class is not a scheduled class, when the interval
 * is longer than the class's RPO, or when it does not divide an hour or a
 * day evenly (OnCalendar, which Persistent=true needs, repeats within one).
 */
export function renderUnits(options: ScheduleOptions): UnitFile[] {
  const backupClass = scheduledClass(options.className);
  const every = formatDuration(options.everySeconds);
  if (options.everySeconds > backupClass.rpoSeconds) {
    throw new SrekitError('USAGE', `--every ${every} is longer than the RPO of class `
      + `${backupClass.name}, ${formatDuration(backupClass.rpoSeconds)}`);
  }
  const base = `srekit-backup-${backupClass.name}`;
  // The spread keeps hosts on one schedule from hitting the repository at once,
  // and at a tenth of the interval it keeps the class within its RPO.
  const delay = Math.max(1, Math.floor(options.everySeconds / 10));
  const service = [
    '[Unit]',
    `Description=srekit backup of class ${backupClass.name} (${backupClass.description})`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    `Environment=SREKIT_BACKUP_CLASS=${backupClass.name}`,
    `ExecStart=${quote(options.script)} --env-file ${quote(options.envFile)}`,
    `TimeoutStartSec=${options.everySeconds}`,
    'Nice=10',
    'IOSchedulingClass=idle',
    '',
  ];
  const timer = [
    '[Unit]',
    `Description=Run srekit backup of class ${backupClass.name} every ${every}`,
    '',
    '[Timer]',
    `OnCalendar=${calendarFor(options.everySeconds, every)}`,
    'Persistent=true',
    `RandomizedDelaySec=${delay}`,
    `Unit=${base}.service`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ];
  return [
    { name: `${base}.service`, text: service.join('\n') },
    { name: `${base}.timer`, text: timer.join('\n') },
  ];
}

function scheduledClass(name: string): BackupClass {
  const found = findBackupClass(name);
  if (found !== undefined) return found;
  throw new SrekitError('USAGE', `class ${name} has no RPO, so it cannot be scheduled`, {
    hint: `use one of ${backupClasses.map((backupClass) => backupClass.name).join(', ')}, `
      + 'or add the class to src/backup/classes.ts',
  });
}

/** Returns an OnCalendar expression that repeats every `seconds` from midnight UTC. */
function calendarFor(seconds: number, every: string): string {
  const minutes = seconds / 60;
  if (Number.isInteger(minutes) && minutes < 60 && 60 % minutes === 0) {
    return `*-*-* *:00/${minutes}:00 UTC`;
  }
  const hours = seconds / 3600;
  if (Number.isInteger(hours) && hours <= 24 && 24 % hours === 0) {
    return `*-*-* 00/${hours}:00:00 UTC`;
  }
  throw new SrekitError('USAGE', `--every ${every} does not divide an hour or a day evenly`, {
    hint: 'use whole minutes that divide 60, such as 15m, or hours that divide 24, such as 2h',
  });
}

/** Quotes a path for a unit's command line when it contains spaces or quotes. */
function quote(path: string): string {
  return /^[\w./+-]+$/.test(path) ? path : `"${path.replace(/(["\\])/g, '\\$1')}"`;
}

/**
 * Writes `units` into `dir`, which is created when missing. Throws
 * INVALID_INPUT and writes nothing when a unit file exists, unless `force`.
 */
export async function writeUnits(dir: string, units: UnitFile[], force: boolean):
  Promise<string[]> {
  if (!force) {
    for (const unit of units) {
      const path = join(dir, unit.name);
      if (await exists(path)) {
        throw new SrekitError('INVALID_INPUT', `${path} exists`, {
          hint: 'pass --force to replace it',
        });
      }
    }
  }
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const unit of units) {
    const path = join(dir, unit.name);
    await writeFileAtomic(path, unit.text);
    written.push(path);
  }
  return written;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Throws USAGE unless `path` names an existing directory or nothing yet. */
export async function assertDirectoryOrMissing(path: string): Promise<void> {
  try {
    if ((await stat(path)).isDirectory()) return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  throw new SrekitError('USAGE', `--output-dir ${path} is not a directory`);
}
