import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../secrets/secrets.js';
import type { Store } from '../store/store.js';
import { storeFactories } from '../store/test-stores.test-support.js';
import { makeActionLinks } from './review-links.js';

/**
 * One-click links are bound to the channel they went through: a person removed from a channel (the
 * channel deleted, or pointed at someone else) keeps no working link, on both stores.
 */
const factories = await storeFactories();

describe.each(factories.map((f) => [f.name, f] as const))(
  'one-click links and their channel on %s',
  (_name, factory) => {
    let store: Store;
    const actor = { actor: 'test' };
    let tenantId: string;
    let observedId: string;

    beforeAll(async () => {
      if (factory.skip) return;
      store = await factory.open();
      tenantId = (await store.createTenant({ name: 'Links' }, actor)).id;
      const keyId = (await store.createKey(tenantId, { name: 'ci' }, actor)).key.id;
      const at = new Date();
      await store.recordObservations([
        { tenantId, keyId, address: '203.0.113.21', firstAt: at, lastAt: at, count: 1, status: 'pending' },
      ]);
      observedId = (await store.listObservedIps(tenantId)).items[0]?.id as string;
    });
    afterAll(async () => {
      await store?.close();
    });

    /** Links for a new channel, and whether each of its three tokens is still known to the store. */
    async function channelWithLinks(target: string) {
      const { channel } = await store.notifications.createChannel(
        tenantId,
        { kind: 'email', name: 'owner', target },
        actor,
      );
      const links = await makeActionLinks(
        store.notifications,
        { publicUrl: 'https://ipgate.example.com', ttlMs: 3600_000 },
        { tenantId, observedId, recipient: `email link, ${target}`, channelId: channel.id },
      );
      const hashes = (['authorize', 'reject-and-rotate', 'stop-reviewing'] as const).map((a) =>
        hashSecret(new URL(links[a]).pathname.split('/').at(-1) as string),
      );
      const known = async () =>
        Promise.all(hashes.map(async (h) => (await store.notifications.findActionToken(h)) !== undefined));
      return { channel, known };
    }

    it.skipIf(factory.skip)(
      'a new target ends the links sent to the old one; a new name does not',
      async () => {
        const { channel, known } = await channelWithLinks('left@example.com');
        expect(await known()).toEqual([true, true, true]);
        const renamed = await store.notifications.updateChannel(
          tenantId,
          channel.id,
          { name: 'owners' },
          actor,
        );
        expect(await known()).toEqual([true, true, true]);
        await store.notifications.updateChannel(
          tenantId,
          channel.id,
          { target: 'stays@example.com' },
          { ...actor, expectedVersion: renamed.version },
        );
        expect(await known()).toEqual([false, false, false]);
      },
    );

    it.skipIf(factory.skip)("deleting the channel ends its links, not another channel's", async () => {
      const gone = await channelWithLinks('gone@example.com');
      const other = await channelWithLinks('other@example.com');
      await store.notifications.deleteChannel(tenantId, gone.channel.id, actor);
      expect(await gone.known()).toEqual([false, false, false]);
      expect(await other.known()).toEqual([true, true, true]);
    });
  },
);
