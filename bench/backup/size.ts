/** Bytes in a mebibyte. */
export const mebibyte = 1024 ** 2;

/** Bytes in a gibibyte. */
export const gibibyte = 1024 ** 3;

const unitBytes: Record<string, number> = {
  b: 1, kib: 1024, mib: mebibyte, gib: gibibyte, tib: 1024 ** 4,
};

/**
 * Parses a size such as `200MiB`, `1.5GiB` or `4096B` into whole bytes.
 * Returns undefined for text without a number and a binary unit.
 */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(text);
  if (!match) return undefined;
  const factor = unitBytes[(match[2] ?? '').toLowerCase()];
  if (factor === undefined) return undefined;
  return Math.round(Number(match[1]) * factor);
}

/** Formats bytes with the largest binary unit that keeps the number at 1 or more. */
export function formatSize(bytes: number): string {
  const units: [string, number][] = [['TiB', 1024 ** 4], ['GiB', gibibyte], ['MiB', mebibyte],
    ['KiB', 1024]];
  for (const [unit, factor] of units) {
    if (bytes >= factor) {
      const value = bytes / factor;
      return `${Number.isInteger(value) ? value : value.toFixed(1)}${unit}`;
    }
  }
  return `${bytes}B`;
}
