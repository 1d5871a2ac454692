/** One label matcher of a PromQL series selector. */
export interface LabelMatcher {
  name: string;
  operator: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** A parsed series selector: the metric name and its label matchers. */
export interface SeriesSelector {
  metric: string;
  matchers: LabelMatcher[];
}

const matcherPattern = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;

/**
 * Parses a selector such as `http_requests_total{job="api", code=~"5.."}`.
 * Returns undefined for anything else, including selectors with single-quoted
 * or backquoted values, which the callers then treat as opaque.
 */
export function parseSelector(text: string): SeriesSelector | undefined {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?$/s.exec(text.trim());
  if (!match?.[1]) return undefined;
  const body = (match[2] ?? '').trim();
  const matchers: LabelMatcher[] = [];
  matcherPattern.lastIndex = 0;
  while (matcherPattern.lastIndex < body.length) {
    const part = matcherPattern.exec(body);
    if (!part?.[1] || !part[2] || part[3] === undefined) return undefined;
    const operator = part[2] as LabelMatcher['operator'];
    matchers.push({ name: part[1], operator, value: JSON.parse(`"${part[3]}"`) as string });
  }
  return { metric: match[1], matchers };
}

/**
 * Returns true when a series with these labels matches the matcher. Prometheus
 * anchors regular expressions at both ends and treats a missing label as an
 * empty one. JavaScript regular expressions stand in for RE2 here, which is
 * exact for the character classes, alternations and repetitions that label
 * matchers use.
 */
function matchesMatcher(labels: Record<string, string>, matcher: LabelMatcher): boolean {
  const value = labels[matcher.name] ?? '';
  switch (matcher.operator) {
    case '=': return value === matcher.value;
    case '!=': return value !== matcher.value;
    case '=~': return new RegExp(`^(?:${matcher.value})$`).test(value);
    case '!~': return !new RegExp(`^(?:${matcher.value})$`).test(value);
  }
}

/** Returns true when a series of `metric` with `labels` matches the selector. */
export function matchesSelector(
  selector: SeriesSelector,
  metric: string,
  labels: Record<string, string>,
): boolean {
  return selector.metric === metric
    && selector.matchers.every((matcher) => matchesMatcher(labels, matcher));
}

/** Label values tried when a value must match, or must not match, a regular expression. */
const candidateValues = ['200', '500', '0', '1', 'ok', 'error', 'true', 'false', 'x'];

/** Returns label values for a series that the selector matches, or undefined when none is found. */
export function sampleLabels(selector: SeriesSelector): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  for (const matcher of selector.matchers) {
    if (matcher.operator === '=') labels[matcher.name] = matcher.value;
    if (matcher.operator !== '=~') continue;
    const guesses = [matcher.value.replace(/\./g, '0'), ...candidateValues];
    const value = guesses.find((guess) => matchesMatcher({ [matcher.name]: guess }, matcher));
    if (value === undefined) return undefined;
    labels[matcher.name] = value;
  }
  return matchesSelector(selector, selector.metric, labels) ? labels : undefined;
}

/**
 * Returns labels of a series that `total` matches but `errors` does not,
 * made by changing one label of `errorLabels`, or undefined when none is found.
 */
export function successLabels(
  errors: SeriesSelector,
  total: SeriesSelector,
  errorLabels: Record<string, string>,
): Record<string, string> | undefined {
  for (const matcher of errors.matchers) {
    for (const value of candidateValues) {
      const labels = { ...errorLabels, [matcher.name]: value };
      if (!matchesSelector(errors, errors.metric, labels)
        && matchesSelector(total, total.metric, labels)) return labels;
    }
  }
  return undefined;
}
