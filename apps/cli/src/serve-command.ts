import { loadSettings, settingSpecs } from '@ipgate/server/settings';
import { Command, Option } from 'commander';
import type { CommandIo } from './output.js';

/** The help text after the options; the config-file keys come from the settings table itself. */
const EXAMPLES = (): string => `
Examples:
  $ ipgate serve --demo                                  # what npm start runs: embedded SQLite, a demo API
  $ ipgate serve --listen :8080 --trust-proxy 10.0.0.0/8 # behind a load balancer on 10.0.0.0/8
  $ DATABASE_URL=postgres://ipgate@db/ipgate ipgate serve --listen :8080   # a node of a PostgreSQL cluster
  $ ipgate serve --config /etc/ipgate/ipgate.json        # settings from a file ({"listen": ":8080", ...})

Every setting can come from its flag, its environment variable or the config file (whose keys are
${settingSpecs.map((s) => s.key).join(', ')}); flags win over the
environment, the environment over the file. Bad settings stop the start with a message naming them.
Once its listeners are up, the first start on an empty store prints an owner admin token, once; keep
it. Lost it? ipgate admin-token create --owner makes a new one from the data directory or database.
SIGTERM or SIGINT: stop accepting, finish requests in flight, write pending records, exit 0.`;

/**
 * `ipgate serve`: the gateway and the management API. Its options are generated from
 * the server's settings table, so `--help` documents every setting with its variable and default.
 *
 * @example serveCommand(processIo()) // added to the program with program.addCommand(…)
 */
export function serveCommand(io: CommandIo): Command {
  const command = new Command('serve').description(
    'run the gateway (proxy listener) and the admin listener (management API, its docs at /docs, /metrics, the web console at /console/)',
  );
  const keyOf = new Map<string, string>();
  for (const spec of settingSpecs) {
    const option = new Option(
      spec.flag,
      `${spec.description} [${spec.env.join(' or ')}; default ${spec.defaultText}]`,
    );
    keyOf.set(option.attributeName(), spec.key);
    command.addOption(option);
  }
  command
    .option('--config <file>', 'JSON file of settings [IPGATE_CONFIG]')
    .addHelpText('after', EXAMPLES())
    .action(async (options: Record<string, string | boolean | undefined>) => {
      // The server (Fastify, SQLite, pg, undici) is loaded only when it is run, so that `ipgate parse`
      // and `ipgate check` start fast; the settings table above is a light module of its own.
      const { runServer } = await import('@ipgate/server');
      const flags: Record<string, string | boolean | undefined> = {};
      for (const [attribute, value] of Object.entries(options)) {
        const key = keyOf.get(attribute);
        if (key !== undefined) flags[key] = value;
      }
      const configFile = (options['config'] as string | undefined) ?? process.env['IPGATE_CONFIG'];
      const settings = loadSettings({ flags, env: process.env, configFile });
      await runServer(settings, { out: (line) => io.out.line(line), flush: () => io.out.flush() });
    });
  return command;
}
