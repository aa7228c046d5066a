/**
 * The storm driver (`storm-driver.mjs`) in a process of its own, spoken to by message and answer:
 * what `scale.bench.mjs`, `change-cost.mjs` and `storm-write-cost.mjs` each start.
 *
 *   const driver = forkStormDriver();
 *   await driver.ask({ type: 'start', rate: 200 }, 'started');
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Forks the driver (with `execArgv` when given). `reply(type)` resolves with the driver's next
 * message of that type and rejects if the driver exits first; `ask(message, type)` sends `message`
 * and waits for that reply; `exited` resolves with its exit code or signal.
 */
export function forkStormDriver(execArgv) {
  const child = fork(fileURLToPath(new URL('storm-driver.mjs', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...(execArgv === undefined ? {} : { execArgv }),
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const reply = (type) =>
    new Promise((resolve, reject) => {
      const onMessage = (m) => {
        if (m.type !== type) return;
        child.off('message', onMessage);
        resolve(m);
      };
      child.on('message', onMessage);
      void exited.then((code) =>
        reject(new Error(`the storm driver exited with ${code} (waiting for ${type})`)),
      );
    });
  const ask = async (message, type) => {
    const answer = reply(type);
    child.send(message);
    return answer;
  };
  return { child, exited, reply, ask };
}
