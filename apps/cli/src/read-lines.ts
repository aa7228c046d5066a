import { StringDecoder } from 'node:string_decoder';

const BOM = '\uFEFF';

/**
 * Reads text lines from a stream, one batch per chunk that completes at least one line.
 *
 * Batches let a command answer a pipe in few writes and still answer a person typing at a terminal
 * line by line; pulling the next batch only after the caller has written its answers is what gives
 * back-pressure. LF and CRLF endings and a leading UTF-8 byte-order mark are accepted; a last line
 * without a newline is still a line. Lines are returned as read, not trimmed.
 *
 * @example
 * for await (const lines of readLineBatches(process.stdin)) for (const line of lines) console.log(line);
 */
export async function* readLineBatches(
  input: AsyncIterable<string | Buffer> | Iterable<string | Buffer>,
): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  // The start of a line that has not ended yet; kept as pieces so a very long line costs linear time.
  let partial: string[] = [];
  let atStart = true;
  for await (const chunk of input) {
    let text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (atStart && text !== '') {
      atStart = false;
      if (text.startsWith(BOM)) text = text.slice(BOM.length);
    }
    let newline = text.indexOf('\n');
    if (newline < 0) {
      if (text !== '') partial.push(text);
      continue;
    }
    const lines: string[] = [];
    let from = 0;
    while (newline >= 0) {
      partial.push(text.slice(from, newline));
      lines.push(withoutCarriageReturn(partial.join('')));
      partial = [];
      from = newline + 1;
      newline = text.indexOf('\n', from);
    }
    if (from < text.length) partial.push(text.slice(from));
    yield lines;
  }
  partial.push(decoder.end());
  const last = partial.join('');
  if (last !== '') yield [withoutCarriageReturn(atStart && last.startsWith(BOM) ? last.slice(1) : last)];
}

function withoutCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
