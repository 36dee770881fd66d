// Byte-for-byte comparison of corral's HyperLogLog commands (PFADD, PFCOUNT, PFMERGE, PFDEBUG,
// PFSELFTEST) with a real redis-server 7.0.15: replies in RESP2 and RESP3, and the HLL strings
// themselves (GET after each write: header, cached cardinality, sparse opcodes, dense registers),
// sparse -> dense promotion under several hll-sparse-max-bytes, corrupted values, HLLs moved
// between the two servers (as GET/SET bytes), and randomized sequences (fast-check).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RawConnection, startCorral, startRedis, transcripts, type Started, type StartedCorral } from '../support/servers.js';
import { flushAll, sameOnBoth, showBytes, type Cmd } from '../support/compare.js';
import { hllPatLen, patIndex } from '../../src/commands/hll-codec.js';

let corral: StartedCorral;
let redis: Started;

before(async () => {
  corral = await startCorral();
  redis = await startRedis();
});

after(async () => {
  await corral?.close();
  await redis?.close();
});

const same = (cmds: Cmd[]): Promise<void> => sameOnBoth(corral.port, redis.port, cmds);

/** RESP2 only, for the randomized runs: flush both, run, compare every reply. */
async function sameOnce(cmds: Cmd[]): Promise<void> {
  await flushAll([corral.port, redis.port]);
  const [ours, theirs] = await transcripts(corral.port, redis.port, cmds);
  for (let i = 0; i < cmds.length; i++) {
    const cmd = cmds[i].map((a) => (Buffer.isBuffer(a) ? `<${a.length} bytes>` : String(a).slice(0, 40))).join(' ');
    assert.equal(showBytes(ours[i]), showBytes(theirs[i]), `#${i} ${cmd}`);
  }
}

