/**
 * Alert policy as code. The policy in policy.ts is the one source of the
 * Prometheus alert rules; a profile sets the timings it is rendered for.
 */
export { registerSloCommands } from './commands.js';
export { formatDuration, parseDuration } from './duration.js';
export { committedRulesPath, checkRulesFile, writeRulesFile } from './generate.js';
export type { RulesFileState } from './generate.js';
export { alertPolicy, errorRatioThreshold, latencyP95Threshold, minRequestRate } from './policy.js';
export {
  cpuBusyThreshold, diskAvailableThreshold, memoryAvailableThreshold, pseudoFilesystemTypes,
} from './host-alerts.js';
export { scrapeSuccessThreshold } from './monitoring-alerts.js';
export type { AlertDefinition } from './policy.js';
export {
  gamedayProfile, getProfile, productionProfile, profiles, routeTiming, severities,
} from './profiles.js';
export type {
  NotificationTiming, Profile, ProfileName, Severity, SeverityLabel,
} from './profiles.js';
export { renderRules, ruleGroupName } from './rules.js';
export type { RenderRulesOptions } from './rules.js';
export { defaultRunbookBaseUrl, scaleAlerts } from './scale.js';
export type { ScaledAlert, ScaleOptions } from './scale.js';
export { errorRatioThreshold as tierErrorRatioThreshold } from './burn-rate.js';
export type { BurnRateTier } from './burn-rate.js';
export { committedSpecsDir, loadSpecsDir } from './slo-generate.js';
export { burnAlertName, renderSloRules } from './slo-rules.js';
export type { RenderSloRulesOptions } from './slo-rules.js';
export { scaleSlo, scaleSloLongWindowInterval } from './slo-scale.js';
export type { SloDefinition } from './spec.js';
export { checkInhibitions } from './inhibition-check.js';
export { policyAlertLabels, policySeriesLabels } from './inhibition-labels.js';
export type { AlertLabelSet } from './inhibition-labels.js';
export { inhibitRules } from './inhibitions.js';
export {
  alertReceivers, defaultIncidentServerUrl, defaultIncidentTokenFile, defaultWebhookBaseUrl,
  incidentWebhookPath, routing, webhookPaths,
} from './routing.js';
export type { AlertmanagerConfig, AlertReceiver, WebhookPath } from './routing.js';
export {
  committedAlertmanagerPath, renderAlertmanagerConfig, renderAlertmanagerFile,
} from './routing-file.js';
export type { RenderAlertmanagerOptions } from './routing-file.js';
export { registerMonitoringCommands } from './monitoring-commands.js';
export { monitoringDirTarget, runMonitoringChecks } from './monitoring-check.js';
export type { CheckResult, CheckTarget } from './monitoring-check.js';
export type { LocalStack, LocalStackStatus } from './monitoring-local-stack.js';
export { readReloadState, reloadServers } from './monitoring-reload.js';
export type { MonitoringServer, ReloadResult, ReloadState } from './monitoring-reload.js';
export { findMonitoringTools } from './monitoring-tools.js';
export type { MonitoringTools } from './monitoring-tools.js';
