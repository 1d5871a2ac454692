import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SrekitError } from '../common/errors.js';
import {
  describeFileError, isPathError, makeDirectories, nearestExisting,
} from '../common/files.js';

/** The repository this module belongs to (src/stack and dist/src/stack are three levels down). */
const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Files of the repository that the stack reads. */
export const sources = {
  prometheusConfig: join(repositoryRoot, 'monitoring/prometheus/prometheus.yml'),
  alertmanagerConfig: join(repositoryRoot, 'monitoring/alertmanager/alertmanager.yml'),
  /** The SLO specs that `srekit slo generate` turns into rules/slos.yml. */
  sloSpecs: join(repositoryRoot, 'monitoring/slos'),
  runbooks: join(repositoryRoot, 'docs/runbooks'),
  /** The compiled srekit command, which runs the service, the receiver and the incident server. */
  cli: join(repositoryRoot, 'dist/src/bin.js'),
};

/** Paths of the stack's state, configuration, data and logs inside its working directory. */
export interface StackLayout {
  workdir: string;
  stateFile: string;
  /**
   * The incident server's API token, readable only by its owner (mode 0600).
   * Each `up` writes a new one, and Alertmanager reads it for the incident webhook.
   */
  incidentTokenFile: string;
  logDir: string;
  configDir: string;
  prometheusConfig: string;
  /** The alert policy's rules, rendered for the profile. */
  rulesFile: string;
  /** The rules of the SLO specs, with their windows scaled for the profile. */
  sloRulesFile: string;
  alertmanagerConfig: string;
  dataDir: string;
  prometheusData: string;
  alertmanagerData: string;
  serviceData: string;
  /** The service's SQLite database, inside {@link StackLayout.serviceData}. */
  serviceDatabase: string;
  /**
   * A backup repository directory for the service's database. Nothing
   * creates it at `up`, and `up` removes it with the rest of the data.
   */
  backupRepository: string;
  textfileDir: string;
  notificationsFile: string;
  /** The incident server's working directory. */
  incidentData: string;
  /** The incident server's SQLite database, inside {@link StackLayout.incidentData}. */
  incidentDatabase: string;
}

/** The default working directory, relative to the current directory. */
export const defaultWorkdir = join('.srekit', 'stack');

/** Returns the paths of the stack's files under `workdir`. */
export function stackLayout(workdir: string): StackLayout {
  const root = resolve(workdir);
  const configDir = join(root, 'config');
  const dataDir = join(root, 'data');
  const serviceData = join(dataDir, 'service');
  const incidentData = join(dataDir, 'incident');
  return {
    workdir: root,
    stateFile: join(root, 'state.json'),
    incidentTokenFile: join(root, 'incident-token'),
    logDir: join(root, 'logs'),
    configDir,
    prometheusConfig: join(configDir, 'prometheus.yml'),
    rulesFile: join(configDir, 'rules', 'alerts.yml'),
    sloRulesFile: join(configDir, 'rules', 'slos.yml'),
    alertmanagerConfig: join(configDir, 'alertmanager.yml'),
    dataDir,
    prometheusData: join(dataDir, 'prometheus'),
    alertmanagerData: join(dataDir, 'alertmanager'),
    serviceData,
    serviceDatabase: join(serviceData, 'orders.sqlite'),
    backupRepository: join(dataDir, 'backups'),
    textfileDir: join(dataDir, 'node-exporter-textfile'),
    notificationsFile: join(dataDir, 'receiver', 'notifications.jsonl'),
    incidentData,
    incidentDatabase: join(incidentData, 'incidents.sqlite'),
  };
}

/** Returns the log file of component `name`. */
export function logFileOf(layout: StackLayout, name: string): string {
  return join(layout.logDir, `${name}.log`);
}

/**
 * Throws INVALID_INPUT when `workdir` is empty, or when it or one of its
 * parents is a file. Changes nothing on disk.
 */
export async function assertValidWorkdir(workdir: string): Promise<void> {
  if (workdir === '') {
    throw new SrekitError('INVALID_INPUT', 'invalid --workdir: empty', {
      hint: `pass a directory, or leave --workdir out to use ${defaultWorkdir}`,
    });
  }
  let existing: { path: string; isDirectory: boolean };
  try {
    existing = await nearestExisting(workdir);
  } catch (error) {
    if (!isPathError(error)) throw error;
    throw invalidWorkdir(workdir, `cannot read it: ${describeFileError(error)}`);
  }
  if (existing.isDirectory) return;
  const root = resolve(workdir);
  throw invalidWorkdir(workdir, existing.path === root
    ? 'it is a file, not a directory'
    : `${existing.path} is a file, not a directory`);
}

/**
 * Creates the working directory and its parents as needed. Returns the first
 * directory it created, whose removal undoes the call, or undefined when the
 * working directory existed.
 */
export async function createWorkdir(layout: StackLayout): Promise<string | undefined> {
  try {
    return await makeDirectories(layout.workdir);
  } catch (error) {
    if (!isPathError(error)) throw error;
    throw invalidWorkdir(layout.workdir, `cannot create it: ${describeFileError(error)}`);
  }
}

function invalidWorkdir(workdir: string, reason: string): SrekitError {
  return new SrekitError('INVALID_INPUT', `invalid --workdir ${resolve(workdir)}: ${reason}`, {
    hint: 'pass a directory, or a path where srekit can create one',
  });
}
