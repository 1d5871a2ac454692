import type { FastifyInstance } from 'fastify';
import { isOpen, type Incident } from './model.js';
import type { Clock, IncidentService } from './service-api.js';
import {
  buildStatusView, latestPublicUpdate, renderStatusHtml, renderStatusJson, type PublicUpdate,
  type StatusView,
} from './status-page.js';
import { resolvedRetentionDays } from './status-page-view.js';

/** Settings of the status page that the server serves. */
export interface StatusPageSettings {
  /** Components always listed, even when no incident affects them. */
  components: string[];
  /** The page heading; the status page's default when absent. */
  title?: string;
}

/** Dependencies of the status routes. */
export interface StatusRoutesOptions {
  service: IncidentService;
  clock: Clock;
  settings: StatusPageSettings;
}

/**
 * Registers `GET /status` (HTML) and `GET /status.json`, built from the
 * incidents at request time. Both are public and served without a token.
 */
export function registerStatusRoutes(app: FastifyInstance, options: StatusRoutesOptions): void {
  app.get('/status', async (_request, reply) => {
    const view = await loadStatusView(options);
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(renderStatusHtml(view));
  });

  app.get('/status.json', async (_request, reply) => {
    const view = await loadStatusView(options);
    return reply.header('cache-control', 'no-cache').send(renderStatusJson(view));
  });
}

async function loadStatusView(options: StatusRoutesOptions): Promise<StatusView> {
  const { service, clock, settings } = options;
  const incidents = await service.list({
    states: ['triage', 'investigating', 'identified', 'monitoring', 'resolved', 'closed'],
  });
  const now = clock.now();
  return buildStatusView(incidents, {
    components: settings.components,
    now,
    title: settings.title,
    publicUpdates: await latestPublicUpdates(service, incidents, now),
  });
}

// Only the incidents that the page can show are read in full: the open ones
// and those changed within the days the page lists resolved incidents.
async function latestPublicUpdates(
  service: IncidentService, incidents: Incident[], now: Date,
): Promise<Map<number, PublicUpdate>> {
  const since = now.getTime() - resolvedRetentionDays * 24 * 60 * 60 * 1000;
  const shown = incidents.filter((incident) => isOpen(incident.state)
    || Date.parse(incident.updatedAt) >= since);
  const records = await Promise.all(shown.map((incident) => service.get(incident.number)));

  const updates = new Map<number, PublicUpdate>();
  for (const record of records) {
    const latest = latestPublicUpdate(record.events);
    if (latest !== null) updates.set(record.incident.number, latest);
  }
  return updates;
}
