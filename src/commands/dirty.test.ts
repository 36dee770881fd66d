// The dirty audit: for every write command in the data table, a call that changes the dataset
// moves store.dirty (so the node propagates it to replicas) and a no-op call does not, where
// Redis 7.0 would not propagate it either (its server.dirty does not move). A new write command
// must add its cases here: the first test fails until it does. Reads, and keys expiring under a
// read, never move it.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dataCommands } from './index.js';
import { CMD_WRITE } from './table.js';
import { dumpId } from '../store/dump.js';
import { commandHarness } from '../../test/support/command-harness.js';

type Argv = Array<string | Buffer>;
interface Case {
  /** Run first (their own dirty moves are not looked at). */
  setup?: Argv[];
  /** Changes the dataset (absent for commands that never do). */
  change?: Argv;
  /** Change nothing (errors included), and Redis would not propagate them. */
  noop?: Argv[];
}

/** A payload of a string 'v', made by the store itself. */
function payload(): Buffer {
  const h = commandHarness(dataCommands);
  h.run('SET', 'x', 'v');
  const db = h.store.dbs[0];
  return dumpId(db, db.table.findString('x'));
}
const P = payload();

const S = ['SET', 's', 'v'];
const H = ['HSET', 'h', 'f', 'v'];
const X = ['XADD', 'x', '1-0', 'f', 'v'];
/** A stream with a group whose consumer c holds entry 1-0 pending (XREADGROUP is a server command). */
const XG = [X, ['XGROUP', 'CREATE', 'x', 'g', '0'], ['XCLAIM', 'x', 'g', 'c', '0', '1-0', 'FORCE']];
const L = ['RPUSH', 'l', 'a', 'b', 'c'];
const Z = ['ZADD', 'z', '1', 'a', '2', 'b'];
const T = ['SADD', 't', 'a', 'b'];

