// Byte-for-byte comparison of corral's SSCAN and ZSCAN with a real redis-server 7.0, in RESP2 and
// RESP3: small values replied whole (intsets, listpacks), MATCH, cursor and option errors (also
// through HSCAN, which shares their parsing), wrong type, missing keys. Hashtable and skiplist values, whose order Redis randomizes, are compared
// by what a full iteration returns (the set of members, with their scores).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { sameOnBoth, type Cmd } from '../support/compare.js';

let corral: StartedCorral;
let redis: Started;

before(async () => {
  [corral, redis] = await Promise.all([startCorral(), startRedis()]);
});

after(async () => {
  await Promise.all([corral?.close(), redis?.close()]);
});

const same = (cmds: Cmd[]): Promise<void> => sameOnBoth(corral.port, redis.port, cmds);
const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i));
const pairs = (n: number, f: (i: number) => [string, string]): string[] => Array.from({ length: n }, (_, i) => f(i)).flat();
/** Scores around double2ll's +-2^62, where a listpack stops storing integral scores as integers. */
const BIG_SCORES = ['4611686018427387904', 'b1', '4611686018427388928', 'b2', '-4611686018427387904', 'b3', '-4611686018427388928', 'b4',
  '9007199254740993', 'b5', '1e18', 'b6', '4.5e18', 'b7', '1e19', 'b8', '-1e17', 'b9', '1e15', 'b10', '999999999999999', 'b11'];
const enc = (key: string): Cmd => ['OBJECT', 'ENCODING', key];

/** Cursor and option checks, run against `key` (a small value of the command's type). */
function argumentChecks(cmd: string, key: string): Cmd[] {
  return [
    [cmd, key, '0'], [cmd, key, '77', 'COUNT', '1'], [cmd, key, ''], [cmd, key, '-1'], [cmd, key, '+7'], [cmd, key, '-0'],
    [cmd, key, '18446744073709551615'], [cmd, key, '18446744073709551616'], [cmd, key, '-18446744073709551616'], [cmd, key, 'x'],
    [cmd, key, ' 1'], [cmd, key, '1 '], [cmd, key, '-'], [cmd, key, '1.5'], [cmd, key, '1\0x'], [cmd, key, '\0'],
    [cmd, key, '0', 'COUNT', '0'], [cmd, key, '0', 'COUNT', '-1'], [cmd, key, '0', 'COUNT', 'x'], [cmd, key, '0', 'COUNT', '-0'],
    [cmd, key, '0', 'COUNT', '1.5'], [cmd, key, '0', 'COUNT', ''], [cmd, key, '0', 'COUNT', ' 1'], [cmd, key, '0', 'COUNT', '2\0'],
    [cmd, key, '0', 'COUNT', '9223372036854775807'], [cmd, key, '0', 'COUNT', '9223372036854775808'], [cmd, key, '0', 'COUNT', '-9223372036854775808'],
    [cmd, key, '0', 'COUNT'], [cmd, key, '0', 'MATCH'], [cmd, key, '0', 'COUNT', '5', 'MATCH'], [cmd, key, '0', 'COUNT', '5', 'COUNT', '0'],
    [cmd, key, '0', 'COUNT', 'x', 'BOGUS', '1'], [cmd, key, '0', 'BOGUS', '1', 'COUNT', 'x'], [cmd, key, '0', 'BOGUS'], [cmd, key, '0', 'BOGUS', '1'],
    [cmd, key, '0', 'TYPE', 'set'], [cmd, key, '0', 'NOVALUES'], [cmd, key, '0', 'count\0junk', '1'], [cmd, key, '0', 'MATCH\0', '*'],
    [cmd, key, '0', 'match', '*1*', 'count', '3'], [cmd, key, '0', 'MATCH', 'a*', 'MATCH', '*1'], [cmd, key, '0', 'MATCH', '*'],
    [cmd, key, '0', 'MATCH', ''], [cmd, key, '0', 'MATCH', '**'], [cmd, key, '0', 'MATCH', '[0-4]?'], [cmd, key, '0', 'MATCH', '\\-*'],
    [cmd, 'nokey', '0'], [cmd, 'nokey', '5', 'COUNT', '0', 'BOGUS'], [cmd, 'nokey', 'x'], [cmd, 'str', '0'], [cmd, 'str', 'x'],
    [cmd, 'str', '0', 'COUNT', '0'], [cmd, 'str', '0', 'BOGUS'], [cmd, key], [cmd],
  ];
}

