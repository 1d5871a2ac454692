import { SrekitError } from '../common/errors.js';
import type { CheckTarget } from './monitoring-check.js';
import { parseServerUrl, type MonitoringServer } from './monitoring-reload.js';

/** The part of `srekit stack status` that {@link LocalStack} reads. */
export interface LocalStackStatus {
  endpoints: { prometheus: string; alertmanager: string };
  components: ReadonlyArray<{ name: string; health: string }>;
}

/**
 * Access to the local stack for `srekit monitoring reload`. src/stack
 * imports src/slo, so src/slo does not import src/stack: src/cli.ts passes
 * these functions of src/stack/index.ts in.
 */
export interface LocalStack {
  /** The stack's working directory when --workdir is not given. */
  defaultWorkdir: string;
  /** Returns the state of the stack in `workdir`, or undefined when none runs there. */
  readStackStatus(workdir: string): Promise<LocalStackStatus | undefined>;
  /** Returns the paths of the configs that the stack in `workdir` renders and loads. */
  stackLayout(workdir: string): { prometheusConfig: string; alertmanagerConfig: string };
}

/** The servers of a running local stack and the configs they load. */
export interface LocalStackTarget {
  servers: MonitoringServer[];
  target: CheckTarget;
}

/**
 * Finds the Prometheus and Alertmanager of the local stack in `workdir`.
 * Throws STACK_NOT_RUNNING when no stack runs there or when either server
 * is not ready.
 */
export async function findLocalStackServers(
  stack: LocalStack,
  workdir: string,
): Promise<LocalStackTarget> {
  const status = await stack.readStackStatus(workdir);
  if (!status) {
    throw new SrekitError('STACK_NOT_RUNNING', `the local stack is not running in ${workdir}`, {
      hint: 'start it with `srekit stack up`, pass the --workdir it was started with, '
        + 'or name other servers with --prometheus and --alertmanager',
    });
  }
  const servers: MonitoringServer[] = [];
  for (const kind of ['prometheus', 'alertmanager'] as const) {
    const health = status.components.find((component) => component.name === kind)?.health;
    const url = parseServerUrl(status.endpoints[kind]);
    if (health !== 'ready' || url === undefined) {
      throw new SrekitError('STACK_NOT_RUNNING', `${kind} of the local stack in ${workdir} is `
        + `${health ?? 'missing'}, so it cannot be reloaded`, {
        hint: 'see `srekit stack status`, and restart the stack with `srekit stack down` '
          + 'and `srekit stack up`',
      });
    }
    servers.push({ kind, url });
  }
  const { prometheusConfig, alertmanagerConfig } = stack.stackLayout(workdir);
  return { servers, target: { prometheusConfig, alertmanagerConfig } };
}
