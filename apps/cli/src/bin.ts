#!/usr/bin/env node
import { processIo } from './output.js';
import { runCli } from './program.js';

// A reader that went away (`ipgate parse - < big | head`) is not an error of ours: stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit();
  // Anything else means results were lost; exit 70 so that it cannot pass for "denied".
  process.stderr.write(`error: cannot write to standard output: ${error.message}\n`);
  process.exit(70);
});

process.exitCode = await runCli(process.argv, processIo());
