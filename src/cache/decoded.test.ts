// Frozen values: DecodedValues and deepFreeze alone, then createCache({ freeze: true }) over the
// fake node of cache.test.ts, on both of getOrLoad's read paths (flow() and the settling hit
// path of read.ts), the tagged (general) path and get().

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCache } from './cache.js';
import { DecodedValues, deepFreeze, NOT_KEPT } from './decoded.js';
import type { CacheOptions } from './options.js';
import { FakeCacheNode, FakeTime } from '../../test/support/cache-fake-node.js';
import type { SettlingCommand } from '../client/command.js';

describe('DecodedValues', () => {
  test('a value is found only for the exact bytes it was kept with', () => {
    const d = new DecodedValues(1000);
    assert.equal(d.lookup('k', 'abc'), NOT_KEPT);
    const v = { a: [1, { b: 2 }] };
    assert.equal(d.keep('k', 'abc', v), v);
    assert.ok(Object.isFrozen(v) && Object.isFrozen(v.a) && Object.isFrozen(v.a[1]), 'deep-frozen');
    assert.equal(d.lookup('k', 'abc'), v);
    assert.equal(d.lookup('k', 'abd'), NOT_KEPT, 'other bytes');
    assert.equal(d.lookup('j', 'abc'), NOT_KEPT, 'other key');
    const w = { a: 2 };
    d.keep('k', 'xyz!', w);
    assert.equal(d.lookup('k', 'abc'), NOT_KEPT, 'replaced');
    assert.equal(d.lookup('k', 'xyz!'), w);
    assert.deepEqual(d.size, { entries: 1, bytes: 4 });
  });

  test('bytes kept as a Buffer: a copy, compared by content; found from text and the other way', () => {
    const d = new DecodedValues(1000);
    const buf = Buffer.from([0xc7, 1, 0xe9, 65]);
    const v = { b: 1 };
    assert.equal(d.keepBytes('k', buf, v), v);
    buf[3] = 66; // the caller's buffer reused: the kept copy is not
    assert.equal(d.lookupBytes('k', buf), NOT_KEPT);
    assert.equal(d.lookupBytes('k', Buffer.from([0xc7, 1, 0xe9, 65])), v);
    assert.equal(d.lookup('k', Buffer.from([0xc7, 1, 0xe9, 65]).toString('latin1')), v, 'the same bytes as text');
    assert.equal(d.lookup('k', 'xxxx'), NOT_KEPT);
    const w = { t: 1 };
    d.keep('t', 'ab\u00e9', w);
    assert.equal(d.lookupBytes('t', Buffer.from('ab\u00e9', 'latin1')), w, 'the same bytes as a Buffer');
    assert.equal(d.lookupBytes('t', Buffer.from('abc', 'latin1')), NOT_KEPT);
    assert.deepEqual(d.size, { entries: 2, bytes: 7 });
    assert.equal(d.reused, 3);
  });

  test('bounded by bytes: the oldest kept go first; a newer decode of a key moves it last', () => {
    const d = new DecodedValues(10);
    d.keep('a', 'aaaa', 1);
    d.keep('b', 'bbbb', 2);
    d.keep('a', 'AAAA', 3); // a is now the newest
    d.keep('c', 'cccc', 4); // 12 bytes: b goes
    assert.equal(d.lookup('b', 'bbbb'), NOT_KEPT);
    assert.equal(d.lookup('a', 'AAAA'), 3);
    assert.equal(d.lookup('c', 'cccc'), 4);
    assert.deepEqual(d.size, { entries: 2, bytes: 8 });
    const big = { big: true };
    assert.equal(d.keep('d', 'x'.repeat(11), big), big, 'too big to keep: returned, frozen');
    assert.ok(Object.isFrozen(big));
    assert.equal(d.lookup('d', 'x'.repeat(11)), NOT_KEPT);
    assert.deepEqual(d.size, { entries: 2, bytes: 8 }, 'nothing evicted for it');
    d.clear();
    assert.deepEqual(d.size, { entries: 0, bytes: 0 });
  });

  test('deepFreeze: objects and arrays at every depth; Buffers and primitives left alone', () => {
    const buf = Buffer.from('x');
    const v = { s: 'x', n: 1, z: null, list: [{ deep: { deeper: [1] } }], buf };
    deepFreeze(v);
    assert.ok(Object.isFrozen(v.list[0]!.deep.deeper));
    assert.ok(!Object.isFrozen(buf));
    deepFreeze(5);
    deepFreeze(null);
    assert.throws(() => {
      'use strict';
      (v.list[0]!.deep as { deeper: number[] }).deeper.push(2);
    }, TypeError);
  });
});

/** FakeCacheNode that settles CACHE.GET records as the client's core does (read.ts's path). */
class SettlingFakeNode extends FakeCacheNode {
  issueSettling(cmd: SettlingCommand): Promise<unknown> {
    return this.cacheGet(cmd.args[1], cmd.args[2] as number).then(
      (v) => cmd.settle(Buffer.isBuffer(v) ? v.toString('latin1') : Array.isArray(v) ? v.map((x: unknown) => (Buffer.isBuffer(x) ? x.toString('latin1') : x)) : v),
      (e: Error) => cmd.settleError(e),
    );
  }
}

