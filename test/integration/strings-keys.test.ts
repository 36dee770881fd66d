// String and key commands through real clients against an in-process corral: ioredis (RESP2)
// and node-redis v5 in RESP2 and RESP3, with a ManualClock for everything TTL-related.

import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { startCorral, type StartedCorral } from '../support/servers.js';
import { ManualClock } from '../../src/util/clock.js';

const clock = new ManualClock();
const corral: StartedCorral = await startCorral({}, clock);

after(async () => {
  await corral.close();
});

describe('ioredis (RESP2)', () => {
  let r: Redis;
  before(() => {
    r = new Redis({ port: corral.port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 0 });
  });
  after(() => {
    r.disconnect();
  });
  beforeEach(async () => {
    await r.flushall();
  });

  test('strings: SET options, GETSET/GETDEL/GETEX, MSET/MGET, APPEND/STRLEN/GETRANGE/SETRANGE', async () => {
    assert.equal(await r.set('k', 'v', 'EX', 100, 'NX'), 'OK');
    assert.equal(await r.set('k', 'w', 'NX'), null);
    assert.equal(await r.set('k', 'w', 'XX', 'GET'), 'v');
    assert.equal(await r.ttl('k'), -1);
    assert.equal(await r.getset('k', 'x'), 'w');
    assert.equal(await r.getex('k', 'PX', 5000), 'x');
    assert.equal(await r.pttl('k'), 5000);
    assert.equal(await r.getdel('k'), 'x');
    assert.equal(await r.exists('k'), 0);
    assert.equal(await r.mset('a', '1', 'b', '2'), 'OK');
    assert.deepEqual(await r.mget('a', 'b', 'c'), ['1', '2', null]);
    assert.equal(await r.msetnx('a', '9', 'z', '9'), 0);
    assert.equal(await r.append('a', 'bc'), 3);
    assert.equal(await r.strlen('a'), 3);
    assert.equal(await r.setrange('a', 1, 'XYZ'), 4);
    assert.equal(await r.getrange('a', 0, -2), '1XY');
    assert.equal(await r.setnx('a', 'q'), 0);
    assert.equal(await r.setex('s', 10, 'v'), 'OK');
    assert.equal(await r.psetex('p', 10000, 'v'), 'OK');
    assert.deepEqual([await r.ttl('s'), await r.ttl('p')], [10, 10]);
    const bin = Buffer.from([0, 255, 13, 10]);
    await r.set('bin', bin);
    assert.deepEqual(await r.getBuffer('bin'), bin);
  });

  test('counters: INCR family and INCRBYFLOAT, with errors surfaced as ReplyError', async () => {
    assert.equal(await r.incr('n'), 1);
    assert.equal(await r.incrby('n', 41), 42);
    assert.equal(await r.decrby('n', 2), 40);
    assert.equal(await r.decr('n'), 39);
    assert.equal(await r.incrbyfloat('f', '10.5'), '10.5');
    assert.equal(await r.incrbyfloat('f', '0.1'), '10.6');
    await r.set('big', '9223372036854775806');
    await r.incr('big');
    assert.equal(await r.get('big'), '9223372036854775807');
    await assert.rejects(r.incr('big'), /ERR increment or decrement would overflow/);
    await assert.rejects(r.incrbyfloat('f', 'abc'), /ERR value is not a valid float/);
    await assert.rejects(r.incrbyfloat('f', 'inf'), /ERR increment would produce NaN or Infinity/);
  });

  test('SET IFEQ compare-and-set', async () => {
    await r.set('k', 'old');
    assert.equal(await r.call('SET', 'k', 'new', 'IFEQ', 'other'), null);
    assert.equal(await r.call('SET', 'k', 'new', 'IFEQ', 'old'), 'OK');
    assert.equal(await r.get('k'), 'new');
    await assert.rejects(r.call('SET', 'k', 'v', 'IFEQ', 'new', 'NX'), /ERR syntax error/);
  });

  test('expiry follows the node clock', async () => {
    await r.set('k', 'v');
    assert.equal(await r.expire('k', 10, 'NX'), 1);
    assert.equal(await r.expire('k', 5, 'GT'), 0);
    assert.equal(await r.ttl('k'), 10);
    clock.advance(9000);
    assert.equal(await r.pttl('k'), 1000);
    assert.equal(await r.persist('k'), 1);
    clock.advance(5000);
    assert.equal(await r.get('k'), 'v');
    assert.equal(await r.pexpireat('k', clock.now() + 100), 1);
    assert.equal(await r.pexpiretime('k'), clock.now() + 100);
    clock.advance(100);
    assert.equal(await r.get('k'), null);
    assert.equal(await r.ttl('k'), -2);
    await assert.rejects(r.call('EXPIRE', 'k', '1', 'NX', 'XX'), /ERR NX and XX, GT or LT options at the same time are not compatible/);
  });

  test('keyspace: DEL EXISTS TYPE RENAME COPY KEYS SCAN RANDOMKEY DBSIZE', async () => {
    await r.mset('user:1', 'a', 'user:2', 'b', 'other', 'c');
    assert.equal(await r.exists('user:1', 'user:1', 'x'), 2);
    assert.equal(await r.type('other'), 'string');
    assert.equal(await r.rename('other', 'moved'), 'OK');
    assert.equal(await r.renamenx('moved', 'user:1'), 0);
    assert.equal(await r.copy('moved', 'copy'), 1);
    assert.equal(await r.call('COPY', 'moved', 'moved', 'DB', '2'), 1);
    assert.deepEqual((await r.keys('user:*')).sort(), ['user:1', 'user:2']);
    const seen: string[] = [];
    for await (const batch of r.scanStream({ match: 'user:*', count: 1 })) seen.push(...(batch as string[]));
    assert.deepEqual(seen.sort(), ['user:1', 'user:2']);
    assert.equal(await r.dbsize(), 4);
    assert.ok(['user:1', 'user:2', 'moved', 'copy'].includes((await r.randomkey())!));
    assert.equal(await r.del('user:1', 'user:2', 'nope'), 2);
    assert.equal(await r.unlink('moved'), 1);
    assert.equal(await r.touch('copy', 'nope'), 1);
    await assert.rejects(r.rename('nope', 'x'), /ERR no such key/);
    assert.equal(await r.flushdb('ASYNC'), 'OK');
    assert.equal(await r.dbsize(), 0);
  });
});

