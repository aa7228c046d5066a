// Prints vitest's totals as one plain line ("vitest: N passed, N failed, N skipped") that any CI can read.
import { readFileSync } from 'node:fs';

const path = new URL('../.vitest/results.json', import.meta.url);
const r = JSON.parse(readFileSync(path, 'utf8'));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
process.exitCode = r.numFailedTests === 0 && r.numTotalTests > 0 ? 0 : 1;
