import { SrekitError } from '../common/errors.js';

/** The loopback address every part of the local stack listens on. */
export const stackHost = '127.0.0.1';

/** The TCP port of each listener of the local stack. */
export interface StackPorts {
  prometheus: number;
  alertmanager: number;
  nodeExporter: number;
  service: number;
  /** The service's fault injection API. */
  serviceAdmin: number;
  /** The alert receiver that records Alertmanager's webhooks. */
  receiver: number;
  /** The incident server, which receives the page receiver's incident webhook. */
  incident: number;
}

/** Base URLs (`http://127.0.0.1:PORT`) of the same listeners as {@link StackPorts}. */
export type StackEndpoints = Record<keyof StackPorts, string>;

/**
 * First of the seven consecutive ports the stack uses by default: 19090 and up
 * keep clear of the standard ports of a real Prometheus (9090), Alertmanager
 * (9093) and node-exporter (9100) on the same machine.
 */
export const defaultBasePort = 19090;

const portOffsets: Record<keyof StackPorts, number> = {
  prometheus: 0,
  alertmanager: 1,
  nodeExporter: 2,
  service: 3,
  serviceAdmin: 4,
  receiver: 5,
  incident: 6,
};

/** The name of each listener in messages and help text. */
export const listenerLabels: Record<keyof StackPorts, string> = {
  prometheus: 'prometheus',
  alertmanager: 'alertmanager',
  nodeExporter: 'node-exporter',
  service: 'service',
  serviceAdmin: 'service admin API',
  receiver: 'alert receiver',
  incident: 'incident server',
};

/** Every listener of the stack, in the order of their ports. */
export const listenerNames = Object.keys(portOffsets) as Array<keyof StackPorts>;

/** Returns the ports `base` to `base + 6`, assigned in the order of {@link listenerNames}. */
export function portsFromBase(base: number = defaultBasePort): StackPorts {
  const last = base + listenerNames.length - 1;
  if (!Number.isInteger(base) || base < 1 || last > 65535) {
    throw new SrekitError('INVALID_INPUT', `invalid base port ${base}: the stack needs `
      + `${listenerNames.length} consecutive ports from it, up to 65535`);
  }
  const ports = { ...portOffsets };
  for (const name of listenerNames) ports[name] = base + portOffsets[name];
  return ports;
}

/**
 * Merges explicit ports over the defaults and checks that no two listeners
 * share a port. Throws INVALID_INPUT naming the pair otherwise.
 */
export function resolvePorts(explicit: Partial<StackPorts> = {}, base?: number): StackPorts {
  const ports = { ...portsFromBase(base), ...explicit };
  const seen = new Map<number, keyof StackPorts>();
  for (const name of listenerNames) {
    const port = ports[name];
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new SrekitError('INVALID_INPUT',
        `invalid port ${port} for ${name}: expected 1 to 65535`);
    }
    const other = seen.get(port);
    if (other) {
      throw new SrekitError('INVALID_INPUT', `${other} and ${name} are both set to port ${port}`);
    }
    seen.set(port, name);
  }
  return ports;
}

/** Returns the base URL of each listener. */
export function endpointsFor(ports: StackPorts): StackEndpoints {
  const endpoints = {} as StackEndpoints;
  for (const name of listenerNames) endpoints[name] = `http://${stackHost}:${ports[name]}`;
  return endpoints;
}
