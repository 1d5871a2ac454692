import type { FastifyInstance } from 'fastify';
import type { IdempotencyStore } from './idempotency.js';
import { webhookOutcomeOf, type IncidentMetrics } from './metrics.js';
import { clientErrorResponse } from './server-errors.js';
import { respondIdempotently } from './server-respond.js';
import type { Actor, AlertmanagerMessage, IncidentService } from './service-api.js';
import { parseAlertmanagerMessage } from './webhook-schema.js';

/** Dependencies of the webhook route. */
export interface WebhookRouteOptions {
  service: IncidentService;
  idempotency: IdempotencyStore;
  metrics: IncidentMetrics;
}

/** The author and source of timeline events that alerts cause. */
export const alertmanagerActor: Actor = { author: 'alertmanager', source: 'alertmanager' };

/**
 * Registers `POST /v1/webhooks/alertmanager`. It returns 200 with the
 * AlertIntakeOutcome, also for a message that repeats what is known, and
 * 400 for an invalid message, which Alertmanager does not retry. Any other
 * failure gets 500, so Alertmanager delivers the message again later.
 */
export function registerWebhookRoute(app: FastifyInstance, options: WebhookRouteOptions): void {
  const { service, idempotency, metrics } = options;

  app.post('/v1/webhooks/alertmanager', async (request, reply) => {
    await respondIdempotently(idempotency, request, reply, async () => {
      let message: AlertmanagerMessage;
      try {
        message = parseAlertmanagerMessage(request.body);
      } catch (error) {
        metrics.recordWebhook('invalid');
        request.log.info({ err: error }, 'invalid webhook message rejected');
        throw error;
      }

      try {
        const outcome = await service.receiveAlerts(message, alertmanagerActor);
        metrics.recordWebhook(webhookOutcomeOf(outcome), message);
        if (outcome.opened) {
          request.log.info({ incident: outcome.incident, groupKey: message.groupKey },
            'incident opened by alert');
        }
        return { statusCode: 200, body: outcome };
      } catch (error) {
        metrics.recordWebhook(clientErrorResponse(error) === undefined ? 'failed' : 'invalid',
          message);
        throw error;
      }
    });
  });
}
