import { SrekitError } from '../common/errors.js';
import type { AlertLabelSet } from './inhibition-labels.js';
import {
  equalityMatcher, mayMatch, parseMatchers, regexMatcher, type LabelMatcher,
} from './inhibition-matchers.js';

type Side = 'source' | 'target';

/** One valid inhibit rule of a parsed alertmanager.yml, with the path of each `equal` label. */
interface ReadRule {
  matchers: Record<Side, LabelMatcher[]>;
  equal: Array<{ label: string; path: string }>;
}

/**
 * Checks the inhibit rules of a parsed alertmanager.yml (`config`, as the
 * YAML parser returns it) against the alerts of the policy. For every rule,
 * each label in `equal` must be carried by every alert that the source
 * matchers select and by every alert that the target matchers select.
 * Alertmanager compares a missing label as the empty value, so a label that
 * both sides lack is always equal and the rule silences every target.
 * Returns one `FILE: PATH: PROBLEM` line per problem, or none; `file` is the
 * name the lines start with.
 */
export function checkInhibitions(
  config: unknown,
  alerts: readonly AlertLabelSet[],
  file: string,
): string[] {
  const issues: string[] = [];
  const report = (path: string, problem: string) => issues.push(`${file}: ${path}: ${problem}`);
  if (!isRecord(config)) {
    report('(top level)', 'must be a mapping with route, receivers and inhibit_rules');
    return issues;
  }
  const rules = config.inhibit_rules;
  if (rules === undefined || rules === null) return issues;
  if (!Array.isArray(rules)) {
    report('inhibit_rules', 'must be a list of inhibit rules');
    return issues;
  }
  rules.forEach((rule: unknown, index) => {
    const read = readRule(rule, `inhibit_rules[${index}]`, report);
    if (read) checkRule(read, alerts, report);
  });
  return issues;
}

/**
 * Throws INVALID_CONFIG listing every problem {@link checkInhibitions} finds,
 * saying that nothing was written.
 */
export function assertInhibitions(
  config: unknown,
  alerts: readonly AlertLabelSet[],
  file: string,
): void {
  const issues = checkInhibitions(config, alerts, file);
  if (issues.length === 0) return;
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  throw new SrekitError('INVALID_CONFIG', `invalid inhibit rules (${count}):\n${issues.join('\n')}`, {
    hint: 'make every label in `equal` one that all selected alerts carry, or narrow the '
      + 'matchers in src/slo/inhibitions.ts; nothing was written',
  });
}

function checkRule(
  rule: ReadRule,
  alerts: readonly AlertLabelSet[],
  report: (path: string, problem: string) => void,
): void {
  const selected: Record<Side, AlertLabelSet[]> = {
    source: alerts.filter((alert) => rule.matchers.source.every((m) => mayMatch(m, alert))),
    target: alerts.filter((alert) => rule.matchers.target.every((m) => mayMatch(m, alert))),
  };
  for (const { label, path } of rule.equal) {
    const missing: Record<Side, string[]> = {
      source: uniqueNames(selected.source.filter((alert) => !carries(alert, label))),
      target: uniqueNames(selected.target.filter((alert) => !carries(alert, label))),
    };
    const carriedBySome = [...selected.source, ...selected.target].some((a) => carries(a, label));
    if (!carriedBySome && missing.source.length > 0 && missing.target.length > 0) {
      report(path, `label "${label}" is carried by no alert the rule selects (source `
        + `${missing.source.join(', ')}; target ${missing.target.join(', ')}), so it is always `
        + 'equal and every source silences every target');
      continue;
    }
    for (const name of new Set([...missing.source, ...missing.target])) {
      const sides = (['source', 'target'] as const).filter((side) => missing[side].includes(name));
      report(path, `label "${label}" is not carried by alert ${name} (${sides.join(' and ')})`);
    }
  }
}

function carries(alert: AlertLabelSet, label: string): boolean {
  return label === 'alertname' || label in alert.fixed || alert.varying.includes(label);
}

function uniqueNames(alerts: readonly AlertLabelSet[]): string[] {
  return [...new Set(alerts.map((alert) => alert.alertname))];
}

function readRule(
  rule: unknown,
  path: string,
  report: (path: string, problem: string) => void,
): ReadRule | undefined {
  if (!isRecord(rule)) {
    report(path, 'must be a mapping with source_matchers, target_matchers and equal');
    return undefined;
  }
  const source = readMatchers(rule, 'source', path, report);
  const target = readMatchers(rule, 'target', path, report);
  const equal = readEqual(rule.equal, `${path}.equal`, report);
  if (!source || !target || !equal) return undefined;
  return { matchers: { source, target }, equal };
}

/** Reads `<side>_matchers`, and the older `<side>_match` and `<side>_match_re` maps. */
function readMatchers(
  rule: Record<string, unknown>,
  side: Side,
  path: string,
  report: (path: string, problem: string) => void,
): LabelMatcher[] | undefined {
  const matchers: LabelMatcher[] = [];
  let valid = true;
  const list = rule[`${side}_matchers`];
  if (list !== undefined && list !== null) {
    if (!Array.isArray(list)) {
      report(`${path}.${side}_matchers`, 'must be a list of matchers such as severity="page"');
      return undefined;
    }
    list.forEach((entry: unknown, index) => {
      const entryPath = `${path}.${side}_matchers[${index}]`;
      try {
        if (typeof entry !== 'string') throw new Error('must be a string such as severity="page"');
        matchers.push(...parseMatchers(entry));
      } catch (error) {
        report(entryPath, `invalid matcher: ${error instanceof Error ? error.message : String(error)}`);
        valid = false;
      }
    });
  }
  for (const [key, build] of [['match', equalityMatcher], ['match_re', regexMatcher]] as const) {
    const map = rule[`${side}_${key}`];
    if (map === undefined || map === null) continue;
    if (!isRecord(map)) {
      report(`${path}.${side}_${key}`, 'must be a mapping of label names to values');
      valid = false;
      continue;
    }
    for (const [name, value] of Object.entries(map)) {
      try {
        matchers.push(build(name, String(value)));
      } catch (error) {
        report(`${path}.${side}_${key}.${name}`, error instanceof Error ? error.message : String(error));
        valid = false;
      }
    }
  }
  return valid ? matchers : undefined;
}

function readEqual(
  equal: unknown,
  path: string,
  report: (path: string, problem: string) => void,
): Array<{ label: string; path: string }> | undefined {
  if (equal === undefined || equal === null) return [];
  if (!Array.isArray(equal)) {
    report(path, 'must be a list of label names');
    return undefined;
  }
  const labels: Array<{ label: string; path: string }> = [];
  equal.forEach((label: unknown, index) => {
    if (typeof label === 'string' && /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label)) {
      labels.push({ label, path: `${path}[${index}]` });
    } else {
      report(`${path}[${index}]`, `must be a label name (got ${JSON.stringify(label)})`);
    }
  });
  return labels.length === equal.length ? labels : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
