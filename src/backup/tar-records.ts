import type { Headers } from 'tar-stream';

/** The vendor pax record that marks an entry whose mode is 0 (000). */
export const zeroModeRecord = 'SREKIT.mode';

/** Returns the pax records of an entry as tar-stream decoded them, or none. */
export function paxRecords(header: Headers): Record<string, string> {
  return (header as Headers & { pax?: Record<string, string> }).pax ?? {};
}

/** Returns an entry's permission bits, honouring the {@link zeroModeRecord} record. */
export function entryMode(header: Headers): number {
  if (paxRecords(header)[zeroModeRecord] === '0') return 0;
  return (header.mode ?? 0o644) & 0o7777;
}
