import { realpath } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { displayPath } from './generate.js';
import type { MonitoringServer } from './monitoring-reload.js';

/** The time a status request may take, in milliseconds. */
const statusTimeoutMs = 10_000;

/**
 * Returns a warning when the Prometheus at `server` loads another config
 * file than `checkedFile`, going by the `config.file` flag in its
 * /api/v1/status/flags. Returns undefined when the paths match, and when
 * the flag cannot be read or is relative to an unknown directory. A path
 * on another host or inside a container may differ on purpose, so the
 * result is a warning and not an error.
 */
export async function findPrometheusConfigMismatch(
  server: MonitoringServer,
  checkedFile: string,
): Promise<string | undefined> {
  const body = await fetchJson(new URL('api/v1/status/flags', server.url));
  const flags = isRecord(body) && isRecord(body.data) ? body.data : {};
  const loaded = flags['config.file'];
  if (typeof loaded !== 'string' || !isAbsolute(loaded)) return undefined;
  if (await samePath(loaded, checkedFile)) return undefined;
  return `prometheus at ${server.url} loads ${loaded}, but the checked config is `
    + `${displayPath(checkedFile)}, so the checks may not cover what it reloads`;
}

async function fetchJson(url: URL): Promise<unknown> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(statusTimeoutMs) });
    return response.ok ? await response.json() : undefined;
  } catch {
    // The status is only used for a warning, so a server without it is left alone.
    return undefined;
  }
}

async function samePath(first: string, second: string): Promise<boolean> {
  const resolved = await Promise.all([first, second].map((path) => realpath(path)
    .catch(() => path)));
  return resolved[0] === resolved[1];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
