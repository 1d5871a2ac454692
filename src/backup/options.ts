import { InvalidArgumentError, Option } from 'commander';
import { SrekitError } from '../common/errors.js';
import type { Io } from '../common/io.js';
import {
  readKeyFile, readPassphrase, type KeyMaterial, type KeyPurpose,
} from './keys.js';
import { parseTime, type BackupSelector } from './select.js';

/** The key options that every command reading or writing encrypted data takes. */
export interface KeyOptions {
  keyFile?: string;
  passphraseEnv?: string;
}

/** The options that choose one backup. */
export interface SelectOptions {
  id?: string;
  at?: string;
  class?: string;
}

/** Returns the `--key-file` and `--passphrase-env` options, which exclude each other. */
export function keyOptions(): Option[] {
  return [
    new Option('--key-file <file>', 'file with the 32-byte encryption key')
      .argParser(parsePath).conflicts('passphraseEnv'),
    new Option('--passphrase-env <name>', 'environment variable that holds the passphrase'),
  ];
}

/**
 * Reads the key that the options name, or returns undefined when none is
 * given. `purpose` is `create` only for a command that writes a new backup.
 */
export async function readKey(options: KeyOptions, io: Io, purpose: KeyPurpose = 'read'):
  Promise<KeyMaterial | undefined> {
  if (options.keyFile !== undefined) return readKeyFile(options.keyFile, purpose);
  if (options.passphraseEnv !== undefined) return readPassphrase(io.env, options.passphraseEnv);
  return undefined;
}

/** Returns the selector for `--id`, `--at` or a positional `latest` or id; latest by default. */
export function selectorOf(positional: string | undefined, options: SelectOptions):
  BackupSelector {
  if (positional !== undefined && options.id !== undefined && positional !== options.id) {
    throw new SrekitError('USAGE', `two backups were named: ${positional} and --id ${options.id}`);
  }
  const id = options.id ?? positional;
  if (id !== undefined && options.at !== undefined) {
    throw new SrekitError('USAGE', `--at ${options.at} cannot be combined with the backup ${id}`);
  }
  if (options.at !== undefined) {
    return { kind: 'at', time: parseTime(options.at), className: options.class };
  }
  if (id === undefined || id === 'latest') return { kind: 'latest', className: options.class };
  return { kind: 'id', id };
}

/**
 * Parses an option that names a path or a repository. An empty or blank value
 * is rejected, because Node resolves '' to the current directory, where a
 * restore with --force would replace everything.
 */
export function parsePath(value: string): string {
  if (value.trim() === '') {
    throw new InvalidArgumentError('the path must not be empty, because an empty path means '
      + 'the current directory, so pass . if that is intended');
  }
  return value;
}

/** Parses a repeatable `--tag K=V` into the tags collected so far. */
export function collectTag(value: string, tags: Record<string, string>): Record<string, string> {
  const match = /^([A-Za-z0-9_.-]{1,64})=(.{0,256})$/.exec(value);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new InvalidArgumentError(`invalid tag "${value}": expected KEY=VALUE with a key of `
      + 'letters, digits, _ . or -');
  }
  return { ...tags, [match[1]]: match[2] };
}

/** Parses `--class`: a name of letters, digits, _ and -, starting with a letter or digit. */
export function parseClassName(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(value)) {
    throw new InvalidArgumentError(`invalid class "${value}": expected up to 64 letters, digits, `
      + '_ or -, starting with a letter or digit');
  }
  return value;
}
