import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokenLinks, headingAnchors, outsideReferences } from './repo-references.js';

const root = resolve(import.meta.dirname, '..');

// These two hold examples of what the check refuses, on purpose.
const SELF = new Set(['scripts/repo-references.ts', 'scripts/repo-references.test.ts']);

/** Tracked files and new files not yet added (but not ignored ones), as the next commit would hold them. */
function repositoryTextFiles(): { file: string; text: string }[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const files = [...new Set(listed.split('\0').filter((f) => f !== ''))];
  const out: { file: string; text: string }[] = [];
  for (const file of files) {
    if (SELF.has(file) || !existsSync(join(root, file))) continue; // deleted in the working tree
    // The Apache License text, verbatim ("Sections 1 through 9 of this document" are its own).
    if (file === 'LICENSE' || file.endsWith('/LICENSE')) continue;
    const bytes = readFileSync(join(root, file));
    if (bytes.includes(0)) continue; // binary
    out.push({ file, text: bytes.toString('utf8') });
  }
  return out;
}

describe('outsideReferences', () => {
  it.each([
    ['Decides the stages of design section 3, in order.', 'design section'],
    ['See `shared/design.md` sections 3–6.', 'shared/design'],
    ['built (issue 2)', 'issue 2'],
    ['fixed in issues #14 and #15', 'issues #14'],
    ['[bench](bench/README.md#middlewares-issue-4)', 'issue-4'],
    ['the rule of section 5', 'section 5'],
    ['as §7 says', '§7'],
    ["ipgate's design (section 4 and", 'section 4'],
  ])('finds %j', (text, match) => {
    expect(outsideReferences(text).map((r) => r.text)).toContain(match);
  });

  it.each([
    'RFC 7230 section 7 (OWS around commas)',
    'the token rules of RFC 7230 section 3.2.6',
    'If-None-Match (RFC 9110 §13.1.2)',
    'stages 1–6 of the pipeline (docs/architecture/pipeline.md#1-client-address)',
    'see https://github.com/nodejs/node/issues/12345',
    'tissue 5',
    'This section is short.',
  ])('leaves %j alone', (text) => {
    expect(outsideReferences(text)).toEqual([]);
  });

  it('reports the line', () => {
    expect(outsideReferences('one\ntwo\nthree, design.md\n')).toEqual([{ line: 3, text: 'design.md' }]);
  });
});

describe('headingAnchors', () => {
  it('names headings as GitHub does, skipping code blocks and numbering repeats', () => {
    const md = [
      '# apps/server — how it is put together',
      '### 1. Client address',
      '## `auto` mode: planned',
      '```sh',
      '# not a heading',
      '```',
      '## Notes',
      '## Notes',
    ].join('\n');
    expect([...headingAnchors(md)]).toEqual([
      'appsserver--how-it-is-put-together',
      '1-client-address',
      'auto-mode-planned',
      'notes',
      'notes-1',
    ]);
  });
});

describe('brokenLinks', () => {
  it('finds a page or a heading that does not exist, and passes ones that do', () => {
    const text = [
      '// docs/architecture/pipeline.md#1-client-address',
      '// docs/architecture/pipeline.md#no-such-heading',
      '// docs/architecture/nowhere.md',
    ].join('\n');
    expect(brokenLinks(root, 'x.ts', text)).toEqual([
      {
        line: 2,
        link: 'docs/architecture/pipeline.md#no-such-heading',
        problem: 'no heading "no-such-heading" in docs/architecture/pipeline.md',
      },
      { line: 3, link: 'docs/architecture/nowhere.md', problem: 'no file docs/architecture/nowhere.md' },
    ]);
  });

  it('follows relative markdown links from the file they are in', () => {
    const md =
      '[ok](pipeline.md#3-api-network-allowlist) [up](../errors.md) [bad](review.md#nope) [web](https://x.org)';
    expect(brokenLinks(root, 'docs/architecture/README.md', md).map((b) => b.link)).toEqual([
      'review.md#nope',
    ]);
  });
});

describe('the repository', () => {
  const files = repositoryTextFiles();

  it('reads the files git knows of', () => {
    expect(files.map((f) => f.file)).toContain('docs/architecture/README.md');
  });

  it('points at no design section, design document or issue number that a reader does not have', () => {
    // Link a page of docs/architecture/ instead, or say it in place.
    const found = files.flatMap(({ file, text }) =>
      outsideReferences(text).map((r) => `${file}:${r.line}: ${r.text}`),
    );
    expect(found).toEqual([]);
  });

  it('links only to files and headings that exist', () => {
    const found = files.flatMap(({ file, text }) =>
      brokenLinks(root, file, text).map((b) => `${file}:${b.line}: ${b.link} (${b.problem})`),
    );
    expect(found).toEqual([]);
  });
});
