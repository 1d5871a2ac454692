import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { displayPath } from './generate.js';
import { checkGeneratedFiles } from './monitoring-generated.js';
import { checkInhibitionLabels } from './monitoring-inhibition.js';
import { findPromtoolTests, runPromtoolTest } from './monitoring-promtool-tests.js';
import { runTool, type MonitoringTools, type ToolRun } from './monitoring-tools.js';
import { committedSpecsDir } from './slo-generate.js';

/** The committed monitoring directory (src/slo and dist/src/slo are three levels down). */
export const committedMonitoringDir = fileURLToPath(new URL('../../../monitoring', import.meta.url));

/** The files that the monitoring checks examine; a part left undefined is not checked. */
export interface CheckTarget {
  /** The Prometheus config; `promtool check config` also checks the rule files it names. */
  prometheusConfig?: string;
  alertmanagerConfig?: string;
  /** Directory searched, subdirectories included, for promtool tests named `*.test.yml`. */
  testsDir?: string;
  /** Directory laid out like monitoring/ whose generated files must match a fresh render. */
  generatedDir?: string;
  /**
   * SLO specs whose alerts, with those of the policy, the inhibit rules are
   * checked against; the committed specs unless set.
   */
  specsDir?: string;
}

/** The outcome of one check. */
export interface CheckResult {
  /** The command that ran, such as `promtool check config`. */
  check: string;
  /** The file or directory that was checked. */
  file: string;
  status: 'ok' | 'failed';
  /** Why the check failed: the tool's own output, or srekit's message. */
  message?: string;
}

/** Returns what to check in a directory laid out like monitoring/. */
export function monitoringDirTarget(dir: string): CheckTarget {
  return {
    prometheusConfig: join(dir, 'prometheus', 'prometheus.yml'),
    alertmanagerConfig: join(dir, 'alertmanager', 'alertmanager.yml'),
    testsDir: join(dir, 'prometheus', 'tests'),
    generatedDir: dir,
    specsDir: join(dir, 'slos'),
  };
}

/**
 * Runs every check that `target` names, one after another, and returns
 * their results in order. `onResult` receives each result as soon as it is
 * known. A failed check does not stop the others.
 */
export async function runMonitoringChecks(
  target: CheckTarget,
  tools: MonitoringTools,
  onResult: (result: CheckResult) => void = () => undefined,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const report = (result: CheckResult) => {
    results.push(result);
    onResult(result);
  };

  // The tools get the paths relative to the current directory where they
  // lie below it, so that their messages name the files the way users do.
  if (target.prometheusConfig !== undefined) {
    const file = target.prometheusConfig;
    const run = await runTool(tools.promtool, ['check', 'config', displayPath(file)]);
    report(fromToolRun('promtool check config', file, run));
  }
  if (target.testsDir !== undefined) {
    for (const test of await findPromtoolTests(target.testsDir)) {
      const run = await runPromtoolTest(tools.promtool, { ...test, path: displayPath(test.path) });
      report(fromToolRun('promtool test rules', test.path, run));
    }
  }
  if (target.alertmanagerConfig !== undefined) {
    const file = target.alertmanagerConfig;
    const run = await runTool(tools.amtool, ['check-config', displayPath(file)]);
    report(fromToolRun('amtool check-config', file, run));
    report(await checkInhibitionLabels(file, target.specsDir ?? committedSpecsDir));
  }
  if (target.generatedDir !== undefined) {
    for (const result of await checkGeneratedFiles(target.generatedDir)) report(result);
  }
  return results;
}

/** The maximum number of lines of a tool's output that a failed result keeps. */
const maxMessageLines = 40;

function fromToolRun(check: string, file: string, run: ToolRun): CheckResult {
  if (run.exitCode === 0) return { check, file, status: 'ok' };
  return { check, file, status: 'failed', message: trimOutput(run.output) };
}

/** Drops blank lines and keeps the first {@link maxMessageLines} lines of a tool's output. */
function trimOutput(output: string): string {
  const lines = output.split('\n').map((line) => line.trimEnd()).filter((line) => line !== '');
  if (lines.length <= maxMessageLines) return lines.join('\n');
  const rest = lines.length - maxMessageLines;
  return [...lines.slice(0, maxMessageLines), `… ${rest} more lines`].join('\n');
}