describe('SSCAN and ZSCAN on small values, byte for byte with redis 7.0', () => {
  test('SSCAN of intsets: the whole set in numeric order, cursor 0', () =>
    same([
      ['SET', 'str', 'v'], ['SADD', 's', '100', '-3', '5', '2', '-20', '9223372036854775807', '-9223372036854775808', '10', '0'], enc('s'),
      ...argumentChecks('SSCAN', 's'),
      ['ZADD', 'z', '1', 'a'], ['SSCAN', 'z', '0'], ['SSCAN', 'z', 'x'], ['SSCAN', 'z', '0', 'COUNT', '0'],
      ['SADD', 'wide', ...range(512, (i) => String(i * 37 - 5000))], enc('wide'), ['SSCAN', 'wide', '0', 'COUNT', '5'],
      ['SSCAN', 'wide', '123', 'MATCH', '*99*'], ['SREM', 'wide', '-5000', '-4963'], ['SSCAN', 'wide', '0', 'MATCH', '-49*'],
      ['SADD', 'one', '7'], ['SSCAN', 'one', '0'], ['SPOP', 'one'], ['SSCAN', 'one', '0'],
    ]));

  test('ZSCAN of listpacks: the whole set in score order, member then score text, cursor 0', () =>
    same([
      ['SET', 'str', 'v'], ['SADD', 's', '1'],
      ['ZADD', 'z', '-0', 'a', '0.1', 'b', '1e20', 'c', 'inf', 'd', '3', 'e', '2.5', 'f', '-inf', 'g', '3', 'd2', '1.5e-7', 'h', '-10', '-10'],
      ['ZADD', 'z', '123456789012345678', 'i', '4503599627370496', 'j', '4503599627370497', 'k', '0x10', 'l', '1e-300', 'm', '-2.5e+30', 'n'],
      ['ZADD', 'z', '0.30000000000000004', 'o', '1e15', 'p', '1e16', 'q', '1e17', 'r', '12345.678', 's'], ['ZADD', 'z', ...BIG_SCORES], enc('z'),
      ...argumentChecks('ZSCAN', 'z'),
      ['ZSCAN', 'z', '0', 'MATCH', '0.1'], ['ZSCAN', 'z', '0', 'MATCH', '-1*'], ['ZSCAN', 's', '0'], ['ZSCAN', 's', 'x'],
      ['ZINCRBY', 'z', '0.2', 'b'], ['ZINCRBY', 'z', '-1e20', 'c'], ['ZREM', 'z', 'd'], ['ZSCAN', 'z', '0'], ['ZSCORE', 'z', 'r'], ['ZSCORE', 'z', 'b1'],
      ['ZADD', 'z2', '0', 'x', '-0', 'y'], ['ZSCAN', 'z2', '0'], ['ZADD', 'z2', '-0', 'x'], ['ZSCAN', 'z2', '0'],
      ['ZADD', 'full', ...pairs(128, (i) => [String((i * 7) % 50), `m${i}`])], enc('full'), ['ZSCAN', 'full', '0', 'COUNT', '5'],
      ['ZSCAN', 'full', '99', 'MATCH', '*7'], ['ZADD', 'long', '1', 'k'.repeat(64), '2', 'x'], enc('long'), ['ZSCAN', 'long', '0'],
    ]));

  test('HSCAN, which shares the cursor and option parsing', () =>
    same([['SET', 'str', 'v'], ['HSET', 'h', 'a1', '1', 'b1', '2', '-1', '3', '10', '4'], ...argumentChecks('HSCAN', 'h')]));

  test('binary and empty members', () =>
    same([
      ['SADD', 'e', '', '1'], enc('e'), ['SADD', 'i', '0', '-1'], ['SSCAN', 'i', '0', 'MATCH', ''], ['SSCAN', 'i', '0', 'MATCH', '-?'],
      ['ZADD', 'bz', '1', '', '2', Buffer.from([0, 255, 13, 10]), '2', 'a\0b', '3', '*'], ['ZSCAN', 'bz', '0'], ['ZSCAN', 'bz', '0', 'MATCH', ''],
      ['ZSCAN', 'bz', '0', 'MATCH', '*'], ['ZSCAN', 'bz', '0', 'MATCH', '**'], ['ZSCAN', 'bz', '0', 'MATCH', 'a?b'], ['ZSCAN', 'bz', '0', 'MATCH', '\\*'],
      ['ZSCAN', 'bz', '0', 'MATCH', Buffer.from([0, 42])], ['ZSCAN', 'bz', '0', 'MATCH', Buffer.from('*\r\n', 'latin1')],
    ]));
});

/** Every reply of a full iteration of `cmd key` with opts, over one connection speaking `resp`. */
async function iterate(port: number, resp: 2 | 3, setup: Cmd[], cmd: string, key: string, opts: string[]): Promise<Array<[string, string[]]>> {
  const c = await RawConnection.connect(port);
  try {
    await c.call('HELLO', String(resp));
    await c.call('FLUSHALL');
    for (const s of setup) await c.call(...s);
    const replies: Array<[string, string[]]> = [];
    let cursor = '0';
    do {
      const reply = (await c.call(cmd, key, cursor, ...opts)) as [string, string[]];
      replies.push(reply);
      cursor = reply[0];
      assert.ok(replies.length < 10_000, `${cmd} does not terminate`);
    } while (cursor !== '0');
    return replies;
  } finally {
    c.close();
  }
}

