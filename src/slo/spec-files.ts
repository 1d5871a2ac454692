import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { SrekitError, isSystemError } from '../common/errors.js';
import { describeFileError, isPathError } from '../common/files.js';
import {
  checkDefinition, fromSrekitSpec, srekitSpecSchema, srekitSpecVersion,
  type SloDefinition, type SpecIssue,
} from './spec.js';
import {
  fromOpenSloSpec, fromSlothSpec, openSloSpecSchema, slothSpecSchema,
} from './spec-formats.js';

/** The result of reading one spec file: its SLOs, or the problems that stop it from being used. */
export interface SpecFileResult {
  definitions: SloDefinition[];
  /** Messages of the form `FILE: PATH: PROBLEM`. */
  errors: string[];
}

/** Formats a path inside a spec file the way JavaScript would access it: `slos[0].objective`. */
export function formatSpecPath(path: ReadonlyArray<PropertyKey>): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text;
}

function formatIssue(file: string, issue: SpecIssue): string {
  const path = formatSpecPath(issue.path);
  return path === '' ? `${file}: ${issue.message}` : `${file}: ${path}: ${issue.message}`;
}

/** Reports a missing field as "is required" in place of zod's "received undefined". */
const requiredMessage = (issue: { input?: unknown; code: string }) => (
  issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined);

function parseWith<S extends z.ZodType>(
  schema: S,
  document: unknown,
): { data: z.output<S> } | { issues: SpecIssue[] } {
  const result = schema.safeParse(document, { error: requiredMessage });
  if (result.success) return { data: result.data };
  return {
    issues: result.error.issues.map((issue) => ({
      path: issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part)),
      message: issue.message,
    })),
  };
}

/** Reads the SLO definitions of one parsed YAML document, detecting its format. */
function readDocument(
  file: string,
  document: unknown,
): { definitions: SloDefinition[]; issues: SpecIssue[] } {
  const fields = typeof document === 'object' && document !== null
    ? new Map(Object.entries(document)) : new Map<string, unknown>();
  if (fields.get('apiVersion') === srekitSpecVersion) {
    const parsed = parseWith(srekitSpecSchema, document);
    if ('issues' in parsed) return { definitions: [], issues: parsed.issues };
    const definitions = fromSrekitSpec(file, parsed.data);
    const issues = definitions.flatMap((definition, index) => checkDefinition(definition, {
      objective: ['slos', index, 'objective'],
      tier: (tier) => ['slos', index, 'tiers', tier],
      objectiveInPercent: true,
    }));
    return { definitions, issues };
  }
  if (fields.get('version') === 'prometheus/v1') {
    const parsed = parseWith(slothSpecSchema, document);
    if ('issues' in parsed) return { definitions: [], issues: parsed.issues };
    const definitions = fromSlothSpec(file, parsed.data);
    const issues = definitions.flatMap((definition, index) => checkDefinition(definition, {
      objective: ['slos', index, 'objective'],
      tier: () => ['slos', index],
      objectiveInPercent: true,
    }));
    return { definitions, issues };
  }
  if (fields.get('apiVersion') === 'openslo/v1' && fields.get('kind') === 'SLO') {
    const parsed = parseWith(openSloSpecSchema, document);
    if ('issues' in parsed) return { definitions: [], issues: parsed.issues };
    const definition = fromOpenSloSpec(file, parsed.data);
    const inPercent = parsed.data.spec.objectives[0]?.targetPercent !== undefined;
    const issues = checkDefinition(definition, {
      objective: ['spec', 'objectives', 0, inPercent ? 'targetPercent' : 'target'],
      tier: () => ['spec'],
      objectiveInPercent: inPercent,
    });
    return { definitions: [definition], issues };
  }
  return {
    definitions: [],
    issues: [{
      path: [],
      message: `unknown spec format: expected apiVersion ${srekitSpecVersion}, `
        + 'Sloth\'s version prometheus/v1, or OpenSLO\'s apiVersion openslo/v1 with kind SLO',
    }],
  };
}

