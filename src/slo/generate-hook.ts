import { relative } from 'node:path';

/**
 * The options of `srekit slo generate` that its hooks read to decide whether
 * and where they write their files.
 */
export interface GenerateHookOptions {
  check?: boolean;
  profile?: string;
  output?: string;
  runbookBaseUrl?: string;
  specs?: string;
}

/**
 * Returns `path` relative to the working directory when it lies inside it,
 * and `path` unchanged otherwise, for messages and help text.
 */
export function showPath(path: string): string {
  const relativePath = relative(process.cwd(), path);
  return relativePath === '' || relativePath.startsWith('..') ? path : relativePath;
}
