const units: Array<[suffix: string, seconds: number]> = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/**
 * Formats a whole number of seconds as a Prometheus duration such as `10m`,
 * `1m30s` or `0s`. Throws a RangeError for negative or fractional values,
 * because rule durations here are always whole seconds.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0) {
    throw new RangeError(`invalid duration ${seconds}: expected a whole number of seconds >= 0`);
  }
  if (seconds === 0) return '0s';
  let rest = seconds;
  let text = '';
  for (const [suffix, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${suffix}`;
    rest -= count * size;
  }
  return text;
}

/**
 * Parses a Prometheus duration made of whole-number parts (`1h30m`, `15s`,
 * `500ms`) into seconds. Returns undefined when the text is not one.
 */
export function parseDuration(text: string): number | undefined {
  const pattern = /(\d+)(ms|d|h|m|s)/gy;
  const factors: Record<string, number> = { ms: 0.001, d: 86_400, h: 3_600, m: 60, s: 1 };
  let seconds = 0;
  let match: RegExpExecArray | null;
  let end = 0;
  while ((match = pattern.exec(text)) !== null) {
    seconds += Number(match[1]) * (factors[match[2] ?? ''] ?? Number.NaN);
    end = pattern.lastIndex;
  }
  if (text.length === 0 || end !== text.length || Number.isNaN(seconds)) return undefined;
  return seconds;
}
