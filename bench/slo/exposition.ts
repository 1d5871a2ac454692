/** One sample of the Prometheus text exposition format. */
export interface ExposedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const samplePattern = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function unescapeLabel(value: string): string {
  return value.replace(/\\(.)/g, (_, character: string) => (character === 'n' ? '\n' : character));
}

/**
 * Parses the samples of an exposition whose names start with `prefix`.
 * Comments and timestamps are skipped.
 */
export function parseExposition(text: string, prefix: string): ExposedSample[] {
  const samples: ExposedSample[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const match = samplePattern.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(labelPattern)) {
      labels[label[1] ?? ''] = unescapeLabel(label[2] ?? '');
    }
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

/** Fetches `url` (a /metrics endpoint) and returns its samples whose names start with `prefix`. */
export async function scrape(url: string, prefix: string): Promise<ExposedSample[]> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url} failed: HTTP ${response.status}`);
  return parseExposition(await response.text(), prefix);
}
