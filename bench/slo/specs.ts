import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** The scrape job of the synthetic target, which every generated selector matches. */
export const benchJob = 'bench-slo';

const services = ['checkout', 'catalog', 'payments', 'search', 'accounts'];
const objectives = [99, 99.5, 99.9, 99.95, 99.99, 95];
const periods = ['7d', '28d', '30d'];

/**
 * One generated SLO and the traffic the synthetic target reports for it.
 * Rates are in requests per second.
 */
export interface BenchSlo {
  service: string;
  name: string;
  route: string;
  objective: number;
  period: string;
  /** Requests per second below which the burn alerts stay quiet, or undefined for no gate. */
  minRequestRate: number | undefined;
  requestRate: number;
  /** Share of the requests that fail, from 0 to 1. */
  errorRatio: number;
  /** False when the target never exposes a 5xx series for the SLO. */
  hasErrorSeries: boolean;
}

/**
 * Returns `count` SLOs spread over a few services, with every combination of
 * objective and period, some with a minimum request rate, some without
 * traffic and some whose error counter never appears.
 */
export function benchSlos(count: number): BenchSlo[] {
  return Array.from({ length: count }, (_, index) => {
    const service = services[index % services.length] ?? 'checkout';
    // Periods change with every SLO and objectives every third, so the
    // 18 pairs of objective and period all occur.
    const objective = objectives[Math.floor(index / periods.length) % objectives.length] ?? 99.9;
    const period = periods[index % periods.length] ?? '30d';
    const idle = index % 10 === 9;
    return {
      service,
      name: `route-${index}`,
      route: `/route-${index}`,
      objective,
      period,
      minRequestRate: index % 4 === 0 ? undefined : 0.5,
      requestRate: idle ? 0 : 2 + (index % 7),
      errorRatio: (index % 5) * 0.01,
      hasErrorSeries: index % 5 !== 0,
    };
  });
}

function sloEntry(slo: BenchSlo): Record<string, unknown> {
  const selector = `job="${benchJob}", service="${slo.service}", route="${slo.route}"`;
  const entry: Record<string, unknown> = {
    name: slo.name,
    objective: slo.objective,
    period: slo.period,
    sli: {
      errors: `http_requests_total{${selector}, status_code=~"5.."}`,
      total: `http_requests_total{${selector}}`,
    },
  };
  if (slo.minRequestRate !== undefined) entry.minRequestRate = slo.minRequestRate;
  return entry;
}

/**
 * Writes the SLOs as srekit specs into `dir`, one `<service>.yaml` per
 * service, and returns the paths written.
 */
export async function writeBenchSpecs(dir: string, slos: readonly BenchSlo[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const byService = new Map<string, BenchSlo[]>();
  for (const slo of slos) byService.set(slo.service, [...byService.get(slo.service) ?? [], slo]);

  const paths: string[] = [];
  for (const [service, serviceSlos] of byService) {
    const spec = {
      apiVersion: 'srekit.dev/v1',
      kind: 'SLOSpec',
      service,
      labels: { team: 'bench' },
      slos: serviceSlos.map(sloEntry),
    };
    const path = join(dir, `${service}.yaml`);
    await writeFile(path, stringify(spec, { lineWidth: 0 }));
    paths.push(path);
  }
  return paths;
}
