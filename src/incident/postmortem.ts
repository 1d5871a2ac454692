/**
 * The postmortem draft: Markdown in the order of docs/postmortem-template.md,
 * filled from an incident's record.
 */
import type { IncidentRecord } from './model.js';

/**
 * Renders the postmortem draft of `record`. The output depends only on the
 * record and `now`, so the same record always gives the same draft.
 */
export function renderPostmortem(record: IncidentRecord, now: Date): string {
  const incident = record.incident;
  return [
    `# Postmortem: ${incident.title}`,
    '',
    `${incident.reference}, ${incident.severity}, drafted ${now.toISOString()}`,
    '',
  ].join('\n');
}
