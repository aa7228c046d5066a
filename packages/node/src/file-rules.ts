import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { configError, IpGateError, isIpGateError } from '@ipgate/core';
import type { GateRules } from './rules.js';
import { parseRulesFile } from './rules-file-format.js';
import type { RulesSource } from './rules-source.js';

/**
 * Settings of {@link fileRules}.
 *
 * @example
 * const options: FileRulesOptions = { watch: true, onError: (e) => console.error(e.message) };
 */
export interface FileRulesOptions {
  /** Reload when the file changes. Default true. */
  readonly watch?: boolean;
  /** A reload that failed (bad edit, file removed): the last good rules stay in force. */
  readonly onError?: (error: IpGateError) => void;
  /** A reload that succeeded. */
  readonly onReload?: (rules: GateRules) => void;
  /** How long to wait for an editor to finish writing before reading, in ms. Default 25. */
  readonly debounceMs?: number;
}

/**
 * A rules source backed by a file (see `parseRulesFile` for the formats).
 *
 * @example
 * const rules = fileRules('allow.txt');
 * rules.reload(); // true when the file was read and its rules are in force
 */
export interface FileRules extends RulesSource {
  readonly path: string;
  current(): GateRules;
  /** Reads the file now. Returns false (and reports through onError) when it is missing or bad. */
  reload(): boolean;
  close(): void;
}

/**
 * Rules from a file, watched for changes. Read at once and synchronously: a missing or bad file
 * throws here, so a service does not start without its rules. After that, a bad edit or a removed
 * file is reported through `onError` and the last good rules stay in force: an edit can close
 * the gate further or open it to what the file lists, never open it by mistake.
 *
 * The directory is watched rather than the file, because editors and deploy tools replace a file
 * by renaming a new one over it, which ends a watch on the old file.
 *
 * @example
 * import { createServer } from 'node:http';
 * import { fileRules, httpGate } from '@ipgate/node';
 *
 * const gate = httpGate({ allow: fileRules('/etc/myapp/allow.txt', { onError: (e) => console.error(e.message) }) });
 * createServer((req, res) => { if (gate(req, res)) res.end('hello'); }).listen(8080);
 */
export function fileRules(path: string, options: FileRulesOptions = {}): FileRules {
  if (typeof path !== 'string' || path === '') {
    throw configError(
      'path',
      'fileRules needs the path of the rules file.',
      "Write e.g. fileRules('/etc/myapp/allow.txt').",
    );
  }
  const full = resolve(path);
  let lastText: string | undefined;
  let rules = read(full, path); // throws: a service must not start without its rules
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  const debounceMs = options.debounceMs ?? 25;

  const reload = (): boolean => {
    try {
      const text = readText(full, path);
      if (text === lastText) return true;
      rules = parseRulesFile(text, path);
      lastText = text;
      options.onReload?.(rules);
      return true;
    } catch (error) {
      const reported = isIpGateError(error)
        ? error
        : new IpGateError('IPG_CONFIG_INVALID', `Could not read ${path}: ${String(error)}`, { cause: error });
      try {
        options.onError?.(
          new IpGateError(reported.code, `${reported.message} (the last good rules stay in force)`, {
            ...(reported.hint === undefined ? {} : { hint: reported.hint }),
            cause: reported,
          }),
        );
      } catch {
        // A throwing error handler must not stop the watcher.
      }
      return false;
    }
  };

  if (options.watch ?? true) {
    const name = basename(full);
    // persistent: false, so a watched file alone does not keep a process alive that is done.
    watcher = watch(dirname(full), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== name) return;
      clearTimeout(timer);
      timer = setTimeout(reload, debounceMs);
      timer.unref();
    });
    watcher.on('error', (error) =>
      options.onError?.(
        new IpGateError('IPG_CONFIG_INVALID', `Watching ${path} failed: ${error.message}`, { cause: error }),
      ),
    );
  }

  return {
    path: full,
    current: () => rules,
    reload,
    close: () => {
      clearTimeout(timer);
      watcher?.close();
      watcher = undefined;
    },
  };

  function read(file: string, shown: string): GateRules {
    const text = readText(file, shown);
    const parsed = parseRulesFile(text, shown);
    lastText = text;
    return parsed;
  }
}

function readText(file: string, shown: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new IpGateError(
      'IPG_CONFIG_INVALID',
      code === 'ENOENT'
        ? `The rules file ${shown} does not exist (${file}).`
        : `Could not read the rules file ${shown}: ${(error as Error).message}`,
      {
        field: 'path',
        hint:
          code === 'ENOENT'
            ? 'Create it (one entry per line; an empty file denies everyone) or fix the path.'
            : 'Check the permissions of the file and its directory.',
        cause: error,
      },
    );
  }
}
