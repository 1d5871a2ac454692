/**
 * Turns an event of the incident log into a Slack incoming-webhook message:
 * Block Kit blocks within Slack's limits and a plain-text fallback.
 */
import type { Incident, IncidentEvent } from './model.js';
import {
  describeEvent, isAnnounced, type AnnounceOptions, type EventDescription,
} from './slack-message-events.js';
import {
  escapeSlackText, fitEscaped, formatLink, formatTime, type FittedText,
} from './slack-message-text.js';

/**
 * Slack's limits for a message, in characters. The fallback limit is
 * srekit's own choice: Slack accepts far more, but the fallback also shows
 * in push notifications, where a short text reads better.
 */
export const slackLimits = {
  headerChars: 150,
  sectionChars: 3000,
  blocks: 50,
  fallbackChars: 3000,
} as const;

/** Maximum length of one timeline entry in a resolution message. */
const timelineEntryChars = 500;

/** Maximum length of a person's name in the facts line. */
const personChars = 100;

/** The Block Kit blocks this module produces. */
export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string } }
  | { type: 'section'; text: { type: 'mrkdwn'; text: string } }
  | { type: 'context'; elements: { type: 'mrkdwn'; text: string }[] };

/** The JSON body of an incoming-webhook request. */
export interface SlackMessage {
  /** Plain-text fallback for notifications and clients without blocks. */
  text: string;
  blocks: SlackBlock[];
}

/** Options of {@link buildSlackMessage}. */
export interface SlackMessageOptions extends AnnounceOptions {
  /**
   * The incident's events. A message that resolves or cancels the
   * incident lists those before its own event as the timeline.
   */
  timeline?: IncidentEvent[];
}

/**
 * Builds the message announcing `event` of `incident`, or returns null when
 * the event is not announced (see isAnnounced). Every text that came from
 * users is escaped. A message over Slack's limits is cut with an ellipsis
 * and ends with a note saying so.
 */
export function buildSlackMessage(
  event: IncidentEvent, incident: Incident, options: SlackMessageOptions = {},
): SlackMessage | null {
  if (!isAnnounced(event, options)) return null;
  const description = describeEvent(event);
  const cut: FittedText[] = [];
  const keep = (fitted: FittedText): string => {
    cut.push(fitted);
    return fitted.text;
  };

  const title = `${incident.reference} ${incident.severity}: ${incident.title}`;
  const header = keep(fitEscaped(title, slackLimits.headerChars));
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: header } },
    section(keep(fitDescription(description, slackLimits.sectionChars))),
    context(factsLine(incident)),
  ];
  const runbooks = runbookLine(incident.runbookUrls);
  if (runbooks !== null) blocks.push(section(keep(runbooks)));

  let omitted = 0;
  if (endsIncident(event) && options.timeline !== undefined) {
    const entries = options.timeline.filter((entry) => entry.id < event.id);
    // One block goes to the heading and one stays free for the truncation note.
    const listed = entries.slice(0, slackLimits.blocks - blocks.length - 2);
    omitted = entries.length - listed.length;
    blocks.push(section('*Timeline*'));
    for (const entry of listed) blocks.push(section(keep(timelineEntry(entry))));
  }

  const truncated = omitted > 0 || cut.some((fitted) => fitted.truncated);
  if (truncated) blocks.push(context(truncationNote(incident.reference, omitted)));
  return { text: fallbackText(incident, description), blocks };
}

function section(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

function context(text: string): SlackBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text }] };
}

/** Fits `*headline*` and the body below it into `maxChars`, shortening the body first. */
function fitDescription(description: EventDescription, maxChars: number): FittedText {
  const headline = fitEscaped(description.headline, Math.floor(maxChars / 4));
  const first = `*${headline.text}*`;
  if (description.body === null) return { text: first, truncated: headline.truncated };
  const body = fitEscaped(description.body, maxChars - first.length - 1);
  return { text: `${first}\n${body.text}`, truncated: headline.truncated || body.truncated };
}

function factsLine(incident: Incident): string {
  const person = (name: string | null): string =>
    name === null ? 'unassigned' : fitEscaped(name, personChars).text;
  const facts = [
    `*State:* ${incident.state}`,
    `*Severity:* ${incident.severity}`,
    `*IC:* ${person(incident.roles.commander)}`,
    `*Comms:* ${person(incident.roles.communications)}`,
  ];
  if (incident.nextUpdateDue !== null) {
    facts.push(`*Next update due:* ${formatTime(incident.nextUpdateDue)}`);
  }
  return facts.join(' | ');
}

/** Links every runbook that fits in one section, or returns null when there is none. */
function runbookLine(urls: string[]): FittedText | null {
  if (urls.length === 0) return null;
  let text = '*Runbook:*';
  let truncated = false;
  urls.forEach((url, index) => {
    const link = formatLink(url, urls.length === 1 ? 'open' : `${index + 1}`);
    if (text.length + link.length + 1 > slackLimits.sectionChars) truncated = true;
    else text = `${text} ${link}`;
  });
  return { text, truncated };
}

function endsIncident(event: IncidentEvent): boolean {
  return event.body.type === 'state_changed' &&
    (event.body.to === 'resolved' || event.body.to === 'cancelled');
}

function timelineEntry(entry: IncidentEvent): FittedText {
  const prefix = `${formatTime(entry.at)} ${escapeSlackText(entry.author)}: `;
  const fitted = fitDescription(describeEvent(entry), timelineEntryChars);
  return { text: `${prefix}${fitted.text}`, truncated: fitted.truncated };
}

function truncationNote(reference: string, omitted: number): string {
  const entries = omitted === 0 ? '' : ` ${omitted} later timeline entries are not shown.`;
  return `_Shortened to fit Slack's message limits.${entries} ` +
    `The full record: \`srekit incident show ${reference}\`._`;
}

function fallbackText(incident: Incident, description: EventDescription): string {
  const raw = `${incident.reference} ${incident.severity} (${incident.state}) ` +
    `${incident.title}: ${description.headline}` +
    (description.body === null ? '' : `. ${description.body}`);
  return fitEscaped(raw, slackLimits.fallbackChars).text;
}
