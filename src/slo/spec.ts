import { z } from 'zod';
import {
  burnFactor, defaultTiers, errorBudgetRatio, errorRatioThreshold, toPercent, type BurnRateTier,
} from './burn-rate.js';
import { formatDuration, parseDuration } from './duration.js';
import { severities } from './profiles.js';

/**
 * A counter query of an SLI. `template` is PromQL that returns one sample,
 * the number of events in the window, where `{{.window}}` stands for the
 * window. `selector` is the counter's series selector when the query reads
 * one counter, which the absent-metrics alert and the generated tests use.
 */
export interface CounterQuery {
  template: string;
  selector: string | undefined;
}

/** One SLO, whatever format its spec was written in. Durations are in seconds. */
export interface SloDefinition {
  /** The spec file, as given to the loader, for error messages. */
  file: string;
  service: string;
  name: string;
  description: string | undefined;
  /** Objective in percent, above 0 and below 100. */
  objective: number;
  period: number;
  errors: CounterQuery;
  total: CounterQuery;
  /** Requests per second below which the burn-rate alerts stay quiet, or 0 for no gate. */
  minRequestRate: number;
  tiers: BurnRateTier[];
  /** Extra labels for every rule of the SLO. */
  labels: Record<string, string>;
}

/** The `apiVersion` of srekit's own SLO spec format. */
export const srekitSpecVersion = 'srekit.dev/v1';

const windowPlaceholder = '{{.window}}';

const namePattern = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const selectorPattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?$/s;

/** A duration such as `30d`, `6h` or `5m`, parsed to whole seconds. */
export const durationSchema = z.string().transform((text, context) => {
  const seconds = parseDuration(text);
  if (seconds === undefined || !Number.isInteger(seconds) || seconds <= 0) {
    context.addIssue({
      code: 'custom',
      message: `must be a duration in whole seconds such as 30d, 6h or 5m (got "${text}")`,
    });
    return z.NEVER;
  }
  return seconds;
});

/**
 * An objective in percent: at least 1 and below 100. A value below 1 is
 * most likely a ratio such as 0.999 written in place of 99.9.
 */
export const objectiveSchema = z.number().superRefine((value, context) => {
  if (value >= 100) context.addIssue({ code: 'custom', message: `must be below 100 (got ${value})` });
  if (value <= 0) context.addIssue({ code: 'custom', message: `must be above 0 (got ${value})` });
  if (value > 0 && value < 1) {
    context.addIssue({
      code: 'custom',
      message: `must be a percentage such as 99.9, not a ratio (got ${value}, `
        + `did you mean ${toPercent(value)}?)`,
    });
  }
});

/** A DNS-style name, used for services and SLOs because both become label values. */
export const nameSchema = z.string().regex(namePattern, {
  message: 'must be lowercase letters, digits and dashes, starting and ending with a letter or digit',
});

/** Labels that every rule of an SLO carries. */
export const labelsSchema = z.record(
  z.string().regex(labelNamePattern, { message: 'must be a Prometheus label name' }),
  z.string(),
);

const selectorSchema = z.string().trim().regex(selectorPattern, {
  message: 'must be a counter series selector such as http_requests_total{job="orders-api"}',
});

const tierSchema = z.strictObject({
  budgetPercent: z.number().gt(0).max(100).optional(),
  longWindow: durationSchema.optional(),
  shortWindow: durationSchema.optional(),
  severity: z.enum(severities).optional(),
});

const sloSchema = z.strictObject({
  name: nameSchema,
  description: z.string().optional(),
  objective: objectiveSchema,
  period: durationSchema,
  sli: z.strictObject({ errors: selectorSchema, total: selectorSchema }),
  minRequestRate: z.number().min(0).optional(),
  tiers: z.record(z.string().regex(/^[a-z]+$/, { message: 'must be lowercase letters' }), tierSchema)
    .optional(),
  labels: labelsSchema.optional(),
});

/** srekit's own SLO spec: one service and its SLOs. */
export const srekitSpecSchema = z.strictObject({
  apiVersion: z.literal(srekitSpecVersion),
  kind: z.literal('SLOSpec'),
  service: nameSchema,
  labels: labelsSchema.optional(),
  slos: z.array(sloSchema).min(1),
});

/** A problem found in a spec: the path inside the file and what is wrong. */
export interface SpecIssue {
  path: Array<string | number>;
  message: string;
}

/** Returns the query of a counter selector: its increase over the window, summed. */
export function selectorQuery(selector: string): CounterQuery {
  return { template: `sum(increase(${selector}[${windowPlaceholder}]))`, selector };
}

/** Returns the template with `{{.window}}` replaced by the formatted window. */
export function fillWindow(template: string, windowSeconds: number): string {
  return template.split(windowPlaceholder).join(formatDuration(windowSeconds));
}

/** Converts a parsed srekit spec into SLO definitions. */
export function fromSrekitSpec(
  file: string,
  spec: z.output<typeof srekitSpecSchema>,
): SloDefinition[] {
  return spec.slos.map((slo) => ({
    file,
    service: spec.service,
    name: slo.name,
    description: slo.description,
    objective: slo.objective,
    period: slo.period,
    errors: selectorQuery(slo.sli.errors),
    total: selectorQuery(slo.sli.total),
    minRequestRate: slo.minRequestRate ?? 0,
    tiers: mergeTiers(slo.tiers ?? {}),
    labels: { ...spec.labels, ...slo.labels },
  }));
}

