// Byte-for-byte comparison of corral's string and generic key commands with a real redis-server
// 7.0 (RESP2 and RESP3), plus randomized INCRBYFLOAT/INCRBY checks against the same server.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RawConnection, startCorral, startRedis, transcripts, type Started, type StartedCorral } from '../support/servers.js';
import { parseReply, type ReplyValue } from '../../src/protocol/reply-parser.js';
import { TYPE_HASH } from '../../src/store/entry.js';
import { HashValue } from '../../src/store/hash-value.js';

type Cmd = Array<string | Buffer | number>;
type Hashes = Record<string, Record<string, string>>;

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

/**
 * Empties both servers and creates the given hashes: with HSET on Redis, directly in corral's
 * store (so these tests do not depend on corral's hash commands).
 */
async function reset(hashes: Hashes = {}): Promise<void> {
  const r = await RawConnection.connect(redis.port);
  try {
    await r.call('FLUSHALL');
    for (const [key, fields] of Object.entries(hashes)) await r.call('HSET', key, ...Object.entries(fields).flat());
  } finally {
    r.close();
  }
  corral.node.store.flushAll();
  const db = corral.node.store.dbs[0];
  for (const [key, fields] of Object.entries(hashes)) {
    const e = db.create(key, TYPE_HASH, HashValue.fromPairs(Object.entries(fields)));
    db.changed(e);
  }
}

function show(b: Buffer): string {
  return JSON.stringify(b.toString('latin1'));
}

/** Runs cmds on both servers (fresh state) in RESP2 and RESP3 and asserts identical bytes. */
async function same(cmds: Cmd[], hashes: Hashes = {}): Promise<void> {
  for (const resp of [2, 3]) {
    await reset(hashes);
    const setup: Cmd[] = resp === 3 ? [['HELLO', '3']] : [];
    const [ours, theirs] = await transcripts(corral.port, redis.port, cmds, setup);
    for (let i = 0; i < cmds.length; i++) {
      const cmd = cmds[i].map((a) => (Buffer.isBuffer(a) ? a.toString('latin1') : String(a))).join(' ');
      assert.equal(show(ours[i]), show(theirs[i]), `RESP${resp} #${i} ${JSON.stringify(cmd)}`);
    }
  }
}

/** Runs cmds on both servers and returns the parsed replies of each (for order-free checks). */
async function both(cmds: Cmd[], hashes: Hashes = {}): Promise<[ReplyValue[], ReplyValue[]]> {
  await reset(hashes);
  const [ours, theirs] = await transcripts(corral.port, redis.port, cmds, []);
  const parse = (bufs: Buffer[]) => bufs.map((b) => parseReply(b)![0]);
  return [parse(ours), parse(theirs)];
}

const H = { h: { f: 'v' } };

