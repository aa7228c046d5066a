/**
 * Reads a node's last good rules back from disk, for a start while the store is unreachable. The copy
 * is checked whole — header, store location, length and SHA-256 of the body — before one unit is
 * handed over, and every unit is checked as it is parsed; the caller compiles into a load that only
 * swaps in when every unit was read (`CompiledRules.beginLoad`), so a bad copy is refused, never
 * half-used.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { ApiRules, KeyRules, RulesChunk, TenantRules } from '../store/store.js';
import {
  decodeHeader,
  decodeUnit,
  HEADER_BYTES,
  headerChecksum,
  type LastGoodHeader,
  LastGoodRefused,
} from './last-good-format.js';

/** Units per chunk handed to the caller: small parts, as a load from the store hands them. */
const UNITS_PER_CHUNK = 500;

/**
 * Checks the copy at `path` and hands its units over in chunks; resolves with its header. Throws
 * {@link LastGoodRefused} (missing, unreadable, foreign, another format, corrupt or truncated).
 *
 * @example
 * const load = rules.beginLoad(Date.now());
 * const header = await readLastGood(path, { storeLocation }, (chunk) => load.add(chunk));
 * load.finish(header.version);
 */
export async function readLastGood(
  path: string,
  expect: { readonly storeLocation: string },
  onChunk: (chunk: RulesChunk) => void,
): Promise<LastGoodHeader> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOENT') throw new LastGoodRefused('missing', `there is no copy at ${path}`);
    throw new LastGoodRefused('unreadable', `the copy at ${path} cannot be opened: ${(e as Error).message}`);
  }
  try {
    const header = await readHeader(file);
    if (header.storeLocation !== expect.storeLocation)
      throw new LastGoodRefused(
        'foreign',
        `the copy was made for the store at ${header.storeLocation}, not ${expect.storeLocation}`,
      );
    const { size } = await file.stat();
    if (size !== HEADER_BYTES + header.bytes)
      throw new LastGoodRefused(
        'corrupt',
        `the copy is ${size} bytes where its header says ${HEADER_BYTES + header.bytes} (truncated or appended to)`,
      );
    const hash = createHash('sha256');
    for await (const part of createReadStream('', { fd: file.fd, start: HEADER_BYTES, autoClose: false }))
      hash.update(part as Buffer);
    if (headerChecksum(header, hash.digest('hex')) !== header.sha256)
      throw new LastGoodRefused('corrupt', 'the checksum of the copy does not match its header');
    await handOver(file, header, onChunk);
    return header;
  } finally {
    await file.close();
  }
}

/**
 * The header of the copy at `path` (checked as {@link readLastGood} does, body not read).
 *
 * @example (await readLastGoodHeader(path)).version;
 */
export async function readLastGoodHeader(path: string): Promise<LastGoodHeader> {
  const file = await open(path, 'r');
  try {
    return await readHeader(file);
  } finally {
    await file.close();
  }
}

async function readHeader(file: FileHandle): Promise<LastGoodHeader> {
  const raw = Buffer.alloc(HEADER_BYTES);
  const { bytesRead } = await file.read(raw, 0, HEADER_BYTES, 0);
  return decodeHeader(raw.subarray(0, bytesRead));
}

async function handOver(
  file: FileHandle,
  header: LastGoodHeader,
  onChunk: (chunk: RulesChunk) => void,
): Promise<void> {
  const stream = createReadStream('', {
    fd: file.fd,
    start: HEADER_BYTES,
    autoClose: false,
    encoding: 'utf8',
  });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let tenants: TenantRules[] = [];
  let apis: ApiRules[] = [];
  let keys: KeyRules[] = [];
  let units = 0;
  const flush = (): void => {
    if (tenants.length + apis.length + keys.length === 0) return;
    onChunk({ version: header.version, tenants, apis, keys });
    tenants = [];
    apis = [];
    keys = [];
  };
  for await (const line of lines) {
    if (line === '') continue;
    const unit = decodeUnit(line);
    units++;
    if (unit.kind === 't') tenants.push(unit.rules);
    else if (unit.kind === 'a') apis.push(unit.rules);
    else keys.push(unit.rules);
    if (tenants.length + apis.length + keys.length >= UNITS_PER_CHUNK) flush();
  }
  flush();
  if (units !== header.units)
    throw new LastGoodRefused(
      'corrupt',
      `the copy holds ${units} units where its header says ${header.units}`,
    );
}
