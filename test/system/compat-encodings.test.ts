// OBJECT ENCODING compared with a real redis-server 7.0 under the encoding limits CONFIG SET
// changes (hash-max-listpack-*, zset-max-listpack-*, set-max-intset-entries, and their ziplist
// aliases): values converting as they grow, the STORE commands (ZUNIONSTORE, ZRANGESTORE,
// SINTERSTORE...), COPY, RESTORE and DEBUG RELOAD loading under the limits of the moment, and
// strings left raw by an in-place edit. Scripted cases, then random ones (fast-check).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { RawConnection, startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { type Cmd } from '../support/compare.js';

let corral: StartedCorral;
let redis: Started;
let redisDir: string;

before(async () => {
  // DEBUG RELOAD makes redis-server write its dump.rdb: in a directory of its own.
  redisDir = mkdtempSync(path.join(tmpdir(), 'corral-encodings-'));
  [corral, redis] = await Promise.all([startCorral({ 'enable-debug-command': 'yes' }), startRedis(['--enable-debug-command', 'yes', '--dir', redisDir])]);
});

after(async () => {
  await Promise.all([corral?.close(), redis?.close()]);
  rmSync(redisDir, { recursive: true, force: true });
});

const DEFAULTS: Cmd[] = [
  ['CONFIG', 'SET', 'hash-max-listpack-entries', '512', 'hash-max-listpack-value', '64'],
  ['CONFIG', 'SET', 'zset-max-listpack-entries', '128', 'zset-max-listpack-value', '64'],
  ['CONFIG', 'SET', 'set-max-intset-entries', '512'],
];

/** The bytes of a bulk string reply. */
function bulkOf(raw: Buffer): Buffer {
  const nl = raw.indexOf('\r\n');
  assert.equal(raw[0], 0x24, `a bulk reply: ${JSON.stringify(raw.toString('latin1'))}`);
  const len = Number(raw.subarray(1, nl).toString());
  return raw.subarray(nl + 2, nl + 2 + len);
}

/**
 * Runs cmds on one server (flushed, default limits first, restored after) and returns each reply
 * as text. ['@RESTORE', src, dst] is DUMP src, then RESTORE dst 0 <that payload> REPLACE;
 * ['@RANDOM', ...cmd] runs cmd, whose reply is random (not compared).
 */
async function transcript(port: number, cmds: Cmd[]): Promise<string[]> {
  const c = await RawConnection.connect(port);
  try {
    await c.call('FLUSHALL');
    for (const d of DEFAULTS) await c.call(...d);
    const out: string[] = [];
    for (const cmd of cmds) {
      if (cmd[0] === '@RESTORE') {
        const dumped = await c.callRaw('DUMP', cmd[1]);
        if (dumped.toString('latin1') === '$-1\r\n') out.push('(no key to dump)');
        else out.push((await c.callRaw('RESTORE', cmd[2], '0', bulkOf(dumped), 'REPLACE')).toString('latin1'));
      } else if (cmd[0] === '@RANDOM') {
        await c.callRaw(...cmd.slice(1));
        out.push('(random)');
      } else {
        out.push((await c.callRaw(...cmd)).toString('latin1'));
      }
    }
    for (const d of DEFAULTS) await c.call(...d);
    return out;
  } finally {
    c.close();
  }
}

async function same(cmds: Cmd[]): Promise<void> {
  const ours = await transcript(corral.port, cmds);
  const theirs = await transcript(redis.port, cmds);
  for (let i = 0; i < cmds.length; i++) {
    const cmd = cmds[i].map((a) => (Buffer.isBuffer(a) ? '<bytes>' : String(a))).join(' ');
    assert.equal(JSON.stringify(ours[i]), JSON.stringify(theirs[i]), `#${i} ${cmd.length > 120 ? cmd.slice(0, 120) + '...' : cmd}`);
  }
}

const lines = (text: string): Cmd[] =>
  text
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map((a) => a.replace(/^x(\d+)$/, (_, n: string) => 'x'.repeat(Number(n)))));