describe('strings, byte for byte with redis 7.0', () => {
  test('GET/SET and SET options', () =>
    same([
      ['GET', 'k'], ['SET', 'k', 'v'], ['GET', 'k'], ['SET', 'k', 'v2', 'XX'], ['SET', 'n', 'v', 'XX'],
      ['SET', 'k', 'v', 'NX'], ['SET', 'n2', 'v', 'nx'], ['SET', 'k', 'x', 'XX', 'GET'], ['SET', 'new', 'v', 'XX', 'GET'],
      ['SET', 'k', 'y', 'GET', 'NX'], ['SET', 'k3', 'y', 'GET', 'NX'], ['SET', 'k', 'v', 'nx', 'xx'], ['SET', 'k', 'v', 'xx', 'nx'],
      ['SET', 'k', 'v', 'ex'], ['SET', 'k', 'v', 'ex', '10', 'px', '10'], ['SET', 'k', 'v', 'ex', '10', 'ex', '20'], ['TTL', 'k'],
      ['SET', 'k', 'v', 'keepttl', 'ex', '10'], ['SET', 'k', 'v', 'ex', '10', 'keepttl'], ['SET', 'k', 'v', 'px', '0'],
      ['SET', 'k', 'v', 'ex', '-1'], ['SET', 'k', 'v', 'ex', 'abc'], ['SET', 'k', 'v', 'exat', '1'], ['GET', 'k'],
      ['SET', 'k', 'v', 'pxat', '1'], ['EXISTS', 'k'], ['SET', 'k', 'v', 'persist'], ['SET', 'k', 'v', 'get', 'get'],
      ['SET', 'k', 'v', 'foo'], ['SET', 'h', 'v', 'get'], ['SET', 'h', 'v', 'nx', 'get'], ['SET', 'h', 'v'], ['TYPE', 'h'],
      ['SET', 'k', 'v', 'EX', '100'], ['TTL', 'k'], ['SET', 'k', 'v2', 'KEEPTTL'], ['TTL', 'k'], ['SET', 'k', 'v3'], ['TTL', 'k'],
      ['SET', 'k', 'v', 'ex', '9223372036854775'], ['SET', 'k', 'v', 'ex', '9223372036854776'],
      ['SET', 'k', 'v', 'px', '9223372036854775807'], ['SET', 'k', 'v', 'exat', '9223372036854775'],
      ['SET', 'k', 'v', 'px', '99999999999999999999'], ['SET', 'k', 'v', 'exat', '4102444800'], ['EXPIRETIME', 'k'],
      ['SET', 'k', 'v', 'pxat', '4102444800123'], ['PEXPIRETIME', 'k'],
      ['SET', 'k', 'v', Buffer.from('nx\0junk')], ['SET', 'k', 'v', Buffer.from('x\0')], ['SET', 'k', 'v', ''],
      ['SET', 'bin', Buffer.from([0, 255, 13, 10, 128])], ['GET', 'bin'], ['SET', 'empty', ''], ['GET', 'empty'],
      ['SET', 'k'], ['GET'], ['GET', 'a', 'b'],
    ], H));

  test('SETNX SETEX PSETEX GETSET GETDEL', () =>
    same([
      ['SETNX', 'k', 'v'], ['SETNX', 'k', 'w'], ['GET', 'k'], ['SETNX', 'h', 'v'],
      ['SETEX', 'k', '100', 'v'], ['TTL', 'k'], ['SETEX', 'k', '0', 'v'], ['SETEX', 'k', '-5', 'v'], ['SETEX', 'k', 'abc', 'v'],
      ['SETEX', 'k', '9223372036854775', 'v'], ['PSETEX', 'k', '100000', 'v'], ['TTL', 'k'], ['PSETEX', 'k', '0', 'v'],
      ['PSETEX', 'k', '9223372036854775807', 'v'], ['SETEX', 'h2', '10', 'v'], ['SETEX', 'k', '10'],
      ['GETSET', 'missing', 'v'], ['SET', 'k', 'v', 'EX', '100'], ['GETSET', 'k', 'v2'], ['TTL', 'k'], ['GET', 'k'],
      ['GETSET', 'h', 'v'], ['GETDEL', 'nothing'], ['GETDEL', 'k'], ['EXISTS', 'k'], ['GETDEL', 'h'], ['GETDEL', 'k', 'x'],
    ], { h: { f: 'v' }, h2: { a: 'b' } }));

  test('GETEX', () =>
    same([
      ['SET', 'k', 'v'], ['GETEX', 'k'], ['GETEX', 'k', 'EX', '100'], ['TTL', 'k'], ['GETEX', 'k', 'PERSIST'], ['TTL', 'k'],
      ['GETEX', 'k', 'PX', '100000'], ['TTL', 'k'], ['GETEX', 'k', 'EXAT', '4102444800'], ['EXPIRETIME', 'k'],
      ['GETEX', 'k', 'PXAT', '4102444800999'], ['PEXPIRETIME', 'k'], ['GETEX', 'missing', 'EX', 'abc'], ['GETEX', 'k', 'EX', 'abc'],
      ['GETEX', 'k', 'EX', '0'], ['GETEX', 'k', 'PX', '-1'], ['GETEX', 'k', 'persist', 'persist'], ['GETEX', 'k', 'EX', '10', 'PERSIST'],
      ['GETEX', 'k', 'PERSIST', 'EX', '10'], ['GETEX', 'k', 'GET'], ['GETEX', 'k', 'KEEPTTL'], ['GETEX', 'k', 'NX'], ['GETEX', 'k', 'ex'],
      ['GETEX', 'k', 'ex', '10', 'px', '10'], ['GETEX', 'h'], ['GETEX', 'h', 'EX', 'abc'], ['GETEX', 'h', 'foo'],
      ['GETEX', 'k', 'EX', '9223372036854775'], ['GETEX', 'k', 'EXAT', '1'], ['EXISTS', 'k'], ['GETEX'],
    ], H));

  test('MGET MSET MSETNX', () =>
    same([
      ['MSET', 'a', '1', 'b', '2'], ['MGET', 'a', 'b', 'c', 'h', 'a'], ['MSET', 'a'], ['MSET', 'a', '1', 'b'],
      ['MSETNX', 'a', '1', 'b'], ['SET', 't', 'v', 'EX', '100'], ['MSET', 't', 'w'], ['TTL', 't'], ['MSETNX', 'x', '1', 'a', '2'],
      ['GET', 'x'], ['MSETNX', 'x2', '1', 'y2', '2', 'x2', '3'], ['MGET', 'x2', 'y2'], ['MSETNX', 'h', '1'], ['MSET', 'h', '1'],
      ['TYPE', 'h'], ['MGET'],
    ], H));

  test('APPEND STRLEN', () =>
    same([
      ['APPEND', 'k', 'abc'], ['APPEND', 'k', 'def'], ['GET', 'k'], ['APPEND', 'k', ''], ['APPEND', 'e', ''], ['EXISTS', 'e'],
      ['APPEND', 'h', 'x'], ['STRLEN', 'k'], ['STRLEN', 'missing'], ['STRLEN', 'h'], ['SET', 'n', '10'], ['APPEND', 'n', '1'],
      ['INCR', 'n'], ['APPEND', 'b', Buffer.from([0, 1, 255])], ['STRLEN', 'b'], ['GET', 'b'], ['SET', 't', 'v', 'EX', '100'],
      ['APPEND', 't', 'w'], ['TTL', 't'],
    ], H));

  test('INCR DECR INCRBY DECRBY', () => {
    const bad = [' 1', '01', '-0', '+1', '1.5', '', '1 ', '-', 'abc', '123456789012345678901', '9223372036854775808', '0x10'];
    const cmds: Cmd[] = [['INCR', 'n'], ['INCR', 'n'], ['DECR', 'n'], ['DECR', 'm'], ['INCRBY', 'n', '10'], ['DECRBY', 'n', '-7']];
    for (const b of bad) cmds.push(['SET', 'x', b], ['INCR', 'x'], ['INCRBY', 'n', b]);
    cmds.push(
      ['SET', 'x', '9223372036854775807'], ['INCR', 'x'], ['INCRBY', 'x', '0'], ['DECR', 'x'], ['GET', 'x'],
      ['SET', 'x', '-9223372036854775808'], ['DECR', 'x'], ['INCR', 'x'], ['GET', 'x'],
      ['SET', 'x', '0'], ['INCRBY', 'x', '9223372036854775807'], ['INCRBY', 'x', '1'], ['INCRBY', 'x', '-9223372036854775808'],
      ['INCRBY', 'x', '-9223372036854775808'], ['GET', 'x'], ['DECRBY', 'y', '-9223372036854775808'], ['DECRBY', 'y', '9223372036854775807'],
      ['DECRBY', 'y', '2'], ['SET', 'x', '9007199254740992'], ['INCR', 'x'], ['INCRBY', 'x', '9007199254740993'], ['GET', 'x'],
      ['SET', 'x', '-9007199254740993'], ['DECRBY', 'x', '1'], ['INCRBY', 'x', '9007199254740994'], ['GET', 'x'],
      ['INCRBY', 'h', '1'], ['INCRBY', 'h', 'x'], ['INCR', 'h'], ['DECRBY', 'h', '-9223372036854775808'],
      ['SET', 't', '5', 'EX', '100'], ['INCR', 't'], ['TTL', 't'], ['INCR'], ['INCRBY', 'x'],
    );
    return same(cmds, H);
  });

  test('INCRBYFLOAT', () => {
    const pairs = [
      ['10.5', '0.1'], ['3.0e3', '5.0e3'], ['0', '1.5e+10'], ['1e308', '1e308'], ['0', '0.1'], ['1', '-1'], ['0', '-0.0'],
      ['-0', '-0'], ['0', '-1e-20'], ['0', '1e-17'], ['0', '5e-18'], ['0', '0x1p3'], ['0', '0X1.8P1'], ['0', 'inf'], ['0', 'nan'],
      ['0', ' 1'], ['0', '1 '], ['0', '+.5'], ['0', '5.'], ['0', '1e-4950'], ['0', '1e-5000'], ['0', '1e5000'], ['0', '1e400'],
      ['1e400', '-1e400'], ['abc', '1'], ['0', ''], ['0', '.'], ['0', '0.30000000000000004'], ['1.1', '2.2'],
      ['0', '123456789012345678901234567890'], ['0', '9007199254740993'], ['0.1', '0.2'], ['0', 'INFINITY'], ['0', '-inf'],
      ['0', '0x'], ['0', '1e'], ['0', '1e+'], ['0', '3.14159265358979323846264'], ['1.18e4932', '1e4932'], ['-1e4932', '-1e4932'],
      ['0', '-1.5'], ['9223372036854775807', '1'], ['0', '1e-4940'], ['0', 'infinity'], ['0', 'infinit'], ['0', 'nan(123)'],
      ['0', '1\0junk'], ['0', '\0'], ['0', '0x1p-16445'], ['0', '0x1p-16446'], ['0', '0x1p16383'], ['0', '0x1p16384'],
    ];
    const cmds: Cmd[] = [];
    for (const [a, b] of pairs) cmds.push(['SET', 'f', a], ['INCRBYFLOAT', 'f', b], ['GET', 'f']);
    cmds.push(['INCRBYFLOAT', 'new', '2.5'], ['INCRBYFLOAT', 'h', '1'], ['INCRBYFLOAT', 'h', 'x'], ['SET', 't', '1', 'EX', '100']);
    cmds.push(['INCRBYFLOAT', 't', '1.5'], ['TTL', 't'], ['SET', 'f', 'x'], ['INCRBYFLOAT', 'f', 'y'], ['INCRBYFLOAT', 'f', '1']);
    return same(cmds, H);
  });

  test('GETRANGE SUBSTR SETRANGE', () => {
    const ranges = [['0', '-100'], ['-1', '-5'], ['-100', '-200'], ['-100', '0'], ['5', '3'], ['3', '100'], ['-3', '-1'],
      ['0', '-1'], ['10', '20'], ['0', '0'], ['4', '4'], ['-5', '-5'], ['9223372036854775807', '1'], ['a', '1'], ['0', 'b']];
    const cmds: Cmd[] = [['SET', 's', 'Hello'], ['SET', 'e', ''], ['SET', 'i', '12345']];
    for (const [a, b] of ranges) cmds.push(['GETRANGE', 's', a, b], ['SUBSTR', 's', a, b], ['GETRANGE', 'e', a, b], ['GETRANGE', 'no', a, b]);
    cmds.push(['GETRANGE', 'i', '1', '2'], ['GETRANGE', 'h', '0', '1'], ['GETRANGE', 'h', 'x', '1']);
    cmds.push(
      ['SETRANGE', 'n', '5', 'x'], ['GET', 'n'], ['SETRANGE', 's', '0', ''], ['SETRANGE', 'z', '0', ''], ['EXISTS', 'z'],
      ['SETRANGE', 's', '-1', 'x'], ['SETRANGE', 's', 'x', 'y'], ['SETRANGE', 's', '536870912', 'x'], ['SETRANGE', 's', '536870911', ''],
      ['SETRANGE', 'z', '536870912', ''], ['SETRANGE', 'h', '0', 'x'], ['SETRANGE', 'h', '0', ''], ['SETRANGE', 's', '2', 'abc'],
      ['GET', 's'], ['SETRANGE', 's', '1', 'LONGER-THAN-BEFORE'], ['GET', 's'], ['SETRANGE', 's', '30', Buffer.from([0, 200])],
      ['GET', 's'], ['SET', 't', 'abc', 'EX', '100'], ['SETRANGE', 't', '1', 'X'], ['TTL', 't'], ['GET', 't'],
      ['SETRANGE', 'i', '0', '9'], ['INCR', 'i'], ['SETRANGE', 'q', '9223372036854775808', 'x'],
    );
    return same(cmds, H);
  });

  test('randomized SET/GETEX/EXPIRE option combinations match redis', async () => {
    const tokens = ['NX', 'XX', 'GET', 'KEEPTTL', 'PERSIST', 'EX', 'ex', 'PX', 'EXAT', 'PXAT', '100', '4102444800', '0', 'foo',
      'GT', 'LT', 'nx', 'get'];
    const opts = fc.array(fc.constantFrom(...tokens), { maxLength: 5 });
    const cmds: Cmd[] = [];
    for (const [key, o1, o2, o3] of fc.sample(fc.tuple(fc.constantFrom('k', 'h', 'new'), opts, opts, opts), { numRuns: 250, seed: 3 })) {
      cmds.push(['SET', key, 'v', ...o1], ['TTL', key], ['GETEX', key, ...o2], ['TTL', key], ['EXPIRE', key, '50', ...o3], ['TTL', key]);
      cmds.push(['SET', 'k', 'v'], ['DEL', 'new']);
    }
    await reset(H);
    const [ours, theirs] = await transcripts(corral.port, redis.port, cmds, []);
    for (let i = 0; i < cmds.length; i++) assert.equal(show(ours[i]), show(theirs[i]), cmds[i].join(' '));
  });

  test('randomized INCRBYFLOAT matches redis', async () => {
    const num = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }).map(String),
      fc.integer({ min: -1e9, max: 1e9 }).map((n) => `${n / 1000}`),
      fc.tuple(fc.integer({ min: -99999, max: 99999 }), fc.integer({ min: -30, max: 30 })).map(([m, e]) => `${m}e${e}`),
    );
    const cases = fc.sample(fc.tuple(num, fc.array(num, { minLength: 1, maxLength: 4 })), { numRuns: 150, seed: 42 });
    const cmds: Cmd[] = [];
    for (const [start, incs] of cases) {
      cmds.push(['SET', 'f', start]);
      for (const inc of incs) cmds.push(['INCRBYFLOAT', 'f', inc]);
    }
    await reset();
    const [ours, theirs] = await transcripts(corral.port, redis.port, cmds, []);
    for (let i = 0; i < cmds.length; i++) assert.equal(show(ours[i]), show(theirs[i]), cmds[i].join(' '));
  });

  test('randomized INCRBY near the int64 and 2^53 edges matches redis', async () => {
    const edge = fc.constantFrom(9223372036854775807n, -9223372036854775808n, 9007199254740992n, -9007199254740992n, 0n);
    const big = fc.tuple(edge, fc.bigInt({ min: -3000n, max: 3000n })).map(([e, d]) => String(e + d));
    const cmds: Cmd[] = [];
    for (const [start, by] of fc.sample(fc.tuple(big, big), { numRuns: 200, seed: 7 })) {
      cmds.push(['SET', 'n', start], ['INCRBY', 'n', by], ['DECRBY', 'n', by], ['GET', 'n']);
    }
    await reset();
    const [ours, theirs] = await transcripts(corral.port, redis.port, cmds, []);
    for (let i = 0; i < cmds.length; i++) assert.equal(show(ours[i]), show(theirs[i]), cmds[i].join(' '));
  });
});

