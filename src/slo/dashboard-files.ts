import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { buildHostDashboard } from './dashboard-host.js';
import type { DashboardOptions } from './dashboard-panels.js';
import { buildServiceHealthDashboard } from './dashboard-service.js';
import { buildSloDashboard } from './dashboard-slo.js';
import { assertGeneratedFilesCurrent, type GeneratedFile } from './slo-generate.js';
import type { SloDefinition } from './spec.js';

/** The repository this module belongs to (both src/slo and dist/src/slo are three levels down). */
const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The directory of the committed Grafana dashboards, which Grafana provisions. */
export const committedDashboardsDir = join(repositoryRoot, 'monitoring/grafana/dashboards');

/** Builds every dashboard, keyed by file name, from the SLO definitions and the alert policy. */
export function buildDashboards(
  definitions: readonly SloDefinition[],
  options: DashboardOptions = {},
): Record<string, Dashboard> {
  return {
    'service-health.json': buildServiceHealthDashboard(options),
    'slos.json': buildSloDashboard(definitions, options),
    'host.json': buildHostDashboard(options),
  };
}

/**
 * Renders every dashboard as a JSON file in `directory`. The text is
 * JSON.stringify with two-space indentation and a final newline, and the
 * SDK builds objects with a fixed key order, so the same inputs always give
 * the same bytes.
 */
export function renderDashboardFiles(
  definitions: readonly SloDefinition[],
  directory: string,
  options: DashboardOptions = {},
): GeneratedFile[] {
  return Object.entries(buildDashboards(definitions, options)).map(([name, dashboard]) => ({
    path: join(directory, name),
    content: `${JSON.stringify(dashboard, null, 2)}\n`,
  }));
}

/** Throws CHECK_FAILED naming every dashboard file that is stale or missing. */
export async function assertDashboardsCurrent(
  files: readonly GeneratedFile[],
  displayPath: (path: string) => string,
): Promise<void> {
  await assertGeneratedFilesCurrent(files, displayPath,
    'generated dashboards differ from their code and the SLO specs');
}
