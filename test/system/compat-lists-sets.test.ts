// Byte-for-byte comparison of corral's list and set commands with a real redis-server 7.0, in
// RESP2 and RESP3 (random picks from hashtable sets compared as sorted sets), plus
// redis-benchmark's default suite (which includes the list and set tests) running with no error.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startCorral, startRedis, transcripts, type Started, type StartedCorral } from '../support/servers.js';
import { parseReply, type ReplyValue } from '../../src/protocol/reply-parser.js';
import { flushAll, sameOnBoth, type Cmd } from '../support/compare.js';

const execFileP = promisify(execFile);

let corral: StartedCorral;
let redis: Started;

before(async () => {
  [corral, redis] = await Promise.all([startCorral(), startRedis()]);
});

after(async () => {
  await Promise.all([corral?.close(), redis?.close()]);
});

const flushBoth = (): Promise<void> => flushAll([corral.port, redis.port]);
const same = (cmds: Cmd[]): Promise<void> => sameOnBoth(corral.port, redis.port, cmds);

/** Parsed replies of cmds on both servers (RESP2), for order-free comparison. */
async function both(cmds: Cmd[]): Promise<[ReplyValue[], ReplyValue[]]> {
  await flushBoth();
  const [ours, theirs] = await transcripts(corral.port, redis.port, cmds, []);
  const parse = (bufs: Buffer[]) => bufs.map((b) => parseReply(b)![0]);
  return [parse(ours), parse(theirs)];
}

const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));

