import { ExitCode } from '../exit-code.js';
import type { CommandIo } from '../output.js';
import { segment } from './admin-client.js';
import { defined } from './defined.js';
import { type RemoteOptions, runRemote } from './remote-command.js';
import { terminalText } from './terminal-text.js';
import type { CheckResult } from './wire.js';

/** The options of `ipgate check <address> --tenant …`. */
export interface ServerCheckOptions extends RemoteOptions {
  readonly tenant: string;
  readonly key?: string | undefined;
  readonly api?: string | undefined;
  readonly origin?: string | undefined;
}

const OPTIONS: Record<string, string> = {
  address: '<address>',
  keyId: '--key',
  apiId: '--api',
  origin: '--origin',
};

/**
 * Asks a running server how it would decide a request — `POST /v1/tenants/{id}/check`, from the
 * rules the gateway enforces now — and explains the answer. Exit 0 allowed, 1 denied.
 *
 * @example await runServerCheck('203.0.113.7', { tenant: 'ten_1', key: 'key_1' }, processIo());
 */
export async function runServerCheck(address: string, o: ServerCheckOptions, io: CommandIo): Promise<void> {
  await runRemote(io, o, async (ctx) => {
    const { body: d } = await ctx.client.call<CheckResult>('POST', `/v1/tenants/${segment(o.tenant)}/check`, {
      body: defined({ address, keyId: o.key, apiId: o.api, origin: o.origin }),
      options: OPTIONS,
    });
    ctx.emit(d, () => explain(d));
    ctx.exitWith(d.allow ? ExitCode.ok : ExitCode.denied);
  });
}

function explain(d: CheckResult): string[] {
  const about = [
    `tenant ${d.tenantId ?? '-'}`,
    d.keyId === null ? undefined : `key ${d.keyId}`,
    d.apiId === null ? undefined : `API ${d.apiId}`,
  ].filter((x) => x !== undefined);
  const lines = [`${d.allow ? 'allowed' : 'denied'} ${terminalText(d.address)} (${about.join(', ')})`];
  if (!d.allow) {
    lines.push(`  stage:   ${d.stage} (HTTP ${d.status})`);
    lines.push(`  reason:  ${d.reason}: ${terminalText(d.reasonText)}`);
    if (d.detail !== undefined) lines.push(`  detail:  ${terminalText(d.detail)}`);
    if (d.reviewable)
      lines.push('  review:  the address would be recorded as pending (ipgate observed list)');
  }
  for (const m of d.matched) {
    const name = m.name === null || m.name === '' ? '' : ` "${terminalText(m.name)}"`;
    const id = m.id === null ? '' : ` (${m.id})`;
    lines.push(
      `  matched: ${m.stage}: ${terminalText(m.value)}${name}${id} on the ${terminalText(m.list)} list`,
    );
  }
  lines.push(`  rules:   version ${d.snapshotVersion}`);
  return lines;
}
