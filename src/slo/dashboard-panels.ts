import {
  GraphThresholdsStyleConfigBuilder, GraphThresholdsStyleMode, LegendDisplayMode,
  LegendPlacement, ReduceDataOptionsBuilder, VizLegendOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import {
  DashboardLinkBuilder, DashboardLinkType, DatasourceVariableBuilder, QueryVariableBuilder,
  RowBuilder, ThresholdsConfigBuilder, ThresholdsMode, VariableRefresh, VariableSort,
  type Dashboard, type DashboardBuilder, type Panel, type Threshold,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanelBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { alertPolicy, type AlertDefinition } from './policy.js';

/**
 * Base URL of the runbook links in dashboards: the alert receiver, which
 * serves docs/runbooks under /runbooks/ at this address in `srekit stack up`
 * with the default base port and in monitoring/docker-compose.yml. Grafana
 * resolves a relative link against its own URL, so the repository path that
 * the alert rules use by default would open a Grafana page that does not exist.
 */
export const dashboardRunbookBaseUrl = 'http://127.0.0.1:19095/runbooks/';

/** Options shared by every dashboard. */
export interface DashboardOptions {
  /** Base URL that runbook links start with; {@link dashboardRunbookBaseUrl} if unset. */
  runbookBaseUrl?: string;
}

/** The name of the data source variable that every panel queries. */
export const datasourceVariableName = 'datasource';

/** The Prometheus data source chosen in the dashboard's data source variable. */
const datasource = { type: 'prometheus', uid: `\${${datasourceVariableName}}` };

/** Builds the variable that picks one of the Prometheus data sources, such as a replica. */
export function datasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder(datasourceVariableName)
    .label('Data source')
    .type('prometheus');
}

/**
 * Builds a multi-value variable over the values of `label` on `metric`.
 * "All" matches every value with `.*`, so queries must use `=~`.
 */
export function labelVariable(name: string, metric: string, label: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(datasource)
    .query(`label_values(${metric}, ${label})`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
}

/** One PromQL query of a panel. */
export interface PanelQuery {
  expr: string;
  legend: string;
}

function queryBuilder(query: PanelQuery, index: number): DataqueryBuilder {
  return new DataqueryBuilder()
    .refId(String.fromCharCode(65 + index))
    .datasource(datasource)
    .expr(query.expr)
    .legendFormat(query.legend);
}

/** Threshold steps from a base color and the values where the color changes, ascending. */
export function thresholds(base: string, steps: ReadonlyArray<[number, string]> = []): Threshold[] {
  return [{ value: null, color: base }, ...steps.map(([value, color]) => ({ value, color }))];
}

function thresholdsConfig(steps: Threshold[]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps);
}

/** Options of a time series or stat panel. */
export interface PanelOptions {
  title: string;
  description: string;
  unit: string;
  queries: PanelQuery[];
  /** Steps drawn as dashed lines on a graph and used as colors on a stat. */
  thresholds?: Threshold[];
  /** Runbook links of the alerts on what the panel shows. */
  links?: DashboardLinkBuilder[];
  width?: number;
  height?: number;
  min?: number;
}

/** Builds a time series panel that draws its thresholds as dashed lines. */
export function timeseriesPanel(options: PanelOptions): TimeseriesPanelBuilder {
  const panel = new TimeseriesPanelBuilder()
    .title(options.title)
    .description(options.description)
    .datasource(datasource)
    .unit(options.unit)
    .span(options.width ?? 12)
    .height(options.height ?? 8)
    .legend(new VizLegendOptionsBuilder()
      .showLegend(true)
      .displayMode(LegendDisplayMode.List)
      .placement(LegendPlacement.Bottom))
    .targets(options.queries.map(queryBuilder));
  if (options.min !== undefined) panel.min(options.min);
  if (options.thresholds) {
    panel.thresholds(thresholdsConfig(options.thresholds))
      .thresholdsStyle(new GraphThresholdsStyleConfigBuilder()
        .mode(GraphThresholdsStyleMode.Dashed));
  }
  if (options.links) panel.links(options.links);
  return panel;
}

/** Builds a stat panel showing the last value of each series, colored by its thresholds. */
export function statPanel(options: PanelOptions): StatPanelBuilder {
  const panel = new StatPanelBuilder()
    .title(options.title)
    .description(options.description)
    .datasource(datasource)
    .unit(options.unit)
    .span(options.width ?? 6)
    .height(options.height ?? 8)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .targets(options.queries.map(queryBuilder));
  if (options.thresholds) panel.thresholds(thresholdsConfig(options.thresholds));
  if (options.links) panel.links(options.links);
  return panel;
}

/** Builds a table of the series of one instant query, one row per series. */
export function tablePanel(options: PanelOptions): TablePanelBuilder {
  const targets = options.queries.map((query, index) => queryBuilder(query, index)
    .instant()
    .format(PromQueryFormat.Table));
  const panel = new TablePanelBuilder()
    .title(options.title)
    .description(options.description)
    .datasource(datasource)
    .unit(options.unit)
    .span(options.width ?? 24)
    .height(options.height ?? 6)
    .targets(targets);
  if (options.links) panel.links(options.links);
  return panel;
}

/** Returns the alert of the policy named `name`; throws when the policy has none. */
export function policyAlert(name: string): AlertDefinition {
  const alert = alertPolicy.find((definition) => definition.name === name);
  if (alert === undefined) throw new Error(`the alert policy has no alert named ${name}`);
  return alert;
}

/** Returns the window `window` of the policy's alert `alertName`, in seconds. */
export function policyWindow(alertName: string, window: string): number {
  const seconds = policyAlert(alertName).windows[window];
  if (seconds === undefined) throw new Error(`alert ${alertName} has no window named ${window}`);
  return seconds;
}

/** Returns `base` and `file` joined by exactly one slash. */
function joinUrl(base: string, file: string): string {
  return base.endsWith('/') ? `${base}${file}` : `${base}/${file}`;
}

/** Builds a panel link to the runbook file `runbook` of the alert `alertName`. */
export function runbookLink(
  alertName: string,
  runbook: string,
  options: DashboardOptions,
): DashboardLinkBuilder {
  return new DashboardLinkBuilder(`Runbook: ${alertName}`)
    .type(DashboardLinkType.Link)
    .url(joinUrl(options.runbookBaseUrl ?? dashboardRunbookBaseUrl, runbook))
    .targetBlank(true);
}

/** Builds the runbook link of an alert of the policy. */
export function policyRunbookLink(
  alertName: string,
  options: DashboardOptions,
): DashboardLinkBuilder {
  return runbookLink(alertName, policyAlert(alertName).runbook, options);
}

/** A row header or a panel, in the order they appear on the dashboard. */
export type DashboardItem = RowBuilder | Builder<Panel>;

/** The tag of every srekit dashboard, which their links to each other select. */
export const dashboardTag = 'srekit';

/**
 * Adds rows and panels to `builder` in order, and a menu of the other
 * srekit dashboards, then builds the dashboard and numbers its panels.
 */
export function buildDashboard(builder: DashboardBuilder, items: DashboardItem[]): Dashboard {
  builder.link(new DashboardLinkBuilder('srekit dashboards')
    .type(DashboardLinkType.Dashboards)
    .tags([dashboardTag])
    .asDropdown(true)
    .includeVars(false)
    .keepTime(true));
  for (const item of items) {
    if (item instanceof RowBuilder) builder.withRow(item);
    else builder.withPanel(item);
  }
  return numberPanels(builder.build());
}

/**
 * Numbers the panels of a built dashboard from 1 in layout order. Grafana
 * would number panels without an id on load, but then the committed JSON
 * and the dashboard that Grafana saves differ.
 */
function numberPanels(dashboard: Dashboard): Dashboard {
  let id = 0;
  for (const panel of dashboard.panels ?? []) {
    id += 1;
    panel.id = id;
  }
  return dashboard;
}
