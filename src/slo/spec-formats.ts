import { z } from 'zod';
import { defaultTiers } from './burn-rate.js';
import {
  durationSchema, labelsSchema, nameSchema, objectiveSchema, selectorQuery,
  type CounterQuery, type SloDefinition,
} from './spec.js';

/*
 * Readers for two published SLO spec formats, so their specs work unchanged:
 * Sloth's `prometheus/v1` and OpenSLO v1's `SLO` with a ratio indicator.
 * Fields that do not change the rules, such as alert names and annotations,
 * are accepted and ignored.
 */

/** Sloth's period when its command line does not set one. */
const slothDefaultPeriod = 30 * 86_400;

const windowQuerySchema = z.string().refine((query) => query.includes('{{.window}}'), {
  message: 'must contain {{.window}} where the range goes',
});

const slothAlertSchema = z.looseObject({
  disable: z.boolean().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

const slothSloSchema = z.looseObject({
  name: nameSchema,
  objective: objectiveSchema,
  description: z.string().optional(),
  labels: labelsSchema.optional(),
  sli: z.looseObject({
    events: z.looseObject({ error_query: windowQuerySchema, total_query: windowQuerySchema }, {
      error: 'is required: only event SLIs (error_query and total_query) are supported, '
        + 'because the rules record both counters',
    }),
  }),
  alerting: z.looseObject({
    page_alert: slothAlertSchema.optional(),
    ticket_alert: slothAlertSchema.optional(),
  }).optional(),
});

/** Sloth's `prometheus/v1` spec. */
export const slothSpecSchema = z.looseObject({
  version: z.literal('prometheus/v1'),
  service: nameSchema,
  labels: labelsSchema.optional(),
  slos: z.array(slothSloSchema).min(1),
});

/**
 * Returns the query of a Sloth or OpenSLO template. The rules record counts of
 * events, so `rate(` becomes `increase(`, which Prometheus computes as the
 * rate times the range. Ratios of the two are the same either way.
 */
export function windowTemplateQuery(template: string): CounterQuery {
  const selectors = [...template.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?)\[\{\{\.window\}\}\]/g)];
  const selector = selectors.length === 1 ? selectors[0]?.[1] : undefined;
  return { template: template.replace(/\brate\(/g, 'increase(').trim(), selector };
}

/** Converts a parsed Sloth spec into SLO definitions: page alerts fast, ticket alerts slow. */
export function fromSlothSpec(
  file: string,
  spec: z.output<typeof slothSpecSchema>,
): SloDefinition[] {
  return spec.slos.map((slo) => {
    const alerts = { fast: slo.alerting?.page_alert, slow: slo.alerting?.ticket_alert };
    const tiers = defaultTiers.filter((tier) => {
      const alert = tier.name === 'fast' ? alerts.fast : alerts.slow;
      return alert?.disable !== true;
    });
    return {
      file,
      service: spec.service,
      name: slo.name,
      description: slo.description,
      objective: slo.objective,
      period: slothDefaultPeriod,
      errors: windowTemplateQuery(slo.sli.events.error_query),
      total: windowTemplateQuery(slo.sli.events.total_query),
      minRequestRate: 0,
      tiers: tiers.map((tier) => ({ ...tier })),
      labels: { ...spec.labels, ...slo.labels },
    };
  });
}

const metricSchema = z.looseObject({
  metricSource: z.looseObject({ spec: z.looseObject({ query: z.string().min(1) }) }),
});

const ratioMetricSchema = z.looseObject({
  counter: z.literal(true, { error: 'must be true: the rules need counters' }),
  good: metricSchema.optional(),
  bad: metricSchema.optional(),
  total: metricSchema,
}).refine((ratio) => (ratio.good === undefined) !== (ratio.bad === undefined), {
  message: 'must have exactly one of good and bad',
});

const objectiveEntrySchema = z.looseObject({
  target: z.number().gt(0).lt(1).optional(),
  targetPercent: objectiveSchema.optional(),
}).refine((entry) => (entry.target === undefined) !== (entry.targetPercent === undefined), {
  message: 'must have exactly one of target and targetPercent',
});

/** OpenSLO v1's `SLO` object with an inline ratio indicator over counters. */
export const openSloSpecSchema = z.looseObject({
  apiVersion: z.literal('openslo/v1'),
  kind: z.literal('SLO'),
  metadata: z.looseObject({ name: nameSchema, labels: labelsSchema.optional() }),
  spec: z.looseObject({
    description: z.string().optional(),
    service: nameSchema,
    indicator: z.looseObject({
      spec: z.looseObject({ ratioMetric: ratioMetricSchema }, {
        error: 'is required: only ratio indicators (ratioMetric) are supported',
      }),
    }, { error: 'is required: indicatorRef is not supported, so write the indicator inline' }),
    timeWindow: z.array(z.looseObject({
      duration: durationSchema,
      isRolling: z.literal(true, { error: 'must be true: only rolling windows are supported' }),
    })).length(1, { message: 'must have exactly one entry' }),
    budgetingMethod: z.literal('Occurrences', {
      error: 'must be Occurrences: the rules count events, not time slices',
    }),
    objectives: z.array(objectiveEntrySchema).length(1, { message: 'must have exactly one entry' }),
  }),
});

/** Returns the query of an OpenSLO metric: a window template, or else a counter selector. */
function openSloQuery(query: string): CounterQuery {
  return query.includes('{{.window}}') ? windowTemplateQuery(query) : selectorQuery(query.trim());
}

/** Converts a parsed OpenSLO SLO into an SLO definition with the default tiers. */
export function fromOpenSloSpec(
  file: string,
  spec: z.output<typeof openSloSpecSchema>,
): SloDefinition {
  const ratio = spec.spec.indicator.spec.ratioMetric;
  const total = openSloQuery(ratio.total.metricSource.spec.query);
  let errors: CounterQuery;
  if (ratio.bad) {
    errors = openSloQuery(ratio.bad.metricSource.spec.query);
  } else {
    const good = openSloQuery(ratio.good?.metricSource.spec.query ?? '');
    errors = { template: `(${total.template}) - (${good.template})`, selector: undefined };
  }
  const objective = spec.spec.objectives[0];
  const window = spec.spec.timeWindow[0];
  return {
    file,
    service: spec.spec.service,
    name: spec.metadata.name,
    description: spec.spec.description,
    objective: objective?.targetPercent ?? Number(((objective?.target ?? 0) * 100).toPrecision(10)),
    period: window?.duration ?? 0,
    errors,
    total,
    minRequestRate: 0,
    tiers: defaultTiers.map((tier) => ({ ...tier })),
    labels: { ...spec.metadata.labels },
  };
}
