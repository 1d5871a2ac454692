/** The fault settings of the service's admin API. */
export interface FaultSettings {
  latencyMs?: number;
  errorRate?: number;
  databaseDown?: boolean;
}

/** Merges `settings` into the service's active faults through its admin API. */
export async function setFaults(adminUrl: string, settings: FaultSettings): Promise<void> {
  const response = await fetch(new URL('/faults', adminUrl), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(settings),
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) {
    throw new Error(`could not set faults ${JSON.stringify(settings)} at ${adminUrl}: `
      + `HTTP ${response.status} ${await response.text()}`);
  }
}

/** Removes every active fault from the service. */
export async function clearFaults(adminUrl: string): Promise<void> {
  const response = await fetch(new URL('/faults', adminUrl), {
    method: 'DELETE',
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) {
    throw new Error(`could not clear faults at ${adminUrl}: HTTP ${response.status}`);
  }
}
