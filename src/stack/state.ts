import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { SrekitError, isSystemError } from '../common/errors.js';
import { isProcessRunning } from '../common/process.js';
import { componentNames } from './components.js';
import type { StackLayout } from './layout.js';

const processSchema = z.object({
  pid: z.number().int().positive(),
  startTime: z.string().optional(),
});

const componentSchema = processSchema.extend({
  port: z.number().int().min(1).max(65535),
  url: z.string(),
  readinessUrl: z.string(),
  logFile: z.string(),
});

const portsSchema = z.object({
  prometheus: z.number().int(),
  alertmanager: z.number().int(),
  nodeExporter: z.number().int(),
  service: z.number().int(),
  serviceAdmin: z.number().int(),
  receiver: z.number().int(),
  // A state file written before the incident server joined the stack has
  // no incident port, and 0 keeps it readable, so `down` still stops it.
  incident: z.number().int().default(0),
});

const stateSchema = z.object({
  version: z.literal(1),
  profile: z.enum(['production', 'gameday']),
  startedAt: z.string(),
  /** The process that ran `up`; while it lives and nothing else does, startup is under way. */
  owner: processSchema,
  ports: portsSchema,
  components: z.partialRecord(z.enum(componentNames), componentSchema),
});

/** A started component, as recorded in the state file. */
export type ComponentRecord = z.infer<typeof componentSchema>;

/** Contents of the state file: the processes `up` started, for `status` and `down` to find. */
export type StackState = z.infer<typeof stateSchema>;

/**
 * Reads the state file; returns undefined when there is none. Throws
 * INVALID_CONFIG when it is corrupt.
 */
export async function readState(layout: StackLayout): Promise<StackState | undefined> {
  let text: string;
  try {
    text = await readFile(layout.stateFile, 'utf8');
  } catch (error) {
    if (isSystemError(error, 'ENOENT')) return undefined;
    if (isSystemError(error, 'EISDIR')) throw corruptState(layout, 'it is a directory');
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw corruptState(layout, error instanceof Error ? error.message : String(error));
  }
  const result = stateSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw corruptState(layout, `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

function corruptState(layout: StackLayout, problem: string): SrekitError {
  const message = `state file ${layout.stateFile} is invalid (${problem})`;
  return new SrekitError('INVALID_CONFIG', message, {
    hint: 'stop any stack process by hand (the logs name them), then delete the file',
  });
}

/**
 * Creates the state file, failing if one exists, so two `up` commands on
 * the same working directory cannot both start. Returns false when the file
 * already exists.
 */
export async function createState(layout: StackLayout, state: StackState): Promise<boolean> {
  try {
    const file = await open(layout.stateFile, 'wx');
    try {
      await file.writeFile(serialize(state));
    } finally {
      await file.close();
    }
    return true;
  } catch (error) {
    if (isSystemError(error, 'EEXIST')) return false;
    throw error;
  }
}

/** Replaces the state file atomically, so a crash never leaves half of it. */
export async function writeState(layout: StackLayout, state: StackState): Promise<void> {
  const temporary = `${layout.stateFile}.${process.pid}.tmp`;
  await writeFile(temporary, serialize(state));
  await rename(temporary, layout.stateFile);
}

/** Deletes the state file if it exists. */
export async function removeState(layout: StackLayout): Promise<void> {
  await rm(layout.stateFile, { force: true });
}

/** Returns the components of `state` whose process still runs. */
export function runningComponents(state: StackState): Array<[string, ComponentRecord]> {
  return Object.entries(state.components).flatMap(
    ([name, record]): Array<[string, ComponentRecord]> =>
      record && isProcessRunning(record.pid, record.startTime) ? [[name, record]] : [],
  );
}

/** Returns true when the `up` that wrote `state` is still running. */
export function ownerRunning(state: StackState): boolean {
  return isProcessRunning(state.owner.pid, state.owner.startTime);
}

function serialize(state: StackState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}