for (const RESP of [2, 3] as const) {
  describe(`node-redis v5 (RESP${RESP})`, () => {
    const c = createClient({ socket: { port: corral.port, host: '127.0.0.1', reconnectStrategy: false }, RESP });
    c.on('error', () => {});
    before(async () => {
      await c.connect();
    });
    after(async () => {
      c.destroy();
    });
    beforeEach(async () => {
      await c.flushAll();
    });

    test('strings and counters', async () => {
      assert.equal(await c.set('k', 'v', { expiration: { type: 'EX', value: 100 } }), 'OK');
      assert.equal(await c.ttl('k'), 100);
      assert.equal(await c.set('k', 'w', { condition: 'NX' }), null);
      assert.equal(await c.set('k', 'w', { GET: true }), 'v');
      assert.equal(await c.getEx('k', { type: 'PERSIST' }), 'w');
      assert.equal(await c.ttl('k'), -1);
      assert.deepEqual(await c.mGet(['k', 'missing']), ['w', null]);
      assert.equal(await c.mSet({ a: '1', b: '2' }), 'OK');
      assert.equal(await c.incrBy('a', 9), 10);
      assert.equal(await c.incrByFloat('a', 0.5), '10.5');
      assert.equal(await c.append('b', '3'), 2);
      assert.equal(await c.getRange('b', 0, 0), '2');
      assert.equal(await c.getDel('b'), '23');
    });

    test('SET IFEQ through the client API', async () => {
      await c.set('k', 'old');
      assert.equal(await c.set('k', 'new', { condition: 'IFEQ', matchValue: 'nope' }), null);
      assert.equal(await c.get('k'), 'old');
      assert.equal(await c.set('k', 'new', { condition: 'IFEQ', matchValue: 'old' }), 'OK');
      assert.equal(await c.get('k'), 'new');
      await assert.rejects(c.sendCommand(['SET', 'k', 'v', 'NX', 'IFEQ', 'new']), /ERR syntax error/);
    });

    test('keys, TTLs and SCAN', async () => {
      await c.mSet({ 'user:1': 'a', 'user:2': 'b', other: 'c' });
      assert.equal(await c.exists(['user:1', 'other', 'x']), 2);
      assert.equal(await c.type('user:1'), 'string');
      assert.equal(await c.expire('user:1', 50), 1);
      assert.equal(await c.expireTime('user:1'), Math.floor((clock.now() + 50000 + 500) / 1000));
      assert.equal(await c.pExpire('user:2', 1000, 'NX'), 1);
      clock.advance(1000);
      assert.equal(await c.exists('user:2'), 0);
      const seen: string[] = [];
      for await (const batch of c.scanIterator({ MATCH: '*', COUNT: 1 })) seen.push(...batch);
      assert.deepEqual(seen.sort(), ['other', 'user:1']);
      assert.deepEqual((await c.keys('*')).sort(), ['other', 'user:1']);
      assert.equal(await c.rename('other', 'renamed'), 'OK');
      assert.equal(await c.copy('renamed', 'copied', { REPLACE: true }), 1);
      assert.equal(await c.persist('user:1'), 1);
      assert.equal(await c.pTTL('user:1'), -1);
      assert.equal(await c.dbSize(), 3);
      assert.equal(await c.del(['user:1', 'renamed']), 2);
      assert.equal(await c.randomKey(), 'copied');
    });
  });
}
