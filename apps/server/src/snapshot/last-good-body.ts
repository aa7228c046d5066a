/**
 * The body of a last good copy being written: text and bytes go into a few reused staging buffers of
 * a megabyte, which are written to the file as they fill, hashed on the way. One Buffer per unit
 * line (hundreds of thousands at platform size) would each be a heap object that outlives the young
 * generation while it waits for the disk: promoted, and its memory returned only by the next full
 * collection — 50–80 MB more resident during a node's first load at 1,000,000 entries
 * (bench/README.md#platform-scale).
 */
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';

/** Size of a staging buffer; a line longer than a quarter of it is written on its own. */
const STAGE_BYTES = 1 << 20;
/** How much may wait in memory for the disk before {@link LastGoodBody.drained} asks to wait. */
export const QUEUED_BYTES = 8 << 20;

/** See the module comment. */
export interface LastGoodBody {
  readonly out: WriteStream;
  write(text: string): void;
  /** Copies bytes as they are (lines of the previous copy, never decoded); the caller may reuse them. */
  writeBytes(bytes: Buffer): void;
  /** Undefined while little is queued; otherwise resolves when the queue has drained. */
  drained(): Promise<void> | undefined;
  /** Ends the file (after the header's blank space and the body): its body's size and SHA-256. */
  end(): Promise<{ bytes: number; sha256: string }>;
}

/**
 * Opens `temp` for writing, `headerBytes` spaces first (the header is written in place at the end).
 *
 * @example
 * const body = lastGoodBody('/srv/data/.last-good-rules.tmp', 512);
 * body.write('{"kind":"t",…}\n');
 * await body.drained();
 * const { bytes, sha256 } = await body.end();
 */
export function lastGoodBody(temp: string, headerBytes: number): LastGoodBody {
  const out = createWriteStream(temp, { flags: 'w', mode: 0o600 });
  const hash = createHash('sha256');
  const free: Buffer[] = [];
  let stage: Buffer = Buffer.allocUnsafeSlow(STAGE_BYTES);
  let used = 0;
  let bytes = 0;
  let failed: Error | undefined;
  out.on('error', (e) => {
    failed = e;
  });
  out.write(Buffer.alloc(headerBytes, 0x20));

  function flush(): void {
    if (used === 0) return;
    const full = stage;
    const part = full.subarray(0, used);
    hash.update(part);
    bytes += used;
    // Back to the free list once written: the next stage reuses it instead of a new megabyte.
    out.write(part, () => free.push(full));
    stage = free.pop() ?? Buffer.allocUnsafeSlow(STAGE_BYTES);
    used = 0;
  }

  function direct(buffer: Buffer): void {
    flush();
    hash.update(buffer);
    bytes += buffer.length;
    out.write(buffer);
  }

  return {
    out,
    write(text) {
      // UTF-8 takes at most three bytes per UTF-16 unit: a text that surely fits is written without
      // measuring it first.
      if (text.length * 3 > STAGE_BYTES - used) {
        flush();
        if (text.length * 3 > STAGE_BYTES >> 2) {
          direct(Buffer.from(text));
          return;
        }
      }
      used += stage.write(text, used);
    },
    writeBytes(buffer) {
      // Copied in pieces into the stages: the queue never keeps the caller's buffers alive.
      for (let at = 0; at < buffer.length; ) {
        if (used === STAGE_BYTES) flush();
        const n = buffer.copy(stage, used, at, Math.min(buffer.length, at + STAGE_BYTES - used));
        used += n;
        at += n;
      }
    },
    drained() {
      if (out.writableLength < QUEUED_BYTES || failed !== undefined) return undefined;
      return new Promise((resolve) => {
        const done = (): void => {
          out.off('drain', done);
          out.off('error', done);
          out.off('close', done);
          resolve();
        };
        out.on('drain', done);
        // A failed write is reported where the copy is finished; the caller goes on.
        out.on('error', done);
        out.on('close', done);
      });
    },
    end() {
      flush();
      return new Promise((resolve, reject) => {
        if (failed !== undefined) {
          reject(failed);
          return;
        }
        out.once('error', reject);
        out.end(() => resolve({ bytes, sha256: hash.digest('hex') }));
      });
    },
  };
}
