/**
 * `@ipgate/server/store-access`: what a command that works on the store alone needs — open it, say
 * which it is, make an owner token — without loading the server (Fastify, the gateway, the console):
 * `ipgate admin-token create` starts in a third of the CPU time that `@ipgate/server` costs.
 */
export { type CreatedOwnerToken, createOwnerToken } from './owner-token.js';
export { describeStore, openStore, type StoreSettings } from './store/open-store.js';
