import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SrekitError, isSystemError } from '../common/errors.js';
import { renderDashboardFiles } from './dashboard-files.js';
import { checkRulesFile } from './generate.js';
import type { CheckResult } from './monitoring-check.js';
import { productionProfile } from './profiles.js';
import { renderAlertmanagerFile } from './routing-file.js';
import {
  findStaleFiles, loadSpecsDir, renderSloFiles, type GeneratedFile,
} from './slo-generate.js';

/** The name under which the staleness check reports its results. */
export const generatedCheckName = 'srekit slo generate --check';

/**
 * Compares the generated files of a directory laid out like monitoring/
 * with what srekit renders now, as `srekit slo generate --check` does for
 * the committed files. prometheus/rules/alerts.yml and
 * alertmanager/alertmanager.yml come from the policy and the routing in
 * src/slo. The SLO rules and tests, and the dashboards when
 * grafana/dashboards/ exists, come from the specs in slos/. Returns one
 * result per file, or one failed result for slos/ when its specs are
 * missing or invalid.
 */
export async function checkGeneratedFiles(dir: string): Promise<CheckResult[]> {
  return [
    await checkPolicyRules(dir), await checkAlertmanagerFile(dir), ...await checkSloFiles(dir),
  ];
}

async function checkAlertmanagerFile(dir: string): Promise<CheckResult> {
  const file = join(dir, 'alertmanager', 'alertmanager.yml');
  const content = renderAlertmanagerFile(productionProfile);
  const [stale] = await findStaleFiles([{ path: file, content }]);
  if (stale === undefined) return { check: generatedCheckName, file, status: 'ok' };
  return {
    check: generatedCheckName,
    file,
    status: 'failed',
    message: `the file is ${stale.state}: it must equal what src/slo/routing.ts and `
      + 'src/slo/inhibitions.ts render for the production profile',
  };
}

async function checkPolicyRules(dir: string): Promise<CheckResult> {
  const file = join(dir, 'prometheus', 'rules', 'alerts.yml');
  try {
    const state = await checkRulesFile(file, productionProfile);
    if (state === 'current') return { check: generatedCheckName, file, status: 'ok' };
    return {
      check: generatedCheckName,
      file,
      status: 'failed',
      message: `the file is ${state}: it must equal the rules that src/slo/policy.ts renders `
        + 'for the production profile, which `srekit slo generate -o FILE` writes',
    };
  } catch (error) {
    return failedWith(file, error);
  }
}

async function checkSloFiles(dir: string): Promise<CheckResult[]> {
  const specsDir = join(dir, 'slos');
  let files: GeneratedFile[];
  try {
    const definitions = await loadSpecsDir(specsDir);
    files = renderSloFiles(definitions, {
      rules: join(dir, 'prometheus', 'rules', 'slos.yml'),
      tests: join(dir, 'prometheus', 'tests', 'slos.test.yml'),
    });
    const dashboardsDir = join(dir, 'grafana', 'dashboards');
    if (await isDirectory(dashboardsDir)) {
      files.push(...renderDashboardFiles(definitions, dashboardsDir));
    }
  } catch (error) {
    return [failedWith(specsDir, error)];
  }

  const stale = new Map((await findStaleFiles(files)).map((entry) => [entry.path, entry.state]));
  return files.map(({ path }): CheckResult => {
    const state = stale.get(path);
    if (state === undefined) return { check: generatedCheckName, file: path, status: 'ok' };
    return {
      check: generatedCheckName,
      file: path,
      status: 'failed',
      message: `the file is ${state}: it must equal what \`srekit slo generate\` renders `
        + `from src/slo and the SLO specs in ${specsDir}`,
    };
  });
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    if (isSystemError(error, 'ENOENT')) return false;
    throw error;
  }
}

function failedWith(file: string, error: unknown): CheckResult {
  if (!(error instanceof SrekitError)) throw error;
  return { check: generatedCheckName, file, status: 'failed', message: error.message };
}
