/**
 * The status page notifier: rewrites the static status page files whenever
 * new events arrive, so the exported page follows the incidents.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from '../common/logger.js';
import { isOpen, type Incident } from './model.js';
import { pause } from './notify-timing.js';
import type { OutboxConsumer } from './outbox.js';
import type { Clock, IncidentService } from './service-api.js';
import {
  buildStatusView, exportStatusPage, latestPublicUpdate, type PublicUpdate, type StatusView,
} from './status-page.js';
import { resolvedRetentionDays } from './status-page-view.js';

/** Options of {@link createStatusPageConsumer} and {@link writeStatusPage}. */
export interface StatusPageExportOptions {
  service: IncidentService;
  clock: Clock;
  logger: Logger;
  /** Directory that receives index.html and status.json. */
  dir: string;
  /** Components always listed, even when no incident affects them. */
  components?: string[];
  /** The page heading. */
  title?: string;
}

/** The cursor name of the status page notifier. */
export const statusPageNotifierName = 'status-page';

/**
 * Creates the outbox consumer that exports the status page. A batch of
 * events leads to one export, because each export shows all incidents.
 * Exports start at least `minIntervalMs` apart, so a burst of webhook
 * deliveries costs one export a second by default, not one per batch.
 */
export function createStatusPageConsumer(
  options: StatusPageExportOptions, minIntervalMs = 1000,
): OutboxConsumer {
  let lastExportStart = Number.NEGATIVE_INFINITY;
  return {
    name: statusPageNotifierName,
    deliver: async (events, signal, commit) => {
      const last = events.at(-1);
      if (last === undefined) return;
      if (!(await pause(lastExportStart + minIntervalMs - performance.now(), signal))) return;
      lastExportStart = performance.now();
      await writeStatusPage(options);
      await commit(last.id);
    },
  };
}

/**
 * Builds the status page from the current incidents and writes its files
 * atomically into `options.dir`. Raises INVALID_INPUT when the directory
 * cannot be written.
 */
export async function writeStatusPage(options: StatusPageExportOptions): Promise<StatusView> {
  const incidents = await options.service.list({
    states: ['triage', 'investigating', 'identified', 'monitoring', 'resolved', 'closed'],
  });
  const now = options.clock.now();
  const publicUpdates = await collectUpdates(options.service, incidents, now);
  const view = buildStatusView(incidents, {
    components: options.components ?? [], now, title: options.title, publicUpdates,
  });
  await exportStatusPage(view, options.dir);
  options.logger.debug({ dir: options.dir, overall: view.overall }, 'status page exported');
  return view;
}

/**
 * Reads the latest public update of each incident the page can show: the
 * open ones and those changed within the days the page lists resolved
 * incidents for.
 */
async function collectUpdates(
  service: IncidentService, incidents: Incident[], now: Date,
): Promise<Map<number, PublicUpdate>> {
  const since = now.getTime() - resolvedRetentionDays * 24 * 60 * 60 * 1000;
  const updates = new Map<number, PublicUpdate>();
  for (const incident of incidents) {
    if (!isOpen(incident.state) && Date.parse(incident.updatedAt) < since) continue;
    const record = await service.get(incident.number);
    const latest = latestPublicUpdate(record.events);
    if (latest !== null) updates.set(incident.number, latest);
  }
  return updates;
}
