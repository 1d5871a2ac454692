/**
 * Text helpers for Slack messages: escaping, cutting to a length limit and
 * formatting links and times.
 */

/** The ellipsis that ends a shortened text. */
export const ellipsis = '…';

/** A text cut to a limit, with whether anything was cut off. */
export interface FittedText {
  text: string;
  truncated: boolean;
}

/**
 * Escapes `&`, `<` and `>`, the three characters Slack reads as markup
 * (links, mentions and entities), so user text shows as written.
 */
export function escapeSlackText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * Escapes `raw` and cuts the result to at most `maxChars` UTF-16 code units,
 * ending with an ellipsis when it was cut. The cut never splits an entity
 * such as `&amp;` or a surrogate pair.
 */
export function fitEscaped(raw: string, maxChars: number): FittedText {
  const escaped = escapeSlackText(raw);
  if (escaped.length <= maxChars) return { text: escaped, truncated: false };
  if (maxChars < ellipsis.length) return { text: '', truncated: true };

  let end = maxChars - ellipsis.length;
  // An entity is at most 5 characters (`&amp;`), so an `&` among the last
  // four kept characters with no `;` after it starts an entity that the
  // cut would split.
  const lastAmpersand = escaped.lastIndexOf('&', end - 1);
  const splitsEntity = lastAmpersand >= 0 && lastAmpersand > end - 5 &&
    !escaped.slice(lastAmpersand, end).includes(';');
  if (splitsEntity) end = lastAmpersand;
  const lastCode = escaped.charCodeAt(end - 1);
  if (lastCode >= 0xd800 && lastCode <= 0xdbff) end -= 1;
  return { text: `${escaped.slice(0, end).trimEnd()}${ellipsis}`, truncated: true };
}

/**
 * Returns an mrkdwn link to `url` labelled `label`, or the escaped URL as
 * code when it is not an http(s) URL, so a `runbook_url` annotation can
 * never inject another link or a mention.
 */
export function formatLink(url: string, label: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `\`${escapeSlackText(url)}\``;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `\`${escapeSlackText(url)}\``;
  }
  // The URL parser percent-encodes `<` and `>` but not `|`, which would end
  // the link's address in mrkdwn.
  const href = escapeSlackText(parsed.href.replaceAll('|', '%7C'));
  return `<${href}|${escapeSlackText(label)}>`;
}

/** Formats an ISO 8601 time as `2026-12-04 20:41 UTC`. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
