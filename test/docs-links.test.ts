import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync,
  writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** A link target found in a Markdown document, with its 1-based line number. */
interface LinkTarget {
  line: number;
  target: string;
}

const fencePattern = /^ {0,3}(`{3,}|~{3,})/;
const headingPattern = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
// `](target)` or `](target "title")` of an inline link or image. Targets
// with spaces must be written in angle brackets, as in CommonMark.
const inlineLinkPattern = /\]\(\s*(<[^>]*>|[^)\s]*)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g;
const definitionPattern = /^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/;
const explicitAnchorPattern = /<a\s+(?:id|name)="([^"]+)"/g;
const schemePattern = /^[a-z][a-z0-9+.-]*:/i;

/**
 * Splits `markdown` into its lines outside fenced code blocks, with inline
 * code spans blanked, paired with their 1-based numbers.
 */
function proseLines(markdown: string): Array<{ line: number; text: string }> {
  const lines: Array<{ line: number; text: string }> = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((text, index) => {
    const opening = fencePattern.exec(text)?.[1];
    if (fence === undefined && opening !== undefined) {
      fence = opening;
      return;
    }
    if (fence !== undefined) {
      // A closing fence uses the same character, at least as many times.
      const closes = opening !== undefined && opening[0] === fence[0]
        && opening.length >= fence.length;
      if (closes) fence = undefined;
      return;
    }
    lines.push({ line: index + 1, text: text.replace(/(`+)[^`]*?\1/g, '``') });
  });
  return lines;
}

/** Extracts the targets of inline links, images and link reference definitions. */
function extractLinkTargets(markdown: string): LinkTarget[] {
  const targets: LinkTarget[] = [];
  for (const { line, text } of proseLines(markdown)) {
    for (const match of text.matchAll(inlineLinkPattern)) {
      targets.push({ line, target: unwrapAngles(match[1] ?? '') });
    }
    const definition = definitionPattern.exec(text)?.[1];
    if (definition !== undefined) targets.push({ line, target: unwrapAngles(definition) });
  }
  return targets;
}

function unwrapAngles(target: string): string {
  return target.startsWith('<') && target.endsWith('>') ? target.slice(1, -1) : target;
}

/**
 * Turns heading text into its anchor by the rules of the github-slugger
 * package, which mirrors GitHub's undocumented ones: inline markup and
 * punctuation removed, lower case, each space replaced by a hyphen.
 */
function slugify(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '');
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/**
 * Collects the anchors of a document: one per heading, with `-1`, `-2` and
 * so on added to repeated ones, and every `<a id>` or `<a name>`. Setext
 * headings (text underlined with === or ---) are not recognised.
 */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    for (const match of text.matchAll(explicitAnchorPattern)) anchors.add(match[1] ?? '');
    const heading = headingPattern.exec(text)?.[1];
    if (heading === undefined) continue;
    const slug = slugify(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/**
 * Checks every relative link of the Markdown file `file` (relative to
 * `base`): its target must exist inside `base`, and an anchor into a
 * Markdown file must name one of its headings. Links with a scheme, such as
 * https: or mailto:, are not checked. Returns one message per broken link.
 */
function checkLinks(base: string, file: string): string[] {
  const path = join(base, file);
  const markdown = readFileSync(path, 'utf8');
  const problems: string[] = [];
  for (const { line, target } of extractLinkTargets(markdown)) {
    if (target === '' || schemePattern.test(target) || target.startsWith('//')) continue;
    const problem = checkTarget(base, path, markdown, target);
    if (problem !== undefined) problems.push(`${file}:${line}: ${target}: ${problem}`);
  }
  return problems;
}

function checkTarget(
  base: string,
  source: string,
  sourceText: string,
  target: string,
): string | undefined {
  const [rawPath = '', anchor] = target.split('#', 2);
  let pathPart: string;
  try {
    pathPart = decodeURIComponent(rawPath.split('?', 1)[0] ?? '');
  } catch {
    return 'invalid percent-encoding';
  }

  let resolved = source;
  if (pathPart !== '') {
    resolved = pathPart.startsWith('/') ? join(base, pathPart) : resolve(dirname(source), pathPart);
  }
  const inside = relative(base, resolved);
  if (inside.startsWith('..') || isAbsolute(inside)) return 'points outside the repository';
  if (!existsSync(resolved)) return 'no such file or directory';

  if (anchor === undefined || !resolved.endsWith('.md') || statSync(resolved).isDirectory()) {
    return undefined;
  }
  const text = resolved === source ? sourceText : readFileSync(resolved, 'utf8');
  return headingAnchors(text).has(anchor) ? undefined : `no heading with anchor #${anchor}`;
}

/** Lists README.md and every Markdown file under docs/, relative to `base`. */
function documentationFiles(base: string): string[] {
  const files = ['README.md'];
  const walk = (directory: string): void => {
    for (const entry of readdirSync(join(base, directory), { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk('docs');
  return files.sort();
}

test('documentation links resolve', () => {
  const files = documentationFiles(root);
  assert.ok(files.includes(join('docs', 'runbooks', 'database-outage.md')), files.join(', '));

  const problems = files.flatMap((file) => checkLinks(root, file));
  assert.deepEqual(problems, []);
});

test('link checker reports broken links', (t) => {
  const base = mkdtempSync(join(tmpdir(), 'srekit-docs-links-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  mkdirSync(join(base, 'docs'));
  writeFileSync(join(base, 'docs', 'a.md'), '# A page\n\n## Second part\n\n## Second part\n');
  writeFileSync(join(base, 'README.md'), [
    '# Title',
    '[ok](docs/a.md) and [anchor](docs/a.md#second-part) and [again](docs/a.md#second-part-1)',
    '[missing](docs/none.md) [bad anchor](docs/a.md#third-part)',
    '[self](#title) [bad self](#nothing) [outside](../outside.md)',
    '[web](https://example.com/none.md) `[code](docs/none.md)`',
    '```md',
    '[fenced](docs/none.md)',
    '```',
    '[folder](docs/) ![image](<docs/no image.png> "title")',
    '[ref]: docs/gone.md',
  ].join('\n'));

  assert.deepEqual(checkLinks(base, 'README.md'), [
    'README.md:3: docs/none.md: no such file or directory',
    'README.md:3: docs/a.md#third-part: no heading with anchor #third-part',
    'README.md:4: #nothing: no heading with anchor #nothing',
    'README.md:4: ../outside.md: points outside the repository',
    'README.md:9: docs/no image.png: no such file or directory',
    'README.md:10: docs/gone.md: no such file or directory',
  ]);
});

test('heading anchors follow GitHub', () => {
  const cases: Array<[heading: string, anchor: string]> = [
    ['Hand-over between shifts', 'hand-over-between-shifts'],
    ['Declaration in #incidents', 'declaration-in-incidents'],
    ['SloErrorBudgetBurn and `SloMetricsAbsent`', 'sloerrorbudgetburn-and-slometricsabsent'],
    ['Timeline (UTC)', 'timeline-utc'],
    ['Severity levels: SEV1 to SEV4', 'severity-levels-sev1-to-sev4'],
    ['See [the runbook](runbooks/x.md)', 'see-the-runbook'],
    ['A & B', 'a--b'],
    ['snake_case name', 'snake_case-name'],
  ];
  for (const [heading, anchor] of cases) {
    assert.equal(slugify(heading), anchor, heading);
  }
});
