/**
 * The public status page of the incident tool: the view built from the
 * incidents, its HTML and JSON forms, and the static export that writes both.
 */
import { join } from 'node:path';
import { SrekitError } from '../common/errors.js';
import {
  describeFileError, isPathError, makeDirectories, writeFileAtomic,
} from '../common/files.js';
import { overallLabels, renderStatusHtml } from './status-page-html.js';
import type { StatusView } from './status-page-view.js';

export {
  buildStatusView, collectPublicUpdates, latestPublicUpdate, severityComponentState,
} from './status-page-view.js';
export type {
  ComponentState, PublicIncidentState, PublicUpdate, StatusComponent, StatusIncident,
  StatusView, StatusViewOptions,
} from './status-page-view.js';
export { renderStatusHtml } from './status-page-html.js';

/** File names of the static export. */
export const statusPageFiles = { html: 'index.html', json: 'status.json' } as const;

/**
 * Returns the view as a JSON-ready object with the same fields, plus the
 * banner text of the overall status.
 */
export function renderStatusJson(view: StatusView): unknown {
  return {
    title: view.title,
    generatedAt: view.generatedAt,
    overall: view.overall,
    overallLabel: overallLabels[view.overall],
    components: view.components.map((component) => ({
      ...component, incidents: [...component.incidents],
    })),
    openIncidents: structuredClone(view.openIncidents),
    resolvedIncidents: structuredClone(view.resolvedIncidents),
  };
}

/**
 * Writes index.html and status.json into `dir`, creating it if needed. Each
 * file is replaced atomically, so a web server never serves half a page.
 * Raises INVALID_INPUT when `dir` cannot be used, such as when it is a file.
 */
export async function exportStatusPage(view: StatusView, dir: string): Promise<void> {
  const json = `${JSON.stringify(renderStatusJson(view), null, 2)}\n`;
  const html = renderStatusHtml(view);
  try {
    await makeDirectories(dir);
    await writeFileAtomic(join(dir, statusPageFiles.json), json);
    await writeFileAtomic(join(dir, statusPageFiles.html), html);
  } catch (error) {
    if (!isPathError(error)) throw error;
    throw new SrekitError('INVALID_INPUT',
      `could not export the status page to ${dir}: ${describeFileError(error)}`,
      { hint: 'choose a writable directory for the static status page', cause: error });
  }
}
