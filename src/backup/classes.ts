/**
 * The data classes that srekit backs up on a schedule, each with its
 * recovery point objective (RPO): the most data, measured in time, that a
 * loss may cost. `backup alert-rules` generates the BackupTooOld rules from
 * this list, and `backup schedule` checks intervals against it.
 */
export interface BackupClass {
  name: string;
  /** The RPO in seconds; `backup schedule` rejects a longer interval. */
  rpoSeconds: number;
  description: string;
}

/** Every scheduled data class, most demanding first. */
export const backupClasses: readonly BackupClass[] = [
  { name: 'db', rpoSeconds: 15 * 60, description: 'the orders database' },
  { name: 'app', rpoSeconds: 30 * 60, description: 'the service data directory' },
  { name: 'default', rpoSeconds: 60 * 60, description: 'configuration and anything else' },
];

/**
 * How far past its RPO a class's last successful backup may be before
 * BackupTooOld fires. The margin of half an RPO covers one run that is
 * late or fails and is retried, so one slow run does not page.
 */
export const backupAgeAlertFactor = 1.5;

/** Returns the class named `name`, or undefined when it is not a scheduled class. */
export function findBackupClass(name: string): BackupClass | undefined {
  return backupClasses.find((backupClass) => backupClass.name === name);
}