const CASES: Record<string, Case> = {
  geoadd: { setup: [S], change: ['GEOADD', 'g', '1', '2', 'a'], noop: [['GEOADD', 's', '1', '2', 'a'], ['GEOADD', 'g', 'XX', '1', '2', 'a'], ['GEOADD', 'g', '200', '2', 'a']] },
  georadius: { setup: [['GEOADD', 'g', '1', '2', 'a']], change: ['GEORADIUS', 'g', '1', '2', '10', 'km', 'STORE', 'd'], noop: [['GEORADIUS', 'g', '1', '2', '10', 'km'], ['GEORADIUS', 'g', '50', '2', '10', 'km', 'STORE', 'd']] },
  georadiusbymember: { setup: [['GEOADD', 'g', '1', '2', 'a']], change: ['GEORADIUSBYMEMBER', 'g', 'a', '10', 'km', 'STOREDIST', 'd'], noop: [['GEORADIUSBYMEMBER', 'g', 'nope', '10', 'km', 'STORE', 'd']] },
  geosearchstore: { setup: [['GEOADD', 'g', '1', '2', 'a']], change: ['GEOSEARCHSTORE', 'd', 'g', 'FROMMEMBER', 'a', 'BYBOX', '1', '1', 'km'], noop: [['GEOSEARCHSTORE', 'd', 'nope', 'FROMMEMBER', 'a', 'BYBOX', '1', '1', 'km']] },
  set: { setup: [S], change: ['SET', 's', 'w'], noop: [['SET', 's', 'x', 'NX'], ['SET', 'nope', 'x', 'XX'], ['SET', 's', 'x', 'IFEQ', 'other']] },
  setnx: { change: ['SETNX', 's', 'v'], setup: [['SET', 'o', 'v']], noop: [['SETNX', 'o', 'w']] },
  setex: { change: ['SETEX', 's', '10', 'v'] },
  psetex: { change: ['PSETEX', 's', '10', 'v'] },
  getset: { change: ['GETSET', 's', 'v'] },
  getdel: { setup: [S], change: ['GETDEL', 's'], noop: [['GETDEL', 'nope']] },
  getex: { setup: [S], change: ['GETEX', 's', 'EX', '10'], noop: [['GETEX', 's'], ['GETEX', 's', 'PERSIST'], ['GETEX', 'nope', 'EX', '10']] },
  mset: { change: ['MSET', 'a', '1', 'b', '2'] },
  msetnx: { setup: [S], change: ['MSETNX', 'a', '1', 'b', '2'], noop: [['MSETNX', 'a', '1', 's', '2']] },
  append: { change: ['APPEND', 's', 'v'] },
  setbit: { setup: [S], change: ['SETBIT', 's', '0', '1'], noop: [['SETBIT', 's', '1', '1'], ['SETBIT', 's', '0', '0'], ['SETBIT', 's', 'x', '1']] },
  bitop: { setup: [S], change: ['BITOP', 'NOT', 'd', 's'], noop: [['BITOP', 'AND', 'd', 'nope'], ['BITOP', 'NOT', 'd', 's', 's']] },
  bitfield: { setup: [S], change: ['BITFIELD', 's', 'SET', 'u8', '0', '1'], noop: [['BITFIELD', 's', 'GET', 'u8', '0'], ['BITFIELD', 's', 'SET', 'u8', '0', '118'], ['BITFIELD', 's', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '9']] },
  pfadd: { setup: [S, ['PFADD', 'p', 'a']], change: ['PFADD', 'p', 'b'], noop: [['PFADD', 'p', 'a'], ['PFADD', 'p'], ['PFADD', 's', 'a']] },
  pfmerge: { setup: [S, ['PFADD', 'p', 'a']], change: ['PFMERGE', 'm', 'p'], noop: [['PFMERGE', 'm', 's'], ['PFMERGE', 's', 'p']] },
  pfdebug: { setup: [['PFADD', 'p', 'a']], change: ['PFDEBUG', 'TODENSE', 'p'], noop: [['PFDEBUG', 'ENCODING', 'p'], ['PFDEBUG', 'DECODE', 'p'], ['PFDEBUG', 'TODENSE', 'nope']] },
  incr: { change: ['INCR', 'n'] },
  decr: { change: ['DECR', 'n'] },
  incrby: { change: ['INCRBY', 'n', '5'] },
  decrby: { change: ['DECRBY', 'n', '5'] },
  incrbyfloat: { change: ['INCRBYFLOAT', 'n', '1.5'] },
  setrange: { setup: [S], change: ['SETRANGE', 's', '1', 'x'], noop: [['SETRANGE', 's', '1', ''], ['SETRANGE', 'nope', '0', '']] },
  del: { setup: [S], change: ['DEL', 's', 'nope'], noop: [['DEL', 'nope', 'nope2']] },
  unlink: { setup: [S], change: ['UNLINK', 's'], noop: [['UNLINK', 'nope']] },
  expire: { setup: [S], change: ['EXPIRE', 's', '10'], noop: [['EXPIRE', 'nope', '10'], ['EXPIRE', 's', '10', 'XX']] },
  pexpire: { setup: [S], change: ['PEXPIRE', 's', '-1'], noop: [['PEXPIRE', 'nope', '10']] },
  expireat: { setup: [S], change: ['EXPIREAT', 's', '1'], noop: [['EXPIREAT', 'nope', '1']] },
  pexpireat: { setup: [S, ['PEXPIRE', 's', '100000']], change: ['PEXPIREAT', 's', '99999999999999'], noop: [['PEXPIREAT', 's', '1', 'NX']] },
  persist: { setup: [S, ['EXPIRE', 's', '10'], ['SET', 'p', 'v']], change: ['PERSIST', 's'], noop: [['PERSIST', 'p'], ['PERSIST', 'nope']] },
  rename: { setup: [S], change: ['RENAME', 's', 't'], noop: [['RENAME', 's', 's']] },
  renamenx: { setup: [S, ['SET', 'o', 'v']], change: ['RENAMENX', 's', 't'], noop: [['RENAMENX', 's', 'o'], ['RENAMENX', 's', 's']] },
  copy: { setup: [S, ['SET', 'o', 'v']], change: ['COPY', 's', 't'], noop: [['COPY', 's', 'o'], ['COPY', 'nope', 't']] },
  // Redis forces FLUSHDB/FLUSHALL into the stream even when nothing was there.
  flushdb: { change: ['FLUSHDB'] },
  flushall: { change: ['FLUSHALL'] },
  hset: { change: H },
  hsetnx: { setup: [H], change: ['HSETNX', 'h', 'g', 'v'], noop: [['HSETNX', 'h', 'f', 'w']] },
  hmset: { change: ['HMSET', 'h', 'f', 'v'] },
  hdel: { setup: [H, ['HSET', 'h', 'g', 'w']], change: ['HDEL', 'h', 'f'], noop: [['HDEL', 'h', 'nope'], ['HDEL', 'nope', 'f']] },
  hincrby: { change: ['HINCRBY', 'h', 'n', '1'] },
  hincrbyfloat: { change: ['HINCRBYFLOAT', 'h', 'n', '1.5'] },
  lpush: { change: ['LPUSH', 'l', 'a'] },
  rpush: { change: ['RPUSH', 'l', 'a'] },
  lpushx: { setup: [L], change: ['LPUSHX', 'l', 'a'], noop: [['LPUSHX', 'nope', 'a']] },
  rpushx: { setup: [L], change: ['RPUSHX', 'l', 'a'], noop: [['RPUSHX', 'nope', 'a']] },
  lpop: { setup: [L], change: ['LPOP', 'l'], noop: [['LPOP', 'nope'], ['LPOP', 'l', '0']] },
  rpop: { setup: [L], change: ['RPOP', 'l', '2'], noop: [['RPOP', 'nope', '2'], ['RPOP', 'l', '0']] },
  lset: { setup: [L], change: ['LSET', 'l', '0', 'x'] },
  lrem: { setup: [L], change: ['LREM', 'l', '0', 'a'], noop: [['LREM', 'l', '0', 'nope'], ['LREM', 'nope', '0', 'a']] },
  // Redis's LTRIM moves dirty by the elements trimmed; corral counts one even when none was
  // (lists.ts signals the key either way): a harmless extra LTRIM in the stream. Not a no-op case.
  ltrim: { setup: [L], change: ['LTRIM', 'l', '1', '-1'], noop: [['LTRIM', 'nope', '0', '1']] },
  linsert: { setup: [L], change: ['LINSERT', 'l', 'BEFORE', 'b', 'x'], noop: [['LINSERT', 'l', 'BEFORE', 'nope', 'x'], ['LINSERT', 'nope', 'BEFORE', 'b', 'x']] },
  rpoplpush: { setup: [L], change: ['RPOPLPUSH', 'l', 'm'], noop: [['RPOPLPUSH', 'nope', 'm']] },
  lmove: { setup: [L], change: ['LMOVE', 'l', 'l', 'LEFT', 'RIGHT'], noop: [['LMOVE', 'nope', 'm', 'LEFT', 'RIGHT']] },
  sadd: { setup: [T], change: ['SADD', 't', 'c'], noop: [['SADD', 't', 'a', 'b']] },
  srem: { setup: [T], change: ['SREM', 't', 'a', 'x'], noop: [['SREM', 't', 'x'], ['SREM', 'nope', 'a']] },
  spop: { setup: [T], change: ['SPOP', 't'], noop: [['SPOP', 'nope'], ['SPOP', 't', '0']] },
  smove: { setup: [T], change: ['SMOVE', 't', 'u', 'a'], noop: [['SMOVE', 't', 'u', 'x'], ['SMOVE', 'nope', 'u', 'a'], ['SMOVE', 't', 't', 'a']] },
  sinterstore: { setup: [T], change: ['SINTERSTORE', 'd', 't'], noop: [['SINTERSTORE', 'd', 't', 'nope']] },
  sort: { setup: [L, S, Z], change: ['SORT', 'l', 'ALPHA', 'STORE', 'd'], noop: [['SORT', 'l', 'ALPHA'], ['SORT', 'l', 'STORE', 'd'], ['SORT', 'z', 'BY', 'nosort'], ['SORT', 'nope', 'STORE', 'd'], ['SORT', 's', 'STORE', 'd'], ['SORT', 'l', 'STORE'], ['SORT_RO', 'l', 'ALPHA']] },
  sunionstore: { setup: [T], change: ['SUNIONSTORE', 'd', 't'], noop: [['SUNIONSTORE', 'd', 'nope']] },
  sdiffstore: { setup: [T], change: ['SDIFFSTORE', 'd', 't'], noop: [['SDIFFSTORE', 'd', 't', 't']] },
  zadd: { setup: [Z], change: ['ZADD', 'z', '3', 'a'], noop: [['ZADD', 'z', '1', 'a'], ['ZADD', 'z', 'NX', '5', 'a'], ['ZADD', 'z', 'XX', '5', 'c'], ['ZADD', 'nope', 'XX', '1', 'a'], ['ZADD', 'z', 'GT', '0', 'b']] },
  zincrby: { change: ['ZINCRBY', 'z', '1', 'a'] },
  zrem: { setup: [Z], change: ['ZREM', 'z', 'a'], noop: [['ZREM', 'z', 'nope'], ['ZREM', 'nope', 'a']] },
  zpopmin: { setup: [Z], change: ['ZPOPMIN', 'z'], noop: [['ZPOPMIN', 'nope'], ['ZPOPMIN', 'z', '0']] },
  zunionstore: { setup: [Z], change: ['ZUNIONSTORE', 'd', '1', 'z'], noop: [['ZUNIONSTORE', 'd', '1', 'nope'], ['ZUNIONSTORE', 'd', '0', 'z']] },
  zinterstore: { setup: [Z], change: ['ZINTERSTORE', 'd', '1', 'z'], noop: [['ZINTERSTORE', 'd', '2', 'z', 'nope']] },
  zdiffstore: { setup: [Z], change: ['ZDIFFSTORE', 'd', '1', 'z'], noop: [['ZDIFFSTORE', 'd', '2', 'z', 'z']] },
  zrangestore: { setup: [Z], change: ['ZRANGESTORE', 'd', 'z', '0', '-1'], noop: [['ZRANGESTORE', 'd', 'z', '5', '9']] },
  move: { setup: [S], change: ['MOVE', 's', '1'], noop: [['MOVE', 'nope', '1'], ['MOVE', 's', '0'], ['MOVE', 's', 'x']] },
  lmpop: { setup: [L], change: ['LMPOP', '1', 'l', 'LEFT'], noop: [['LMPOP', '1', 'nope', 'LEFT'], ['LMPOP', '0', 'l', 'LEFT']] },
  zmpop: { setup: [Z], change: ['ZMPOP', '1', 'z', 'MIN'], noop: [['ZMPOP', '1', 'nope', 'MIN'], ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '0']] },
  zpopmax: { setup: [Z], change: ['ZPOPMAX', 'z', '5'], noop: [['ZPOPMAX', 'nope', '5']] },
  zremrangebyrank: { setup: [Z], change: ['ZREMRANGEBYRANK', 'z', '0', '0'], noop: [['ZREMRANGEBYRANK', 'z', '5', '9'], ['ZREMRANGEBYRANK', 'nope', '0', '0']] },
  zremrangebyscore: { setup: [Z], change: ['ZREMRANGEBYSCORE', 'z', '1', '1'], noop: [['ZREMRANGEBYSCORE', 'z', '5', '9']] },
  zremrangebylex: { setup: [['ZADD', 'z', '0', 'a', '0', 'b']], change: ['ZREMRANGEBYLEX', 'z', '[a', '[a'], noop: [['ZREMRANGEBYLEX', 'z', '[x', '[y']] },
  // Leases are not part of the dataset: granting one changes nothing a replica holds.
  'cache.get': { setup: [S], noop: [['CACHE.GET', 'k', '1000'], ['CACHE.GET', 's', '1000']] },
  'cache.lease': { setup: [S], noop: [['CACHE.LEASE', 'k', '1000'], ['CACHE.LEASE', 's', '1000']] },
  'cache.set': { setup: [['CACHE.GET', 'k', '1000']], change: ['CACHE.SET', 'k', 'v', '$token', '1000', 'GRACE', '100'], noop: [['CACHE.SET', 'k', 'v', 'bogus', '1000']] },
  'cache.invalidate': { setup: [S], change: ['CACHE.INVALIDATE', 's', 'GRACE', '100'], noop: [['CACHE.INVALIDATE', 'nope']] },
  restore: { setup: [S], change: ['RESTORE', 'r', '0', P], noop: [['RESTORE', 'r', '1', P, 'ABSTTL'], ['RESTORE', 's', '0', P]] },
  xadd: { setup: [S], change: ['XADD', 'x', '1-0', 'f', 'v'], noop: [['XADD', 'x', 'NOMKSTREAM', '*', 'f', 'v'], ['XADD', 's', '*', 'f', 'v']] },
  xdel: { setup: [X], change: ['XDEL', 'x', '1-0'], noop: [['XDEL', 'x', '2-0'], ['XDEL', 'nope', '1-0']] },
  xtrim: { setup: [X, ['XADD', 'x', '2-0', 'f', 'v']], change: ['XTRIM', 'x', 'MAXLEN', '1'], noop: [['XTRIM', 'x', 'MAXLEN', '5'], ['XTRIM', 'x', 'MAXLEN', '~', '1']] },
  xsetid: { setup: [X], change: ['XSETID', 'x', '5-0'], noop: [['XSETID', 'x', '0-1'], ['XSETID', 'nope', '5-0']] },
  xgroup: { setup: [X], change: ['XGROUP', 'CREATE', 'x', 'g', '0'], noop: [['XGROUP', 'CREATE', 'nope', 'g', '0']] },
  xack: { setup: XG, change: ['XACK', 'x', 'g', '1-0'], noop: [['XACK', 'x', 'g', '2-0'], ['XACK', 'x', 'nog', '1-0'], ['XACK', 'nope', 'g', '1-0'], ['XACK', 'x', 'g', 'bad']] },
  xclaim: { setup: XG, change: ['XCLAIM', 'x', 'g', 'd', '0', '1-0'], noop: [['XCLAIM', 'x', 'g', 'd', '0', '9-0'], ['XCLAIM', 'x', 'g', 'd', '3600000', '1-0'], ['XCLAIM', 'x', 'nog', 'd', '0', '1-0']] },
  xautoclaim: { setup: XG, change: ['XAUTOCLAIM', 'x', 'g', 'd', '0', '0'], noop: [['XAUTOCLAIM', 'x', 'g', 'd', '3600000', '0'], ['XAUTOCLAIM', 'x', 'g', 'd', '0', '(1-0'], ['XAUTOCLAIM', 'nope', 'g', 'd', '0', '0']] },
};

