import { findFreePorts } from '../../src/common/process.js';
import type { StackPorts } from '../../src/stack/index.js';

/** Finds six free loopback ports, one for each listener of the local stack. */
export async function freeStackPorts(): Promise<StackPorts> {
  const [prometheus, alertmanager, nodeExporter, service, serviceAdmin, receiver] =
    await findFreePorts(6);
  return {
    prometheus: prometheus ?? 0,
    alertmanager: alertmanager ?? 0,
    nodeExporter: nodeExporter ?? 0,
    service: service ?? 0,
    serviceAdmin: serviceAdmin ?? 0,
    receiver: receiver ?? 0,
  };
}
