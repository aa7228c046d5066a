/**
 * @ipgate/server: the gateway, the management API, the stores and the parts that join them.
 */

export { managementOpenApiDocument } from './admin/openapi-document.js';
export * from './config/index.js';
export {
  addConsoleUser,
  listConsoleUsers,
  removeConsoleUser,
  resetConsolePassword,
  type UserWithPassword,
} from './console-users.js';
export { type CreatedOwnerToken, createOwnerToken } from './owner-token.js';
export type { AddressFacts, Assessment, DataVersion } from './review/assessment.js';
export { DATA_FILES, loadIpLocationData } from './review/ip-location-data.js';
export type { NetworkFacts } from './review/network-facts.js';
export {
  type RunningServer,
  runServer,
  type ServeIo,
  StartStopped,
  startServer,
} from './serve.js';
export { describeStore, openStore, type StoreSettings } from './store/open-store.js';
export { openPostgresStore, type PostgresStoreOptions } from './store/postgres.js';
export { openSqliteStore, type SqliteStoreOptions } from './store/sqlite.js';
export type * from './store/store.js';