function fresh(c: Case) {
  const h = commandHarness(dataCommands);
  let token = '';
  for (const argv of c.setup ?? []) {
    const reply = h.run(...argv);
    // CACHE.GET's MISS_WON hands out the token a later CACHE.SET uses.
    if (Array.isArray(reply) && (reply[0] as { simple?: string })?.simple === 'MISS_WON') token = reply[2] as string;
  }
  const sub = (argv: Argv): Argv => argv.map((a) => (a === '$token' ? token : a));
  return { ...h, sub };
}

describe('dirty: every write command', () => {
  test('every write command in the table has a case', () => {
    const writes = dataCommands.filter((d) => d.flags & CMD_WRITE).map((d) => d.name);
    assert.deepEqual(writes.filter((n) => !(n in CASES)), []);
  });

  for (const [name, c] of Object.entries(CASES)) {
    test(`${name}: ${c.change ? 'a change moves dirty' : 'never moves dirty'}${c.change && c.noop ? ', a no-op does not' : ''}`, () => {
      if (c.change !== undefined) {
        const h = fresh(c);
        const before = h.store.dirty;
        const reply = h.raw(...h.sub(c.change));
        assert.ok(!reply.startsWith('-'), `${c.change.join(' ')} -> ${reply}`);
        assert.ok(h.store.dirty > before, `${c.change.join(' ')} should move dirty`);
      }
      for (const argv of c.noop ?? []) {
        const g = fresh(c);
        const before = g.store.dirty;
        g.raw(...g.sub(argv));
        assert.equal(g.store.dirty, before, `${argv.join(' ')} should not move dirty`);
      }
    });
  }

  test('an in-place string edit counts one change, also when it grows the value (as Redis)', () => {
    const h = commandHarness(dataCommands);
    h.run('SET', 's', 'v');
    h.run('SETBIT', 'b', '0', '1');
    for (const argv of [
      ['SETBIT', 'b', '90', '0'], ['SETBIT', 'b', '0', '0'], ['BITFIELD', 'b', 'SET', 'i5', '200', '0'], ['BITFIELD', 'b', 'INCRBY', 'i5', '0', '1'],
      ['SETRANGE', 's', '10', 'x'], ['SETRANGE', 's', '0', 'w'], ['APPEND', 's', 'more'],
    ]) {
      const before = h.store.dirty;
      h.run(...argv);
      assert.equal(h.store.dirty, before + 1, argv.join(' '));
    }
  });

  test('reads do not move it, nor does a key expiring under them', () => {
    const h = commandHarness(dataCommands);
    h.run('SET', 's', 'v', 'PX', '10');
    h.run('HSET', 'h', 'f', 'v');
    h.run('RPUSH', 'l', 'a');
    h.clock.advance(10);
    const before = h.store.dirty;
    for (const argv of [['GET', 's'], ['MGET', 's', 'h'], ['EXISTS', 's'], ['TTL', 's'], ['HGETALL', 'h'], ['LRANGE', 'l', '0', '-1'], ['SCAN', '0'], ['KEYS', '*'], ['DUMP', 'h'], ['DBSIZE']]) {
      h.run(...argv);
    }
    assert.equal(h.store.dirty, before);
    assert.equal(h.store.stats.expiredKeys, 1);
  });
});