describe('keys, byte for byte with redis 7.0', () => {
  test('DEL UNLINK EXISTS TYPE TOUCH DBSIZE RANDOMKEY', () =>
    same([
      ['DBSIZE'], ['SET', 'a', '1'], ['MSET', 'b', '2', 'c', '3'], ['EXISTS', 'a', 'a', 'x', 'h'],
      ['TYPE', 'a'], ['TYPE', 'h'], ['TYPE', 'x'], ['TOUCH', 'a', 'x', 'h'], ['DBSIZE'], ['DEL', 'a', 'x', 'a'], ['UNLINK', 'b', 'h'],
      ['EXISTS', 'a', 'b', 'c', 'h'], ['DBSIZE'], ['SET', 'p', '1', 'PXAT', '1'], ['EXISTS', 'p'], ['TYPE', 'p'], ['DEL', 'p'],
      ['DEL'], ['EXISTS'], ['TYPE'], ['TYPE', 'a', 'b'], ['RANDOMKEY', 'x'], ['DBSIZE', 'x'],
    ], H));

  test('RANDOMKEY', () =>
    same([['RANDOMKEY'], ['SET', 'p', '1', 'PXAT', '1'], ['RANDOMKEY'], ['SET', 'a', '1'], ['RANDOMKEY'], ['DEL', 'a'], ['RANDOMKEY']]));

  test('EXPIRE family, TTL, PERSIST', () =>
    same([
      ['EXPIRE', 'missing', '100'], ['EXPIRE', 'missing', 'abc'], ['SET', 'k', 'v'], ['TTL', 'k'], ['PTTL', 'k'], ['TTL', 'x'],
      ['PTTL', 'x'], ['EXPIRETIME', 'k'], ['PEXPIRETIME', 'x'], ['EXPIRE', 'k', '100'], ['TTL', 'k'],
      ['EXPIRE', 'k', '200', 'NX'], ['EXPIRE', 'k', '200', 'XX'], ['TTL', 'k'], ['EXPIRE', 'k', '100', 'GT'], ['EXPIRE', 'k', '300', 'GT'],
      ['TTL', 'k'], ['EXPIRE', 'k', '300', 'LT'], ['EXPIRE', 'k', '50', 'LT'], ['TTL', 'k'], ['EXPIRE', 'k', '60', 'xx', 'gt'], ['TTL', 'k'],
      ['PERSIST', 'k'], ['PERSIST', 'k'], ['PERSIST', 'missing'], ['EXPIRE', 'k', '100', 'XX'], ['EXPIRE', 'k', '100', 'GT'],
      ['EXPIRE', 'k', '100', 'LT'], ['TTL', 'k'], ['PERSIST', 'k'], ['EXPIRE', 'k', '100', 'NX'], ['TTL', 'k'],
      ['EXPIRE', 'k', '1', 'NX', 'XX'], ['EXPIRE', 'k', '1', 'NX', 'GT'], ['EXPIRE', 'k', '1', 'LT', 'NX'], ['EXPIRE', 'k', '1', 'GT', 'LT'],
      ['EXPIRE', 'k', '1', 'NX', 'GT', 'LT'], ['EXPIRE', 'k', '1', 'foo'], ['EXPIRE', 'k', 'abc', 'foo'], ['EXPIRE', 'k', '1', 'nx', 'bar'],
      ['EXPIRE', 'k', '1', Buffer.from('baz\0qux')], ['EXPIRE', 'k', '1', 'bad\n'], ['EXPIRE', 'k', '1', Buffer.from('gt\0x')],
      ['EXPIRE', 'k', 'abc'], ['EXPIRE', 'k', '1.5'], ['EXPIRE', 'k', '9223372036854775'], ['EXPIRE', 'k', '-9223372036854776'],
      ['PEXPIRE', 'k', '9223372036854775807'], ['EXPIREAT', 'k', '9223372036854776'], ['PEXPIREAT', 'k', '99999999999999999999'],
      ['EXPIREAT', 'k', '4102444800'], ['EXPIRETIME', 'k'], ['PEXPIRETIME', 'k'], ['PEXPIREAT', 'k', '4102444800499'], ['EXPIRETIME', 'k'],
      ['PEXPIREAT', 'k', '4102444800500'], ['EXPIRETIME', 'k'], ['PEXPIRE', 'k', '100000'], ['TTL', 'k'],
      ['EXPIRE', 'k', '-1'], ['EXISTS', 'k'], ['SET', 'k', 'v'], ['EXPIRE', 'k', '0'], ['EXISTS', 'k'], ['SET', 'k', 'v'],
      ['EXPIRE', 'k', '-9223372036854775'], ['EXISTS', 'k'], ['SET', 'k', 'v'], ['EXPIREAT', 'k', '1'], ['EXISTS', 'k'],
      ['SET', 'k', 'v'], ['PEXPIREAT', 'k', '-9223372036854775808'], ['EXISTS', 'k'], ['SET', 'k', 'v', 'EX', '100'],
      ['EXPIRE', 'k', '-1', 'GT'], ['EXPIRE', 'k', '-1', 'LT'], ['EXISTS', 'k'], ['EXPIRE', 'h', '100'], ['TTL', 'h'],
      ['EXPIRE', 'k'], ['TTL'], ['PERSIST', 'a', 'b'],
    ], H));

  test('RENAME RENAMENX', () =>
    same([
      ['RENAME', 'x', 'y'], ['RENAMENX', 'x', 'y'], ['RENAME', 'x', 'x'], ['SET', 'a', '1', 'EX', '100'], ['RENAME', 'a', 'a'],
      ['RENAMENX', 'a', 'a'], ['RENAME', 'a', 'b'], ['EXISTS', 'a'], ['GET', 'b'], ['TTL', 'b'], ['RENAME', 'b', 'h'], ['TYPE', 'h'],
      ['GET', 'h'], ['TTL', 'h'], ['SET', 'c', '3'], ['RENAMENX', 'c', 'h'], ['RENAMENX', 'c', 'd'], ['GET', 'd'], ['TTL', 'd'],
      ['RENAME', 'h2', 'e'], ['TYPE', 'e'], ['RENAME', 'a'],
    ], { h: { f: 'v' }, h2: { x: 'y' } }));

  test('COPY', () =>
    same([
      ['COPY', 'x', 'y'], ['SET', 'a', '1', 'EX', '100'], ['COPY', 'a', 'a'], ['COPY', 'a', 'b'], ['GET', 'b'], ['TTL', 'b'],
      ['COPY', 'a', 'b'], ['COPY', 'a', 'h'], ['COPY', 'a', 'h', 'REPLACE'], ['GET', 'h'], ['COPY', 'a', 'a', 'DB', '0'],
      ['COPY', 'a', 'a', 'DB', '1'], ['COPY', 'a', 'a', 'DB', '1'], ['COPY', 'a', 'a', 'DB', '1', 'replace'], ['COPY', 'a', 'b', 'DB', '16'],
      ['COPY', 'a', 'b', 'DB', '-1'], ['COPY', 'a', 'b', 'DB', 'abc'], ['COPY', 'a', 'b', 'DB', '4294967296'],
      ['COPY', 'a', 'b', 'DB', '-2147483649'], ['COPY', 'a', 'b', 'DB', '99999999999999999999'], ['COPY', 'a', 'b', 'DB'],
      ['COPY', 'a', 'b', 'foo'], ['COPY', 'missing', 'b', 'DB', '99'], ['COPY', 'h2', 'h3'], ['TYPE', 'h3'], ['DEL', 'h2'],
      ['TYPE', 'h3'], ['SELECT', '1'], ['GET', 'a'], ['TTL', 'a'], ['COPY', 'a', 'a'], ['COPY', 'a', 'a', 'DB', '0'],
      ['COPY', 'a', 'z', 'DB', '0', 'REPLACE', 'REPLACE'], ['SELECT', '0'], ['GET', 'z'], ['COPY', 'a'],
    ], { h: { f: 'v' }, h2: { x: 'y' } }));

  test('SCAN errors, FLUSHDB, FLUSHALL', () =>
    same([
      ['SCAN', 'abc'], ['SCAN', ' 1'], ['SCAN', '1.5'], ['SCAN', '18446744073709551616'], ['SCAN', '-'],
      ['SCAN', '-18446744073709551616'], ['SCAN', '0', 'COUNT', '0'], ['SCAN', '0', 'COUNT', '-1'], ['SCAN', '0', 'COUNT', 'x'],
      ['SCAN', '0', 'MATCH'], ['SCAN', '0', 'foo', 'bar'], ['SCAN', '0', 'TYPE'], ['SCAN', 'x', 'COUNT', '0'],
      ['SCAN', '0'], ['SCAN', ''], ['SCAN', '-1'], ['SCAN', '0', 'TYPE', 'foo'],
      ['SET', 'a', '1'], ['FLUSHDB', 'foo'], ['FLUSHDB', 'ASYNC', 'x'], ['FLUSHDB', 'async'], ['DBSIZE'], ['SET', 'a', '1'],
      ['FLUSHDB', 'SYNC'], ['DBSIZE'], ['SET', 'a', '1'], ['SELECT', '1'], ['SET', 'b', '1'], ['FLUSHDB'], ['SELECT', '0'],
      ['DBSIZE'], ['FLUSHALL', 'foo'], ['FLUSHALL', 'ASYNC'], ['DBSIZE'], ['FLUSHALL', 'sync'], ['FLUSHALL'], ['SCAN'], ['KEYS'],
    ]));

  test('KEYS and small SCANs return the same keys (order aside)', async () => {
    const keys = ['hello', 'hallo', 'hxllo', 'hllo', 'heeello', 'a*b', 'a\\b', 'x', 'X', 'h[a]llo', 'user:1', 'user:22'];
    const patterns = ['*', 'h?llo', 'h*llo', 'h[ae]llo', 'h[^e]llo', 'h[a-b]llo', 'h[b-a]llo', 'a\\*b', 'a*', 'user:?',
      'user:*', '[xX]', 'h\\[a]llo', 'h[a', '*[', 'nomatch', '\\'];
    const cmds: Cmd[] = [['MSET', ...keys.flatMap((k) => [k, '1'])], ['SET', 'gone', '1', 'PXAT', '1']];
    for (const p of patterns) cmds.push(['KEYS', p], ['SCAN', '0', 'MATCH', p, 'COUNT', '100']);
    cmds.push(['SCAN', '0', 'TYPE', 'hash', 'COUNT', '100'], ['SCAN', '0', 'TYPE', 'STRING', 'MATCH', 'h*', 'COUNT', '100']);
    cmds.push(['SCAN', '0', 'COUNT', '100', 'TYPE', 'none']);
    const [ours, theirs] = await both(cmds, H);
    const norm = (v: ReplyValue): unknown => {
      if (!Array.isArray(v)) return v;
      if (v.length === 2 && Array.isArray(v[1])) return [v[0], [...(v[1] as string[])].sort()];
      return [...(v as string[])].sort();
    };
    for (let i = 0; i < cmds.length; i++) assert.deepEqual(norm(ours[i]), norm(theirs[i]), JSON.stringify(cmds[i]));
  });

  test('MOVE between databases, with its TTL; errors', () =>
    same([
      ['SET', 'k', 'v', 'PX', '100000'],
      ['MOVE', 'k', '1'],
      ['MOVE', 'k', '1'],
      ['MOVE', 'k', '0'],
      ['MOVE', 'k', 'x'],
      ['MOVE', 'k', '99'],
      ['MOVE', 'k', '-1'],
      ['SELECT', '1'],
      ['TYPE', 'k'],
      ['EXPIRETIME', 'k'],
      ['RPUSH', 'l', 'a'],
      ['SELECT', '0'],
      ['SET', 'l', 'here'],
      ['SELECT', '1'],
      ['MOVE', 'l', '0'],
      ['MOVE', 'k', '0'],
      ['SELECT', '0'],
      ['GET', 'k'],
      ['GET', 'l'],
      ['MOVE'],
      ['MOVE', 'a', 'b', 'c'],
    ]));

  test('SWAPDB: contents exchange, clients stay on their numbers; errors', () =>
    same([
      ['SET', 'a', '1', 'PX', '100000'],
      ['SELECT', '1'],
      ['RPUSH', 'l', 'x'],
      ['SWAPDB', '0', '1'],
      ['GET', 'a'],
      ['EXPIRETIME', 'a'],
      ['SELECT', '0'],
      ['LRANGE', 'l', '0', '-1'],
      ['DBSIZE'],
      ['SWAPDB', '0', 'x'],
      ['SWAPDB', 'x', '0'],
      ['SWAPDB', '0', '99'],
      ['SWAPDB', '-1', '0'],
      ['SWAPDB', '2', '2'],
      ['SWAPDB', '0'],
      ['SWAPDB', '1', '0'],
      ['GET', 'a'],
    ]));

  test('arity errors', () => {
    const cmds: Cmd[] = [];
    for (const name of ['GET', 'SETNX', 'SETEX', 'PSETEX', 'GETSET', 'GETDEL', 'STRLEN', 'INCR', 'INCRBYFLOAT', 'GETRANGE',
      'SETRANGE', 'SUBSTR', 'APPEND', 'TTL', 'PTTL', 'EXPIRETIME', 'PERSIST', 'RENAMENX', 'KEYS', 'DBSIZE', 'RANDOMKEY']) {
      cmds.push([name], [name, 'a', 'b', 'c', 'd', 'e']);
    }
    for (const name of ['SET', 'MSET', 'MSETNX', 'GETEX', 'MGET', 'DEL', 'UNLINK', 'EXISTS', 'TOUCH', 'EXPIRE', 'PEXPIREAT', 'COPY', 'SCAN']) {
      cmds.push([name]);
    }
    return same(cmds);
  });
});
