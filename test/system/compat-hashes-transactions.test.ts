// Byte-for-byte comparison of corral's hash commands and transactions (MULTI/EXEC/DISCARD/WATCH)
// with a real redis-server 7.0, in RESP2 and RESP3; large hashes, whose order Redis randomizes,
// are compared as sets. Includes multi-client WATCH scenarios and randomized HINCRBYFLOAT sums.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RawConnection, startCorral, startRedis, transcripts, type Started, type StartedCorral } from '../support/servers.js';
import { parseReply, type ReplyValue } from '../../src/protocol/reply-parser.js';
import { flushAll, sameOnBoth, showBytes, type Cmd } from '../support/compare.js';


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

const flushBoth = (): Promise<void> => flushAll([corral.port, redis.port]);
const show = showBytes;
const same = (cmds: Cmd[]): Promise<void> => sameOnBoth(corral.port, redis.port, cmds);

/** Steps [client, command] over two connections per server; asserts identical bytes at each step. */
async function sameClients(steps: Array<[number, Cmd] | number>): Promise<void> {
  await flushBoth();
  const open = async (port: number) => [await RawConnection.connect(port), await RawConnection.connect(port)];
  const ours = await open(corral.port);
  const theirs = await open(redis.port);
  try {
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i];
      if (typeof step === 'number') {
        await new Promise((r) => setTimeout(r, step));
        continue;
      }
      const [who, cmd] = step;
      const a = await ours[who].callRaw(...cmd);
      const b = await theirs[who].callRaw(...cmd);
      assert.equal(show(a), show(b), `#${i} client ${who}: ${cmd.join(' ')}`);
    }
  } finally {
    for (const c of [...ours, ...theirs]) c.close();
  }
}

/** Parsed replies of cmds on both servers, for order-free comparison. */
async function both(cmds: Cmd[]): Promise<[ReplyValue[], ReplyValue[]]> {
  await flushBoth();
  const [ours, theirs] = await transcripts(corral.port, redis.port, cmds, []);
  const parse = (bufs: Buffer[]) => bufs.map((b) => parseReply(b)![0]);
  return [parse(ours), parse(theirs)];
}

function pairsSorted(flat: ReplyValue): string[] {
  const a = flat as string[];
  const pairs: string[] = [];
  for (let i = 0; i < a.length; i += 2) pairs.push(`${a[i]}=${a[i + 1]}`);
  return pairs.sort();
}

