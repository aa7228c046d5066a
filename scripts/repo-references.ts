/**
 * Finds what a reader of the repository cannot follow: pointers to a design document, its sections or
 * issue numbers that live outside the repository, and links into markdown pages or headings that do
 * not exist. The architecture is described in docs/architecture/; code and docs link there instead.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/** One place in a text that points outside the repository. */
export interface OutsideReference {
  /** 1-based. */
  readonly line: number;
  /** What matched, e.g. `design section 3`. */
  readonly text: string;
}

// "design section 3", "design.md", "shared/design", "issue 4", "issues #3", "issue-4" (a heading
// anchor), "section 5", "sections 3–6", "§5". RFC sections stay: RFCs are public and stable.
const PATTERNS: readonly RegExp[] = [
  /\bdesign\s+sections?\b/gi,
  /\bdesign\.md\b/gi,
  /\bshared\/design\b/gi,
  /\bissues?[\s_-]*#?\s*\d+/gi,
  /\bsections?\s+\d+/gi,
  /§\s*\d+/g,
];
const RFC_BEFORE = /\bRFC[\s-]?\d+,?\s*$/i;

/**
 * Every reference in `text` to a section or issue number of a document outside the repository.
 * `RFC 7230 section 7` and `RFC 9110 §13.1.2` are not such references.
 *
 * @example
 * outsideReferences('the stages of design section 3'); // [{ line: 1, text: 'design section' }]
 * outsideReferences('RFC 7239 section 4 forbids repeats'); // []
 */
export function outsideReferences(text: string): OutsideReference[] {
  const found: { index: number; text: string }[] = [];
  for (const pattern of PATTERNS) {
    for (const m of text.matchAll(pattern)) {
      const index = m.index;
      const lineStart = text.lastIndexOf('\n', index - 1) + 1;
      if (/section|§/i.test(m[0]) && !/design/i.test(m[0]) && RFC_BEFORE.test(text.slice(lineStart, index))) {
        continue;
      }
      found.push({ index, text: m[0] });
    }
  }
  found.sort((a, b) => a.index - b.index || b.text.length - a.text.length);
  const out: OutsideReference[] = [];
  let end = -1;
  for (const f of found) {
    if (f.index < end) continue; // `section 3` inside `design section 3`: one reference
    end = f.index + f.text.length;
    out.push({ line: lineOf(text, f.index), text: f.text });
  }
  return out;
}

/** One markdown link or `docs/…/page.md#anchor` mention that does not lead anywhere. */
export interface BrokenLink {
  readonly line: number;
  readonly link: string;
  readonly problem: string;
}

/**
 * The anchors GitHub gives the headings of a markdown page: lower case, punctuation dropped, spaces as
 * hyphens, `-1`, `-2` … for repeats. Headings inside fenced code blocks are not headings.
 *
 * @example
 * headingAnchors('# Title\n## 1. Client address\n## Client address\n').has('1-client-address'); // true
 */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | undefined;
  for (const line of markdown.split(/\r?\n/)) {
    const f = /^\s*(`{3,}|~{3,})/.exec(line);
    if (f !== null) {
      const marker = (f[1] as string).slice(0, 3);
      if (fence === undefined) fence = marker;
      else if (marker === fence) fence = undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h === null) continue;
    const base = slug(h[1] as string);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

// `docs/architecture/pipeline.md#1-client-address` in code, comments and docs alike.
const REPO_PATH_LINK = /\bdocs\/[A-Za-z0-9_./-]*?\.md(?:#[A-Za-z0-9_-]+)?/g;
// `[text](target)` in markdown; external and mail links are not followed.
const MARKDOWN_LINK = /\]\(([^)\s]+)\)/g;

/**
 * Links in `text` (a file at `file`, relative to `root`) that lead to no file, or to no heading of the
 * markdown page they name: every `docs/….md[#anchor]` mention, and in markdown files every relative
 * `[…](target)` link.
 *
 * @example
 * brokenLinks(root, 'src/x.ts', '// see docs/architecture/pipeline.md#no-such-heading');
 * // [{ line: 1, link: 'docs/architecture/pipeline.md#no-such-heading', problem: 'no heading "no-such-heading"' }]
 */
export function brokenLinks(root: string, file: string, text: string): BrokenLink[] {
  const out: BrokenLink[] = [];
  const check = (index: number, link: string, target: string): void => {
    const problem = linkProblem(root, target);
    if (problem !== undefined) out.push({ line: lineOf(text, index), link, problem });
  };
  for (const m of text.matchAll(REPO_PATH_LINK)) {
    check(m.index, m[0], m[0]);
  }
  if (file.endsWith('.md')) {
    for (const m of text.matchAll(MARKDOWN_LINK)) {
      const link = m[1] as string;
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue;
      const [path = '', anchor] = link.split('#', 2);
      const target = path === '' ? file : normalize(join(dirname(file), path));
      if (relative(root, join(root, target)).startsWith('..')) {
        out.push({ line: lineOf(text, m.index), link, problem: 'leaves the repository' });
        continue;
      }
      check(m.index, link, anchor === undefined ? target : `${target}#${anchor}`);
    }
  }
  return out;
}

const anchorCache = new Map<string, Set<string>>();

function linkProblem(root: string, target: string): string | undefined {
  const [path = '', anchor] = target.split('#', 2);
  const full = join(root, path);
  if (!existsSync(full)) return `no file ${path}`;
  if (anchor === undefined || anchor === '' || !path.endsWith('.md') || statSync(full).isDirectory()) {
    return undefined;
  }
  let anchors = anchorCache.get(full);
  if (anchors === undefined) {
    anchors = headingAnchors(readFileSync(full, 'utf8'));
    anchorCache.set(full, anchors);
  }
  return anchors.has(anchor) ? undefined : `no heading "${anchor}" in ${path}`;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
