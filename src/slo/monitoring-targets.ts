import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SrekitError } from '../common/errors.js';
import { describeFileError, isPathError } from '../common/files.js';
import { displayPath } from './generate.js';
import { monitoringDirTarget, type CheckTarget } from './monitoring-check.js';
import type { MonitoringServer } from './monitoring-reload.js';

/** The options that choose which files the checks examine. */
export interface FileOptions {
  dir?: string;
  prometheusConfig?: string;
  alertmanagerConfig?: string;
}

/**
 * Returns what to check from --dir or the two config file options, which
 * exclude each other. Throws USAGE for both at once, and INVALID_INPUT for
 * a directory without the two configs or a config file that is missing.
 */
export async function resolveCheckTarget(options: FileOptions): Promise<CheckTarget> {
  const files = options.prometheusConfig !== undefined || options.alertmanagerConfig !== undefined;
  if (options.dir !== undefined && files) {
    throw new SrekitError('USAGE', '--dir cannot be combined with --prometheus-config or '
      + '--alertmanager-config', {
      hint: 'pass --dir for a directory laid out like monitoring/, or the config files alone',
    });
  }
  if (options.dir !== undefined) return resolveDir(options.dir);

  const target: CheckTarget = {};
  if (options.prometheusConfig !== undefined) {
    target.prometheusConfig = await assertFile('--prometheus-config', options.prometheusConfig);
  }
  if (options.alertmanagerConfig !== undefined) {
    target.alertmanagerConfig = await assertFile('--alertmanager-config', options.alertmanagerConfig);
  }
  return target;
}

async function resolveDir(dir: string): Promise<CheckTarget> {
  const problem = await kindProblem(dir, 'directory');
  if (problem !== undefined) {
    throw new SrekitError('INVALID_INPUT', `invalid --dir ${dir}: ${problem}`, {
      hint: 'pass a directory laid out like monitoring/, with prometheus/ and alertmanager/',
    });
  }
  const target = monitoringDirTarget(resolve(dir));
  for (const file of [target.prometheusConfig, target.alertmanagerConfig]) {
    if (file === undefined || await pathKind(file) === 'file') continue;
    throw new SrekitError('INVALID_INPUT', `invalid --dir ${dir}: ${displayPath(file)} `
      + 'is missing', {
      hint: `a monitoring directory has ${join('prometheus', 'prometheus.yml')} and `
        + `${join('alertmanager', 'alertmanager.yml')}`,
    });
  }
  return target;
}

async function assertFile(option: string, path: string): Promise<string> {
  const problem = await kindProblem(path, 'file');
  if (problem === undefined) return resolve(path);
  throw new SrekitError('INVALID_INPUT', `invalid ${option} ${path}: ${problem}`, {
    hint: 'pass the path of the config file that the server loads',
  });
}

/** Returns why `path` is not a `expected`, or undefined when it is one. */
async function kindProblem(
  path: string,
  expected: 'file' | 'directory',
): Promise<string | undefined> {
  const kind = await pathKind(path);
  if (kind === expected) return undefined;
  if (kind === 'file' || kind === 'directory') return `it is a ${kind}, not a ${expected}`;
  return kind;
}

/** Returns `file` or `directory`, or why `path` is neither. */
async function pathKind(path: string): Promise<string> {
  try {
    const stats = await stat(path);
    if (stats.isDirectory()) return 'directory';
    return stats.isFile() ? 'file' : 'it is neither a file nor a directory';
  } catch (error) {
    if (!isPathError(error)) throw error;
    return `cannot read it: ${describeFileError(error)}`;
  }
}

/** The server URLs given to `srekit monitoring reload`. */
export interface ServerOptions {
  prometheus?: string[];
  alertmanager?: string[];
}

/** Returns the servers named by --prometheus and --alertmanager, Prometheus first. */
export function serversFromOptions(options: ServerOptions): MonitoringServer[] {
  return [
    ...(options.prometheus ?? []).map((url) => ({ kind: 'prometheus' as const, url })),
    ...(options.alertmanager ?? []).map((url) => ({ kind: 'alertmanager' as const, url })),
  ];
}

/**
 * Throws USAGE unless every kind of server to reload has a config to check:
 * --dir covers both kinds, and each config file option covers its own.
 */
export function assertConfigForEachServer(options: ServerOptions & FileOptions): void {
  if (options.dir !== undefined) return;
  for (const kind of ['prometheus', 'alertmanager'] as const) {
    const servers = options[kind] ?? [];
    const config = kind === 'prometheus' ? options.prometheusConfig : options.alertmanagerConfig;
    if (servers.length > 0 && config === undefined) {
      throw new SrekitError('USAGE', `--${kind} needs the config that the server loads, `
        + 'so that it is checked before the reload', {
        hint: `pass --dir for a directory laid out like monitoring/, or --${kind}-config FILE`,
      });
    }
    if (servers.length === 0 && config !== undefined) {
      throw new SrekitError('USAGE', `--${kind}-config names the config of the --${kind} `
        + `servers, but no --${kind} URL was given`, {
        hint: `add --${kind} URL for each server that loads the file`,
      });
    }
  }
}
