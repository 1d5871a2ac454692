import { writeJsonLine, type Io } from '../common/io.js';
import type { CreateResult } from './create.js';
import type { Manifest } from './manifest.js';
import { formatBytes } from './progress.js';

/** Prints the result of `backup create`: the skipped paths on stderr, the backup on stdout. */
export function printCreated(io: Io, result: CreateResult, seconds: number, json: boolean): void {
  const { manifest, removedLeftovers } = result;
  printRemovedLeftovers(io, removedLeftovers);
  for (const skipped of manifest.skipped) {
    if (json) writeJsonLine(io.stdout, 'skipped', skipped);
    else io.stderr.write(`warning: skipped ${skipped.path}: ${skipped.reason}\n`);
  }
  if (json) {
    writeJsonLine(io.stdout, 'backup', { ...summary(manifest), seconds });
    return;
  }
  io.stdout.write(`created backup ${manifest.id}: ${manifest.totals.files} files, `
    + `${formatBytes(manifest.totals.fileBytes)} read, ${formatBytes(manifest.artifact.size)} stored `
    + `(${describeFormat(manifest)}) in ${seconds.toFixed(1)} s\n`);
}

/** Prints on stderr each leftover of an interrupted backup or copy that was removed. */
export function printRemovedLeftovers(io: Io, keys: string[]): void {
  for (const key of keys) {
    io.stderr.write(`removed ${key}, left by an interrupted backup or copy\n`);
  }
}

/** Prints backups as a table, or as one JSON line each. */
export function printList(io: Io, manifests: Manifest[], json: boolean): void {
  if (json) {
    for (const manifest of manifests) writeJsonLine(io.stdout, 'backup', summary(manifest));
    return;
  }
  const rows = manifests.map((manifest) => [
    manifest.id,
    manifest.time.replace(/\.\d+Z$/, 'Z'),
    manifest.class,
    manifest.source.kind === 'sqlite' ? `sqlite:${manifest.source.path}` : manifest.source.path,
    String(manifest.totals.files),
    formatBytes(manifest.artifact.size),
    describeFormat(manifest),
    manifest.complete ? '' : 'incomplete',
  ]);
  const header = ['ID', 'TIME', 'CLASS', 'SOURCE', 'FILES', 'STORED', 'FORMAT', 'NOTE'];
  const widths = header.map((title, column) => Math.max(title.length,
    ...rows.map((row) => (row[column] ?? '').length)));
  for (const row of [header, ...rows]) {
    io.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()}\n`);
  }
}

function describeFormat(manifest: Manifest): string {
  const encryption = manifest.encryption === 'none'
    ? 'unencrypted'
    : `encrypted with a ${manifest.keySource}`;
  return `${manifest.compression}, ${encryption}`;
}

/** Returns the manifest fields that `--json` prints, without the file list. */
function summary(manifest: Manifest): Record<string, unknown> {
  return {
    id: manifest.id,
    time: manifest.time,
    class: manifest.class,
    source: manifest.source,
    tags: manifest.tags,
    complete: manifest.complete,
    compression: manifest.compression,
    encryption: manifest.encryption,
    keySource: manifest.keySource,
    artifact: manifest.artifact,
    archive: manifest.archive,
    totals: manifest.totals,
  };
}
