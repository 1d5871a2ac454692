import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { SrekitError } from '../common/errors.js';
import { displayPath } from './generate.js';
import { checkInhibitions } from './inhibition-check.js';
import { policyAlertLabels } from './inhibition-labels.js';
import type { CheckResult } from './monitoring-check.js';
import { loadSpecsDir } from './slo-generate.js';

/** The name under which the inhibit rule check reports its result. */
export const inhibitionCheckName = 'inhibit_rules equal labels';

/**
 * Checks that every label in the `equal` list of each inhibit rule in the
 * Alertmanager config at `file` is carried by the alerts that the rule
 * selects: the alerts of src/slo/policy.ts and of the SLO specs in
 * `specsDir`. A label that the alerts lack compares as equal, so the rule
 * would silence alerts it was not meant for.
 */
export async function checkInhibitionLabels(file: string, specsDir: string): Promise<CheckResult> {
  const failed = (message: string): CheckResult => ({
    check: inhibitionCheckName, file, status: 'failed', message,
  });
  let config: unknown;
  try {
    config = parse(await readFile(file, 'utf8'));
  } catch (error) {
    return failed(`could not read ${displayPath(file)}: `
      + `${error instanceof Error ? error.message : String(error)}`);
  }
  let alerts;
  try {
    alerts = policyAlertLabels(await loadSpecsDir(specsDir));
  } catch (error) {
    if (!(error instanceof SrekitError)) throw error;
    return failed(`could not read the alerts of the SLO specs: ${error.message}`);
  }
  const issues = checkInhibitions(config, alerts, displayPath(file));
  if (issues.length > 0) return failed(issues.join('\n'));
  return { check: inhibitionCheckName, file, status: 'ok' };
}
