// Hash commands and MULTI/EXEC/WATCH through real clients against an in-process corral: ioredis
// (RESP2) and node-redis v5 in RESP2 and RESP3, with a ManualClock for expiry.

import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient, MultiErrorReply, WatchError } from 'redis';
import { startCorral, type StartedCorral } from '../support/servers.js';
import { ManualClock } from '../../src/util/clock.js';

const clock = new ManualClock();
const corral: StartedCorral = await startCorral({}, clock);

after(async () => {
  await corral.close();
});

/** Sets a TTL directly in the store (so these tests do not depend on EXPIRE). */
function expireIn(key: string, ms: number): void {
  const db = corral.node.store.dbs[0];
  db.setExpireAt(db.peek(key)!, clock.now() + ms);
}

describe('ioredis (RESP2)', () => {
  let r: Redis;
  let other: Redis;
  before(() => {
    r = new Redis({ port: corral.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    other = new Redis({ port: corral.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  });
  after(() => {
    r.disconnect();
    other.disconnect();
  });
  beforeEach(async () => {
    await r.flushall();
  });

  test('hash reads and writes', async () => {
    assert.equal(await r.hset('h', { a: '1', b: '2' }), 2);
    assert.equal(await r.hset('h', 'a', '3', 'c', '4'), 1);
    assert.equal(await r.hmset('h', 'd', '5'), 'OK');
    assert.equal(await r.hsetnx('h', 'a', 'x'), 0);
    assert.equal(await r.hget('h', 'a'), '3');
    assert.deepEqual(await r.hmget('h', 'a', 'zz', 'd'), ['3', null, '5']);
    assert.deepEqual(await r.hgetall('h'), { a: '3', b: '2', c: '4', d: '5' });
    assert.deepEqual(await r.hkeys('h'), ['a', 'b', 'c', 'd']);
    assert.deepEqual(await r.hvals('h'), ['3', '2', '4', '5']);
    assert.equal(await r.hlen('h'), 4);
    assert.equal(await r.hexists('h', 'b'), 1);
    assert.equal(await r.hstrlen('h', 'a'), 1);
    assert.equal(await r.hdel('h', 'a', 'b', 'zz'), 2);
    assert.equal(await r.hincrby('h', 'c', 10), 14);
    assert.equal(await r.hincrbyfloat('h', 'f', '10.5'), '10.5');
    assert.equal(await r.hincrbyfloat('h', 'f', '0.1'), '10.6');
    await assert.rejects(r.hincrby('h', 'f', 1), /ERR hash value is not an integer/);
    await r.set('s', 'v');
    await assert.rejects(r.hget('s', 'f'), /WRONGTYPE/);
    const bin = Buffer.from([0, 255, 13, 10]);
    await r.hset('hb', bin, bin);
    assert.deepEqual(await r.hgetBuffer('hb', bin), bin);
  });

  test('HSCAN walks a large hash; HRANDFIELD samples', async () => {
    const fields: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) fields[`f${i}`] = String(i);
    await r.hset('big', fields);
    const seen: Record<string, string> = {};
    let cursor = '0';
    do {
      const [next, items] = await r.hscan('big', cursor, 'COUNT', 50);
      for (let i = 0; i < items.length; i += 2) seen[items[i]] = items[i + 1];
      cursor = next;
    } while (cursor !== '0');
    assert.deepEqual(seen, fields);
    const [, matched] = await r.hscan('big', '0', 'MATCH', 'f99*', 'COUNT', 2000);
    assert.deepEqual(matched.filter((_, i) => i % 2 === 0).sort(), ['f99', 'f990', 'f991', 'f992', 'f993', 'f994', 'f995', 'f996', 'f997', 'f998', 'f999']);
    const sample = (await r.hrandfield('big', 10)) as string[];
    assert.equal(new Set(sample).size, 10);
    const pairs = (await r.hrandfield('big', -4, 'WITHVALUES')) as string[];
    assert.equal(pairs.length, 8);
    assert.equal(pairs[1], fields[pairs[0]]);
  });

  test('MULTI/EXEC, runtime errors inside EXEC, DISCARD', async () => {
    await r.hset('h', 'f', 'v');
    const res = await r.multi().set('a', '1').incr('h').hget('h', 'f').exec();
    assert.deepEqual(res![0], [null, 'OK']);
    assert.match(String(res![1][0]), /WRONGTYPE/, 'a runtime error does not stop the transaction');
    assert.deepEqual(res![2], [null, 'v']);
    assert.equal(await r.multi({ pipeline: false }), 'OK');
    assert.equal(await r.set('a', '2'), 'QUEUED');
    assert.equal(await r.discard(), 'OK');
    assert.equal(await r.get('a'), '1');
    await assert.rejects(r.exec(), /ERR EXEC without MULTI/);
  });

  test('a syntax or arity error while queueing aborts with EXECABORT', async () => {
    await assert.rejects(r.multi().call('SET', 'a').set('b', '1').exec(), /EXECABORT Transaction discarded because of previous errors/);
    await assert.rejects(r.multi().call('NOSUCHCOMMAND').set('b', '1').exec(), /EXECABORT/);
    assert.equal(await r.exists('b'), 0);
  });

  test('WATCH: another client\'s write aborts EXEC; UNWATCH and DISCARD forget the keys', async () => {
    await r.set('k', 'v');
    await r.watch('k');
    await other.set('k', 'w');
    assert.equal(await r.multi().get('k').exec(), null);
    await r.watch('k');
    await r.unwatch();
    await other.set('k', 'x');
    assert.deepEqual(await r.multi().get('k').exec(), [[null, 'x']]);
    await r.hset('h', 'f', '1');
    await r.watch('h');
    await other.hincrby('h', 'f', 1);
    assert.equal(await r.multi().hget('h', 'f').exec(), null, 'an in-place hash change counts');
  });

  test('WATCH: a key expiring before EXEC aborts; FLUSHALL aborts watchers of existing keys', async () => {
    await r.set('k', 'v');
    expireIn('k', 100);
    await r.watch('k');
    clock.advance(100);
    assert.equal(await r.multi().ping().exec(), null);
    await r.set('k', 'v');
    await r.watch('k', 'absent');
    await other.flushall();
    assert.equal(await r.multi().ping().exec(), null);
    await r.watch('absent');
    await other.flushall();
    assert.deepEqual(await r.multi().ping().exec(), [[null, 'PONG']], 'flushing a missing key changes nothing');
  });
});

for (const RESP of [2, 3] as const) {
  describe(`node-redis v5 (RESP${RESP})`, () => {
    const client = createClient({ socket: { port: corral.port, host: '127.0.0.1' }, RESP });
    const other = createClient({ socket: { port: corral.port, host: '127.0.0.1' }, RESP });
    before(async () => {
      await client.connect();
      await other.connect();
    });
    after(async () => {
      client.destroy();
      other.destroy();
    });
    beforeEach(async () => {
      await client.flushAll();
    });

    test('hashes', async () => {
      assert.equal(await client.hSet('h', { a: '1', b: '2' }), 2);
      assert.deepEqual({ ...(await client.hGetAll('h')) }, { a: '1', b: '2' });
      assert.deepEqual({ ...(await client.hGetAll('missing')) }, {});
      assert.deepEqual(await client.hmGet('h', ['a', 'zz']), ['1', null]);
      assert.equal(await client.hIncrBy('h', 'a', 5), 6);
      assert.equal(await client.hIncrByFloat('h', 'x', 0.1), '0.1');
      assert.equal(await client.hExists('h', 'a'), 1);
      assert.equal(await client.hLen('h'), 3);
      const scanned = await client.hScan('h', '0');
      assert.equal(String(scanned.cursor), '0');
      assert.deepEqual(scanned.entries.map((e) => e.field), ['a', 'b', 'x']);
      const pairs = await client.hRandFieldCountWithValues('h', -5);
      assert.equal(pairs.length, 5);
      for (const p of pairs) assert.ok(['a', 'b', 'x'].includes(p.field));
      assert.equal(await client.hRandField('missing'), null);
      assert.equal(await client.hDel('h', ['a', 'b', 'x']), 3);
      assert.equal(await client.exists('h'), 0);
    });

    test('MULTI/EXEC and WATCH', async () => {
      const failed = await client.multi().hSet('h', 'f', 'v').hGetAll('h').incr('h').exec().catch((e: unknown) => e);
      assert.ok(failed instanceof MultiErrorReply, 'a runtime error inside EXEC is reported per command');
      assert.deepEqual(failed.errorIndexes, [2]);
      assert.equal(failed.replies[0], 1);
      assert.deepEqual({ ...(failed.replies[1] as unknown as Record<string, string>) }, { f: 'v' });
      assert.match(String(failed.replies[2]), /WRONGTYPE/);
      await client.watch('h');
      await other.hSet('h', 'g', 'w');
      await assert.rejects(client.multi().hGet('h', 'f').exec(), WatchError);
      await client.watch('h');
      assert.deepEqual(await client.multi().hGet('h', 'g').exec(), ['w']);
    });
  });
}
