/**
 * The local stack: Prometheus, Alertmanager, node-exporter, the reference
 * service, an alert receiver and the incident server, run from installed
 * binaries on loopback ports. The game day drives it through {@link startStack}.
 */
export { registerStackCommands } from './commands.js';
export { componentNames } from './components.js';
export type { ComponentName, Executables } from './components.js';
export { renderStackConfigs } from './configs.js';
export { defaultWorkdir, stackLayout } from './layout.js';
export type { StackLayout } from './layout.js';
export { defaultBasePort, endpointsFor, portsFromBase } from './ports.js';
export type { StackEndpoints, StackPorts } from './ports.js';
export { readNotifications, startReceiver } from './receiver.js';
export type { ReceivedNotification } from './receiver.js';
export { startStack, stopStack } from './stack.js';
export type { Stack, StartStackOptions, StopReport } from './stack.js';
export { readStackStatus } from './status.js';
export type { ComponentHealth, ComponentStatus, StackStatus } from './status.js';
