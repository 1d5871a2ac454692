import type { AlertLabelSet } from './inhibition-labels.js';

/** One Alertmanager label matcher: `name op value`. */
export interface LabelMatcher {
  name: string;
  operator: '=' | '!=' | '=~' | '!~';
  value: string;
  /** For `=~` and `!~`: the value anchored at both ends, as Alertmanager applies it. */
  pattern?: RegExp;
}

/** Alertmanager 0.25's form of one matcher; the value may be quoted or bare. */
const matcherPattern = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s;

/**
 * Parses one entry of `source_matchers` or `target_matchers`, which may hold
 * several comma-separated matchers, optionally in braces:
 * `{severity="page", service=~".+"}`. Throws an Error naming what is wrong.
 */
export function parseMatchers(text: string): LabelMatcher[] {
  let body = text.trim();
  if (body.startsWith('{') !== body.endsWith('}')) throw new Error('unbalanced braces');
  if (body.startsWith('{')) body = body.slice(1, -1);
  return splitOutsideQuotes(body).filter((part) => part.trim() !== '').map(parseMatcher);
}

/** Returns a matcher that tests `name` for equality with `value`, as `source_match` does. */
export function equalityMatcher(name: string, value: string): LabelMatcher {
  return { name, operator: '=', value };
}

/** Returns a matcher that tests `name` against the regular expression `value`. */
export function regexMatcher(name: string, value: string): LabelMatcher {
  return { name, operator: '=~', value, pattern: anchored(value) };
}

function parseMatcher(text: string): LabelMatcher {
  const match = matcherPattern.exec(text);
  if (!match) throw new Error(`"${text.trim()}" is not of the form name="value"`);
  const [, name = '', operator = '=', raw = ''] = match;
  const value = unquote(raw);
  if (operator === '=~' || operator === '!~') {
    return { name, operator, value, pattern: anchored(value) };
  }
  return { name, operator: operator === '!=' ? '!=' : '=', value };
}

function unquote(raw: string): string {
  if (!raw.startsWith('"')) {
    if (raw.includes('"')) throw new Error(`value ${raw} has a stray quote`);
    return raw;
  }
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'string') return value;
  } catch {
    // Reported below with the value.
  }
  throw new Error(`value ${raw} is not a valid quoted string`);
}

function anchored(value: string): RegExp {
  try {
    return new RegExp(`^(?:${value})$`, 's');
  } catch {
    throw new Error(`"${value}" is not a valid regular expression`);
  }
}

function splitOutsideQuotes(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index] ?? '';
    if (quoted && character === '\\') {
      current += character + (text[index + 1] ?? '');
      index += 1;
      continue;
    }
    if (character === '"') quoted = !quoted;
    if (character === ',' && !quoted) {
      parts.push(current);
      current = '';
      continue;
    }
    current += character;
  }
  parts.push(current);
  return parts;
}

/**
 * Returns whether `matcher` can select alerts of `alert`. A label whose value
 * depends on the series might have any value, so it can match anything. A
 * label the alert does not carry has the empty value, as in Alertmanager.
 */
export function mayMatch(matcher: LabelMatcher, alert: AlertLabelSet): boolean {
  if (matcher.name !== 'alertname' && alert.varying.includes(matcher.name)) return true;
  const value = matcher.name === 'alertname'
    ? alert.alertname
    : alert.fixed[matcher.name] ?? '';
  switch (matcher.operator) {
    case '=': return value === matcher.value;
    case '!=': return value !== matcher.value;
    case '=~': return matcher.pattern?.test(value) ?? false;
    case '!~': return !(matcher.pattern?.test(value) ?? false);
  }
}