describe('lists, byte for byte with redis 7.0', () => {
  test('pushes, pops, ranges, errors and wrong type', () =>
    same([
      ['RPUSH', 'l', 'a', 'b', 'c'], ['LPUSH', 'l', 'z', 'y'], ['LPUSHX', 'l', 'x'], ['RPUSHX', 'l', 'd'], ['LPUSHX', 'n', 'x'],
      ['RPUSHX', 'n', 'x'], ['EXISTS', 'n'], ['LRANGE', 'l', '0', '-1'], ['LRANGE', 'l', '-3', '-2'], ['LRANGE', 'l', '5', '2'],
      ['LRANGE', 'l', '100', '200'], ['LRANGE', 'l', '-100', '100'], ['LRANGE', 'l', '-9223372036854775808', '9223372036854775807'],
      ['LRANGE', 'l', 'x', '1'], ['LRANGE', 'l', '0', '1.5'], ['LRANGE', 'n', '0', '-1'], ['LRANGE', 'n', 'x', '1'], ['LLEN', 'l'], ['LLEN', 'n'],
      ['LINDEX', 'l', '0'], ['LINDEX', 'l', '-1'], ['LINDEX', 'l', '-100'], ['LINDEX', 'l', '100'], ['LINDEX', 'l', 'x'], ['LINDEX', 'n', 'x'],
      ['LINDEX', 'l', '9223372036854775807'], ['LPOP', 'l'], ['RPOP', 'l'], ['LPOP', 'l', '2'], ['RPOP', 'l', '0'], ['LPOP', 'l', '-1'],
      ['LPOP', 'l', 'x'], ['LPOP', 'l', '1', '2'], ['RPOP', 'l', '100'], ['EXISTS', 'l'], ['LPOP', 'l'], ['LPOP', 'l', '0'], ['LPOP', 'l', '3'],
      ['RPOP', 'n', '-1'], ['LPOP', 'n', '9223372036854775807'], ['LPOP', 'n', '9223372036854775808'],
      ['RPUSH', 'bin', Buffer.from([0, 255, 13, 10]), ''], ['LRANGE', 'bin', '0', '-1'], ['OBJECT', 'ENCODING', 'bin'],
      ['SET', 's', 'v'], ['LPUSH', 's', 'a'], ['RPUSH', 's', 'a'], ['LPUSHX', 's', 'a'], ['RPUSHX', 's', 'a'], ['LPOP', 's'], ['RPOP', 's', '1'],
      ['LPOP', 's', '-1'], ['LLEN', 's'], ['LRANGE', 's', '0', '1'], ['LRANGE', 's', 'x', '1'], ['LINDEX', 's', '0'], ['LINDEX', 's', 'x'],
      ['LSET', 's', '0', 'x'], ['LSET', 's', 'x', 'x'], ['LREM', 's', '0', 'a'], ['LREM', 's', 'x', 'a'], ['LTRIM', 's', '0', '1'], ['LTRIM', 's', 'x', '1'],
      ['LPUSH', 'l'], ['LPOP'], ['LRANGE', 'l', '0'], ['LLEN'], ['LINDEX', 'l'], ['LSET', 'l', '0'], ['LREM', 'l', '0'], ['LTRIM', 'l', '0'],
    ]));

  test('LSET, LREM, LTRIM', () =>
    same([
      ['LSET', 'l', '0', 'x'], ['LSET', 'l', 'x', 'x'], ['RPUSH', 'l', 'a', 'b', 'a', 'c', 'a', 'b', 'a'], ['LSET', 'l', '7', 'x'],
      ['LSET', 'l', '-8', 'x'], ['LSET', 'l', 'x', 'x'], ['LSET', 'l', '-7', 'A'], ['LSET', 'l', '6', 'Z'], ['LRANGE', 'l', '0', '-1'],
      ['LREM', 'l', '1', 'a'], ['LRANGE', 'l', '0', '-1'], ['LREM', 'l', '-1', 'b'], ['LRANGE', 'l', '0', '-1'], ['LREM', 'l', '0', 'a'],
      ['LRANGE', 'l', '0', '-1'], ['LREM', 'l', 'x', 'a'], ['LREM', 'n', '0', 'a'], ['LREM', 'n', 'x', 'a'], ['LREM', 'l', '0', 'nope'],
      ['RPUSH', 't', '1', '2', '3', '4', '5', '6'], ['LTRIM', 't', '1', '-2'], ['LRANGE', 't', '0', '-1'], ['LTRIM', 't', '-100', '100'],
      ['LRANGE', 't', '0', '-1'], ['LTRIM', 't', '2', '1'], ['EXISTS', 't'], ['LTRIM', 'n', '0', '1'], ['LTRIM', 'n', 'x', '1'],
      ['RPUSH', 'u', 'a', 'b'], ['LTRIM', 'u', '5', '10'], ['EXISTS', 'u'], ['RPUSH', 'v', 'a', 'a'], ['LREM', 'v', '0', 'a'], ['EXISTS', 'v'],
    ]));

  test('large lists (past listpack limits) and their encoding', () =>
    same([
      ['RPUSH', 'big', ...range(300, (i) => `e${i}`)], ['LPUSH', 'big', 'x'.repeat(100)], ['LLEN', 'big'], ['LRANGE', 'big', '120', '140'],
      ['LINDEX', 'big', '-1'], ['OBJECT', 'ENCODING', 'big'], ['LTRIM', 'big', '0', '9'], ['OBJECT', 'ENCODING', 'big'], ['LRANGE', 'big', '0', '-1'],
      ['RPUSH', 'small', 'a'], ['OBJECT', 'ENCODING', 'small'], ['LPOP', 'big', '20'], ['EXISTS', 'big'],
    ]));
  test('LINSERT, LPOS, RPOPLPUSH, LMOVE', () =>
    same([
      ['RPUSH', 'l', 'a', 'b', 'a', 'c', 'a'], ['LPOS', 'l', 'a'], ['LPOS', 'l', 'a', 'RANK', '-1'], ['LPOS', 'l', 'a', 'RANK', '0'],
      ['LPOS', 'l', 'a', 'RANK', 'x'], ['LPOS', 'l', 'a', 'COUNT', '-1'], ['LPOS', 'l', 'a', 'COUNT', 'x'], ['LPOS', 'l', 'a', 'MAXLEN', '-1'],
      ['LPOS', 'l', 'a', 'COUNT', '0'], ['LPOS', 'l', 'a', 'count', '2', 'rank', '-1'], ['LPOS', 'l', 'a', 'RANK', '2', 'MAXLEN', '2'],
      ['LPOS', 'l', 'z'], ['LPOS', 'l', 'z', 'COUNT', '0'], ['LPOS', 'n', 'a'], ['LPOS', 'n', 'a', 'COUNT', '1'], ['LPOS', 'l', 'a', 'RANK'],
      ['LPOS', 'l', 'a', 'FOO', '1'], ['LPOS', 'l', 'a', 'RANK', '-9223372036854775808'], ['LPOS', 'l', 'a', 'RANK', '-9223372036854775808', 'COUNT', '1'],
      ['LPOS', 'l', 'a', 'RANK', '-9223372036854775807', 'COUNT', '1'], ['LPOS', 'l', 'a', 'RANK', '2', 'COUNT', '2', 'MAXLEN', '4'],
      ['LINSERT', 'l', 'middle', 'a', 'x'], ['LINSERT', 'n', 'BEFORE', 'a', 'x'], ['LINSERT', 'l', 'BEFORE', 'a', 'x'],
      ['LINSERT', 'l', 'after', 'c', 'y'], ['LINSERT', 'l', 'AFTER', 'z', 'x'], ['LRANGE', 'l', '0', '-1'], ['LMOVE', 'l', 'd', 'LEFT', 'up'],
      ['LMOVE', 'n', 'd', 'LEFT', 'RIGHT'], ['SET', 's', 'v'], ['LMOVE', 'l', 's', 'LEFT', 'RIGHT'], ['LMOVE', 's', 'l', 'LEFT', 'RIGHT'],
      ['LMOVE', 'n', 's', 'LEFT', 'RIGHT'], ['RPOPLPUSH', 'l', 'l'], ['LRANGE', 'l', '0', '-1'], ['RPOPLPUSH', 'l', 'd'], ['LMOVE', 'l', 'd', 'right', 'left'],
      ['LMOVE', 'l', 'd', 'LEFT', 'RIGHT'], ['LRANGE', 'd', '0', '-1'], ['RPUSH', 'one', 'x'], ['RPOPLPUSH', 'one', 'one'], ['LRANGE', 'one', '0', '-1'],
      ['RPOPLPUSH', 'one', 'two'], ['EXISTS', 'one'], ['LRANGE', 'two', '0', '-1'], ['LINSERT', 's', 'BEFORE', 'a', 'b'], ['LPOS', 's', 'a'],
      ['RPOPLPUSH', 'l'], ['LMOVE', 'l', 'd', 'LEFT'], ['LINSERT', 'l', 'BEFORE', 'a'], ['LPOS', 'l'],
    ]));
});

