import type { Writable } from 'node:stream';
import { writeJsonLine } from '../common/io.js';
import { displayPath } from './generate.js';
import type { CheckResult } from './monitoring-check.js';
import type { ReloadResult } from './monitoring-reload.js';

/**
 * Prints one check result: a `check` JSON line with `json`, else a line
 * `ok|failed  CHECK  FILE` and, for a failure, its message indented below.
 */
export function printCheckResult(
  out: Writable,
  result: CheckResult,
  options: { json?: boolean },
): void {
  const file = displayPath(result.file);
  if (options.json) {
    writeJsonLine(out, 'check', { ...result, file });
    return;
  }
  out.write(`${result.status.padEnd(7)} ${result.check.padEnd(28)} ${file}\n`);
  if (result.message !== undefined) out.write(`${indent(result.message)}\n`);
}

/**
 * Prints one reload result: a `reload` JSON line with `json`, else a line
 * `reloaded|failed  KIND  URL` followed by when it loaded or why it failed.
 */
export function printReloadResult(
  out: Writable,
  result: ReloadResult,
  options: { json?: boolean },
): void {
  const { server, ...fields } = result;
  if (options.json) {
    writeJsonLine(out, 'reload', { server: server.kind, url: server.url, ...fields });
    return;
  }
  const detail = result.status === 'reloaded'
    ? `config loaded at ${result.loadedAt}` : result.reason;
  out.write(`${result.status.padEnd(8)} ${server.kind.padEnd(12)} ${server.url}: ${detail}\n`);
}

function indent(text: string): string {
  return text.split('\n').map((line) => `    ${line}`).join('\n');
}
