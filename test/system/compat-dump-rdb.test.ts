// DUMP / RESTORE against a real redis-server 7.0.15, in Redis's RDB payload format (store/rdb.ts):
// a payload DUMPed by Redis RESTOREs into corral with the same content, encoding and TTL; one
// DUMPed by corral RESTOREs into Redis with the same content; and for values whose bytes are
// deterministic in Redis (strings, intsets, listpack hashes and zsets, skiplist zsets, lists
// built by tail pushes) the two DUMPs are byte for byte the same. Hashtable sets and hashes are
// compared by content only (Redis's dict order is not reproducible).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import type { ReplyValue } from '../../src/protocol/reply-parser.js';

let corral: StartedCorral;
let redis: Started;
let c: RawConnection;
let r: RawConnection;

before(async () => {
  [corral, redis] = await Promise.all([startCorral(), startRedis()]);
  [c, r] = await Promise.all([RawConnection.connect(corral.port), RawConnection.connect(redis.port)]);
});

after(async () => {
  c?.close();
  r?.close();
  await Promise.all([corral?.close(), redis?.close()]);
});

type Cmd = Array<string | Buffer | number>;

const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i));
const pairs = (n: number, f: (i: number) => [string, string]): string[] => Array.from({ length: n }, (_, i) => f(i)).flat();

/** A deterministic pseudo-random byte string. */
function noise(n: number, seed: number): string {
  let x = seed >>> 0 || 1;
  let s = '';
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    s += String.fromCharCode(x & 0xff);
  }
  return s;
}

/** The key's content in a comparable form (order-free for sets and hashes). */
async function content(conn: RawConnection, key: string): Promise<unknown> {
  const type = ((await conn.call('TYPE', key)) as { simple: string }).simple;
  const enc = await conn.call('OBJECT', 'ENCODING', key);
  let v: ReplyValue;
  switch (type) {
    case 'string':
      v = await conn.call('GET', key);
      break;
    case 'list':
      v = await conn.call('LRANGE', key, 0, -1);
      break;
    case 'set':
      v = ((await conn.call('SMEMBERS', key)) as string[]).sort();
      break;
    case 'zset':
      v = await conn.call('ZRANGE', key, 0, -1, 'WITHSCORES');
      break;
    case 'hash': {
      const flat = (await conn.call('HGETALL', key)) as string[];
      const pairs: string[] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push(JSON.stringify([flat[i], flat[i + 1]]));
      v = pairs.sort();
      break;
    }
    default:
      v = null;
  }
  return { type, enc, v };
}

const bin = (v: ReplyValue): Buffer => Buffer.from(v as string, 'latin1');

interface Case {
  name: string;
  setup: Cmd[];
  /** Redis's DUMP bytes are deterministic for this value: corral's must be the same. */
  identical: boolean;
}

