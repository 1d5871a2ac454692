import { hkdfSync, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SrekitError } from '../common/errors.js';
import { describeFileError } from '../common/files.js';
import type { ArtifactHeader, KeySource, ScryptParameters } from './format.js';

/** The size of a key file and of every derived key, in bytes. */
export const keySize = 32;

/**
 * The scrypt cost for new passphrase backups: N = 2^17, r = 8, p = 1, which
 * needs 128 MiB of memory (128 * N * r bytes). It took 0.8 s on one core of
 * the 2-core development machine, so each create and restore waits that long.
 */
export const defaultScrypt = { logN: 17, r: 8, p: 1 } as const;

/** The secret a user gives for an encrypted backup, before any derivation. */
export type KeyMaterial =
  | { source: 'key-file'; key: Buffer; origin: string }
  | { source: 'passphrase'; passphrase: string; origin: string };

/** The keys of one backup, derived from its header and the user's secret. */
export interface BackupKeys {
  /** The AES-256-GCM key of the payload segments. */
  payload: Buffer;
  /** The AES-256-GCM key of the file list in the manifest. */
  fileList: Buffer;
  /** The value stored in the header to recognise the right key. */
  check: Buffer;
}

/**
 * The reason a key is read: `create` encrypts a new backup, and `read` opens
 * existing ones. Only `create` may suggest generating a key, and only at a
 * missing path, because on any other command that file may be the one copy of
 * the key.
 */
export type KeyPurpose = 'create' | 'read';

/** Reads a key file, which must hold exactly 32 bytes. */
export async function readKeyFile(path: string, purpose: KeyPurpose = 'read'):
  Promise<KeyMaterial> {
  let key: Buffer;
  try {
    key = await readFile(path);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    const hint = purpose === 'create' && missing
      ? `to start a new key, run \`head -c ${keySize} /dev/urandom > ${path}\` and keep a copy `
        + 'outside the repository, because without it no backup can be restored'
      : `give --key-file ${expectedKey(purpose)}`;
    throw new SrekitError('INVALID_INPUT',
      `could not read key file ${path}: ${describeFileError(error)}`, { hint });
  }
  if (key.length !== keySize) {
    throw new SrekitError('INVALID_INPUT',
      `key file ${path} has ${key.length} bytes, so it is not a ${keySize}-byte key`,
      { hint: wrongSizeHint(path, key, purpose) });
  }
  return { source: 'key-file', key, origin: path };
}

function expectedKey(purpose: KeyPurpose): string {
  return purpose === 'create'
    ? "the key this repository's backups use"
    : 'the key used when the backup was created';
}

function wrongSizeHint(path: string, key: Buffer, purpose: KeyPurpose): string {
  if (key.length !== keySize + 1 || key.at(-1) !== 0x0a) {
    return `give --key-file ${expectedKey(purpose)}`;
  }
  // An editor or `echo` adds a newline, and the key itself may still be intact.
  return `the file ends with a newline, which may follow the key. If it is `
    + `${expectedKey(purpose)}, copy its first ${keySize} bytes with `
    + `\`head -c ${keySize} ${path} > NEW-FILE\` and pass NEW-FILE, leaving the original as it is`;
}

/** Reads a passphrase from the environment variable `name`, which must be set and not empty. */
export function readPassphrase(env: NodeJS.ProcessEnv, name: string): KeyMaterial {
  const passphrase = env[name];
  if (passphrase === undefined || passphrase === '') {
    throw new SrekitError('USAGE', `--passphrase-env names ${name}, which is not set or is empty`, {
      hint: `export ${name} with the passphrase before running the command`,
    });
  }
  return { source: 'passphrase', passphrase, origin: `$${name}` };
}

/** Returns fresh scrypt parameters with a random salt, or zeros for a key file. */
export function newScryptParameters(source: KeySource): ScryptParameters {
  if (source !== 'passphrase') return { logN: 0, r: 0, p: 0, salt: Buffer.alloc(16) };
  return { ...defaultScrypt, salt: randomBytes(16) };
}

/**
 * Derives the keys of one backup: the input key is the key file, or the
 * scrypt output of the passphrase, and HKDF-SHA256 with the header's salt
 * expands it into one key per purpose.
 */
export async function deriveKeys(
  material: KeyMaterial,
  header: Pick<ArtifactHeader, 'hkdfSalt' | 'scrypt'>,
): Promise<BackupKeys> {
  const inputKey = material.source === 'key-file'
    ? material.key
    : await scryptKey(material.passphrase, header.scrypt);
  const expand = (info: string) => Buffer.from(
    hkdfSync('sha256', inputKey, header.hkdfSalt, info, keySize),
  );
  return {
    payload: expand('srekit-backup v1 payload'),
    fileList: expand('srekit-backup v1 file list'),
    check: expand('srekit-backup v1 key check'),
  };
}

/** Returns true when `keys` belong to the backup whose header contains `keyCheck`. */
export function keyMatches(keys: BackupKeys, keyCheck: Buffer): boolean {
  return keyCheck.length === keys.check.length && timingSafeEqual(keys.check, keyCheck);
}

function scryptKey(passphrase: string, parameters: ScryptParameters): Promise<Buffer> {
  const cost = 2 ** parameters.logN;
  if (parameters.logN < 10 || parameters.logN > 22 || parameters.r < 1 || parameters.r > 32
    || parameters.p < 1 || parameters.p > 16) {
    throw new SrekitError('BACKUP_DAMAGED', `the backup's scrypt parameters N=2^${parameters.logN} `
      + `r=${parameters.r} p=${parameters.p} are outside the range srekit accepts`);
  }
  const maxmem = 256 * cost * parameters.r + 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), parameters.salt, keySize,
      { N: cost, r: parameters.r, p: parameters.p, maxmem },
      (error, key) => (error ? reject(error) : resolve(key)));
  });
}
