/**
 * Backups: a tar archive of a directory, a SQLite database or a PostgreSQL
 * dump, compressed, encrypted in authenticated segments and stored in a
 * directory or S3 repository with a manifest that commits it.
 * docs/backup-format.md describes the format.
 */
export { registerBackupCommands } from './commands.js';
export { createBackup } from './create.js';
export type { CreateOptions, CreateResult } from './create.js';
export { backupClasses, findBackupClass } from './classes.js';
export type { BackupClass } from './classes.js';
export { copyBackup } from './copy.js';
export type { CopyResult } from './copy.js';
export { DirectoryStore } from './directory-store.js';
export { drillBackup } from './drill.js';
export type { DrillOptions, DrillResult } from './drill.js';
export { acquireExclusiveLock } from './lock.js';
export type { ExclusiveLock, LockTiming } from './lock.js';
export type { KeyMaterial } from './keys.js';
export type { Manifest, FileEntry } from './manifest.js';
export { pruneBackups } from './prune.js';
export type { PruneOptions } from './prune.js';
export type { RetentionDecision, RetentionPolicy } from './prune-policy.js';
export { initRepository, openRepository, Repository, storeFor } from './repository.js';
export { restoreBackup } from './restore.js';
export type { RestoreOptions } from './restore.js';
export { selectBackup } from './select.js';
export type { BackupSource } from './sources.js';
export type { Store, StoredObject, PartialUpload, ByteRange } from './store.js';
export { verifyBackup } from './verify.js';
export type { VerifyMode, VerifyResult } from './verify.js';