type TierOverrides = Record<string, z.output<typeof tierSchema>>;

/** Applies per-SLO overrides to the default tiers; a new tier name must set every field. */
function mergeTiers(overrides: TierOverrides): BurnRateTier[] {
  const tiers = defaultTiers.map((tier) => {
    const override = overrides[tier.name] ?? {};
    return {
      name: tier.name,
      budgetPercent: override.budgetPercent ?? tier.budgetPercent,
      longWindow: override.longWindow ?? tier.longWindow,
      shortWindow: override.shortWindow ?? tier.shortWindow,
      severity: override.severity ?? tier.severity,
    };
  });
  for (const [name, fields] of Object.entries(overrides)) {
    if (defaultTiers.some((tier) => tier.name === name)) continue;
    // NaN marks a missing field, which checkDefinition reports by name.
    tiers.push({
      name,
      budgetPercent: fields.budgetPercent ?? Number.NaN,
      longWindow: fields.longWindow ?? Number.NaN,
      shortWindow: fields.shortWindow ?? Number.NaN,
      severity: fields.severity ?? 'ticket',
    });
  }
  return tiers;
}

/** Paths inside a spec file of the fields that {@link checkDefinition} reports on. */
export interface DefinitionPaths {
  objective: Array<string | number>;
  tier: (tier: string) => Array<string | number>;
  /** False when the file gives the objective as a ratio, as OpenSLO's `target` does. */
  objectiveInPercent: boolean;
}

/**
 * Checks the rules that span several fields of a definition: each tier's
 * windows and whether its burn factor fits in the budget.
 */
export function checkDefinition(definition: SloDefinition, paths: DefinitionPaths): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const tier of definition.tiers) {
    const path = paths.tier(tier.name);
    const missing = (['budgetPercent', 'longWindow', 'shortWindow'] as const)
      .filter((field) => Number.isNaN(tier[field]));
    if (missing.length > 0) {
      for (const field of missing) {
        issues.push({ path: [...path, field], message: `is required for the new tier "${tier.name}"` });
      }
      continue;
    }
    issues.push(...checkTier(definition, tier, paths));
  }

  // An objective that is too low fails every default tier, so only the first issue is kept.
  const objectiveIssue = issues.find((issue) => issue.path === paths.objective);
  return issues.filter((issue) => issue.path !== paths.objective || issue === objectiveIssue);
}

function checkTier(
  definition: SloDefinition,
  tier: BurnRateTier,
  paths: DefinitionPaths,
): SpecIssue[] {
  const path = paths.tier(tier.name);
  const issues: SpecIssue[] = [];
  const long = formatDuration(tier.longWindow);
  const short = formatDuration(tier.shortWindow);
  if (tier.longWindow <= tier.shortWindow) {
    issues.push({
      path: [...path, 'longWindow'],
      message: `must be longer than the short window ${short} (got ${long})`,
    });
  }
  if (tier.longWindow > definition.period) {
    issues.push({
      path: [...path, 'longWindow'],
      message: `must not be longer than the period ${formatDuration(definition.period)} `
        + `(got ${long})`,
    });
  }
  const threshold = errorRatioThreshold(tier, definition.period, definition.objective);
  if (threshold > 1 && isDefaultTier(tier)) {
    issues.push(objectiveTooLowIssue(definition, tier, paths));
  } else if (threshold > 1) {
    const factor = burnFactor(tier, definition.period);
    issues.push({
      path: [...path, 'budgetPercent'],
      message: `needs more error budget than exists: spending ${tier.budgetPercent}% of it in `
        + `${long} is a ${factor}x burn, an error ratio of ${toPercent(threshold)}%, above 100%; `
        + 'lower budgetPercent or lengthen longWindow',
    });
  }
  return issues;
}

/** Returns true when the spec left the tier's budget share and long window at their defaults. */
function isDefaultTier(tier: BurnRateTier): boolean {
  return defaultTiers.some((standard) => standard.name === tier.name
    && standard.budgetPercent === tier.budgetPercent && standard.longWindow === tier.longWindow);
}

/**
 * Builds the issue for a default tier that does not fit the error budget.
 * It points at the objective, because the spec set only the objective.
 */
function objectiveTooLowIssue(
  definition: SloDefinition,
  tier: BurnRateTier,
  paths: DefinitionPaths,
): SpecIssue {
  const objective = definition.objective;
  const budget = toPercent(errorBudgetRatio(objective));
  const factor = burnFactor(tier, definition.period);
  const ratio = toPercent(errorRatioThreshold(tier, definition.period, objective));
  const unit = paths.objectiveInPercent ? ' The objective is a percentage: 99.9 means 99.9%.' : '';
  return {
    path: paths.objective,
    message: `is too low for the ${tier.name} tier. An objective of ${objective}% leaves an `
      + `error budget of ${budget}%, and the tier's ${factor}x burn of it is an error ratio of `
      + `${ratio}%, above 100%.${unit} Raise the objective, or use tiers with smaller burn `
      + 'factors.',
  };
}
