import { isIpGateError } from '@ipgate/core';
import { loadSettings, type ServeSettings, settingSpecs } from '@ipgate/server/settings';
import { ROLES } from '@ipgate/server/vocabulary';
import { Command, Option } from 'commander';
import { ExitCode } from './exit-code.js';
import { type CommandIo, flushAll, printError } from './output.js';
import { readLineBatches } from './read-lines.js';
import { UsageError } from './usage-error.js';

/** The settings that say where the store is. */
const STORE_SETTINGS: readonly (keyof ServeSettings)[] = ['dataDir', 'databaseUrl'];

const EXAMPLES = `
Examples:
  $ ipgate users add ana --role editor                    # prints a generated password once
  $ ipgate users add ops --role owner --tenant ten_…      # one tenant only
  $ printf '%s\\n' "$PASSWORD" | ipgate users add ci-viewer --role viewer --password-stdin
  $ ipgate users list
  $ ipgate users reset-password ana                        # a new generated password; signs ana out
  $ ipgate users remove ana

Console users sign in to the web console at /console/ of the admin listener. Like admin tokens they
have a role (viewer reads, editor also writes, owner also manages tokens) and a scope (all tenants,
or one with --tenant). These commands write straight into the data directory or database, found as
ipgate serve finds it (the same flags, environment variables and --config file), whether the server
runs or not. Passwords have at least 12 characters and are stored as Argon2id hashes.`;

/**
 * `ipgate users add|list|remove|reset-password`: console users, straight in the store.
 *
 * @example program.addCommand(usersCommand(processIo()))
 */
export function usersCommand(io: CommandIo): Command {
  const users = new Command('users')
    .description('manage web console users (straight in the data directory or database)')
    .addHelpText('after', EXAMPLES);

  const add = withStoreOptions(new Command('add'))
    .description('add a console user; prints a generated password once unless --password-stdin')
    .argument('<name>', 'the name to sign in with')
    .addOption(new Option('--role <role>', 'viewer, editor or owner').choices(ROLES).makeOptionMandatory())
    .option('--tenant <tenantId>', 'only this tenant [default: every tenant]')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .action(async (name: string, options: Record<string, string | boolean | undefined>) => {
      const password = options['passwordStdin'] === true ? await firstLine(io) : undefined;
      await withStore(options, async (server, store) => {
        const { user, generatedPassword } = await server.addConsoleUser(
          store,
          {
            name,
            role: options['role'] as (typeof ROLES)[number],
            tenantId: options['tenant'] as string | undefined,
            password,
          },
          'cli:users-add',
        );
        io.out.line(
          `Added console user "${user.name}" (${user.role}, ${scopeOf(user.tenantId)}), id ${user.id}.`,
        );
        printPassword(io, generatedPassword);
      });
    });

  const list = withStoreOptions(new Command('list'))
    .description('list console users')
    .option('--json', 'one JSON document')
    .action(async (options: Record<string, string | boolean | undefined>) => {
      await withStore(options, async (server, store) => {
        const all = await server.listConsoleUsers(store);
        if (options['json'] === true) {
          io.out.json({
            items: all.map((u) => ({
              id: u.id,
              name: u.name,
              role: u.role,
              tenantId: u.tenantId,
              createdAt: u.createdAt,
            })),
          });
          return;
        }
        if (all.length === 0) io.out.line('No console users. Add one: ipgate users add <name> --role owner');
        for (const u of all) io.out.line(`${u.name}\t${u.role}\t${scopeOf(u.tenantId)}\t${u.id}`);
      });
    });

  const remove = withStoreOptions(new Command('remove'))
    .description('remove a console user; its sessions end at once')
    .argument('<name>')
    .action(async (name: string, options: Record<string, string | boolean | undefined>) => {
      await withStore(options, async (server, store) => {
        const user = await server.removeConsoleUser(store, name, 'cli:users-remove');
        io.out.line(`Removed console user "${user.name}" (${user.id}).`);
      });
    });

  const reset = withStoreOptions(new Command('reset-password'))
    .description("set a user's password (generated unless --password-stdin); signs the user out everywhere")
    .argument('<name>')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .action(async (name: string, options: Record<string, string | boolean | undefined>) => {
      const password = options['passwordStdin'] === true ? await firstLine(io) : undefined;
      await withStore(options, async (server, store) => {
        const { user, generatedPassword } = await server.resetConsolePassword(
          store,
          name,
          password,
          'cli:users-reset-password',
        );
        io.out.line(`New password set for "${user.name}"; its sessions have ended.`);
        printPassword(io, generatedPassword);
      });
    });

  for (const sub of [add, list, remove, reset]) users.addCommand(sub);
  return users;

  async function withStore(
    options: Record<string, string | boolean | undefined>,
    body: (server: typeof import('@ipgate/server'), store: import('@ipgate/server').Store) => Promise<void>,
  ): Promise<void> {
    const flags: Partial<Record<keyof ServeSettings, string | boolean | undefined>> = {};
    for (const spec of settingSpecs.filter((s) => STORE_SETTINGS.includes(s.key))) {
      flags[spec.key] = options[new Option(spec.flag).attributeName()];
    }
    const configFile = (options['config'] as string | undefined) ?? process.env['IPGATE_CONFIG'];
    const settings = loadSettings({ flags, env: process.env, configFile });
    // Loaded only when run: the other commands start without the server's modules.
    const server = await import('@ipgate/server');
    const store = await server.openStore(settings);
    try {
      await body(server, store);
    } catch (e) {
      // A name taken or not there is the store refusing, as the server would: exit 1, like the
      // management commands; bad input stays exit 2 (thrown on).
      if (!isIpGateError(e) || (e.code !== 'IPG_ALREADY_EXISTS' && e.code !== 'IPG_NOT_FOUND')) throw e;
      printError(io.err, e);
      process.exitCode = ExitCode.denied;
    } finally {
      await store.close();
    }
    await flushAll(io);
  }
}

function withStoreOptions(command: Command): Command {
  for (const spec of settingSpecs.filter((s) => STORE_SETTINGS.includes(s.key))) {
    command.addOption(
      new Option(spec.flag, `${spec.description} [${spec.env.join(' or ')}; default ${spec.defaultText}]`),
    );
  }
  return command.option('--config <file>', 'JSON file of settings, as for ipgate serve [IPGATE_CONFIG]');
}

function scopeOf(tenantId: string | null): string {
  return tenantId === null ? 'all tenants' : `tenant ${tenantId}`;
}

function printPassword(io: CommandIo, password: string | undefined): void {
  if (password === undefined) return;
  io.out.line('Password (shown this once; only its Argon2id hash is stored — pass it on safely):');
  io.out.line(`  ${password}`);
}

async function firstLine(io: CommandIo): Promise<string> {
  for await (const lines of readLineBatches(io.stdin)) {
    const line = lines[0];
    if (line !== undefined) return line.replace(/\r$/, '');
  }
  throw new UsageError('--password-stdin: standard input was empty; send the password as its first line.');
}
