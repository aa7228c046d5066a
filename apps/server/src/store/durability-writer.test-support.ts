/**
 * A child process for the contract suite's `kill -9` test: adds tenant IP entries in a loop and
 * prints the id of each one once its transaction has committed, until it is killed.
 *
 * Run: `node --import tsx durability-writer.test-support.ts '<StoreLocation as JSON>' <tenantId>`
 * (stdout to a pipe is synchronous on Linux, so a printed id was acknowledged before the next write).
 */
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { StoreLocation } from './test-stores.test-support.js';

const [locationJson, tenantId] = process.argv.slice(2);
if (locationJson === undefined || tenantId === undefined) {
  console.error('usage: durability-writer.test-support.ts <location json> <tenant id>');
  process.exit(2);
}
const location = JSON.parse(locationJson) as StoreLocation;
const store =
  location.kind === 'sqlite'
    ? await openSqliteStore({ path: location.path })
    : await openPostgresStore({
        connectionString: location.connectionString,
        schema: location.schema,
        maxConnections: 1,
      });
for (let i = 0; ; i++) {
  const value = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const entry = await store.addTenantIpEntry(tenantId, { value }, { actor: 'test:durability' });
  process.stdout.write(`${entry.id}\n`);
}
