import { SrekitError } from '../common/errors.js';
import { findExecutable } from '../common/process.js';
import { formatDuration, type Profile } from '../slo/index.js';
import { sources, type StackLayout } from './layout.js';
import { stackHost, type StackPorts } from './ports.js';

/** The processes of the local stack, in the order they start. */
export const componentNames = [
  'receiver', 'node-exporter', 'service', 'incident', 'alertmanager', 'prometheus',
] as const;

/** One process of the local stack. */
export type ComponentName = (typeof componentNames)[number];

/**
 * Programs from Debian packages that the stack runs. The service, the receiver
 * and the incident server run on Node.js.
 */
export type ExternalProgram = 'prometheus' | 'alertmanager' | 'node-exporter';

/** Paths of the programs that {@link resolveExecutables} found. */
export type Executables = Record<ExternalProgram, string>;

interface ProgramSource {
  /** Names to look for on PATH, Debian's first. */
  names: readonly string[];
  debianPackage: string;
}

const programSources: Record<ExternalProgram, ProgramSource> = {
  prometheus: { names: ['prometheus'], debianPackage: 'prometheus' },
  alertmanager: {
    names: ['prometheus-alertmanager', 'alertmanager'],
    debianPackage: 'prometheus-alertmanager',
  },
  'node-exporter': {
    names: ['prometheus-node-exporter', 'node_exporter'],
    debianPackage: 'prometheus-node-exporter',
  },
};

/**
 * Finds each external program, preferring an explicit path from `overrides`
 * over a search of `pathVariable`. Throws MISSING_BINARY naming every
 * missing program and the Debian packages that install them.
 */
export function resolveExecutables(
  pathVariable: string,
  overrides: Partial<Executables> = {},
): Executables {
  const found: Partial<Executables> = {};
  const missing: ExternalProgram[] = [];
  for (const program of Object.keys(programSources) as ExternalProgram[]) {
    const override = overrides[program];
    const names = override === undefined ? programSources[program].names : [override];
    const path = findExecutable(names, pathVariable);
    if (path) found[program] = path;
    else missing.push(program);
  }
  if (missing.length > 0) throw missingPrograms(missing, overrides);
  return found as Executables;
}

function missingPrograms(missing: ExternalProgram[], overrides: Partial<Executables>): SrekitError {
  const described = missing.map((program) => {
    const override = overrides[program];
    return override === undefined
      ? `${program} (${programSources[program].names.join(' or ')} on PATH)`
      : `${program} (${override})`;
  });
  const packages = [...new Set(missing.map((program) => programSources[program].debianPackage))];
  return new SrekitError('MISSING_BINARY',
    `could not find ${described.join(', ')}, which the local stack runs`, {
      hint: `install the Debian package${packages.length > 1 ? 's' : ''}: `
        + `sudo apt-get install ${packages.join(' ')}`,
    });
}

/** Everything a component's command line is built from. */
export interface LaunchContext {
  layout: StackLayout;
  ports: StackPorts;
  executables: Executables;
  /** The Node.js binary that runs the srekit command for the service and receiver. */
  nodePath: string;
  /** The profile the stack runs with, which sets Prometheus's alert resend delay. */
  profile: Profile;
  /** The incident server's API token, the content of the layout's incident token file. */
  incidentToken: string;
}

/** A component's command line, working directory and its own environment variables. */
export interface ComponentCommand {
  command: string;
  args: string[];
  cwd?: string;
  /** Variables added to the stack's environment for this component only. */
  env?: Record<string, string>;
}

/** How to run one component and how to tell that it is ready. */
export interface ComponentSpec {
  name: ComponentName;
  /** The listener whose port identifies the component. */
  listener: keyof StackPorts;
  /** Path that returns a 2xx status once the component serves requests. */
  readinessPath: string;
  command(context: LaunchContext): ComponentCommand;
}

const listen = (port: number) => `${stackHost}:${port}`;

/** The command line and readiness check of each component. */
export const componentSpecs: Record<ComponentName, ComponentSpec> = {
  receiver: {
    name: 'receiver',
    listener: 'receiver',
    readinessPath: '/-/ready',
    command: ({ layout, ports, nodePath }) => ({
      command: nodePath,
      args: [sources.cli, 'stack', 'receiver', '--host', stackHost,
        '--port', String(ports.receiver), '--file', layout.notificationsFile,
        '--runbooks', sources.runbooks],
    }),
  },
  'node-exporter': {
    name: 'node-exporter',
    listener: 'nodeExporter',
    readinessPath: '/metrics',
    command: ({ layout, ports, executables }) => ({
      command: executables['node-exporter'],
      args: [`--web.listen-address=${listen(ports.nodeExporter)}`,
        `--collector.textfile.directory=${layout.textfileDir}`],
    }),
  },
  service: {
    name: 'service',
    listener: 'service',
    readinessPath: '/readyz',
    // The service runs in its data directory, so anything it writes to a
    // relative path stays inside the working directory.
    command: ({ layout, ports, nodePath }) => ({
      command: nodePath,
      args: [sources.cli, 'service', 'start', '--host', stackHost,
        '--port', String(ports.service), '--faults', '--admin-port', String(ports.serviceAdmin),
        '--database-url', `sqlite:${layout.serviceDatabase}`],
      cwd: layout.serviceData,
    }),
  },
  incident: {
    name: 'incident',
    listener: 'incident',
    readinessPath: '/healthz',
    // The token goes through the environment, which other users cannot
    // read, rather than a flag, which the process list shows to everyone.
    command: ({ layout, ports, nodePath, incidentToken }) => ({
      command: nodePath,
      args: [sources.cli, 'incident', 'serve', '--host', stackHost,
        '--port', String(ports.incident), '--database-url', `sqlite:${layout.incidentDatabase}`],
      cwd: layout.incidentData,
      env: { SREKIT_INCIDENT_TOKEN: incidentToken },
    }),
  },
  alertmanager: {
    name: 'alertmanager',
    listener: 'alertmanager',
    readinessPath: '/-/ready',
    command: ({ layout, ports, executables }) => ({
      command: executables.alertmanager,
      args: [`--config.file=${layout.alertmanagerConfig}`,
        `--storage.path=${layout.alertmanagerData}`,
        `--web.listen-address=${listen(ports.alertmanager)}`,
        `--web.external-url=http://${listen(ports.alertmanager)}/`,
        // An empty address turns clustering off, so nothing listens on 0.0.0.0:9094.
        '--cluster.listen-address='],
    }),
  },
  prometheus: {
    name: 'prometheus',
    listener: 'prometheus',
    readinessPath: '/-/ready',
    command: ({ layout, ports, executables, profile }) => ({
      command: executables.prometheus,
      args: [`--config.file=${layout.prometheusConfig}`,
        `--storage.tsdb.path=${layout.prometheusData}`,
        `--web.listen-address=${listen(ports.prometheus)}`,
        `--web.external-url=http://${listen(ports.prometheus)}/`,
        // Lets `curl -X POST .../-/reload` apply an edited configuration.
        '--web.enable-lifecycle',
        // Fills the `replica` external label of prometheus.yml from the
        // PROMETHEUS_REPLICA environment variable, `stack` when it is unset.
        '--enable-feature=expand-external-labels',
        `--rules.alert.resend-delay=${formatDuration(profile.alertResendDelay)}`],
    }),
  },
};
