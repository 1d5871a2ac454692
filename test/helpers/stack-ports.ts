import { findFreePorts, isPortFree } from '../../src/common/process.js';
import type { StackPorts } from '../../src/stack/index.js';

/** Finds seven free loopback ports, one for each listener of the local stack. */
export async function freeStackPorts(): Promise<StackPorts> {
  const [prometheus, alertmanager, nodeExporter, service, serviceAdmin, receiver, incident] =
    await findFreePorts(7);
  return {
    prometheus: prometheus ?? 0,
    alertmanager: alertmanager ?? 0,
    nodeExporter: nodeExporter ?? 0,
    service: service ?? 0,
    serviceAdmin: serviceAdmin ?? 0,
    receiver: receiver ?? 0,
    incident: incident ?? 0,
  };
}

/** Finds seven consecutive free loopback ports, for the CLI's --base-port. */
export async function freeBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const offsets = [0, 1, 2, 3, 4, 5, 6];
    const free = await Promise.all(offsets.map((offset) => isPortFree(base + offset)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('found no seven consecutive free ports');
}
