import { ExitCode, worstExitCode } from './exit-code.js';
import { type CommandIo, flushAll } from './output.js';
import { readLineBatches } from './read-lines.js';

/**
 * Answers each line of standard input that is not blank, writing the answers after each batch of
 * lines (see readLineBatches); returns the worst exit code of the answers. Standard input without
 * such a line is bad input: "standard input held no `what`".
 *
 * @example
 * return answerEachStdinLine(io, 'addresses', (line) => checkOne(line.trim(), rules, options, io));
 */
export async function answerEachStdinLine(
  io: CommandIo,
  what: string,
  answer: (line: string, lineNumber: number) => ExitCode,
): Promise<ExitCode> {
  let code: ExitCode = ExitCode.ok;
  let lineNumber = 0;
  let seen = 0;
  for await (const lines of readLineBatches(io.stdin)) {
    for (const line of lines) {
      lineNumber++;
      if (line.trim() === '') continue;
      seen++;
      code = worstExitCode(code, answer(line, lineNumber));
    }
    await flushAll(io);
  }
  if (seen === 0) {
    io.err.line(`error: standard input held no ${what}.`);
    await flushAll(io);
    return ExitCode.badInput;
  }
  return code;
}
