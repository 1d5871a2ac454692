import type { SeverityLabel } from './profiles.js';

/** The formatted durations an alert's text may use: its windows and its `for`. */
export type DurationTexts<W extends string> = Record<W | 'for', string>;

/**
 * One alert of the policy, written for the production profile. Rendering for
 * another profile scales `windows` and `for`, then builds the expression and
 * the annotations from the scaled values.
 */
export interface AlertDefinition<W extends string = string> {
  name: string;
  severity: SeverityLabel;
  /**
   * Durations of the expression, in seconds, by name: range-vector windows,
   * and the horizon of a prediction.
   */
  windows: Record<W, number>;
  /** How long the expression must hold before the alert fires, in seconds. */
  for: number;
  /** The runbook for the responder: a file name under docs/runbooks. */
  runbook: string;
  /**
   * Builds the PromQL expression from the windows formatted as durations,
   * and from their values in seconds for arguments that take a number.
   */
  expression(windows: Record<W, string>, seconds: Record<W, number>): string;
  /** Builds the `summary` annotation, which may use Prometheus templates. */
  summary(durations: DurationTexts<W>): string;
  /** Builds the `description` annotation, which may use Prometheus templates. */
  description(durations: DurationTexts<W>): string;
  /** For alerts on an error ratio: the window it is computed over and its limits. */
  ratio?: { window: W; threshold: number; minRequestRate: number };
}

/** Captures the window names of a definition so its expression is type checked. */
export function defineAlert<W extends string>(definition: AlertDefinition<W>): AlertDefinition<W> {
  return definition;
}
