/**
 * Child processes of the gateway benchmark: started, awaited until they say they are ready, and
 * stopped (SIGTERM, then SIGKILL) — each by its own handle, never by name.
 */
import { spawn } from 'node:child_process';

/**
 * Spawns `command args` and resolves once a line of its standard output matches `ready`, with that
 * match; rejects (with its standard error) when it exits first or takes longer than `timeoutMs`.
 *
 * @example
 * const up = await startProcess(process.execPath, ['bench/gateway-upstream.mjs', '2'], /"port":(\d+)/);
 * up.match[1]; // '41237'
 * await up.stop();
 */
export function startProcess(command, args, ready, { timeoutMs = 30_000, env = process.env } = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  child.stderr.on('data', (b) => {
    err += b;
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(killer);
    return code;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${command} ${args.join(' ')} was not ready in ${timeoutMs} ms:\n${out}\n${err}`));
    }, timeoutMs);
    child.stdout.on('data', (b) => {
      out += b;
      const match = ready.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, match, output: () => out, errors: () => err, stop, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${out}\n${err}`));
    });
  });
}

/**
 * Runs `command args` to the end and resolves with its standard output; rejects on a non-zero exit.
 *
 * @example
 * const json = JSON.parse(await runProcess(process.execPath, ['bench/gateway-load.mjs', options]));
 */
export function runProcess(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
    });
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`)),
    );
  });
}