describe('hashes, byte for byte with redis 7.0', () => {
  test('reads, writes, arity and wrong type', () =>
    same([
      ['HSET', 'h', 'a', '1', 'b', '2'], ['HSET', 'h', 'a'], ['HSET', 'h', 'a', '1', 'b'], ['HSET', 'h', 'a', '9', 'c', '3'],
      ['HSETNX', 'h', 'a', '5'], ['HSETNX', 'h', 'd', '4'], ['HSETNX', 'n', 'x', 'y'], ['HGET', 'h', 'a'], ['HGET', 'h', 'zz'],
      ['HGET', 'nokey', 'a'], ['HMGET', 'h', 'a', 'zz', 'b'], ['HMGET', 'nokey', 'a', 'b'], ['HMSET', 'h', 'x', '1'], ['HMSET', 'h', 'x'],
      ['HGETALL', 'h'], ['HGETALL', 'nokey'], ['HKEYS', 'h'], ['HVALS', 'h'], ['HKEYS', 'nokey'], ['HVALS', 'nokey'],
      ['HDEL', 'h', 'a', 'zz', 'a'], ['HDEL', 'nokey', 'a'], ['HEXISTS', 'h', 'b'], ['HEXISTS', 'h', 'a'], ['HEXISTS', 'nokey', 'a'],
      ['HLEN', 'h'], ['HLEN', 'nokey'], ['HSTRLEN', 'h', 'b'], ['HSTRLEN', 'h', 'zz'], ['HSTRLEN', 'nokey', 'zz'],
      ['HSET', 'h', 'a', 'again'], ['HGETALL', 'h'], ['HDEL', 'n', 'x'], ['EXISTS', 'n'],
      ['HSET', 'bin', Buffer.from([0, 255, 13, 10]), Buffer.from([128, 0])], ['HGETALL', 'bin'], ['HSTRLEN', 'bin', Buffer.from([0, 255, 13, 10])],
      ['SET', 's', 'v'], ['HGET', 's', 'a'], ['HSET', 's', 'a', 'b'], ['HSETNX', 's', 'a', 'b'], ['HMGET', 's', 'a'], ['HGETALL', 's'],
      ['HKEYS', 's'], ['HVALS', 's'], ['HLEN', 's'], ['HDEL', 's', 'a'], ['HEXISTS', 's', 'a'], ['HSTRLEN', 's', 'a'],
      ['HRANDFIELD', 's'], ['HRANDFIELD', 's', '1'], ['HSCAN', 's', '0'], ['HINCRBY', 's', 'f', '1'], ['HINCRBYFLOAT', 's', 'f', '1'],
      ['HGET', 'h'], ['HGETALL'], ['HDEL', 'h'], ['HINCRBY', 'h', 'f'], ['HSCAN', 'h'], ['HRANDFIELD'], ['HSTRLEN', 'h'],
    ]));

  test('HINCRBY and HINCRBYFLOAT', () =>
    same([
      ['HINCRBY', 'h', 'f', '5'], ['HINCRBY', 'h', 'f', '-10'], ['HINCRBY', 'h', 'f', 'x'], ['HINCRBY', 'h', 'f', '1.0'],
      ['HINCRBY', 'h', 'g', '9223372036854775807'], ['HINCRBY', 'h', 'g', '1'], ['HINCRBY', 'h', 'g2', '-9223372036854775808'],
      ['HINCRBY', 'h', 'g2', '-1'], ['HINCRBY', 'h', 'g2', '9223372036854775807'], ['HINCRBY', 'h', 'f', '9223372036854775808'],
      ['HINCRBY', 'h', 'f', '999999999999999'], ['HINCRBY', 'h', 'f', '9999999999999999'], ['HSET', 'h', 's', 'abc', 'sp', ' 1', 'lz', '01', 'mz', '-0'],
      ['HINCRBY', 'h', 's', '1'], ['HINCRBY', 'h', 'sp', '1'], ['HINCRBY', 'h', 'lz', '1'], ['HINCRBY', 'h', 'mz', '1'],
      ['HINCRBYFLOAT', 'h', 'fl', '0.1'], ['HINCRBYFLOAT', 'h', 'fl', '10.5'], ['HINCRBYFLOAT', 'h', 'fl', '-10.6'],
      ['HINCRBYFLOAT', 'h', 'fl', 'inf'], ['HINCRBYFLOAT', 'h', 'fl', '-Infinity'], ['HINCRBYFLOAT', 'h', 'fl', 'nan'],
      ['HINCRBYFLOAT', 'h', 'fl', 'abc'], ['HINCRBYFLOAT', 'h', 'fl', ''], ['HINCRBYFLOAT', 'h', 'fl', ' 1'], ['HINCRBYFLOAT', 'h', 'fl', '1 '],
      ['HINCRBYFLOAT', 'h', 'fl', '0x10'], ['HINCRBYFLOAT', 'h', 'fl', '+1.'], ['HINCRBYFLOAT', 'h', 'fl', '.5e1'], ['HINCRBYFLOAT', 'h', 'fl', '1e-5000'],
      ['HINCRBYFLOAT', 'h', 'fl', '1e5000'], ['HINCRBYFLOAT', 'h', 'f', '1.5'], ['HINCRBYFLOAT', 'h', 's', '1'], ['HINCRBYFLOAT', 'h', 'sp', '1'],
      ['HINCRBYFLOAT', 'h', 'n', '-0'], ['HINCRBYFLOAT', 'h', 'n2', '-0.0000000000000000001'], ['HINCRBYFLOAT', 'h', 't', '0x1p-18'],
      ['HINCRBYFLOAT', 'h', 'big', '1e20'], ['HINCRBYFLOAT', 'h', 'big', '0.5'], ['HSET', 'h', 'inf', 'inf', 'nan', 'nan', 'hex', '0x1p3'],
      ['HINCRBYFLOAT', 'h', 'inf', '1'], ['HINCRBYFLOAT', 'h', 'nan', '1'], ['HINCRBYFLOAT', 'h', 'hex', '1'],
      ['HINCRBYFLOAT', 'h', 'fl', Buffer.from('1\x002', 'latin1')], ['HINCRBYFLOAT', 'h', 'pi', '3.14159265358979323846264338327950288'],
      ['HGETALL', 'h'],
    ]));

  test('HSCAN and HRANDFIELD on small hashes (listpack order, all in one call)', () =>
    same([
      ['HSET', 'h', 'a1', '1', 'b1', '2', 'a2', '3'], ['HSCAN', 'h', '0'], ['HSCAN', 'h', '0', 'COUNT', '1'], ['HSCAN', 'h', '0', 'MATCH', 'a*'],
      ['HSCAN', 'h', '0', 'match', 'a*', 'MATCH', 'b*'], ['HSCAN', 'h', '0', 'MATCH'], ['HSCAN', 'h', '0', 'COUNT', '0'], ['HSCAN', 'h', '0', 'COUNT', 'x'],
      ['HSCAN', 'h', '0', 'COUNT', '1', 'COUNT', '-1'], ['HSCAN', 'h', '0', 'NOVALUES'], ['HSCAN', 'h', 'x'], ['HSCAN', 'h', ''], ['HSCAN', 'h', '-1'],
      ['HSCAN', 'h', '+7'], ['HSCAN', 'h', ' 1'], ['HSCAN', 'h', '18446744073709551615'], ['HSCAN', 'h', '18446744073709551616'],
      ['HSCAN', 'nokey', '0', 'COUNT', '0'], ['HSCAN', 'nokey', 'x'], ['HRANDFIELD', 'h', '0'], ['HRANDFIELD', 'h', '3'], ['HRANDFIELD', 'h', '9'],
      ['HRANDFIELD', 'h', '3', 'WITHVALUES'], ['HRANDFIELD', 'h', '9', 'withvalues'], ['HRANDFIELD', 'h', '0', 'WITHVALUES'],
      ['HRANDFIELD', 'h', '-9223372036854775808'], ['HRANDFIELD', 'h', '9223372036854775807', 'WITHVALUES'],
      ['HRANDFIELD', 'h', '-4611686018427387904', 'WITHVALUES'], ['HRANDFIELD', 'h', 'x'], ['HRANDFIELD', 'h', '1', 'foo'],
      ['HRANDFIELD', 'h', '1', 'WITHVALUES', 'x'], ['HRANDFIELD', 'nokey'], ['HRANDFIELD', 'nokey', '5'], ['HRANDFIELD', 'nokey', '-5', 'WITHVALUES'],
      ['HRANDFIELD', 'nokey', 'x'], ['HSET', 'one', 'f', 'v'], ['HRANDFIELD', 'one'], ['HRANDFIELD', 'one', '1'], ['HRANDFIELD', 'one', '-3'],
      ['HRANDFIELD', 'one', '-3', 'WITHVALUES'], ['HRANDFIELD', 'one', '1', 'WITHVALUES'],
    ]));

  test('large hashes hold the same fields (compared as sets)', async () => {
    const fields: string[] = [];
    for (let i = 0; i < 600; i++) fields.push(`field:${i}`, String(i * 7));
    const long = 'x'.repeat(100);
    const [ours, theirs] = await both([
      ['HSET', 'big', ...fields], ['HSET', 'wide', 'a', '1', 'b', long], ['HGETALL', 'big'], ['HKEYS', 'big'], ['HVALS', 'big'],
      ['HGETALL', 'wide'], ['HLEN', 'big'], ['HRANDFIELD', 'big', '1000', 'WITHVALUES'], ['HDEL', 'big', 'field:0', 'field:599'], ['HLEN', 'big'],
    ]);
    assert.deepEqual(ours[0], theirs[0]);
    assert.deepEqual(pairsSorted(ours[2]), pairsSorted(theirs[2]));
    assert.deepEqual((ours[3] as string[]).sort(), (theirs[3] as string[]).sort());
    assert.deepEqual((ours[4] as string[]).sort(), (theirs[4] as string[]).sort());
    assert.deepEqual(pairsSorted(ours[5]), pairsSorted(theirs[5]));
    assert.deepEqual(pairsSorted(ours[7]), pairsSorted(theirs[7]));
    assert.deepEqual(ours.slice(8), theirs.slice(8));
  });

  test('OBJECT ENCODING around the listpack limits (512 fields, 64-byte items), never back; COPY and RENAME keep it', () => {
    const pairs = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => [`f${from + i}`, `v${from + i}`]).flat();
    const enc = (key: string): Cmd => ['OBJECT', 'ENCODING', key];
    return same([
      ['HSET', 'small', ...pairs(512)], enc('small'), ['HSET', 'small', 'f0', 'again'], enc('small'), ['HGETALL', 'small'],
      ['HRANDFIELD', 'small', '600', 'WITHVALUES'], ['HSCAN', 'small', '0', 'COUNT', '5'], ['HSCAN', 'small', '77'],
      ['HSET', 'small', 'f512', 'v'], enc('small'), ['HDEL', 'small', 'f512', 'f511'], enc('small'), ['HLEN', 'small'],
      ['HSET', 'bulk', ...pairs(513)], enc('bulk'), ['HSET', 'bulk512', ...pairs(256), ...pairs(256)], enc('bulk512'),
      ['HSET', 'bulk512', ...pairs(256, 256)], enc('bulk512'), ['HSET', 'bulk512', 'f0', 'x'], enc('bulk512'),
      ['HSET', 'z', ...pairs(129)], enc('z'), ['HGETALL', 'z'],
      ['HSET', 'edge', 'f', 'x'.repeat(64)], ['HSET', 'edge', 'k'.repeat(64), 'v'], enc('edge'), ['HGETALL', 'edge'],
      ['HSET', 'edge', 'g', 'y'.repeat(65)], enc('edge'), ['HDEL', 'edge', 'g'], enc('edge'), ['HSTRLEN', 'edge', 'f'],
      ['HSET', 'longfield', 'k'.repeat(65), 'v'], enc('longfield'), ['HSET', 'mixed', 'a', '1', 'b', 'x'.repeat(65)], enc('mixed'),
      ['HSETNX', 'nx', 'f', '1'], ['HSETNX', 'nx', 'f', 'z'.repeat(65)], enc('nx'), ['HSETNX', 'nx', 'g', 'z'.repeat(65)], enc('nx'),
      ['HINCRBY', 'inc', 'f', '1'], enc('inc'), ['HINCRBY', 'inc', 'k'.repeat(65), '1'], enc('inc'),
      ['HINCRBYFLOAT', 'flt', 'f', '1.5'], enc('flt'), ['HINCRBYFLOAT', 'flt', 'f', '1e70'], enc('flt'),
      ['HSET', 'bin', Buffer.from('\x00\xff'.repeat(32), 'latin1'), Buffer.alloc(64)], enc('bin'), ['HGETALL', 'bin'],
      ['COPY', 'small', 'small2'], enc('small2'), ['COPY', 'edge', 'edge2'], enc('edge2'), ['COPY', 'bin', 'bin2'], enc('bin2'),
      ['RENAME', 'bin2', 'bin3'], enc('bin3'), ['HGETALL', 'bin3'], ['HDEL', 'bin3', Buffer.from('\x00\xff'.repeat(32), 'latin1')],
      enc('bin3'), ['HSET', 'bin3', 'a', 'b'], enc('bin3'),
    ]);
  });

  test('a full HSCAN of a large hash returns the same fields', async () => {
    const scanAll = async (port: number): Promise<string[]> => {
      const c = await RawConnection.connect(port);
      try {
        await c.call('FLUSHALL');
        for (let i = 0; i < 1000; i += 100) {
          const args: string[] = [];
          for (let j = i; j < i + 100; j++) args.push(`f${j}`, `v${j}`);
          await c.call('HSET', 'big', ...args);
        }
        const seen = new Set<string>();
        let cursor = '0';
        do {
          const [next, items] = (await c.call('HSCAN', 'big', cursor, 'COUNT', '25', 'MATCH', '*1*')) as [string, string[]];
          for (let i = 0; i < items.length; i += 2) seen.add(`${items[i]}=${items[i + 1]}`);
          cursor = next;
        } while (cursor !== '0');
        return [...seen].sort();
      } finally {
        c.close();
      }
    };
    const ours = await scanAll(corral.port);
    assert.equal(ours.length, 271);
    assert.deepEqual(ours, await scanAll(redis.port));
  });

  test('randomized HINCRBYFLOAT sums print the same', async () => {
    const num = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 }).map(String),
      fc.tuple(fc.integer({ min: -99999, max: 99999 }), fc.integer({ min: -25, max: 25 })).map(([m, e]) => `${m}e${e}`),
      fc.tuple(fc.integer({ min: -9999, max: 9999 }), fc.nat(19)).map(([m, d]) => (m / 10 ** d).toFixed(d)),
      fc.constantFrom('0.1', '-0.3', '1e-17', '5e-18', '0.000000000000000015', '1.5e300', '0x1p-20', '3.0e3'),
    );
    const cmds: Cmd[] = [];
    for (const [i, n] of fc.sample(num, { numRuns: 300, seed: 11 }).entries()) cmds.push(['HINCRBYFLOAT', 'h', `f${i % 7}`, n]);
    await same(cmds);
    // Values past 64 bytes turn Redis's listpack into a dict, whose order is random: compare sets.
    const [ours, theirs] = await both([...cmds, ['HGETALL', 'h']]);
    assert.deepEqual(pairsSorted(ours[cmds.length]), pairsSorted(theirs[cmds.length]));
  });
});

