// corral's client against an in-process corral node (not in cluster mode yet): single-node
// fallback, every typed method, binary values, SET ... IFEQ, typed errors, and many concurrent
// callers sharing one pipelined connection.

import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, type StartedCorral } from '../support/servers.js';
import { createClient, ReplyError, TimeoutError, type CorralClient } from '../../src/client/index.js';

let corral: StartedCorral;
let c: CorralClient;

before(async () => {
  corral = await startCorral();
  c = createClient({ nodes: [`127.0.0.1:${corral.port}`] });
  await c.ready();
});

after(async () => {
  await c.quit();
  await corral.close();
});

beforeEach(async () => {
  await c.send('FLUSHALL');
});

describe('client against corral (single node)', () => {
  test('falls back to single-node mode (no cluster support)', () => {
    assert.equal(c.mode, 'single');
    assert.deepEqual(c.nodes(), [`127.0.0.1:${corral.port}`]);
  });

  test('strings: get/set with options, misses are null', async () => {
    assert.equal(await c.get('nope'), null);
    assert.equal(await c.set('k', 'v'), 'OK');
    assert.equal(await c.get('k'), 'v');
    assert.equal(await c.set('k', 'w', { nx: true }), null);
    assert.equal(await c.set('k', 'w', { xx: true, get: true }), 'v');
    assert.equal(await c.set('t', '1', { px: 60000 }), 'OK');
    assert.ok((await c.pttl('t')) > 0);
    assert.equal(await c.set('t2', '1', { ex: 100 }), 'OK');
    assert.ok((await c.ttl('t2')) > 0);
    assert.equal(await c.ttl('k'), -1);
    assert.equal(await c.ttl('nope'), -2);
  });

  test('unicode and binary values', async () => {
    await c.set('ключ', 'значение ✓');
    assert.equal(await c.get('ключ'), 'значение ✓');
    const bin = Buffer.from([0, 1, 2, 255, 13, 10, 0x80]);
    await c.set('bin', bin);
    assert.deepEqual(await c.getBuffer('bin'), bin);
    assert.deepEqual(await c.mgetBuffer('bin', 'nope'), [bin, null]);
    assert.equal(await c.getBuffer('nope'), null);
  });

  test('counters and expiry', async () => {
    assert.equal(await c.incr('n'), 1);
    assert.equal(await c.incrBy('n', 10), 11);
    assert.equal(await c.decr('n'), 10);
    assert.equal(await c.decrBy('n', 4), 6);
    assert.equal(await c.expire('n', 100), true);
    assert.equal(await c.expire('nope', 100), false);
    assert.equal(await c.pexpire('n', 100000), true);
    assert.ok((await c.pttl('n')) > 90000);
  });

  test('multi-key: mget/mset/del/exists/unlink', async () => {
    assert.equal(await c.mset({ a: '1', b: '2' }), 'OK');
    assert.equal(await c.mset([['c', 3]]), 'OK');
    assert.equal(await c.mset(new Map([['d', '4']])), 'OK');
    assert.deepEqual(await c.mget('a', 'x', 'b', 'c', 'd'), ['1', null, '2', '3', '4']);
    assert.deepEqual(await c.mget(['d', 'a']), ['4', '1']);
    assert.equal(await c.exists('a', 'b', 'x', 'a'), 3);
    assert.equal(await c.del('a', 'x'), 1);
    assert.equal(await c.unlink(['b', 'c']), 2);
    assert.equal(await c.exists('a', 'b', 'c'), 0);
  });

  test('hashes', async () => {
    assert.equal(await c.hset('h', 'f', 'v'), 1);
    assert.equal(await c.hset('h', { g: '2', f: 'w' }), 1);
    assert.equal(await c.hget('h', 'f'), 'w');
    assert.equal(await c.hget('h', 'nope'), null);
    assert.deepEqual(await c.hgetall('h'), { f: 'w', g: '2' });
    assert.deepEqual(await c.hgetall('nohash'), {});
    assert.equal(await c.hdel('h', 'f', 'nope'), 1);
  });

  test('setIfEquals (SET ... IFEQ)', async () => {
    await c.set('cas', 'old');
    assert.equal(await c.setIfEquals('cas', 'new', 'wrong'), false);
    assert.equal(await c.get('cas'), 'old');
    assert.equal(await c.setIfEquals('cas', 'new', 'old'), true);
    assert.equal(await c.get('cas'), 'new');
  });

  test('ping, send, sendToAll', async () => {
    assert.equal(await c.ping(), 'PONG');
    assert.equal(await c.ping('hi'), 'hi');
    assert.equal(await c.send('SET', 'g', 'x'), 'OK');
    assert.equal(await c.send('STRLEN', 'g'), 1);
    assert.deepEqual(await c.send('MGET', 'g', 'nope'), ['x', null]);
    assert.deepEqual(await c.sendToAll('DBSIZE'), [1]);
    assert.deepEqual(await c.sendBuffer('GET', 'g'), Buffer.from('x'));
  });

  test('error replies are ReplyError; the connection stays usable', async () => {
    await c.hset('h', 'f', 'v');
    const e = await c.incr('h').catch((x: unknown) => x);
    assert.ok(e instanceof ReplyError);
    assert.equal(e.code, 'E_REPLY');
    assert.match(e.message, /^WRONGTYPE/);
    await assert.rejects(c.send('NOSUCHCOMMAND', 'x'), (x: unknown) => x instanceof ReplyError && /unknown command/.test(x.message));
    assert.equal(await c.get('h2'), null);
  });

  test('2000 concurrent callers on one pipelined connection get their own replies', async () => {
    await Promise.all(Array.from({ length: 2000 }, (_, i) => c.set(`k${i}`, `v${i}`)));
    const got = await Promise.all(Array.from({ length: 2000 }, (_, i) => c.get(`k${i}`)));
    got.forEach((v, i) => assert.equal(v, `v${i}`));
    const big = 'x'.repeat(3 * 1024 * 1024);
    await c.set('big', big);
    assert.equal(await c.get('big'), big);
  });

  test('a 1 ms commandTimeout against a live node: commands either succeed or fail with TimeoutError', async () => {
    const t = createClient({ nodes: [`127.0.0.1:${corral.port}`], commandTimeout: 1 });
    try {
      await t.ready().catch(() => {});
      // With a 1 ms budget some commands may time out; whatever happens, later replies must match.
      const rs = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => t.set(`t${i}`, `${i}`)));
      for (const r of rs) {
        if (r.status === 'rejected') assert.ok(r.reason instanceof TimeoutError);
        else assert.equal(r.value, 'OK');
      }
    } finally {
      t.close();
    }
  });
});
