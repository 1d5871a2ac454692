/**
 * Formats a validation issue's path as a field name, such as
 * `alerts[0].labels.severity`. An empty path gives an empty string.
 */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    text = typeof segment === 'number' ? `${text}[${segment}]` : joinFieldPath(text, String(segment));
  }
  return text;
}

/** Returns the name of field `key` inside the field at `path`. */
export function joinFieldPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