function setup(settling: boolean, extra: Partial<CacheOptions> = {}) {
  const time = new FakeTime();
  const node = settling ? new SettlingFakeNode(time) : new FakeCacheNode(time);
  const cache = createCache({ client: node, ttl: 1000, jitter: 0, clock: time, timers: time, random: () => 0.5, ...extra });
  return { time, node, cache };
}

const never = async (): Promise<never> => {
  throw new Error('loader called on a hit');
};

for (const settling of [false, true]) describe(`createCache({ freeze })${settling ? ', settling reads' : ''}`, () => {
  test('hits return one deep-frozen object per stored value; a new write, a new object', async () => {
    const { time, cache } = setup(settling, { freeze: true });
    const loaded = { id: 1, tags: ['a'], nested: { x: 1 } };
    assert.equal(await cache.getOrLoad('p', async () => loaded), loaded, 'the loader value as it is');
    assert.ok(!Object.isFrozen(loaded), 'the loader value is not frozen');
    const h1 = await cache.getOrLoad<typeof loaded>('p', never);
    const h2 = await cache.getOrLoad<typeof loaded>('p', never);
    assert.deepEqual(h1, loaded);
    assert.equal(h2, h1, 'the same object for the same bytes');
    assert.ok(Object.isFrozen(h1) && Object.isFrozen(h1.tags) && Object.isFrozen(h1.nested));
    assert.equal(await cache.get('p'), h1, 'get() reads the same bytes: the same object');
    await time.advance(1); // a later stored-at: other bytes even for an equal value
    await cache.set('p', { id: 2 });
    const h3 = await cache.getOrLoad<{ id: number }>('p', never);
    assert.deepEqual(h3, { id: 2 });
    assert.notEqual(h3, h1);
    assert.ok(Object.isFrozen(h3));
    assert.equal(cache.stats.loads, 1);
  });

  test('tagged values (the general path) and stale values are frozen and reused too', async () => {
    const { time, cache } = setup(settling, { freeze: true });
    await cache.getOrLoad('t', async () => ({ t: 1 }), { tags: ['x'] });
    const a = await cache.getOrLoad('t', never, { tags: ['x'] });
    const b = await cache.getOrLoad('t', never, { tags: ['x'] });
    assert.deepEqual(a, { t: 1 });
    assert.ok(Object.isFrozen(a));
    assert.equal(b, a);
    await cache.set('g', { g: 1 }, { grace: 500 });
    await time.advance(1000);
    const stale = await cache.getOrLoad('g', async () => ({ g: 2 }));
    assert.deepEqual(stale, { g: 1 }, 'stale within its grace');
    assert.ok(Object.isFrozen(stale));
    await cache.idle();
  });

  test('Buffers and a custom serializer are not frozen; freezeMaxBytes 0 freezes without reuse', async () => {
    const { cache } = setup(settling, { freeze: true });
    const bin = Buffer.from([1, 2, 3]);
    await cache.getOrLoad('b', async () => bin);
    const hit = await cache.getOrLoad<Buffer>('b', never);
    assert.ok(Buffer.isBuffer(hit) && !Object.isFrozen(hit));
    const custom = setup(settling, {
      freeze: true,
      serializer: { serialize: (v) => JSON.stringify(v), deserialize: (b) => ({ c: JSON.parse(b.toString()) }) },
    }).cache;
    await custom.getOrLoad('c', async () => 5);
    const c = await custom.getOrLoad('c', never);
    assert.deepEqual(c, { c: 5 });
    assert.ok(!Object.isFrozen(c));
    const none = setup(settling, { freeze: true, freezeMaxBytes: 0 }).cache;
    await none.getOrLoad('n', async () => ({ n: 1 }));
    const n1 = await none.getOrLoad('n', never);
    const n2 = await none.getOrLoad('n', never);
    assert.ok(Object.isFrozen(n1) && Object.isFrozen(n2));
    assert.notEqual(n1, n2);
  });

  test('without freeze every hit is a fresh, mutable copy', async () => {
    const { cache } = setup(settling);
    await cache.getOrLoad('m', async () => ({ m: [1] }));
    const a = await cache.getOrLoad<{ m: number[] }>('m', never);
    a.m.push(2);
    const b = await cache.getOrLoad<{ m: number[] }>('m', never);
    assert.deepEqual(b, { m: [1] }, 'a caller changing its copy changes nothing for the next');
    assert.ok(!Object.isFrozen(b));
  });
});

test('freeze options are validated', () => {
  const client = new FakeCacheNode(new FakeTime());
  assert.throws(() => createCache({ client, ttl: 1, freeze: 'yes' as unknown as boolean }), /freeze must be a boolean/);
  assert.throws(() => createCache({ client, ttl: 1, freeze: true, freezeMaxBytes: -1 }), /freezeMaxBytes/);
});