const cases: Case[] = [
  { name: 'short string', setup: [['SET', 'k', 'hello']], identical: true },
  { name: 'empty string', setup: [['SET', 'k', '']], identical: true },
  { name: 'int8 string', setup: [['SET', 'k', '-7']], identical: true },
  { name: 'int16 string', setup: [['SET', 'k', '300']], identical: true },
  { name: 'int32 string', setup: [['SET', 'k', '-2147483648']], identical: true },
  { name: 'int64 string', setup: [['SET', 'k', '9223372036854775807']], identical: true },
  { name: 'non-canonical number', setup: [['SET', 'k', '007']], identical: true },
  { name: 'incremented int', setup: [['SET', 'k', '41'], ['INCR', 'k']], identical: true },
  { name: 'compressible string (LZF)', setup: [['SET', 'k', 'abc'.repeat(200)]], identical: true },
  { name: 'text string (LZF)', setup: [['SET', 'k', 'the quick brown fox jumps over the lazy dog, the quick brown cat']], identical: true },
  { name: 'incompressible string', setup: [['SET', 'k', Buffer.from(noise(300, 7), 'latin1')]], identical: true },
  { name: 'big string', setup: [['SET', 'k', 'x'.repeat(70000) + noise(5000, 3)]], identical: true },
  { name: 'small list', setup: [['RPUSH', 'k', 'a', 'b', '1', '-1', '127', '128', '-4096', '4095', '40000', '-9000000', '3000000000', '9223372036854775807', '-9223372036854775808', '', '01']], identical: true },
  { name: 'list with long items', setup: [['RPUSH', 'k', 'y'.repeat(100), 'z'.repeat(5000), noise(70, 9)]], identical: true },
  { name: 'multi-node list', setup: [['RPUSH', 'k', ...range(3000, (i) => `item:${i}:${'v'.repeat(i % 40)}`)]], identical: true },
  { name: 'small list built at the head', setup: [['LPUSH', 'k', 'a', '1', 'bb'], ['RPUSH', 'k', 'z'], ['LSET', 'k', '1', 'one'], ['LREM', 'k', '0', 'a']], identical: true },
  { name: 'multi-node list built at the head', setup: [['LPUSH', 'k', ...range(3000, (i) => `item:${i}:${'v'.repeat(i % 40)}`)]], identical: false },
  { name: 'list with big elements', setup: [['RPUSH', 'k', ...range(6, (i) => noise(3000 + i * 1000, i + 1))]], identical: true },
  { name: 'intset', setup: [['SADD', 'k', '5', '1', '-3', '100']], identical: true },
  { name: 'intset int32', setup: [['SADD', 'k', '5', '70000', '-3']], identical: true },
  { name: 'intset int64', setup: [['SADD', 'k', '5', '9223372036854775807', '-9223372036854775808']], identical: true },
  { name: 'large intset', setup: [['SADD', 'k', ...range(400, (i) => String(i * 7 - 1000))]], identical: true },
  { name: 'hashtable set', setup: [['SADD', 'k', 'a', 'b', 'c', '1']], identical: false },
  { name: 'big hashtable set', setup: [['SADD', 'k', ...range(600, (i) => String(i))]], identical: false },
  { name: 'listpack zset', setup: [['ZADD', 'k', '1.5', 'a', '2', 'b', '-0', 'c', 'inf', 'd', '0.1', 'e', '1e20', 'f', '3.14159', 'g', '-inf', 'h', '-2.5e-10', 'i', '4611686018427387904', 'j', '123456789012', 'l', '1e300', 'm']], identical: true },
  { name: 'listpack zset, integer members', setup: [['ZADD', 'k', '1', '1', '2', '100000', '3', 'x'.repeat(30)]], identical: true },
  { name: 'skiplist zset (many)', setup: [['ZADD', 'k', ...pairs(200, (i) => [String(i / 3), `m${i}`])]], identical: true },
  { name: 'skiplist zset (long member)', setup: [['ZADD', 'k', '1', 'a', '2', 'q'.repeat(100)]], identical: true },
  { name: 'listpack hash', setup: [['HSET', 'k', 'f1', 'v1', 'num', '12345', 'neg', '-77', 'big', '9999999999', 'e', '']], identical: true },
  { name: 'listpack hash, edited', setup: [['HSET', 'k', 'a', '1', 'b', '2', 'c', '3'], ['HDEL', 'k', 'b'], ['HSET', 'k', 'a', 'x', 'd', '4']], identical: true },
  { name: 'listpack hash (LZF)', setup: [['HSET', 'k', ...pairs(40, (i) => [`field${i}`, 'value'.repeat(5)])]], identical: true },
  { name: 'hashtable hash (long value)', setup: [['HSET', 'k', 'a', 'w'.repeat(100), 'b', '2']], identical: false },
  { name: 'hashtable hash (many)', setup: [['HSET', 'k', ...pairs(600, (i) => [`f${i}`, String(i)])]], identical: false },
];