describe('sets, byte for byte with redis 7.0', () => {
  test('intsets (numeric order), single members, errors and wrong type', () =>
    same([
      ['SADD', 'i', '10', '-5', '3', '10', '9223372036854775807', '-9223372036854775808'], ['SMEMBERS', 'i'], ['OBJECT', 'ENCODING', 'i'],
      ['SCARD', 'i'], ['SCARD', 'n'], ['SISMEMBER', 'i', '3'], ['SISMEMBER', 'i', '4'], ['SISMEMBER', 'n', '4'], ['SMISMEMBER', 'i', '3', '4', '10'],
      ['SMISMEMBER', 'n', 'a'], ['SRANDMEMBER', 'i', '10'], ['SRANDMEMBER', 'i', '5'], ['SRANDMEMBER', 'i', '0'], ['SRANDMEMBER', 'n'],
      ['SRANDMEMBER', 'n', '5'], ['SRANDMEMBER', 'n', '-5'], ['SRANDMEMBER', 'i', 'x'], ['SRANDMEMBER', 'i', '-9223372036854775808'],
      ['SRANDMEMBER', 'i', '1', '2'], ['SREM', 'i', '10', 'x', '3'], ['SMEMBERS', 'i'], ['SADD', 'i', '007'], ['OBJECT', 'ENCODING', 'i'],
      ['SREM', 'i', '007'], ['OBJECT', 'ENCODING', 'i'], ['SMEMBERS', 'n'], ['SPOP', 'n'], ['SPOP', 'n', '3'], ['SPOP', 'n', '0'], ['SPOP', 'n', '-1'],
      ['SPOP', 'n', 'x'], ['SPOP', 'n', '1', '2'], ['SADD', 'one', 'solo'], ['SPOP', 'one'], ['EXISTS', 'one'], ['SADD', 'one', 'solo'],
      ['SRANDMEMBER', 'one'], ['SRANDMEMBER', 'one', '-3'], ['SRANDMEMBER', 'one', '1'], ['SPOP', 'one', '0'], ['SPOP', 'one', '1'], ['EXISTS', 'one'],
      ['SADD', 'x', '3', '1', '2'], ['SPOP', 'x', '3'], ['EXISTS', 'x'], ['SADD', 'v', 'a', ...range(10, (i) => String(i))], ['SREM', 'v', 'a'], ['OBJECT', 'ENCODING', 'v'],
      ['SADD', 'big', ...range(513, (i) => String(i))], ['OBJECT', 'ENCODING', 'big'], ['SREM', 'big', '0'], ['SCARD', 'big'],
      ['SET', 's', 'v'], ['SADD', 's', 'a'], ['SREM', 's', 'a'], ['SPOP', 's'], ['SPOP', 's', '1'], ['SPOP', 's', '-1'], ['SCARD', 's'],
      ['SMEMBERS', 's'], ['SISMEMBER', 's', 'a'], ['SMISMEMBER', 's', 'a'], ['SRANDMEMBER', 's'], ['SRANDMEMBER', 's', '1'],
      ['SRANDMEMBER', 's', 'x'], ['SADD', 's'], ['SREM', 's'], ['SPOP'], ['SCARD'], ['SMEMBERS'], ['SISMEMBER', 's'], ['SMISMEMBER', 's'], ['SRANDMEMBER'],
    ]));

  test('hashtable sets hold the same members (compared as sets)', async () => {
    const members = range(40, (i) => `m${i}`);
    const [ours, theirs] = await both([
      ['SADD', 'h', ...members], ['SMEMBERS', 'h'], ['SPOP', 'h', '5'], ['SCARD', 'h'], ['SRANDMEMBER', 'h', '50'], ['SRANDMEMBER', 'h', '7'],
      ['SRANDMEMBER', 'h', '-60'], ['SPOP', 'h'], ['SPOP', 'h', '100'], ['EXISTS', 'h'],
      ['SADD', 'w', ...range(12, (i) => String(12 - i))], ['SPOP', 'w', '10'], ['SCARD', 'w'], ['OBJECT', 'ENCODING', 'w'],
    ]);
    const sorted = (v: ReplyValue) => [...(v as string[])].sort();
    assert.equal(ours[0], theirs[0]);
    for (const i of [10, 12, 13]) assert.deepEqual(ours[i], theirs[i], `#${i}`);
    // Popping most of an intset: Redis keeps the survivors and replies the rest in numeric order.
    for (const r of [ours, theirs]) {
      const popped = r[11] as string[];
      assert.equal(popped.length, 10);
      assert.deepEqual(popped, [...popped].sort((a, b) => +a - +b));
      assert.equal(r[13], 'intset');
    }
    assert.deepEqual(sorted(ours[1]), sorted(theirs[1]));
    for (const r of [ours, theirs]) {
      assert.equal((r[2] as string[]).length, 5);
      assert.equal(r[3], 35);
      assert.equal((r[4] as string[]).length, 35);
      assert.equal(new Set(r[5] as string[]).size, 7);
      assert.equal((r[6] as string[]).length, 60);
      assert.ok(members.includes(r[7] as string));
      assert.equal((r[8] as string[]).length, 34);
      assert.deepEqual(sorted([...(r[2] as string[]), r[7] as string, ...(r[8] as string[])]), [...members].sort());
      assert.equal(r[9], 0);
    }
  });

  test('SMOVE and SINTER/SUNION/SDIFF[STORE] on intsets (deterministic order)', () =>
    same([
      ['SMOVE', 'n', 's', 'a'], ['SADD', 'a', '1', '2'], ['SET', 's', 'v'], ['SMOVE', 'a', 's', '1'], ['SMOVE', 'n', 's', '1'], ['SMOVE', 'a', 'a', '1'],
      ['SMOVE', 'a', 'a', '9'], ['SMOVE', 'a', 'b', '1'], ['SMOVE', 'a', 'b', '2'], ['EXISTS', 'a'], ['SMEMBERS', 'b'], ['SINTER', 'b', 'n'],
      ['SINTER', 'b', 's'], ['SINTER', 'n', 's'], ['SINTERSTORE', 'b2', 'b', 'n'], ['SUNION', 'b', 'n'], ['SDIFF', 'n', 'b'], ['SUNIONSTORE', 'x', 'b', 'b', 's'],
      ['SADD', 'p', '5', '3', '1', 'x'], ['SADD', 'q', '3', '1', '9', '8', '7'], ['SADD', 't', '9', '3', '1', '4'], ['SINTER', 'q', 't'], ['SINTERSTORE', 'r', 'p', 'q'],
      ['OBJECT', 'ENCODING', 'r'], ['SMEMBERS', 'r'], ['SDIFF', 'q', 'p'], ['SDIFFSTORE', 'r', 'q', 'p'], ['SMEMBERS', 'r'], ['SDIFFSTORE', 'r', 'p', 'q'],
      ['OBJECT', 'ENCODING', 'r'], ['SDIFFSTORE', 'r', 'p', 'p'], ['EXISTS', 'r'], ['SUNION', 'q', 'b'], ['SUNIONSTORE', 'r', 'q', 'b'], ['SMEMBERS', 'r'],
      ['SADD', 'h', 'a', 'b', 'c', '1'], ['SADD', 'k', ...range(10, (i) => String(i + 1))], ['SDIFFSTORE', 'r', 'h', 'k'], ['OBJECT', 'ENCODING', 'r'],
      ['SADD', 'h2', '1', '2', '3', 'a'], ['SREM', 'h2', 'a'], ['SADD', 'm', '5'], ['SDIFFSTORE', 'r', 'h2', 'm'], ['OBJECT', 'ENCODING', 'r'],
      ['SMEMBERS', 'r'], ['SADD', 'h3', '1', '2', '3', 'a'], ['SREM', 'h3', 'a'], ['SDIFFSTORE', 'r', 'h3', 'k', 'k'], ['OBJECT', 'ENCODING', 'r'],
      ['SINTERSTORE', 'r', 'n', 'p'], ['EXISTS', 'r'], ['SET', 'str', 'x'], ['SINTERSTORE', 'str', 'q', 'q'], ['TYPE', 'str'], ['SMEMBERS', 'str'],
      ['SMOVE', 'a'], ['SINTER'], ['SINTERSTORE', 'r'], ['SDIFFSTORE', 'r'],
    ]));
});

test('redis-benchmark: the default suite (lists, sets and all) runs with no error', async () => {
  const { stdout, stderr } = await execFileP(
    'redis-benchmark',
    ['-p', String(corral.port), '-q', '-n', '2000'],
    { timeout: 60_000 },
  );
  const out = `${stdout}\n${stderr}`;
  assert.doesNotMatch(out, /ERR|Error/, out);
  for (const name of ['LPUSH', 'RPUSH', 'LPOP', 'RPOP', 'SADD', 'SPOP', 'LRANGE_100 \\(first 100 elements\\)', 'LRANGE_600 \\(first 600 elements\\)']) {
    assert.match(out, new RegExp(`(^|\\r|\\n)${name}: [\\d.]+ requests per second`), `${name} line in:\n${out}`);
  }
});