describe('transactions, byte for byte with redis 7.0', () => {
  test('MULTI/EXEC/DISCARD errors and queueing', () =>
    same([
      ['EXEC'], ['DISCARD'], ['MULTI'], ['MULTI'], ['SET', 'a', '1'], ['EXEC'], ['MULTI', 'x'], ['DISCARD', 'x'], ['UNWATCH', 'x'], ['WATCH'],
      ['MULTI'], ['SET', 'a'], ['GET', 'a'], ['EXEC'], ['MULTI'], ['NOSUCHCOMMAND', 'x'], ['EXEC'], ['MULTI'], ['EXEC'],
      ['MULTI'], ['INCR', 'a'], ['HSET', 'a', 'f', 'v'], ['HSET', 'h', 'f', 'v'], ['INCR', 'h'], ['HGETALL', 'h'], ['EXEC'],
      ['MULTI'], ['SET', 'a', '9'], ['DISCARD'], ['GET', 'a'], ['DISCARD'],
      ['MULTI'], ['WATCH', 'a'], ['UNWATCH'], ['PING'], ['EXEC'],
      ['MULTI'], ['SELECT', '1'], ['SET', 'x', 'in1'], ['EXEC'], ['GET', 'x'], ['SELECT', '0'], ['GET', 'x'],
    ]));

  test('EXEC with an arity error inside MULTI aborts the transaction', () =>
    same([['MULTI'], ['SET', 'a', '1'], ['EXEC', 'x'], ['EXEC'], ['GET', 'a']]));

  test('WATCH: writes by another client, by this client, and DISCARD/UNWATCH', () =>
    sameClients([
      [0, ['SET', 'k', 'v']], [0, ['WATCH', 'k']], [1, ['SET', 'k', 'other']], [0, ['MULTI']], [0, ['GET', 'k']], [0, ['EXEC']],
      [0, ['WATCH', 'k']], [1, ['GET', 'k']], [0, ['MULTI']], [0, ['GET', 'k']], [0, ['EXEC']],
      [0, ['WATCH', 'k']], [0, ['SET', 'k', 'mine']], [0, ['MULTI']], [0, ['PING']], [0, ['EXEC']],
      [0, ['WATCH', 'k']], [0, ['MULTI']], [0, ['DISCARD']], [1, ['SET', 'k', 'x']], [0, ['MULTI']], [0, ['PING']], [0, ['EXEC']],
      [0, ['WATCH', 'k']], [0, ['UNWATCH']], [1, ['SET', 'k', 'y']], [0, ['MULTI']], [0, ['PING']], [0, ['EXEC']],
      [0, ['WATCH', 'k']], [0, ['MULTI']], [0, ['UNWATCH']], [1, ['SET', 'k', 'z']], [0, ['EXEC']],
      [0, ['WATCH', 'k']], [0, ['MULTI']], [0, ['SET', 'k', 'in-tx']], [0, ['EXEC']], [0, ['GET', 'k']],
    ]));

  test('WATCH: hash edits, no-op edits, missing keys, FLUSHALL and other databases', () =>
    sameClients([
      [0, ['HSET', 'h', 'f', '1']], [0, ['WATCH', 'h']], [1, ['HINCRBY', 'h', 'f', '1']], [0, ['MULTI']], [0, ['PING']], [0, ['EXEC']],
      [0, ['WATCH', 'h']], [1, ['HSETNX', 'h', 'f', 'x']], [1, ['HDEL', 'h', 'nope']], [0, ['MULTI']], [0, ['PING']], [0, ['EXEC']],
      [0, ['WATCH', 'h']], [1, ['HDEL', 'h', 'f']], [0, ['MULTI']], [0, ['PING']], [0, ['EXEC']],
      [0, ['WATCH', 'absent']], [1, ['HSET', 'absent', 'f', 'v']], [0, ['MULTI']], [0, ['PING']], [0, ['EXEC']],
      [0, ['WATCH', 'gone']], [1, ['FLUSHALL']], [0, ['MULTI']], [0, ['PING']], [0, ['EXEC']],
      [0, ['SET', 'k', 'v']], [0, ['WATCH', 'k']], [1, ['FLUSHALL']], [0, ['MULTI']], [0, ['PING']], [0, ['EXEC']],
      [0, ['WATCH', 'k']], [1, ['SELECT', '1']], [1, ['SET', 'k', 'db1']], [0, ['MULTI']], [0, ['PING']], [0, ['EXEC']],
    ]));

  test('WATCH: a key that expires before EXEC aborts it; one expired before WATCH does not', () =>
    sameClients([
      [0, ['SET', 'k', 'v', 'PX', '40']], [0, ['WATCH', 'k']], [0, ['MULTI']], [0, ['PING']], 80, [0, ['EXEC']],
      [0, ['SET', 'k2', 'v', 'PX', '1']], 20, [0, ['WATCH', 'k2']], [0, ['MULTI']], [0, ['PING']], [0, ['EXEC']],
      [0, ['SET', 'k3', 'v', 'PX', '40']], [0, ['WATCH', 'k3']], 80, [1, ['GET', 'k3']], [0, ['MULTI']], [0, ['PING']], [0, ['EXEC']],
    ]));
});