async function run(conn: RawConnection, cmds: Cmd[]): Promise<void> {
  for (const cmd of cmds) {
    const reply = await conn.call(...cmd);
    assert.ok(!(reply !== null && typeof reply === 'object' && 'error' in reply), `${cmd[0]}: ${JSON.stringify(reply)}`);
  }
}

describe('DUMP / RESTORE in Redis 7.0.15 format', () => {
  for (const k of cases) {
    test(k.name, async () => {
      await Promise.all([c.call('FLUSHALL'), r.call('FLUSHALL')]);
      await Promise.all([run(c, k.setup), run(r, k.setup)]);
      const [ours, theirs] = [bin(await c.call('DUMP', 'k')), bin(await r.call('DUMP', 'k'))];
      const want = await content(r, 'k');
      assert.deepEqual(await content(c, 'k'), want, 'same value before dumping');
      if (k.identical) assert.equal(ours.toString('hex'), theirs.toString('hex'), 'DUMP byte for byte');

      // Redis's payload into corral, with an absolute TTL.
      const at = Date.now() + 100_000;
      assert.deepEqual(await c.call('RESTORE', 'fromredis', at, theirs, 'ABSTTL'), { simple: 'OK' });
      assert.deepEqual(await content(c, 'fromredis'), want, 'Redis payload restored in corral');
      const pttl = (await c.call('PTTL', 'fromredis')) as number;
      assert.ok(pttl > 90_000 && pttl <= 100_000, `PTTL ${pttl}`);

      // corral's payload into Redis, with a relative TTL.
      assert.deepEqual(await r.call('RESTORE', 'fromcorral', 50_000, ours), { simple: 'OK' });
      assert.deepEqual(await content(r, 'fromcorral'), want, 'corral payload restored in Redis');
      const rpttl = (await r.call('PTTL', 'fromcorral')) as number;
      assert.ok(rpttl > 40_000 && rpttl <= 50_000, `PTTL ${rpttl}`);

      // And each restores into itself.
      assert.deepEqual(await c.call('RESTORE', 'self', 0, ours), { simple: 'OK' });
      assert.deepEqual(await content(c, 'self'), want);
    });
  }

  test('damaged payloads get the same error text as on Redis and change nothing', async () => {
    await Promise.all([c.call('FLUSHALL'), r.call('FLUSHALL')]);
    const setup: Cmd[] = [['HSET', 'k', 'a', '1', 'b', 'two']];
    await Promise.all([run(c, setup), run(r, setup)]);
    const payload = bin(await r.call('DUMP', 'k'));
    const variants: Buffer[] = [
      payload.subarray(0, 5),
      payload.subarray(0, payload.length - 1),
      Buffer.concat([payload.subarray(0, 3), Buffer.from([payload[3] ^ 1]), payload.subarray(4)]),
      Buffer.from('garbage garbage garbage'),
    ];
    const v11 = Buffer.from(payload);
    v11[v11.length - 10] = 11;
    variants.push(v11);
    for (const p of variants) {
      const [a, b] = [await c.call('RESTORE', 'x', 0, p), await r.call('RESTORE', 'x', 0, p)];
      assert.deepEqual(a, b);
    }
    assert.equal(await c.call('EXISTS', 'x'), 0);
  });

  test('corral payloads (replication format) are still accepted by RESTORE', async () => {
    // Bytes as store/dump.ts writes them for the string "v": tag 0, body, version 0xC001, CRC.
    const { dumpKey } = await import('../../src/store/dump.js');
    await c.call('FLUSHALL');
    await c.call('HSET', 'h', 'f', 'v');
    const p = dumpKey(corral.node.store.dbs[0], 'h')!;
    assert.deepEqual(await c.call('RESTORE', 'h2', 0, p), { simple: 'OK' });
    assert.deepEqual(await c.call('HGETALL', 'h2'), ['f', 'v']);
    assert.deepEqual(await r.call('RESTORE', 'h2', 0, p), { error: 'ERR DUMP payload version or checksum are wrong' });
  });
});
