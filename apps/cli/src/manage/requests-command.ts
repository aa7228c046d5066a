import { Command, Option } from 'commander';
import type { CommandIo } from '../output.js';
import { segment } from './admin-client.js';
import { defined } from './defined.js';
import { emitPage, type PagingOptions, withPaging } from './paged-list.js';
import { type RemoteOptions, remoteCommand, runRemote } from './remote-command.js';
import { pastTime } from './simulate-command.js';
import { fields, table } from './table.js';
import { terminalText } from './terminal-text.js';
import type { LoggedRequest, MatchedEntry } from './wire.js';

const EXAMPLES = `
Examples:
  $ ipgate requests list --tenant ten_… --decision deny --since 1h
  $ ipgate requests list --tenant ten_… --client 203.0.113.7 --limit 20
  $ ipgate requests show req_… --tenant ten_…   # the requestId a 403 body carries

The request log of the tenant's keys, newest first: what was decided, at which stage and why, and the
entries that let the request through (MATCHED: each passed stage's list and entry name, or its id).`;

/** A page of the log: a request log is large, so unlike the other lists it is never read whole. */
const DEFAULT_LIMIT = 50;

interface ListOptions extends RemoteOptions, PagingOptions {
  readonly tenant: string;
  readonly decision?: string;
  readonly key?: string;
  readonly api?: string;
  readonly client?: string;
  readonly since?: string;
  readonly until?: string;
}

/**
 * `ipgate requests list|show --tenant <id>` against a running server.
 *
 * @example program.addCommand(requestsCommand(processIo()));
 */
export function requestsCommand(io: CommandIo): Command {
  const tenantCommand = (name: string, description: string): Command =>
    remoteCommand(name, description).requiredOption('--tenant <tenantId>', 'the tenant whose keys made them');
  const base = (tenant: string) => `/v1/tenants/${segment(tenant)}/requests`;

  const list = withPaging(
    tenantCommand('list', 'list logged requests, newest first')
      .addOption(new Option('--decision <decision>', 'only these').choices(['allow', 'deny', 'would-deny']))
      .option('--key <keyId>', 'only requests with this key')
      .option('--api <apiId>', 'only requests to this API')
      .option('--client <address>', 'only requests from this client address')
      .option('--since <time>', 'from: a time with a zone, or 90m, 12h, 7d ago', pastTime)
      .option('--until <time>', 'before this time', pastTime),
    `show at most n (default ${DEFAULT_LIMIT})`,
  ).action((o: ListOptions) =>
    runRemote(io, o, async (ctx) => {
      const page = await ctx.client.list<LoggedRequest>(base(o.tenant), {
        query: {
          decision: o.decision,
          keyId: o.key,
          apiId: o.api,
          client: o.client,
          since: o.since,
          until: o.until,
        },
        limit: o.limit ?? DEFAULT_LIMIT,
        ...defined({ cursor: o.cursor }),
      });
      emitPage(ctx, page, 'no logged requests', requestTable);
    }),
  );

  const show = tenantCommand('show', 'show one logged request, with the entries it matched')
    .argument('<requestId>')
    .action((id: string, o: RemoteOptions & { tenant: string }) =>
      runRemote(io, o, async (ctx) => {
        const { body } = await ctx.client.call<LoggedRequest>('GET', `${base(o.tenant)}/${segment(id)}`);
        ctx.emit(body, () => describe(body));
      }),
    );

  return new Command('requests')
    .description("read a tenant's request log: list, show")
    .addHelpText('after', EXAMPLES)
    .addCommand(list)
    .addCommand(show);
}

/** `tenant "office"` or, for an entry without a name (or one only its id is shown for), `tenant ent_…`. */
function matchedShort(m: MatchedEntry): string {
  return m.name === null ? `${m.list} ${m.entryId}` : `${m.list} ${JSON.stringify(m.name)}`;
}

function requestTable(items: readonly LoggedRequest[]): string[] {
  return table(items, [
    { heading: 'ID', cell: (r) => r.requestId },
    { heading: 'TIME', cell: (r) => r.at },
    { heading: 'METHOD', cell: (r) => r.method },
    { heading: 'PATH', cell: (r) => r.path },
    { heading: 'STATUS', cell: (r) => r.status },
    { heading: 'CLIENT', cell: (r) => r.client ?? '-' },
    { heading: 'DECISION', cell: (r) => r.decision },
    { heading: 'REASON', cell: (r) => r.reason ?? '-' },
    {
      heading: 'MATCHED',
      cell: (r) => (r.matched.length === 0 ? '-' : r.matched.map(matchedShort).join(', ')),
    },
  ]);
}

function describe(r: LoggedRequest): string[] {
  const matched = r.matched.map(
    (m) => `${m.list}: ${m.name === null ? '' : `${JSON.stringify(m.name)} `}(${m.entryId})`,
  );
  const pairs: [string, unknown][] = [
    ['at', r.at],
    ['client', r.client ?? '-'],
    ['origin', r.origin ?? '- (a server request)'],
    ['api', r.apiId ?? '-'],
    ['key', r.keyId ?? '-'],
    ['stage', r.stage ?? '-'],
    ['reason', r.reason ?? '-'],
    ['latency', `${r.latencyMs} ms`],
    ['matched', matched[0] ?? '-'],
  ];
  // Further matched entries line up under the first, in the value column of `fields`.
  const indent = ' '.repeat(Math.max(...pairs.map(([label]) => label.length)) + 2);
  return [
    `${r.decision} ${terminalText(r.method)} ${terminalText(r.path)} → ${r.status} (${r.requestId})`,
    ...fields(pairs),
    ...matched.slice(1).map((line) => `${indent}${terminalText(line)}`),
  ];
}
