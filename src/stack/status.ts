import { isProcessRunning, probeHttp } from '../common/process.js';
import { componentNames, componentSpecs, type ComponentName } from './components.js';
import { assertValidWorkdir, logFileOf, stackLayout } from './layout.js';
import { endpointsFor, type StackEndpoints, type StackPorts } from './ports.js';
import { ownerRunning, readState } from './state.js';

/**
 * Health of one component: `ready` passes its readiness check, `unready`
 * runs but fails it, `stopped` was started and has exited, `not-started` was
 * never started by this run.
 */
export type ComponentHealth = 'ready' | 'unready' | 'stopped' | 'not-started';

/** One line of `srekit stack status`. */
export interface ComponentStatus {
  name: ComponentName;
  pid: number | null;
  port: number;
  url: string;
  health: ComponentHealth;
  logFile: string;
}

/** Report of `srekit stack status`: the stack and each of its components. */
export interface StackStatus {
  workdir: string;
  profile: string;
  startedAt: string;
  /** True while the `up` that wrote the state file is still running. */
  ownerRunning: boolean;
  ports: StackPorts;
  endpoints: StackEndpoints;
  components: ComponentStatus[];
}

/**
 * Reads the state of the stack in `workdir` and probes each component.
 * Returns undefined when no stack runs there. Throws INVALID_INPUT for an
 * empty `workdir` or one below a file.
 */
export async function readStackStatus(workdir: string): Promise<StackStatus | undefined> {
  await assertValidWorkdir(workdir);
  const layout = stackLayout(workdir);
  const state = await readState(layout);
  if (!state) return undefined;
  const endpoints = endpointsFor(state.ports);

  const components = await Promise.all(componentNames.map(async (name) => {
    const spec = componentSpecs[name];
    const record = state.components[name];
    const base = {
      name,
      port: state.ports[spec.listener],
      url: endpoints[spec.listener],
      logFile: record?.logFile ?? logFileOf(layout, name),
    };
    if (!record) return { ...base, pid: null, health: 'not-started' as const };
    if (!isProcessRunning(record.pid, record.startTime)) {
      return { ...base, pid: record.pid, health: 'stopped' as const };
    }
    const problem = await probeHttp(record.readinessUrl, 2_000);
    const health: ComponentHealth = problem === undefined ? 'ready' : 'unready';
    return { ...base, pid: record.pid, health };
  }));

  return {
    workdir: layout.workdir,
    profile: state.profile,
    startedAt: state.startedAt,
    ownerRunning: ownerRunning(state),
    ports: state.ports,
    endpoints,
    components,
  };
}