/** What a full iteration returned: members (with "=score" for ZSCAN), sorted, duplicates kept. */
function returned(replies: Array<[string, string[]]>, pairs: boolean): string[] {
  const out: string[] = [];
  for (const [, items] of replies) {
    if (!pairs) out.push(...items);
    else for (let i = 0; i < items.length; i += 2) out.push(`${items[i]}=${items[i + 1]}`);
  }
  return out.sort();
}

/**
 * Runs setup, then a full iteration, on both servers in RESP2 and RESP3; asserts both returned
 * the same members, each once, and that both ended in one call exactly when `oneCall` says so.
 */
async function sameIteration(setup: Cmd[], cmd: string, key: string, opts: string[], expected: number, oneCall?: boolean): Promise<void> {
  for (const resp of [2, 3] as const) {
    const ours = await iterate(corral.port, resp, setup, cmd, key, opts);
    const theirs = await iterate(redis.port, resp, setup, cmd, key, opts);
    const mine = returned(ours, cmd === 'ZSCAN');
    assert.equal(mine.length, expected, `RESP${resp} ${cmd} ${opts.join(' ')}: count`);
    assert.equal(new Set(mine).size, mine.length, `RESP${resp}: no duplicates without concurrent writes`);
    assert.deepEqual(mine, returned(theirs, cmd === 'ZSCAN'), `RESP${resp} ${cmd} ${opts.join(' ')}`);
    if (oneCall !== undefined) {
      assert.equal(ours.length === 1, oneCall, `RESP${resp}: corral in one call`);
      assert.equal(theirs.length === 1, oneCall, `RESP${resp}: redis in one call`);
    }
  }
}

describe('SSCAN and ZSCAN on large values: a full iteration returns what redis returns', () => {
  const words = range(1000, (i) => `member:${i}`);
  const bigSet: Cmd[] = [['SADD', 'big', ...words.slice(0, 500)], ['SADD', 'big', ...words.slice(500)]];
  const ints = range(600, (i) => String(i * 3 - 900));
  const scores = pairs(300, (i) => [String(i % 3 === 0 ? i : i / 7), `m${i}`]);
  const bigZset: Cmd[] = [
    ['ZADD', 'big', ...scores], ['ZADD', 'big', '-0', 'negzero', 'inf', 'top', '-inf', 'bottom', '1e300', 'huge', '1e17', 'e17'], ['ZADD', 'big', ...BIG_SCORES],
  ];

  test('a hashtable set, with COUNT and MATCH', async () => {
    await sameIteration(bigSet, 'SSCAN', 'big', [], 1000);
    await sameIteration(bigSet, 'SSCAN', 'big', ['COUNT', '37'], 1000);
    await sameIteration(bigSet, 'SSCAN', 'big', ['MATCH', '*1*', 'COUNT', '25'], words.filter((w) => w.includes('1')).length);
    await sameIteration(bigSet, 'SSCAN', 'big', ['COUNT', '5000'], 1000, true);
  });

  test('an integer set past 512 members (a hashtable)', async () => {
    await sameIteration([['SADD', 'big', ...ints]], 'SSCAN', 'big', ['COUNT', '50'], 600);
    await sameIteration([['SADD', 'big', ...ints]], 'SSCAN', 'big', ['MATCH', '-*'], ints.filter((m) => m.startsWith('-')).length);
  });

  test('a small hashtable set comes back in one call when COUNT covers it', () =>
    sameIteration([['SADD', 'h', '1', '2', 'x', '3']], 'SSCAN', 'h', [], 4, true));

  test('a skiplist sorted set, scores included', async () => {
    await sameIteration(bigZset, 'ZSCAN', 'big', [], 316);
    await sameIteration(bigZset, 'ZSCAN', 'big', ['COUNT', '29'], 316);
    await sameIteration(bigZset, 'ZSCAN', 'big', ['MATCH', 'm1?', 'COUNT', '7'], 10);
    await sameIteration(bigZset, 'ZSCAN', 'big', ['COUNT', '1000'], 316, true);
  });

  test('a sorted set made a skiplist by a long member, and one that shrank back under 128', async () => {
    await sameIteration([['ZADD', 'w', '1', 'a', '2', 'x'.repeat(65), '-0', 'z']], 'ZSCAN', 'w', [], 3, true);
    const shrunk: Cmd[] = [...bigZset, ['ZREMRANGEBYRANK', 'big', '0', '250'], enc('big')];
    await sameIteration(shrunk, 'ZSCAN', 'big', ['COUNT', '4'], 65);
  });
});