describe('OBJECT ENCODING follows the encoding limits as redis 7.0 does', () => {
  test('sorted sets: ZADD, ZINCRBY, the STORE commands, COPY', async () => {
    await same(lines(`
      CONFIG SET zset-max-ziplist-entries 0
      ZADD z 1 a
      OBJECT ENCODING z
      ZINCRBY zi 1 a
      OBJECT ENCODING zi
      CONFIG SET zset-max-ziplist-entries 128 zset-max-listpack-value 3
      ZADD z2 1 abcd 2 b
      OBJECT ENCODING z2
      ZADD z3 1 a 2 abc
      OBJECT ENCODING z3
      ZADD z3 3 abcd
      OBJECT ENCODING z3
      ZREM z3 abcd
      OBJECT ENCODING z3
      CONFIG SET zset-max-listpack-value 64 zset-max-listpack-entries 2
      ZADD z4 1 a 2 b
      OBJECT ENCODING z4
      ZADD z4 XX 5 a
      ZADD z4 NX 3 c
      OBJECT ENCODING z4
      CONFIG SET zset-max-listpack-entries 1
      ZADD z1 1 a 2 b
      ZRANGESTORE d1 z1 0 0
      OBJECT ENCODING d1
      ZRANGESTORE d2 z1 0 1
      OBJECT ENCODING d2
      ZRANGESTORE d3 z1 -inf +inf BYSCORE
      OBJECT ENCODING d3
      ZRANGESTORE d4 z1 -inf +inf BYSCORE LIMIT 0 1
      OBJECT ENCODING d4
      ZUNIONSTORE u1 1 z1
      OBJECT ENCODING u1
      COPY d2 c2
      OBJECT ENCODING c2
      CONFIG SET zset-max-listpack-entries 128
      ZUNIONSTORE u2 2 z1 z2
      OBJECT ENCODING u2
      ZINTERSTORE i1 2 z1 z1
      OBJECT ENCODING i1
      ZDIFFSTORE f1 2 z1 z4
      OBJECT ENCODING f1
      CONFIG SET zset-max-listpack-value 3
      ZADD long 1 abcdef 2 a
      ZUNIONSTORE u3 1 long
      OBJECT ENCODING u3
      ZRANGESTORE r3 long 0 -1
      OBJECT ENCODING r3
      ZRANGESTORE r4 long 2 +inf BYSCORE
      OBJECT ENCODING r4
      ZRANGESTORE r5 long [a [b BYLEX
      OBJECT ENCODING r5
    `));
  });

  test('hashes: HSET, HSETNX, HINCRBY, HINCRBYFLOAT past the value and entries limits', async () => {
    await same(lines(`
      CONFIG SET hash-max-listpack-value 8
      HSET h tmp 0
      HINCRBYFLOAT h tmp 0.0000005
      OBJECT ENCODING h
      HSET h2 tmp 0
      HINCRBYFLOAT h2 tmp 0.000005
      OBJECT ENCODING h2
      HINCRBYFLOAT h3 abcdefghi 1
      OBJECT ENCODING h3
      HINCRBYFLOAT h4 abcdefgh 1
      OBJECT ENCODING h4
      HINCRBY h5 f 123456789
      OBJECT ENCODING h5
      HSETNX h6 f x9
      OBJECT ENCODING h6
      HSET h7 a 1 b x9 c 2
      OBJECT ENCODING h7
      HDEL h7 b
      OBJECT ENCODING h7
      CONFIG SET hash-max-ziplist-value 64 hash-max-ziplist-entries 2
      HSET e a 1 b 2
      OBJECT ENCODING e
      HSET e a 3
      OBJECT ENCODING e
      HSET e c 3
      OBJECT ENCODING e
      CONFIG SET hash-max-listpack-entries 0
      HSET z a 1
      OBJECT ENCODING z
      CONFIG SET hash-max-listpack-entries 1000 hash-max-listpack-value 1000
      HSET w f x100
      OBJECT ENCODING w
      HSET w g x999
      OBJECT ENCODING w
      COPY w w2
      OBJECT ENCODING w2
      CONFIG SET hash-max-listpack-value 64
      OBJECT ENCODING w
      HSET w h 1
      OBJECT ENCODING w
      HSET w i x65
      OBJECT ENCODING w
      CONFIG SET hash-max-listpack-entries 1
      HSET w2 f 1
      OBJECT ENCODING w2
      HLEN w2
    `));
  });

  test('a hash past 512 fields, with the entries limit raised, stays a listpack', async () => {
    const fields: string[] = [];
    for (let i = 0; i < 600; i++) fields.push(`f${i}`, `v${i}`);
    await same([
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '700'],
      ['HSET', 'big', ...fields],
      ['OBJECT', 'ENCODING', 'big'],
      ['HSET', 'big', 'f600', 'x', 'f601', 'y'],
      ['OBJECT', 'ENCODING', 'big'],
      ['HLEN', 'big'],
      ['HSCAN', 'big', '0', 'COUNT', '1', 'MATCH', 'f59?'],
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '601'],
      ['HSET', 'big', 'f0', 'z'],
      ['OBJECT', 'ENCODING', 'big'],
    ]);
  });

  test('sets: SADD, SMOVE, the STORE commands, SPOP rebuilding', async () => {
    await same(lines(`
      CONFIG SET set-max-intset-entries 2
      SADD s 1 2
      OBJECT ENCODING s
      SADD s 3
      OBJECT ENCODING s
      SREM s 3
      OBJECT ENCODING s
      CONFIG SET set-max-intset-entries 0
      SADD z 1
      OBJECT ENCODING z
      CONFIG SET set-max-intset-entries 512
      SADD a 1 2 3
      SADD b 2 3 4
      CONFIG SET set-max-intset-entries 1
      SINTERSTORE i a b
      OBJECT ENCODING i
      SUNIONSTORE u a b
      OBJECT ENCODING u
      SDIFFSTORE d a b
      OBJECT ENCODING d
      SMOVE a m 1
      OBJECT ENCODING m
      SMOVE a m 2
      OBJECT ENCODING m
      CONFIG SET set-max-intset-entries 3
      SADD p 1 2 3 4 5 6 7 8 9 10
      OBJECT ENCODING p
      @RANDOM SPOP p 8
      OBJECT ENCODING p
      SCARD p
    `));
  });

  test('RESTORE and DEBUG RELOAD load under the limits of the moment, as rdbLoadObject', async () => {
    await same(lines(`
      ZADD zl 1 abcdefgh 2 b
      HSET hl f abcdefgh g 2
      SADD si 1 2 3
      CONFIG SET zset-max-listpack-value 4 hash-max-listpack-value 4
      @RESTORE zl zl2
      OBJECT ENCODING zl2
      @RESTORE hl hl2
      OBJECT ENCODING hl2
      ZADD zs 1 abcdefgh 2 b
      OBJECT ENCODING zs
      HSET hs f abcdefgh g 2
      OBJECT ENCODING hs
      CONFIG SET zset-max-listpack-value 64 hash-max-listpack-value 64
      @RESTORE zs zs2
      OBJECT ENCODING zs2
      @RESTORE hs hs2
      OBJECT ENCODING hs2
      CONFIG SET zset-max-listpack-entries 1 hash-max-listpack-entries 1 set-max-intset-entries 2
      @RESTORE zl zl3
      OBJECT ENCODING zl3
      @RESTORE hl hl3
      OBJECT ENCODING hl3
      @RESTORE si si3
      OBJECT ENCODING si3
      CONFIG SET zset-max-listpack-entries 128 hash-max-listpack-entries 512 set-max-intset-entries 512
      SADD st a 1
      SREM st a
      OBJECT ENCODING st
      @RESTORE st st2
      OBJECT ENCODING st2
      CONFIG SET zset-max-listpack-entries 0
      DEBUG RELOAD
      OBJECT ENCODING zl
      OBJECT ENCODING zs2
      CONFIG SET zset-max-listpack-entries 128 set-max-intset-entries 1
      DEBUG RELOAD
      OBJECT ENCODING zl
      OBJECT ENCODING hs
      OBJECT ENCODING si
      OBJECT ENCODING st
    `));
  });

  test('strings: raw after an in-place edit, never int after INCRBYFLOAT, until rewritten', async () => {
    await same(lines(`
      SET k 1234
      SETRANGE k 0 ""
      OBJECT ENCODING k
      SETRANGE k 0 2
      OBJECT ENCODING k
      GET k
      EXPIRE k 100
      OBJECT ENCODING k
      INCR k
      OBJECT ENCODING k
      SETRANGE n 1 3
      OBJECT ENCODING n
      APPEND a 12
      OBJECT ENCODING a
      APPEND a 3
      OBJECT ENCODING a
      SET a 5
      OBJECT ENCODING a
      SETBIT b 1 1
      OBJECT ENCODING b
      SET c 5
      BITFIELD c GET u8 0
      OBJECT ENCODING c
      BITFIELD c SET u8 0 1
      OBJECT ENCODING c
      BITOP OR o c
      OBJECT ENCODING o
      PFADD h a b
      OBJECT ENCODING h
      INCRBYFLOAT f 1
      OBJECT ENCODING f
      INCRBYFLOAT f 0.5
      OBJECT ENCODING f
      SET f 2
      OBJECT ENCODING f
      SET e abc
      COPY e e2
      OBJECT ENCODING e2
      DEBUG RELOAD
      OBJECT ENCODING k
      OBJECT ENCODING a
    `).map((c) => c.map((a) => (a === '""' ? '' : a))));
  });

  test('random limits and commands', async () => {
    const member = fc.oneof(fc.constantFrom('1', '2', '-3', '40', 'a', 'b', 'ab'), fc.integer({ min: 0, max: 60 }).map(String), fc.integer({ min: 1, max: 12 }).map((n) => 'm'.repeat(n)));
    const key = fc.constantFrom('k1', 'k2', 'k3');
    const PARAMS = ['hash-max-listpack-entries', 'hash-max-listpack-value', 'zset-max-listpack-entries', 'zset-max-listpack-value', 'set-max-intset-entries'];
    const limit = fc.integer({ min: 0, max: 6 });
    const op: fc.Arbitrary<Cmd[]> = fc.oneof(
      fc.tuple(fc.constantFrom(...PARAMS), limit).map(([p, v]) => [['CONFIG', 'SET', p, String(v)]]),
      fc.tuple(key, fc.array(fc.tuple(fc.integer({ min: -3, max: 3 }), member), { minLength: 1, maxLength: 4 })).map(([k, ms]) => [['ZADD', `z${k}`, ...ms.flat().map(String)]]),
      fc.tuple(key, member).map(([k, m]) => [['ZREM', `z${k}`, m]]),
      fc.tuple(key, key, fc.integer({ min: -2, max: 4 })).map(([d, s, n]) => [['ZRANGESTORE', `z${d}`, `z${s}`, '0', String(n)]]),
      fc.tuple(key, key, key).map(([d, a, b]) => [['ZUNIONSTORE', `z${d}`, '2', `z${a}`, `z${b}`]]),
      fc.tuple(key, fc.array(fc.tuple(member, member), { minLength: 1, maxLength: 3 })).map(([k, ps]) => [['HSET', `h${k}`, ...ps.flat()]]),
      fc.tuple(key, member).map(([k, f]) => [['HINCRBYFLOAT', `h${k}`, f, '0.25']]),
      fc.tuple(key, member).map(([k, f]) => [['HDEL', `h${k}`, f]]),
      fc.tuple(key, fc.array(member, { minLength: 1, maxLength: 4 })).map(([k, ms]) => [['SADD', `s${k}`, ...ms]]),
      fc.tuple(key, key, key).map(([d, a, b]) => [['SUNIONSTORE', `s${d}`, `s${a}`, `s${b}`]]),
      fc.tuple(fc.constantFrom('z', 'h', 's'), key, key).map(([t, a, b]) => [['@RESTORE', `${t}${a}`, `${t}${b}`]]),
      fc.tuple(fc.constantFrom('z', 'h', 's'), key, key).map(([t, a, b]) => [['COPY', `${t}${a}`, `${t}${b}`, 'REPLACE']]),
    );
    const encodings: Cmd[] = [];
    for (const t of ['z', 'h', 's']) for (const k of ['k1', 'k2', 'k3']) encodings.push(['OBJECT', 'ENCODING', `${t}${k}`]);
    await fc.assert(
      fc.asyncProperty(fc.array(limit, { minLength: 5, maxLength: 5 }), fc.array(op, { minLength: 1, maxLength: 25 }), async (limits, ops) => {
        const cmds: Cmd[] = [['CONFIG', 'SET', ...PARAMS.flatMap((p, i) => [p, String(limits[i])])]];
        for (const o of ops) cmds.push(...o, ...encodings);
        await same(cmds);
      }),
      { numRuns: 60, interruptAfterTimeLimit: 60_000 },
    );
  });
});
