import { z } from 'zod';
import { HttpError } from './http-errors.js';
import { formatIssues, jsonObjectError, requiredOr } from './validation.js';

/** Faults injected into the orders API, as the admin API reads and writes them. */
export interface FaultSettings {
  /** Delay added before each /orders request is handled, in whole milliseconds. */
  latencyMs: number;
  /** Share of /orders requests, from 0 to 1, that fail with 500 `{error: "injected fault"}`. */
  errorRate: number;
  /** When true every database query fails, so /orders returns 503 and /readyz fails. */
  databaseDown: boolean;
}

/** Upper limit of `latencyMs`, so that a typo cannot hold requests for hours. */
export const maxLatencyMs = 60_000;

const latencyRule = `must be an integer from 0 to ${maxLatencyMs}`;

const faultPatchSchema = z.strictObject({
  latencyMs: z
    .number(requiredOr(latencyRule))
    .int(latencyRule)
    .min(0, latencyRule)
    .max(maxLatencyMs, latencyRule)
    .optional(),
  errorRate: z
    .number(requiredOr('must be a number from 0 to 1'))
    .min(0, 'must be a number from 0 to 1')
    .max(1, 'must be a number from 0 to 1')
    .optional(),
  databaseDown: z.boolean(requiredOr('must be true or false')).optional(),
}, jsonObjectError);

const noFaults: FaultSettings = { latencyMs: 0, errorRate: 0, databaseDown: false };

/** The current fault settings of one service, changed through the admin API. */
export class FaultState {
  private settings: FaultSettings = { ...noFaults };

  get latencyMs(): number {
    return this.settings.latencyMs;
  }

  get errorRate(): number {
    return this.settings.errorRate;
  }

  get databaseDown(): boolean {
    return this.settings.databaseDown;
  }

  /** Returns a copy of the current settings. */
  snapshot(): FaultSettings {
    return { ...this.settings };
  }

  /**
   * Validates `patch`, a parsed JSON body with any subset of the settings,
   * and merges it into the current settings. Raises HttpError 400 naming the
   * bad field and changes nothing when the patch is invalid.
   */
  update(patch: unknown): FaultSettings {
    const result = faultPatchSchema.safeParse(patch);
    if (!result.success) throw new HttpError(400, formatIssues(result.error.issues));

    const merged = { ...this.settings };
    if (result.data.latencyMs !== undefined) merged.latencyMs = result.data.latencyMs;
    if (result.data.errorRate !== undefined) merged.errorRate = result.data.errorRate;
    if (result.data.databaseDown !== undefined) merged.databaseDown = result.data.databaseDown;
    this.settings = merged;
    return this.snapshot();
  }

  /** Removes every fault. */
  clear(): FaultSettings {
    this.settings = { ...noFaults };
    return this.snapshot();
  }
}
