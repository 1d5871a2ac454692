import type { Io } from '../common/io.js';

/** Redraw interval of the progress line, in milliseconds. */
const intervalMs = 500;

/**
 * A progress line on stderr with the bytes processed and the rate, drawn
 * only when stderr is a terminal. Returns the callback that counts bytes.
 */
export class Progress {
  private bytes = 0;
  private readonly started = Date.now();
  private lastDrawn = 0;

  constructor(private readonly io: Io, private readonly verb: string) {}

  /** Counts `count` more bytes and redraws the line at most every 500 ms. */
  readonly add = (count: number): void => {
    this.bytes += count;
    const now = Date.now();
    if (!this.io.interactive || now - this.lastDrawn < intervalMs) return;
    this.lastDrawn = now;
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    this.io.stderr.write(`\r${this.verb} ${formatBytes(this.bytes)} `
      + `(${formatBytes(this.bytes / seconds)}/s)\x1b[K`);
  };

  /** Clears the line, if one was drawn. */
  end(): void {
    if (this.lastDrawn !== 0) this.io.stderr.write('\r\x1b[K');
  }
}

/** Formats a byte count with a binary unit: 512 B, 1.5 MiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}