const elements = (prefix: string, from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${from + i}`);

/** A dense HLL string whose register i holds reg(i) (cache flagged invalid). */
function denseHll(reg: (i: number) => number): Buffer {
  const b = Buffer.alloc(12304);
  b.write('HYLL', 'latin1');
  b[15] = 0x80;
  for (let i = 0; i < 16384; i++) {
    const bit = i * 6;
    const byte = 16 + (bit >> 3);
    const fb = bit & 7;
    const v = reg(i);
    b[byte] = (b[byte] & ~(63 << fb)) | (v << fb);
    if (fb > 2) b[byte + 1] = (b[byte + 1] & ~(63 >> (8 - fb))) | (v >> (8 - fb));
  }
  return b;
}

/** Elements hashing to registers below 16383, and one hashing to register 16383. */
const registerOf = (e: string): number => (hllPatLen(Buffer.from(e), 0, Buffer.byteLength(e)), patIndex);
const LOW = elements('low', 0, 20).filter((e) => registerOf(e) < 16383);
const LAST = elements('last', 0, 300000).find((e) => registerOf(e) === 16383)!;

const HDR_SPARSE = 'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80';
const sparse = (ops: number[]): Buffer => Buffer.concat([Buffer.from(HDR_SPARSE, 'latin1'), Buffer.from(ops)]);

describe('hyperloglog matches redis 7.0.15', () => {
  test('PFADD / PFCOUNT, the cached cardinality and the bytes after each step', () =>
    same([
      ['PFADD', 'hll'], ['EXISTS', 'hll'], ['GET', 'hll'], ['PFCOUNT', 'hll'], ['GET', 'hll'],
      ['PFADD', 'hll', 'a', 'b', 'c'], ['GET', 'hll'], ['PFADD', 'hll', 'a', 'b', 'c'], ['PFADD', 'hll', ''], ['GET', 'hll'],
      ['PFCOUNT', 'hll'], ['GETRANGE', 'hll', '15', '15'], ['PFCOUNT', 'hll'], ['PFADD', 'hll', 'a', 'b', 'c'], ['GETRANGE', 'hll', '15', '15'],
      ['PFADD', 'hll', '1', '2', '3'], ['GETRANGE', 'hll', '15', '15'], ['PFCOUNT', 'hll'], ['GET', 'hll'], ['STRLEN', 'hll'],
      ['DEL', 'hll'], ['PFADD', 'hll', '1', '2', '3', '4', '5'], ['PFCOUNT', 'hll'], ['PFADD', 'hll', '6', '7', '8', '8', '9', '10'], ['PFCOUNT', 'hll'],
      ['PFADD', 'bin', Buffer.from([0, 255, 13, 10]), Buffer.alloc(100, 7), 'x'.repeat(1000)], ['GET', 'bin'], ['PFCOUNT', 'bin'],
      ['PFCOUNT', 'nokey'], ['PFCOUNT', 'nokey', 'nokey2'], ['PFCOUNT', 'hll', 'bin', 'nokey'], ['GET', 'hll'], ['GET', 'bin'],
      ['SET', 'ttl', 'x'], ['DEL', 'ttl'], ['PFADD', 'ttl', 'a'], ['EXPIRE', 'ttl', '1000'], ['PFADD', 'ttl', 'b'], ['PFCOUNT', 'ttl'], ['TTL', 'ttl'],
      ['PFADD'], ['PFCOUNT'], ['PFMERGE'], ['PFDEBUG', 'GETREG'], ['PFSELFTEST', 'x'],
    ]));

  test('type checks, non-HLL strings and corrupted HLLs', () =>
    same([
      ['SET', 'foo', 'bar'], ['PFADD', 'foo', '1'], ['PFCOUNT', 'foo'], ['PFMERGE', 'bar', 'foo'], ['PFMERGE', 'foo', 'bar'], ['EXISTS', 'bar'],
      ['RPUSH', 'l', 'a'], ['PFADD', 'l', 'a'], ['PFCOUNT', 'l'], ['PFCOUNT', 'l', 'foo'], ['PFMERGE', 'l'], ['PFMERGE', 'x', 'l'], ['PFDEBUG', 'GETREG', 'l'],
      ['SET', 's', 'HYLL'], ['PFCOUNT', 's'], ['PFADD', 's'], ['PFMERGE', 'new', 's'], ['SET', 's', '12345678901234567890'], ['PFCOUNT', 's'],
      // Additional bytes at the tail, broken magic, unknown encoding, dense of the wrong length.
      ['PFADD', 'h', 'a', 'b', 'c'], ['APPEND', 'h', 'hello'], ['PFCOUNT', 'h'], ['PFADD', 'h', 'x'], ['PFCOUNT', 'h', 'h'], ['PFMERGE', 'd', 'h'], ['GET', 'h'],
      ['DEL', 'h'], ['PFADD', 'h', 'a', 'b', 'c'], ['SETRANGE', 'h', '0', '0123'], ['PFCOUNT', 'h'],
      ['DEL', 'h'], ['PFADD', 'h', 'a', 'b', 'c'], ['SETRANGE', 'h', '4', 'x'], ['PFCOUNT', 'h'],
      ['DEL', 'h'], ['PFADD', 'h', 'a', 'b', 'c'], ['SETRANGE', 'h', '4', '\x00'], ['PFCOUNT', 'h'], ['PFADD', 'h', 'z'],
      // Sparse opcodes covering too few or too many registers; a VAL after the 16384th.
      ['SET', 'c', sparse([])], ['PFCOUNT', 'c'], ['PFADD', 'c', 'a'], ['PFMERGE', 'x', 'c'], ['PFDEBUG', 'DECODE', 'c'], ['PFDEBUG', 'TODENSE', 'c'],
      ['SET', 'c', sparse([0x7f, 0xff, 0x80])], ['PFCOUNT', 'c'], ['PFCOUNT', 'c', 'x'], ['PFMERGE', 'y', 'c'], ['PFDEBUG', 'TODENSE', 'c'], ['PFDEBUG', 'GETREG', 'c'],
      ['SET', 'c', sparse([0x7f, 0xfe, 0x3f])], ['PFCOUNT', 'c'], ['PFMERGE', 'y', 'c'], ['PFDEBUG', 'DECODE', 'c'],
      ['SET', 'c', sparse([0x3f])], ['PFADD', 'c', 'a', 'b'], ['GET', 'c'], ['PFDEBUG', 'DECODE', 'c'],
      // Registers 0..16382 only: an element for register 16383 fails after the others were set.
      ['SET', 'c', sparse([0x7f, 0xfe])], ['PFADD', 'c', ...LOW, LAST, 'more'], ['GET', 'c'], ['PFADD', 'c', LAST], ['PFCOUNT', 'c'],
      // Header bytes Redis keeps as they are: unused bytes, a valid cache.
      ['SET', 'k', Buffer.from('HYLL\x01\x07\x08\x09\x11\x22\x33\x44\x55\x66\x77\x11\x7f\xff', 'latin1')], ['PFCOUNT', 'k'], ['PFADD', 'k', 'a'], ['GET', 'k'],
      ['PFCOUNT', 'k'], ['GET', 'k'], ['PFDEBUG', 'TODENSE', 'k'], ['GETRANGE', 'k', '0', '20'],
    ]));

  test('extreme dense registers: huge and out-of-range estimates', async () => {
    const cmds: Cmd[] = [];
    for (const v of [63, 52, 51, 50, 49, 40, 1, 0]) cmds.push(['SET', 'd', denseHll(() => v)], ['PFCOUNT', 'd'], ['GETRANGE', 'd', '0', '15'], ['PFCOUNT', 'd', 'nokey']);
    cmds.push(['SET', 'd', denseHll((i) => i % 64)], ['PFCOUNT', 'd'], ['PFADD', 'd', 'x', 'y'], ['GET', 'd'], ['PFMERGE', 'm', 'd'], ['GET', 'm']);
    cmds.push(['SET', 'd', denseHll((i) => (i * 7) % 52)], ['PFCOUNT', 'd'], ['PFADD', 'd', 'x', 'y'], ['GET', 'd'], ['PFDEBUG', 'GETREG', 'd']);
    await same(cmds);
  });

  test('promotion to dense at hll-sparse-max-bytes', async () => {
    for (const max of ['30', '100', '500', '3000']) {
      const cmds: Cmd[] = [['CONFIG', 'SET', 'hll-sparse-max-bytes', max], ['CONFIG', 'GET', 'hll-sparse-max-bytes']];
      for (let n = 0; n < 2200; n += 50) {
        cmds.push(['PFADD', 'h', ...elements('e', n, 50)], ['PFDEBUG', 'ENCODING', 'h'], ['STRLEN', 'h'], ['GET', 'h'], ['PFCOUNT', 'h']);
      }
      for (let n = 0; n < 400; n++) cmds.push(['PFADD', 'one', `x${n}`]);
      cmds.push(['GET', 'one'], ['PFDEBUG', 'ENCODING', 'one'], ['PFCOUNT', 'one']);
      cmds.push(['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000']);
      await sameOnce(cmds);
    }
  });

  test('PFMERGE: missing, sparse and dense inputs, TTL kept', () =>
    same([
      ['PFMERGE', 'm'], ['GET', 'm'], ['PFMERGE', 'm2', 'no1', 'no2'], ['GET', 'm2'],
      ['PFADD', 'a', 'a', 'b', 'c'], ['PFADD', 'b', 'b', 'c', 'd'], ['PFADD', 'c', 'c', 'd', 'e'],
      ['PFMERGE', 'u', 'a', 'b', 'c'], ['PFCOUNT', 'u'], ['GET', 'u'], ['PFCOUNT', 'a', 'b', 'c'],
      ['PFADD', 'big', ...elements('x', 0, 3000)], ['PFDEBUG', 'ENCODING', 'big'], ['PFMERGE', 'u', 'big'], ['PFDEBUG', 'ENCODING', 'u'], ['GET', 'u'],
      ['PFADD', 'dd', 'q'], ['PFDEBUG', 'TODENSE', 'dd'], ['PFDEBUG', 'TODENSE', 'dd'], ['PFMERGE', 'a', 'dd'], ['GET', 'a'], ['PFMERGE', 'dd', 'b'], ['GET', 'dd'],
      ['PFADD', 's1', ...elements('y', 0, 200)], ['PFADD', 's2', ...elements('y', 100, 300)], ['PFMERGE', 's1', 's2'], ['GET', 's1'], ['PFCOUNT', 's1'],
      ['PFCOUNT', 's1', 's2', 'big', 'dd'], ['PFMERGE', 'all', 's1', 's2', 'big', 'dd', 'nope'], ['GET', 'all'], ['PFCOUNT', 'all'],
      ['PFADD', 't', 'a'], ['EXPIRE', 't', '500'], ['PFMERGE', 't', 'big'], ['TTL', 't'], ['GET', 't'], ['PFMERGE', 'big', 'big'], ['GET', 'big'],
    ]));

  test('PFDEBUG subcommands', () =>
    same([
      ['PFDEBUG', 'ENCODING', 'nokey'], ['PFDEBUG', 'FOO', 'nokey'], ['PFADD', 'h', ...elements('p', 0, 40)],
      ['PFDEBUG', 'ENCODING', 'h'], ['PFDEBUG', 'encoding', 'h'], ['PFDEBUG', Buffer.from('decode\0junk'), 'h'], ['PFDEBUG', 'FOO', 'h'],
      ['PFDEBUG', Buffer.from('foo\0bar'), 'h'], ['PFDEBUG', 'GETREG', 'h'], ['PFDEBUG', 'ENCODING', 'h'], ['GET', 'h'], ['PFDEBUG', 'DECODE', 'h'],
      ['PFDEBUG', 'TODENSE', 'h'], ['PFADD', 'e'], ['PFDEBUG', 'DECODE', 'e'], ['PFDEBUG', 'TODENSE', 'e'], ['GET', 'e'], ['PFCOUNT', 'e'],
    ]));

  test('PFCOUNT updating the cache is a change to a WATCHed key, as in Redis', () =>
    same([
      ['PFADD', 'h', 'a'], ['WATCH', 'h'], ['PFCOUNT', 'h'], ['MULTI'], ['PING'], ['EXEC'],
      ['WATCH', 'h'], ['PFCOUNT', 'h'], ['MULTI'], ['PING'], ['EXEC'],
      ['WATCH', 'h'], ['PFCOUNT', 'h', 'h'], ['MULTI'], ['PING'], ['EXEC'],
    ]));

  test('counts from 1 to 200k elements', async () => {
    const cmds: Cmd[] = [];
    let n = 0;
    for (const target of [1, 2, 3, 10, 50, 100, 500, 1000, 2000, 3000, 5000, 10000, 30000, 100000, 200000]) {
      while (n < target) {
        const k = Math.min(1000, target - n);
        cmds.push(['PFADD', 'h', ...elements('el:', n, k)]);
        n += k;
      }
      cmds.push(['PFCOUNT', 'h'], ['GET', 'h'], ['PFCOUNT', 'h', 'h']);
    }
    await sameOnce(cmds);
  });

  test('HLLs written by one server are used as is by the other', async () => {
    const c = await RawConnection.connect(corral.port);
    const r = await RawConnection.connect(redis.port);
    try {
      await flushAll([corral.port, redis.port]);
      for (const [from, to] of [[r, c], [c, r]] as const) {
        for (const [key, n] of [['small', 20], ['mid', 700], ['dense', 5000]] as const) {
          await from.call('PFADD', key, ...elements(key, 0, n));
          if (key !== 'mid') await from.call('PFCOUNT', key);
          const bytes = await from.callRaw('GET', key);
          await to.call('SET', key, Buffer.from((await from.call('GET', key)) as string, 'latin1'));
          assert.equal(showBytes(await to.callRaw('GET', key)), showBytes(bytes));
          for (const conn of [from, to]) await conn.call('PFADD', key, ...elements('more', 0, 300));
          for (const cmd of [['PFCOUNT', key], ['GET', key], ['PFCOUNT', key, 'small'], ['PFDEBUG', 'ENCODING', key]]) {
            assert.equal(showBytes(await to.callRaw(...cmd)), showBytes(await from.callRaw(...cmd)), cmd.join(' '));
          }
          // DUMP payloads are Redis's format on both (store/rdb.ts): each server's restores on the other.
          for (const [a, b] of [[from, to], [to, from]]) {
            const dump = (await a.call('DUMP', key)) as string;
            await b.call('RESTORE', `${key}:r`, '0', Buffer.from(dump, 'latin1'), 'REPLACE');
            assert.equal(showBytes(await b.callRaw('GET', `${key}:r`)), showBytes(await from.callRaw('GET', key)), `RESTORE ${key}`);
          }
        }
        await flushAll([corral.port, redis.port]);
      }
    } finally {
      c.close();
      r.close();
    }
  });

  test('PFSELFTEST passes', () => same([['PFSELFTEST']]));
});

describe('hyperloglog: randomized against redis', () => {
  const element = fc.oneof(
    fc.integer({ min: 0, max: 5000 }).map(String),
    fc.uint8Array({ minLength: 0, maxLength: 40 }).map((a) => Buffer.from(a)),
    fc.string({ minLength: 0, maxLength: 20 }),
  );
  const KEYS = ['a', 'b', 'c'];
  const key = fc.constantFrom(...KEYS);
  const command = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(key, fc.array(element, { maxLength: 60 })).map(([k, els]): Cmd => ['PFADD', k, ...els]) },
    { weight: 2, arbitrary: fc.tuple(key, fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 2500 })).map(([k, from, n]): Cmd => ['PFADD', k, ...elements('r', from, n)]) },
    { weight: 2, arbitrary: key.map((k): Cmd => ['PFCOUNT', k]) },
    { weight: 1, arbitrary: fc.array(key, { minLength: 2, maxLength: 3 }).map((ks): Cmd => ['PFCOUNT', ...ks]) },
    { weight: 2, arbitrary: fc.tuple(key, fc.array(fc.constantFrom(...KEYS, 'none'), { maxLength: 3 })).map(([d, src]): Cmd => ['PFMERGE', d, ...src]) },
    { weight: 1, arbitrary: key.map((k): Cmd => ['PFDEBUG', 'TODENSE', k]) },
    { weight: 1, arbitrary: key.map((k): Cmd => ['GET', k]) },
    { weight: 1, arbitrary: fc.constantFrom('40', '200', '1000', '3000').map((v): Cmd => ['CONFIG', 'SET', 'hll-sparse-max-bytes', v]) },
  );

  test('random PFADD / PFCOUNT / PFMERGE sequences: replies and final bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (cmds) => {
        await sameOnce([...cmds, ...KEYS.map((k): Cmd => ['GET', k]), ['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000']]);
      }),
      { numRuns: 60, seed: 20240614 },
    );
  });

  test('corrupted HLLs (random bytes overwritten) behave as in redis', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3000 }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 5 }),
        fc.constantFrom<Cmd>(['PFCOUNT', 'h'], ['PFADD', 'h', 'x', 'y', 'z'], ['PFMERGE', 'd', 'h'], ['PFCOUNT', 'h', 'd'], ['PFMERGE', 'h', 'd'], ['PFDEBUG', 'TODENSE', 'h']),
        async (n, edits, op) => {
          const setup: Cmd[] = [['PFADD', 'h', ...elements('f', 0, n)], ['PFADD', 'd', 'q', 'r']];
          // Positions are fractions of the value's length: the length is known only on the server.
          const len = n === 0 ? 18 : await lengthAfter(setup);
          const cmds: Cmd[] = [...setup];
          for (const [at, byte] of edits) cmds.push(['SETRANGE', 'h', Math.floor(at * len), Buffer.from([byte])]);
          cmds.push(['GET', 'h'], op, ['GET', 'h'], ['GET', 'd'], ['PFCOUNT', 'h'], ['GET', 'h'], ['PFDEBUG', 'DECODE', 'h']);
          await sameOnce(cmds);
        },
      ),
      { numRuns: 150, seed: 99 },
    );
  });
});

describe('hyperloglog: a corral replica', () => {
  let primary: StartedCorral;
  let replica: StartedCorral;
  let p: RawConnection;
  let r: RawConnection;

  before(async () => {
    primary = await startCorral();
    replica = await startCorral({ replicaof: `127.0.0.1 ${primary.port}` });
    p = await RawConnection.connect(primary.port);
    r = await RawConnection.connect(replica.port);
    for (let i = 0; i < 100 && !String(await r.call('INFO', 'replication')).includes('master_link_status:up'); i++) {
      await new Promise((done) => setTimeout(done, 50));
    }
  });

  after(async () => {
    p?.close();
    r?.close();
    await replica?.close();
    await primary?.close();
  });

  /** GET of each key on both, once the replica has acknowledged everything. */
  async function assertReplicated(keys: string[]): Promise<void> {
    assert.equal(await p.call('WAIT', '1', '5000'), 1);
    for (const k of keys) assert.equal(showBytes(await r.callRaw('GET', k)), showBytes(await p.callRaw('GET', k)), k);
  }

  test('ends with the primary bytes after PFADD, PFMERGE, PFDEBUG and PFCOUNT on the replica', async () => {
    await p.call('PFADD', 'h', ...elements('a', 0, 500));
    await p.call('PFADD', 'd', ...elements('b', 0, 5000));
    await p.call('PFMERGE', 'm', 'h', 'd', 'none');
    await p.call('PFADD', 'e', 'x');
    await p.call('PFDEBUG', 'GETREG', 'e');
    await p.call('PFADD', 'h', 'a1', 'a2');
    await assertReplicated(['h', 'd', 'm', 'e']);
    // A client's PFCOUNT on a replica computes the count without storing it.
    assert.equal(await r.call('PFCOUNT', 'h'), await p.call('PFCOUNT', 'h', 'h'));
    await p.call('PFADD', 'd', 'one more');
    await assertReplicated(['h', 'd']);
  });

  test('gets the cardinality a PFCOUNT cached on the primary (PFCOUNT replicates when it stored its cache, as Redis)', async () => {
    await p.call('PFADD', 'c', ...elements('c', 0, 100));
    await p.call('PFCOUNT', 'c');
    await assertReplicated(['c']);
  });
});

/** STRLEN of h on redis after running setup there (from a flushed state). */
async function lengthAfter(setup: Cmd[]): Promise<number> {
  const r = await RawConnection.connect(redis.port);
  try {
    await r.call('FLUSHALL');
    for (const cmd of setup) await r.call(...cmd);
    return Number(await r.call('STRLEN', 'h'));
  } finally {
    r.close();
  }
}
