import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { lastGoodBody } from './last-good-body.js';

const dir = mkdtempSync(join(tmpdir(), 'ipgate-last-good-body-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A piece written as text or as bytes. */
type Piece = { readonly text: string } | { readonly bytes: Buffer };

async function writeAll(pieces: readonly Piece[], headerBytes = 16) {
  const path = join(dir, `body-${++n}`);
  const body = lastGoodBody(path, headerBytes);
  for (const piece of pieces) {
    if ('text' in piece) body.write(piece.text);
    else {
      body.writeBytes(piece.bytes);
      // The caller may reuse its buffer at once: what was written must not change with it.
      piece.bytes.fill(0x21);
    }
    await body.drained();
  }
  const ended = await body.end();
  return { ended, file: readFileSync(path) };
}

const expected = (pieces: readonly Piece[]): Buffer =>
  Buffer.concat(pieces.map((p) => ('text' in p ? Buffer.from(p.text) : Buffer.from(p.bytes))));

describe('the body of a last good copy', () => {
  it('writes the header space, then every piece in order, and reports the body size and hash', async () => {
    const big = 'é'.repeat(400_000); // 800,000 bytes: longer than a quarter of a staging buffer
    const pieces: Piece[] = [
      { text: '{"kind":"t"}\n' },
      { bytes: Buffer.from('copied line\n') },
      { text: big },
      { bytes: Buffer.alloc(3 << 20, 0x61) }, // three staging buffers' worth of bytes
      { text: '🙂 last\n' },
    ];
    const want = expected(pieces); // before writeAll overwrites the byte pieces
    const { ended, file } = await writeAll(pieces);
    expect(file.subarray(0, 16).toString()).toBe(' '.repeat(16));
    expect(file.subarray(16).equals(want)).toBe(true);
    expect(ended).toEqual({
      bytes: want.length,
      sha256: createHash('sha256').update(want).digest('hex'),
    });
  });

  it('writes any mix of texts and bytes exactly (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.string({ unit: 'grapheme', maxLength: 300 }).map((text): Piece => ({ text })),
            fc.uint8Array({ maxLength: 300_000 }).map((a): Piece => ({ bytes: Buffer.from(a) })),
          ),
          { maxLength: 30 },
        ),
        async (pieces) => {
          const want = expected(pieces);
          const { ended, file } = await writeAll(pieces, 4);
          expect(file.subarray(4).equals(want)).toBe(true);
          expect(ended.bytes).toBe(want.length);
        },
      ),
      { numRuns: 40 },
    );
  });
});
