import { describe, expect, it } from 'vitest';
import { readLineBatches } from './read-lines.js';

async function batches(chunks: (string | Buffer)[]): Promise<string[][]> {
  const out: string[][] = [];
  for await (const batch of readLineBatches(chunks)) out.push(batch);
  return out;
}

describe('readLineBatches', () => {
  it.each([
    ['one chunk of lines', ['a\nb\n'], [['a', 'b']]],
    ['a last line without a newline', ['a\nb'], [['a'], ['b']]],
    ['CRLF', ['a\r\nb\r\n'], [['a', 'b']]],
    ['a line split over chunks', ['ab', 'c\nd', 'e\n'], [['abc'], ['de']]],
    ['a CRLF split over chunks', ['a\r', '\nb\n'], [['a', 'b']]],
    ['a byte-order mark', ['\uFEFFa\n'], [['a']]],
    ['a byte-order mark in its own chunk', ['\uFEFF', 'a\n'], [['a']]],
    ['blank lines kept', ['\n\na\n'], [['', '', 'a']]],
    ['nothing', [], []],
  ])('reads %s', async (_, chunks, expected) => {
    expect(await batches(chunks)).toEqual(expected);
  });

  it('decodes UTF-8 characters split across byte chunks', async () => {
    const bytes = Buffer.from('\uFEFFbüro\n日本\n', 'utf8');
    const chunks = Array.from(bytes, (b) => Buffer.from([b]));
    expect((await batches(chunks)).flat()).toEqual(['büro', '日本']);
  });
});
