/**
 * The matchers under test, each used the way its documentation shows, from address strings.
 *
 * Every library has its own `batch` loop (rather than one shared loop calling a function per library) so
 * that the call inside it stays monomorphic: a shared loop would charge the fast libraries for dispatch.
 */
import { BlockList } from 'node:net';
import { IpSet } from '@ipgate/core';
import CidrMatcher from 'cidr-matcher';
import ipaddr from 'ipaddr.js';
import proxyaddr from 'proxy-addr';

/** `node:net` BlockList wants the family with every address; a caller finds it with one `includes`. */
function familyOf(text) {
  return text.includes(':') ? 'ipv6' : 'ipv4';
}

export const ipgate = {
  name: 'ipgate',
  how: 'IpSet.from(entries); set.has(address)',
  build: (entries) => IpSet.from(entries),
  has: (set, q) => set.has(q),
  batch(set, texts, from, to) {
    let hits = 0;
    for (let k = from; k < to; k++) if (set.has(texts[k])) hits++;
    return hits;
  },
};

export const blockList = {
  name: 'BlockList',
  how: 'node:net BlockList; addSubnet(network, length, family) per entry; check(address, family)',
  build(entries) {
    const list = new BlockList();
    for (const entry of entries) {
      const slash = entry.indexOf('/');
      list.addSubnet(entry.slice(0, slash), Number(entry.slice(slash + 1)), familyOf(entry));
    }
    return list;
  },
  has: (list, q) => list.check(q, familyOf(q)),
  batch(list, texts, from, to) {
    let hits = 0;
    for (let k = from; k < to; k++) {
      const q = texts[k];
      if (list.check(q, q.includes(':') ? 'ipv6' : 'ipv4')) hits++;
    }
    return hits;
  },
};

function ipaddrHas(lists, q) {
  const address = ipaddr.parse(q);
  const ranges = address.kind() === 'ipv4' ? lists.v4 : lists.v6;
  for (let k = 0; k < ranges.length; k++) if (address.match(ranges[k])) return true;
  return false;
}

export const ipaddrJs = {
  name: 'ipaddr.js',
  how: 'ipaddr.parseCIDR per entry, split by kind; ipaddr.parse(address) then match() over its kind',
  build(entries) {
    const lists = { v4: [], v6: [] };
    for (const entry of entries) {
      const range = ipaddr.parseCIDR(entry);
      (range[0].kind() === 'ipv4' ? lists.v4 : lists.v6).push(range);
    }
    return lists;
  },
  has: ipaddrHas,
  batch(lists, texts, from, to) {
    let hits = 0;
    for (let k = from; k < to; k++) if (ipaddrHas(lists, texts[k])) hits++;
    return hits;
  },
};

export const proxyAddr = {
  name: 'proxy-addr',
  how: 'proxyaddr.compile(entries); trust(address, 0)',
  build: (entries) => proxyaddr.compile(entries),
  has: (trust, q) => trust(q, 0),
  batch(trust, texts, from, to) {
    let hits = 0;
    for (let k = from; k < to; k++) if (trust(texts[k], 0)) hits++;
    return hits;
  },
};

export const cidrMatcher = {
  name: 'cidr-matcher',
  how: 'new CidrMatcher(entries); matcher.contains(address)',
  build: (entries) => new CidrMatcher(entries),
  has: (matcher, q) => matcher.contains(q),
  batch(matcher, texts, from, to) {
    let hits = 0;
    for (let k = from; k < to; k++) if (matcher.contains(texts[k])) hits++;
    return hits;
  },
};

export const libraries = [ipgate, blockList, ipaddrJs, proxyAddr, cidrMatcher];
