/**
 * The script node:cluster runs in each gateway worker (see `startWorkerPool`). The settings come
 * from the server process as JSON in `IPGATE_WORKER_SETTINGS`, already validated there.
 */
import { runWorker } from './run-worker.js';

const text = process.env['IPGATE_WORKER_SETTINGS'];
// Not passed on to anything this worker might start.
delete process.env['IPGATE_WORKER_SETTINGS'];
if (text === undefined) {
  process.stderr.write('ipgate: this script is started by `ipgate serve --workers`, not by hand\n');
  process.exit(2);
}
await runWorker(JSON.parse(text));
