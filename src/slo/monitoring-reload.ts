import { SrekitError } from '../common/errors.js';

/** The kinds of server that `srekit monitoring reload` reloads. */
export type ServerKind = 'prometheus' | 'alertmanager';

/** A server to reload: its kind and its base URL, which ends with `/`. */
export interface MonitoringServer {
  kind: ServerKind;
  url: string;
}

/** The gauges through which each kind of server reports its last config reload. */
const reloadGauges: Record<ServerKind, { successful: string; timestamp: string }> = {
  prometheus: {
    successful: 'prometheus_config_last_reload_successful',
    timestamp: 'prometheus_config_last_reload_success_timestamp_seconds',
  },
  alertmanager: {
    successful: 'alertmanager_config_last_reload_successful',
    timestamp: 'alertmanager_config_last_reload_success_timestamp_seconds',
  },
};

/** The state of a server's last config reload, from its /metrics. */
export interface ReloadState {
  successful: boolean;
  /** When the config was last loaded successfully, in Unix seconds. */
  lastSuccessSeconds: number;
}

/** The outcome of reloading one server. */
export type ReloadResult =
  | { server: MonitoringServer; status: 'reloaded'; loadedAt: string }
  | { server: MonitoringServer; status: 'failed'; reason: string };

/** The time a request to a server may take, in milliseconds. */
const metricsTimeoutMs = 10_000;
/** Reloading a large config may take a while, and the server responds only when done. */
const reloadTimeoutMs = 60_000;

/** Parses a server URL given on the command line: http or https, made to end with `/`. */
export function parseServerUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.search !== '' || url.hash !== '') return undefined;
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  return url.href;
}

/**
 * Reads the reload gauges from the server's /metrics. Throws RELOAD_FAILED
 * naming the URL when the server cannot be reached or lacks the gauges.
 */
export async function readReloadState(server: MonitoringServer): Promise<ReloadState> {
  const state = await fetchReloadState(server);
  if (typeof state !== 'string') return state;
  throw new SrekitError('RELOAD_FAILED', `could not read the reload state of ${server.kind} `
    + `at ${server.url}: ${state}; nothing was reloaded`, {
    hint: `check that ${server.kind} runs at ${server.url}, or pass its URL with --${server.kind}`,
  });
}

/** Returns the reload gauges of `server`, or why they could not be read. */
async function fetchReloadState(server: MonitoringServer): Promise<ReloadState | string> {
  const url = new URL('metrics', server.url).href;
  let text: string;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(metricsTimeoutMs) });
    text = await response.text();
    if (!response.ok) return `GET ${url} returned HTTP ${response.status}`;
  } catch (error) {
    return `GET ${url} failed: ${describeRequestError(error)}`;
  }
  const gauges = reloadGauges[server.kind];
  const successful = readGauge(text, gauges.successful);
  const timestamp = readGauge(text, gauges.timestamp);
  if (successful === undefined || timestamp === undefined) {
    return `${url} has no ${gauges.successful} or ${gauges.timestamp}, `
      + `so it is not the metrics of ${server.kind}`;
  }
  return { successful: successful === 1, lastSuccessSeconds: timestamp };
}

/** Returns the value of an unlabelled sample of `name` in Prometheus text format. */
function readGauge(text: string, name: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  if (line === undefined) return undefined;
  const value = Number(line.slice(name.length + 1).trim().split(' ')[0]);
  return Number.isNaN(value) ? undefined : value;
}

/**
 * Sends POST /-/reload to `server` and confirms through its reload gauges
 * that it loaded the config after `before` was read. A failed reload is
 * returned with its reason rather than thrown. A server whose reload fails
 * keeps running its previous config.
 */
export async function reloadServer(
  server: MonitoringServer,
  before: ReloadState,
): Promise<ReloadResult> {
  const failed = (reason: string): ReloadResult => ({ server, status: 'failed', reason });
  try {
    const response = await fetch(new URL('-/reload', server.url), {
      method: 'POST',
      signal: AbortSignal.timeout(reloadTimeoutMs),
    });
    const body = (await response.text()).trim();
    if (!response.ok) {
      const reason = `HTTP ${response.status}${body === '' ? '' : `: ${body}`}`;
      // Prometheus rejects /-/reload with 403 unless it runs with --web.enable-lifecycle.
      const lifecycle = server.kind === 'prometheus' && response.status === 403;
      return failed(lifecycle ? `${reason} (start Prometheus with --web.enable-lifecycle)` : reason);
    }
  } catch (error) {
    return failed(`POST /-/reload failed: ${describeRequestError(error)}`);
  }

  const after = await fetchReloadState(server);
  if (typeof after === 'string') return failed(`the reload returned 2xx, but ${after}`);
  const gauges = reloadGauges[server.kind];
  if (!after.successful) return failed(`${gauges.successful} is 0 after the reload`);
  if (after.lastSuccessSeconds <= before.lastSuccessSeconds) {
    return failed(`${gauges.timestamp} did not advance, so the server did not load the config`);
  }
  return {
    server,
    status: 'reloaded',
    loadedAt: new Date(after.lastSuccessSeconds * 1000).toISOString(),
  };
}

function describeRequestError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'timed out';
  const cause: unknown = error.cause;
  return cause instanceof Error ? cause.message : error.message;
}

/**
 * Reads the reload state of every server first, so that an unreachable
 * server stops the command before any reload is sent, then reloads the
 * servers one after another. `onResult` receives each result as it is known.
 * Throws RELOAD_FAILED only from the first step.
 */
export async function reloadServers(
  servers: readonly MonitoringServer[],
  onResult: (result: ReloadResult) => void = () => undefined,
): Promise<ReloadResult[]> {
  const prepared: Array<[MonitoringServer, ReloadState]> = [];
  for (const server of servers) prepared.push([server, await readReloadState(server)]);

  const results: ReloadResult[] = [];
  for (const [server, before] of prepared) {
    const result = await reloadServer(server, before);
    results.push(result);
    onResult(result);
  }
  return results;
}
