import * as apis from './apis.js';
import * as auto from './auto-authorize.js';
import * as channelTests from './channel-tests.js';
import * as sessions from './console-sessions.js';
import type { StoreContext } from './context.js';
import * as usage from './entry-usage.js';
import * as history from './history.js';
import { importIpEntries } from './ip-list-import.js';
import * as bursts from './key-bursts.js';
import { keyDomainList, keyIpList } from './key-lists.js';
import * as keys from './keys.js';
import * as channels from './notification-channels.js';
import * as queue from './notification-queue.js';
import * as notificationRetention from './notification-retention.js';
import * as observed from './observed-ips.js';
import * as outbox from './outbox.js';
import * as lists from './owned-entries.js';
import * as principals from './principals.js';
import * as requestCounts from './request-counts.js';
import * as requestLog from './request-log.js';
import { scanRequests } from './request-scan.js';
import * as retention from './retention.js';
import * as actionTokens from './review-action-tokens.js';
import { loadRules, rulesSince } from './rule-units.js';
import type { Store } from './store.js';
import { tenantIpList } from './tenant-ip-list.js';
import * as tenants from './tenants.js';
import * as users from './users.js';

/**
 * The one `Store` implementation, over Kysely, for both dialects: each operation is a function of a
 * resource module, bound to the context here.
 *
 * @example
 * const store = createKyselyStore({ db, dialect: sqliteStoreDialect(db), options: {} });
 */