/** Reads one spec file, which may contain several YAML documents; messages name `file`. */
export async function readSpecFile(file: string, path = file): Promise<SpecFileResult> {
  const text = await readSpecText(file, path);
  const documents = parseAllDocuments(text);
  const result: SpecFileResult = { definitions: [], errors: [] };
  const list = Array.isArray(documents) ? documents : [documents];
  for (const [index, document] of list.entries()) {
    const prefix: Array<string | number> = list.length > 1 ? [`documents[${index}]`] : [];
    if (document.errors.length > 0) {
      const problems = document.errors.map((error) => `invalid YAML: ${error.message.split('\n')[0]}`);
      const issues = problems.map((message) => formatIssue(file, { path: prefix, message }));
      result.errors.push(...issues);
      continue;
    }
    const { definitions, issues } = readDocument(file, document.toJS());
    result.definitions.push(...definitions);
    result.errors.push(...issues.map((issue) => formatIssue(file, {
      path: [...prefix, ...issue.path], message: issue.message,
    })));
  }
  return result;
}

/** Reads a spec file's text. Throws INVALID_INPUT naming `file` when the path cannot be read. */
async function readSpecText(file: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (!isPathError(error)) throw error;
    throw new SrekitError('INVALID_INPUT',
      `could not read SLO spec ${file}: ${describeFileError(error)}`, {
        hint: 'pass a readable spec file, or no file to check every spec in --specs',
        cause: error,
      });
  }
}

/** Lists the spec files (`*.yaml`, `*.yml`) of a directory, sorted. */
export async function listSpecFiles(directory: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(directory);
  } catch (error) {
    if (isSystemError(error, 'ENOENT')) {
      throw new SrekitError('INVALID_INPUT', `SLO spec directory ${directory} not found`, {
        hint: 'create it with one spec file per service, or pass --specs DIR',
      });
    }
    if (!isPathError(error)) throw error;
    throw new SrekitError('INVALID_INPUT',
      `could not list SLO spec directory ${directory}: ${describeFileError(error)}`, {
        hint: 'pass a directory of spec files with --specs DIR',
        cause: error,
      });
  }
  return entries.filter((name) => /\.ya?ml$/.test(name)).sort().map((name) => join(directory, name));
}

/**
 * Reads and validates every spec file and returns all their SLOs. Throws one
 * INVALID_CONFIG error listing every problem in every file, so a caller
 * writes nothing unless all specs are valid. Throws INVALID_INPUT when the
 * files define no SLO at all, because generating from no SLOs would delete
 * every SLO alert. `source` names the files in that error, such as their
 * directory.
 */
export async function loadSpecs(
  files: readonly string[],
  source = files.join(', '),
): Promise<SloDefinition[]> {
  const definitions: SloDefinition[] = [];
  const errors: string[] = [];
  for (const file of files) {
    const result = await readSpecFile(file);
    definitions.push(...result.definitions);
    errors.push(...result.errors);
  }
  const seen = new Map<string, string>();
  for (const definition of definitions) {
    const key = `${definition.service}/${definition.name}`;
    const first = seen.get(key);
    if (first !== undefined) {
      errors.push(`${definition.file}: SLO ${definition.name} of service ${definition.service} `
        + `is already defined in ${first}`);
    }
    seen.set(key, definition.file);
  }
  if (errors.length > 0) {
    const count = errors.length === 1 ? '1 problem' : `${errors.length} problems`;
    throw new SrekitError('INVALID_CONFIG', `invalid SLO specs (${count}):\n${errors.join('\n')}`, {
      hint: 'fix the specs and run `srekit slo validate` again; nothing was written',
    });
  }
  if (definitions.length === 0) throw noSlosError(files, source);
  return definitions;
}

function noSlosError(files: readonly string[], source: string): SrekitError {
  const reason = files.length === 0
    ? 'it contains no *.yaml or *.yml file'
    : 'the spec files are empty or contain only comments';
  return new SrekitError('INVALID_INPUT', `no SLOs found in ${source}: ${reason}`, {
    hint: 'add a spec with at least one SLO, or pass the directory of the specs with --specs; '
      + 'nothing was written',
  });
}
