import { parse } from 'yaml';

/** The rules generated for one SLO. */
export interface SloRuleCount {
  /** `service/name`. */
  slo: string;
  recording: number;
  alerting: number;
  /** Names of the SLO's rule groups, in file order. */
  groups: string[];
  /** promtool test cases generated for the SLO. */
  tests: number;
}

interface RuleFile {
  groups?: Array<{ name: string; rules?: Array<{ record?: string; alert?: string }> }>;
}

interface TestFile {
  tests?: Array<{ name?: string }>;
}

/** Group names are `srekit-slo-<service>-<slo>-short` and `...-long`. */
function groupSlo(groupName: string, slos: readonly string[]): string | undefined {
  return slos.find((slo) => {
    const prefix = `srekit-slo-${slo.replace('/', '-')}-`;
    return groupName === `${prefix}short` || groupName === `${prefix}long`;
  });
}

/**
 * Counts, per SLO (`service/name`), the recording and alerting rules of a
 * rendered SLO rule file and the promtool test cases of its test file,
 * whose names start with `service/name:`.
 */
export function countSloRules(
  rulesText: string,
  testsText: string,
  slos: readonly string[],
): SloRuleCount[] {
  const counts = new Map(slos.map((slo) => [slo, {
    slo, recording: 0, alerting: 0, groups: [] as string[], tests: 0,
  }]));
  for (const group of (parse(rulesText) as RuleFile).groups ?? []) {
    const count = counts.get(groupSlo(group.name, slos) ?? '');
    if (count === undefined) continue;
    count.groups.push(group.name);
    for (const rule of group.rules ?? []) {
      if (rule.record !== undefined) count.recording += 1;
      if (rule.alert !== undefined) count.alerting += 1;
    }
  }
  for (const test of (parse(testsText) as TestFile).tests ?? []) {
    const slo = test.name?.split(':')[0] ?? '';
    const count = counts.get(slo);
    if (count !== undefined) count.tests += 1;
  }
  return [...counts.values()];
}