export function createKyselyStore(ctx: StoreContext): Store {
  const { apiAllowlist } = apis;
  return {
    createTenant: (input, o) => tenants.createTenant(ctx, input, o),
    getTenant: (id) => tenants.getTenant(ctx, id),
    listTenants: (page) => tenants.listTenants(ctx, page),
    updateTenant: (id, patch, o) => tenants.updateTenant(ctx, id, patch, o),
    deleteTenant: (id, o) => tenants.deleteTenant(ctx, id, o),

    listTenantIpEntries: (t) => lists.listEntries(ctx, tenantIpList, t),
    getTenantIpEntry: (t, e) => lists.getEntry(ctx, tenantIpList, t, e),
    addTenantIpEntry: (t, input, o) => lists.addEntry(ctx, tenantIpList, t, input, o),
    updateTenantIpEntry: (t, e, patch, o) => lists.updateEntry(ctx, tenantIpList, t, e, patch, o),
    removeTenantIpEntry: (t, e, o) => lists.removeEntry(ctx, tenantIpList, t, e, o),
    importTenantIpEntries: (t, input, o) => importIpEntries(ctx, tenantIpList, t, input, o),

    createApi: (input, o) => apis.createApi(ctx, input, o),
    getApi: (id) => apis.getApi(ctx, id),
    listApis: (page) => apis.listApis(ctx, page),
    updateApi: (id, patch, o) => apis.updateApi(ctx, id, patch, o),
    deleteApi: (id, o) => apis.deleteApi(ctx, id, o),

    listApiAllowlistEntries: (a) => lists.listEntries(ctx, apiAllowlist, a),
    getApiAllowlistEntry: (a, e) => lists.getEntry(ctx, apiAllowlist, a, e),
    addApiAllowlistEntry: (a, input, o) => lists.addEntry(ctx, apiAllowlist, a, input, o),
    updateApiAllowlistEntry: (a, e, patch, o) => lists.updateEntry(ctx, apiAllowlist, a, e, patch, o),
    removeApiAllowlistEntry: (a, e, o) => lists.removeEntry(ctx, apiAllowlist, a, e, o),
    importApiAllowlistEntries: (a, input, o) => importIpEntries(ctx, apiAllowlist, a, input, o),

    createKey: (t, input, o) => keys.createKey(ctx, t, input, o),
    getKey: (t, k) => keys.getKey(ctx, t, k),
    listKeys: (t, page) => keys.listKeys(ctx, t, page),
    findKeyBySecret: (secret) => keys.findKeyBySecret(ctx, secret),
    updateKey: (t, k, patch, o) => keys.updateKey(ctx, t, k, patch, o),
    rotateKey: (t, k, o) => keys.rotateKey(ctx, t, k, o),
    revokeKey: (t, k, o) => keys.revokeKey(ctx, t, k, o),

    listKeyIpEntries: (t, k) => lists.listEntries(ctx, keyIpList, { tenantId: t, keyId: k }),
    addKeyIpEntry: (t, k, input, o) => lists.addEntry(ctx, keyIpList, { tenantId: t, keyId: k }, input, o),
    updateKeyIpEntry: (t, k, e, patch, o) =>
      lists.updateEntry(ctx, keyIpList, { tenantId: t, keyId: k }, e, patch, o),
    removeKeyIpEntry: (t, k, e, o) => lists.removeEntry(ctx, keyIpList, { tenantId: t, keyId: k }, e, o),

    listKeyDomainEntries: (t, k) => lists.listEntries(ctx, keyDomainList, { tenantId: t, keyId: k }),
    addKeyDomainEntry: (t, k, input, o) =>
      lists.addEntry(ctx, keyDomainList, { tenantId: t, keyId: k }, input, o),
    updateKeyDomainEntry: (t, k, e, patch, o) =>
      lists.updateEntry(ctx, keyDomainList, { tenantId: t, keyId: k }, e, patch, o),
    removeKeyDomainEntry: (t, k, e, o) =>
      lists.removeEntry(ctx, keyDomainList, { tenantId: t, keyId: k }, e, o),

    createToken: (input, o) => principals.createToken(ctx, input, o),
    findTokenBySecret: (secret) => principals.findTokenBySecret(ctx, secret),
    listPrincipals: (page, filter) => principals.listPrincipals(ctx, page, filter),
    getPrincipal: (id) => principals.getPrincipal(ctx, id),
    deletePrincipal: (id, o) => principals.deletePrincipal(ctx, id, o),
    countPrincipals: () => principals.countPrincipals(ctx),
    createUser: (input, o) => users.createUser(ctx, input, o),
    findUserByName: (name) => users.findUserByName(ctx, name),
    setUserPassword: (id, hash, o) => users.setUserPassword(ctx, id, hash, o),
    createConsoleSession: (id, at, expiresAt) => sessions.createConsoleSession(ctx, id, at, expiresAt),
    findConsoleSession: (secret) => sessions.findConsoleSession(ctx, secret),
    touchConsoleSession: (id, at) => sessions.touchConsoleSession(ctx, id, at),
    deleteConsoleSession: (id) => sessions.deleteConsoleSession(ctx, id),
    pruneConsoleSessions: (now, idleBefore) => sessions.pruneConsoleSessions(ctx, now, idleBefore),

    loadRules: (onChunk, options) => loadRules(ctx, onChunk, options),
    rulesSince: (version, options) => rulesSince(ctx, version, options),

    listAuditEvents: (t, page, filter) => history.listAuditEvents(ctx, t, page, filter),
    listAllAuditEvents: (page, filter) => history.listAllAuditEvents(ctx, page, filter),
    changesSince: (version, limit) => history.changesSince(ctx, version, limit),
    currentVersion: () => history.currentVersion(ctx),
    storeId: () => history.storeId(ctx),

    recordObservations: (batch) => observed.recordObservations(ctx, batch),
    listObservedIps: (t, filter, page) => observed.listObservedIps(ctx, t, filter, page),
    getObservedIp: (t, id) => observed.getObservedIp(ctx, t, id),
    authorizeObservedIp: (t, id, input, o) => observed.authorizeObservedIp(ctx, t, id, input, o),
    rejectObservedIp: (t, id, input, o) => observed.rejectObservedIp(ctx, t, id, input, o),
    autoAuthorizeAddress: (input) => auto.autoAuthorizeAddress(ctx, input),
    autoAuthorizeAddresses: (input) => auto.autoAuthorizeAddresses(ctx, input),
    holdKeyBurst: (input) => bursts.holdKeyBurst(ctx, input),

    recordEntryUsage: (batch) => usage.recordEntryUsage(ctx, batch),
    entryUsage: (ids) => usage.entryUsage(ctx, ids),

    appendRequests: (batch) => requestLog.appendRequests(ctx, batch),
    listRequests: (filter, page) => requestLog.listRequests(ctx, filter, page),
    getRequest: (id) => requestLog.getRequest(ctx, id),
    appendRequestCounts: (batch) => requestCounts.appendRequestCounts(ctx, batch),
    listRequestCounts: (filter, page) => requestCounts.listRequestCounts(ctx, filter, page),
    scanRequests: (filter, onBatch, options) => scanRequests(ctx, filter, onBatch, options),
    pruneRequests: (before, options) => retention.pruneRequests(ctx, before, options),
    pruneObservedIps: (before, options) => retention.pruneObservedIps(ctx, before, options),
    pruneNotifications: (before, options) => notificationRetention.pruneNotifications(ctx, before, options),

    notifications: {
      createChannel: (t, input, o) => channels.createChannel(ctx, t, input, o),
      listChannels: (t) => channels.listChannels(ctx, t),
      getChannel: (t, c) => channels.getChannel(ctx, t, c),
      updateChannel: (t, c, patch, o) => channels.updateChannel(ctx, t, c, patch, o),
      deleteChannel: (t, c, o) => channels.deleteChannel(ctx, t, c, o),
      channelForTest: (t, c) => channelTests.channelForTest(ctx, t, c),
      recordChannelTest: (t, c, result, o) => channelTests.recordChannelTest(ctx, t, c, result, o),
      claimDueDeliveries: (now, limit, leaseMs) => queue.claimDueDeliveries(ctx, now, limit, leaseMs),
      completeDelivery: (id, outcome, lease) => queue.completeDelivery(ctx, id, outcome, lease),
      countSentSince: (c, since) => queue.countSentSince(ctx, c, since),
      lastDigestAt: (c) => queue.lastDigestAt(ctx, c),
      markDigestSent: (c, at) => queue.markDigestSent(ctx, c, at),
      listDeliveries: (t, filter, page) => queue.listDeliveries(ctx, t, filter, page),
      addOutboxMessage: (m) => outbox.addOutboxMessage(ctx, m),
      listOutbox: (t, page) => outbox.listOutbox(ctx, t, page),
      addActionToken: (h, r) => actionTokens.addActionToken(ctx, h, r),
      findActionToken: (h) => actionTokens.findActionToken(ctx, h),
      useActionToken: (h, now) => actionTokens.useActionToken(ctx, h, now),
      releaseActionToken: (h) => actionTokens.releaseActionToken(ctx, h),
    },

    close: () => ctx.dialect.destroy(),
  };
}
