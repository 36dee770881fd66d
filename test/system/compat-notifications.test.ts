// Keyspace notifications compared with a real redis-server 7.0.15: the same script of commands
// runs on each server with notify-keyspace-events set, a subscriber PSUBSCRIBEd to `__key*__:*`
// collects every message, and the two sequences (raw frames) must be identical, as must the
// commands' replies. Also: CONFIG GET's canonical strings and CONFIG SET's error, a RESP3 client
// receiving its own events inline, expiry by the active cycle, key misses, and (corral only, as
// memory accounting differs) eviction.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { showBytes, type Cmd } from '../support/compare.js';

let corral: StartedCorral;
let redis: Started;
/** A DUMP payload of the string "hello", from redis-server (corral writes the same format). */
let payload: Buffer;

before(async () => {
  corral = await startCorral();
  redis = await startRedis();
  const r = await RawConnection.connect(redis.port);
  await r.call('SET', 'dumped', 'hello');
  const raw = await r.callRaw('DUMP', 'dumped');
  // $<len>\r\n<bytes>\r\n
  const at = raw.indexOf('\r\n') + 2;
  payload = raw.subarray(at, raw.length - 2);
  r.close();
});

after(async () => {
  await corral?.close();
  await redis?.close();
});

/** A command whose reply is random (SPOP with a count): its events are compared, not its reply. */
const RANDOM = 'random:';
const rnd = (...cmd: string[]): Cmd => [RANDOM, ...cmd];
/** A pause in a script: [SLEEP, ms]. */
const SLEEP = 'sleep:';

/** Whether a frame is the end-of-script marker the runner publishes. */
const isEnd = (frame: Buffer): boolean => frame.includes('__keyend__:');

/**
 * Runs `script` on one server with notify-keyspace-events `flags`; returns the replies and every
 * message the pattern subscriber received, as printable raw frames.
 */
async function eventsOf(port: number, flags: string, script: Cmd[], wait?: (events: string[]) => boolean): Promise<{ replies: string[]; events: string[] }> {
  const sub = await RawConnection.connect(port);
  const cl = await RawConnection.connect(port);
  try {
    await cl.call('FLUSHALL');
    assert.equal((await cl.callRaw('CONFIG', 'SET', 'notify-keyspace-events', flags)).toString(), '+OK\r\n');
    await sub.callRaw('PSUBSCRIBE', '__key*__:*');
    const replies: string[] = [];
    for (const cmd of script) {
      if (cmd[0] === SLEEP) {
        await new Promise((r) => setTimeout(r, Number(cmd[1])));
        replies.push('(sleep)');
      } else if (cmd[0] === RANDOM) {
        await cl.callRaw(...cmd.slice(1));
        replies.push('(random)');
      } else {
        replies.push(showBytes(await cl.callRaw(...cmd)));
      }
    }
    const events: string[] = [];
    if (wait !== undefined) {
      // Messages that come later (the active expiry cycle): read until the condition holds.
      while (!wait(events)) events.push(showBytes(await sub.readReplies(1, 5000)));
    }
    await cl.call('PUBLISH', '__keyend__:x', 'end');
    for (;;) {
      const frame = await sub.readReplies(1);
      if (isEnd(frame)) break;
      events.push(showBytes(frame));
    }
    return { replies, events };
  } finally {
    await cl.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    await cl.call('SELECT', '0');
    sub.close();
    cl.close();
  }
}

async function compare(flags: string, script: Cmd[]): Promise<string[]> {
  const ours = await eventsOf(corral.port, flags, script);
  const theirs = await eventsOf(redis.port, flags, script);
  for (let i = 0; i < script.length; i++) assert.equal(ours.replies[i], theirs.replies[i], `reply #${i} ${script[i].join(' ')}`);
  assert.deepEqual(ours.events, theirs.events);
  return ours.events;
}

async function same(flags: string, script: Cmd[]): Promise<void> {
  await compare(flags, script);
}

const FUTURE = '4102444800'; // 2100-01-01

const STRINGS: Cmd[] = [
  ['SET', 's1', 'v'],
  ['SET', 's1', 'v2', 'EX', '100'],
  ['SET', 's1', 'v3', 'KEEPTTL'],
  ['SET', 's1', 'x', 'NX'],
  ['SET', 's2', 'v', 'XX'],
  ['SET', 's1', 'y', 'GET'],
  ['SETNX', 's3', 'a'],
  ['SETNX', 's3', 'b'],
  ['SETEX', 's4', '100', 'v'],
  ['PSETEX', 's5', '100000', 'v'],
  ['SETEX', 's6', '0', 'v'],
  ['GETSET', 's3', 'c'],
  ['GETDEL', 's3'],
  ['GETDEL', 'nothere'],
  ['GETEX', 's4'],
  ['GETEX', 's4', 'PERSIST'],
  ['GETEX', 's4', 'EX', '100'],
  ['GETEX', 's4', 'PERSIST'],
  ['GETEX', 's4', 'PERSIST'],
  ['GETEX', 's5', 'PXAT', '1'],
  ['MSET', 'm1', '1', 'm2', '2'],
  ['MSETNX', 'm1', 'x', 'm9', 'y'],
  ['MSETNX', 'n1', '1', 'n2', '2'],
  ['APPEND', 'ap', 'a'],
  ['APPEND', 'ap', 'bc'],
  ['INCR', 'c'],
  ['INCRBY', 'c', '5'],
  ['DECR', 'c'],
  ['DECRBY', 'c', '2'],
  ['INCR', 'ap'],
  ['INCRBYFLOAT', 'f', '1.5'],
  ['INCRBYFLOAT', 'f', '2'],
  ['SETRANGE', 'sr', '5', 'x'],
  ['SETRANGE', 'sr', '0', ''],
  ['SETRANGE', 'nosr', '0', ''],
  ['SETRANGE', 'sr', '1', 'yy'],
  ['GET', 'nothere'],
];

const KEYS: Cmd[] = [
  ['MSET', 'k1', '1', 'k2', '2', 'k3', '3', 'k4', '4', 'o', 'x'],
  ['DEL', 'k1', 'nothere', 'k2'],
  ['UNLINK', 'k3'],
  ['EXPIRE', 'k4', '100'],
  ['PEXPIRE', 'k4', '100000'],
  ['EXPIREAT', 'k4', FUTURE],
  ['EXPIRE', 'k4', '100', 'NX'],
  ['EXPIRE', 'k4', '50', 'LT'],
  ['PERSIST', 'k4'],
  ['PERSIST', 'k4'],
  ['EXPIRE', 'nothere', '10'],
  ['EXPIRE', 'k4', '-1'],
  ['SET', 'a', '1'],
  ['RENAME', 'a', 'b'],
  ['RENAME', 'b', 'b'],
  ['RENAME', 'b', 'o'],
  ['SET', 'p', '1'],
  ['RENAMENX', 'p', 'o'],
  ['RENAMENX', 'p', 'q'],
  ['RENAME', 'nothere', 'q'],
  ['COPY', 'q', 'r'],
  ['COPY', 'q', 'r'],
  ['COPY', 'q', 'r', 'REPLACE'],
  ['COPY', 'q', 'r', 'DB', '1'],
  ['COPY', 'nothere', 'r'],
  ['TOUCH', 'q', 'nothere'],
  ['EXISTS', 'q'],
  ['SELECT', '1'],
  ['SET', 'in1', 'v'],
  ['DEL', 'r', 'in1'],
  ['SELECT', '0'],
  ['FLUSHDB'],
];

const HASHES: Cmd[] = [
  ['HSET', 'h', 'a', '1', 'b', '2'],
  ['HSET', 'h', 'a', '1'],
  ['HMSET', 'h', 'c', '3'],
  ['HSETNX', 'h', 'a', 'x'],
  ['HSETNX', 'h', 'd', '4'],
  ['HINCRBY', 'h', 'n', '5'],
  ['HINCRBY', 'h', 'a', 'x'],
  ['HINCRBYFLOAT', 'h', 'fl', '1.5'],
  ['HDEL', 'h', 'a', 'nothere'],
  ['HDEL', 'h', 'zz'],
  ['HDEL', 'nothere', 'zz'],
  ['HDEL', 'h', 'b', 'c', 'd', 'n', 'fl'],
  ['HINCRBY', 'h2', 'x', '1'],
  ['HINCRBYFLOAT', 'h3', 'x', '1'],
  ['HGET', 'h2', 'x'],
];

const LISTS: Cmd[] = [
  ['LPUSH', 'l', 'a', 'b'],
  ['RPUSH', 'l', 'c'],
  ['LPUSHX', 'nol', 'a'],
  ['RPUSHX', 'l', 'd'],
  ['LINSERT', 'l', 'BEFORE', 'c', 'x'],
  ['LINSERT', 'l', 'BEFORE', 'zz', 'x'],
  ['LSET', 'l', '0', 'q'],
  ['LSET', 'l', '99', 'q'],
  ['LREM', 'l', '1', 'q'],
  ['LREM', 'l', '0', 'zz'],
  ['LTRIM', 'l', '0', '10'],
  ['LPOP', 'l'],
  ['RPOP', 'l', '2'],
  ['LPOP', 'l', '0'],
  ['RPUSH', 'l', 'e', 'f'],
  ['LMOVE', 'l', 'l2', 'LEFT', 'RIGHT'],
  ['RPOPLPUSH', 'l2', 'l2'],
  ['LMOVE', 'l2', 'l3', 'RIGHT', 'LEFT'],
  ['LMOVE', 'l', 'l3', 'RIGHT', 'RIGHT'],
  ['LMOVE', 'nothere', 'l3', 'RIGHT', 'RIGHT'],
  ['LPUSH', 'l4', 'a', 'b'],
  ['LTRIM', 'l4', '5', '10'],
  ['RPUSH', 'l5', 'a', 'a', 'b'],
  ['LREM', 'l5', '0', 'a'],
  ['LREM', 'l5', '0', 'b'],
  ['LPOP', 'l3', '10'],
  ['LRANGE', 'l3', '0', '-1'],
];

const SETS: Cmd[] = [
  ['SADD', 'st', 'a', 'b', 'c'],
  ['SADD', 'st', 'a'],
  ['SREM', 'st', 'a', 'zz'],
  ['SREM', 'st', 'zz'],
  ['SMOVE', 'st', 'st2', 'b'],
  ['SMOVE', 'st', 'st2', 'zz'],
  ['SMOVE', 'st', 'st2', 'c'],
  ['SADD', 'sp', 'x'],
  ['SPOP', 'sp'],
  ['SADD', 'sp2', '1', '2', '3'],
  ['SPOP', 'sp2', '0'],
  ['SPOP', 'sp2', '5'],
  ['SADD', 'sp3', '1', '2', '3', '4', '5'],
  rnd('SPOP', 'sp3', '2'),
  ['SPOP', 'nothere'],
  ['SADD', 'x1', 'a', 'b', 'c'],
  ['SADD', 'x2', 'b', 'c', 'd'],
  ['SINTERSTORE', 'd', 'x1', 'x2'],
  ['SUNIONSTORE', 'd', 'x1', 'x2'],
  ['SDIFFSTORE', 'd2', 'x1', 'x2'],
  ['SDIFFSTORE', 'd', 'x1', 'x1'],
  ['SINTERSTORE', 'd2', 'nothere', 'x1'],
  ['SINTERSTORE', 'd2', 'nothere', 'x1'],
  ['SREM', 'x1', 'a', 'b', 'c'],
];

const ZSETS: Cmd[] = [
  ['ZADD', 'z', '1', 'a', '2', 'b'],
  ['ZADD', 'z', '1', 'a'],
  ['ZADD', 'z', 'XX', '3', 'a'],
  ['ZADD', 'z', 'NX', '5', 'c'],
  ['ZADD', 'z', 'CH', '10', 'a'],
  ['ZADD', 'z', 'GT', '1', 'a'],
  ['ZINCRBY', 'z', '2', 'b'],
  ['ZADD', 'z', 'INCR', '1', 'b'],
  ['ZADD', 'nz', 'XX', '1', 'a'],
  ['ZREM', 'z', 'c', 'zz'],
  ['ZREM', 'z', 'zz'],
  ['ZREMRANGEBYSCORE', 'z', '100', '200'],
  ['ZREMRANGEBYRANK', 'z', '0', '0'],
  ['ZADD', 'z2', '0', 'x', '0', 'y', '0', 'z', '0', 'w'],
  ['ZREMRANGEBYLEX', 'z2', '[x', '[x'],
  ['ZPOPMIN', 'z2'],
  ['ZPOPMAX', 'z2', '5'],
  ['ZPOPMIN', 'nothere'],
  ['ZPOPMIN', 'z', '0'],
  ['ZREMRANGEBYSCORE', 'z', '-inf', '+inf'],
  ['ZADD', 'z3', '1', 'a'],
  ['ZREM', 'z3', 'a'],
];

const OTHERS: Cmd[] = [
  ['RPUSH', 'sl', '3', '1', '2'],
  ['SORT', 'sl', 'STORE', 'so'],
  ['SORT', 'sl', 'STORE', 'so'],
  ['SORT', 'nothere', 'STORE', 'so'],
  ['SORT', 'nothere', 'STORE', 'so'],
  ['SETBIT', 'b', '7', '1'],
  ['SETBIT', 'b', '7', '1'],
  ['SETBIT', 'b', '100', '0'],
  ['SETBIT', 'b', '7', '0'],
  ['BITOP', 'OR', 'bo', 'b', 'b'],
  ['BITOP', 'AND', 'bo', 'nothere'],
  ['BITOP', 'AND', 'bo', 'nothere'],
  ['BITFIELD', 'bf', 'SET', 'u8', '0', '255'],
  ['BITFIELD', 'bf', 'GET', 'u8', '0'],
  ['BITFIELD', 'bf', 'INCRBY', 'u8', '0', '0'],
  ['BITFIELD', 'bf', 'OVERFLOW', 'FAIL', 'INCRBY', 'u8', '0', '10'],
  ['BITFIELD', 'bf', 'INCRBY', 'u8', '0', '1'],
  ['BITFIELD', 'bf2', 'OVERFLOW', 'FAIL', 'INCRBY', 'u8', '0', '300'],
  ['BITFIELD_RO', 'bf', 'GET', 'u8', '0'],
  ['PFADD', 'hl', 'a', 'b'],
  ['PFADD', 'hl', 'a'],
  ['PFADD', 'hl2'],
  ['PFADD', 'hl2'],
  ['PFMERGE', 'hl3', 'hl', 'hl2'],
  ['PFMERGE', 'hl3'],
  ['PFCOUNT', 'hl'],
  ['MULTI'],
  ['SET', 'tx', '1'],
  ['LPUSH', 'txl', 'a'],
  ['INCR', 'tx'],
  ['EXEC'],
  ['EVAL', "redis.call('set', KEYS[1], 'v'); redis.call('expire', KEYS[1], 100); return redis.call('del', KEYS[1])", '1', 'ev'],
  ['SET', 'weird\r\nkey\0', 'v'],
  ['DEL', 'weird\r\nkey\0'],
];

describe('keyspace notifications, message for message with redis 7.0', () => {
  test('CONFIG GET shows the canonical class string; CONFIG SET refuses bad ones', async () => {
    for (const port of [corral.port, redis.port]) {
      const c = await RawConnection.connect(port);
      try {
        assert.equal(showBytes(await c.callRaw('CONFIG', 'GET', 'notify-keyspace-events')), showBytes(Buffer.from('*2\r\n$22\r\nnotify-keyspace-events\r\n$0\r\n\r\n')));
      } finally {
        c.close();
      }
    }
    const inputs = ['KEA', 'AKE', 'Kg$', 'zshl$gE', 'xeEK', 'g$lshzxetd', 'g$lshzxetn', 'An', 'Am', 'nmKEA', 'KEtd', 'KKKK', '', 'E', 'KEAq', 'k', ' ', 'K E'];
    const run = async (port: number): Promise<string[]> => {
      const c = await RawConnection.connect(port);
      const out: string[] = [];
      try {
        for (const i of inputs) {
          out.push(showBytes(await c.callRaw('CONFIG', 'SET', 'notify-keyspace-events', i)));
          out.push(showBytes(await c.callRaw('CONFIG', 'GET', 'notify-keyspace-events')));
        }
        out.push(showBytes(await c.callRaw('CONFIG', 'SET', 'notify-keyspace-events', '')));
      } finally {
        c.close();
      }
      return out;
    };
    assert.deepEqual(await run(corral.port), await run(redis.port));
  });

  test('string commands', () => same('KEA', STRINGS));
  test('generic key commands', () => same('KEA', KEYS));
  test('hash commands', () => same('KEA', HASHES));
  test('list commands', () => same('KEA', LISTS));
  test('set commands', () => same('KEA', SETS));
  test('sorted set commands', () => same('KEA', ZSETS));
  test('SORT STORE, bitmaps, HyperLogLog, MULTI, scripts, binary keys', () => same('KEA', OTHERS));

  test('DUMP / RESTORE', () =>
    same('KEA', [
      ['RESTORE', 'r1', '0', payload],
      ['RESTORE', 'r1', '0', payload],
      ['RESTORE', 'r1', '0', payload, 'REPLACE'],
      ['RESTORE', 'r1', '1', payload, 'ABSTTL', 'REPLACE'],
      ['RESTORE', 'r1', '1', payload, 'ABSTTL', 'REPLACE'],
      ['RESTORE', 'r2', '100000', payload],
      ['RESTORE', 'r3', '0', Buffer.from('junk')],
    ]));

  test('one class at a time; K alone; E alone; no K nor E', async () => {
    const script = [...STRINGS.slice(0, 10), ...HASHES.slice(0, 4), ...LISTS.slice(0, 6), ['DEL', 'l'], ...ZSETS.slice(0, 3), ['SADD', 'q', 'x']];
    for (const flags of ['K$', 'Eg', 'Kl', 'Eh', 'Ez', 'Ks', 'A', 'g$lshz', 'KEx']) await same(flags, script);
  });

  test('n: new keys (including the overwrites Redis makes by delete and add)', async () => {
    const events = await compare('KEn', [
      ['SET', 'a', '1'],
      ['SET', 'a', '2'],
      ['LPUSH', 'l', 'x'],
      ['RENAME', 'a', 'l'],
      ['SET', 'a', '1'],
      ['COPY', 'a', 'c'],
      ['COPY', 'a', 'c', 'REPLACE'],
      ['RESTORE', 'c', '0', payload, 'REPLACE'],
      ['RESTORE', 'd', '0', payload],
      ['RPUSH', 'sl', '1'],
      ['SORT', 'sl', 'STORE', 'c'],
      ['SADD', 's1', 'a'],
      ['SINTERSTORE', 'c', 's1', 's1'],
      ['SUNIONSTORE', 'e', 's1'],
      ['INCR', 'i'],
      ['INCRBYFLOAT', 'i2', '1'],
      ['APPEND', 'ap', 'x'],
      ['SETRANGE', 'sr', '2', 'x'],
      ['SETBIT', 'sb', '1', '1'],
      ['BITFIELD', 'bf', 'SET', 'u8', '0', '1'],
      ['BITOP', 'NOT', 'bn', 'sb'],
      ['PFADD', 'p1', 'a'],
      ['PFMERGE', 'p2', 'p1'],
      ['ZADD', 'z', '1', 'a'],
      ['ZINCRBY', 'z2', '1', 'a'],
      ['SMOVE', 's1', 's2', 'a'],
      ['LMOVE', 'l', 'l2', 'LEFT', 'LEFT'],
      ['HSET', 'h', 'f', 'v'],
      ['HSETNX', 'h2', 'f', 'v'],
      ['HINCRBY', 'h3', 'f', '1'],
      ['MSET', 'm1', '1', 'm2', '2'],
      ['GETSET', 'gs', 'v'],
      ['SETNX', 'nx', 'v'],
      ['EXPIRE', 'nx', '100'],
    ]);
    assert.ok(events.length > 20, 'new events were published');
  });

  test('m: key misses', () =>
    same('KEm', [
      ['GET', 'a'],
      ['MGET', 'a', 'b'],
      ['SET', 'a', '1', 'GET'],
      ['GET', 'a'],
      ['HGET', 'h', 'f'],
      ['LRANGE', 'l', '0', '-1'],
      ['SMEMBERS', 's'],
      ['ZRANGE', 'z', '0', '-1'],
      ['EXISTS', 'x', 'a'],
      ['TYPE', 'x'],
      ['TTL', 'x'],
      ['TOUCH', 'x'],
      ['STRLEN', 'x'],
      ['GETRANGE', 'x', '0', '1'],
      ['INCR', 'x'],
      ['DEL', 'y'],
    ]));

  test('a RESP3 client gets its own events inline, where Redis puts them', async () => {
    const script: Cmd[] = [
      ['SET', 'a', '1'],
      ['SET', 'a', '2', 'EX', '100'],
      ['LPUSH', 'l', 'x', 'y'],
      ['LPOP', 'l'],
      ['RPOP', 'l'],
      ['HSET', 'h', 'f', 'v'],
      ['HINCRBY', 'h', 'n', '1'],
      ['EXPIRE', 'a', '10'],
      ['PERSIST', 'a'],
      ['INCR', 'c'],
      ['SADD', 's', 'm'],
      ['SPOP', 's'],
      ['ZADD', 'z', '1', 'm'],
      ['ZREM', 'z', 'm'],
      ['DEL', 'a', 'c', 'h'],
    ];
    // A transaction is one step (the marker's PUBLISH would be queued inside it).
    const steps: Cmd[][] = [...script.map((cmd) => [cmd]), [['MULTI'], ['SET', 'a', '1'], ['LPUSH', 'a', 'x'], ['RPUSH', 'l2', 'x'], ['EXEC']]];
    const run = async (port: number): Promise<string[]> => {
      const c = await RawConnection.connect(port);
      try {
        await c.call('FLUSHALL');
        await c.callRaw('HELLO', '3');
        await c.callRaw('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
        await c.callRaw('PSUBSCRIBE', '__key*__:*');
        const out: string[] = [];
        for (const step of steps) {
          // Everything up to the marker's own message and the PUBLISH reply after it.
          for (const cmd of step) c.socket.write(encodeRaw(cmd));
          c.socket.write(encodeRaw(['PUBLISH', '__keyend__:x', 'end']));
          let got = Buffer.alloc(0);
          for (;;) {
            const frame = await c.readReplies(1);
            got = Buffer.concat([got, frame]);
            if (isEnd(frame)) break;
          }
          got = Buffer.concat([got, await c.readReplies(1)]);
          out.push(showBytes(got));
        }
        await c.callRaw('CONFIG', 'SET', 'notify-keyspace-events', '');
        return out;
      } finally {
        c.close();
      }
    };
    assert.deepEqual(await run(corral.port), await run(redis.port));
  });

  test('x: a key expired by the active cycle', async () => {
    const script: Cmd[] = [['SET', 'soon', 'v', 'PX', '100'], ['HSET', 'hsoon', 'f', 'v'], ['PEXPIRE', 'hsoon', '700']];
    const done = (events: string[]): boolean => events.filter((e) => e.includes('expired')).length >= 4;
    const ours = await eventsOf(corral.port, 'KEA', script, done);
    const theirs = await eventsOf(redis.port, 'KEA', script, done);
    assert.deepEqual(ours.events, theirs.events);
    assert.ok(ours.events.some((e) => e.includes('__keyevent@0__:expired')));
  });

  test('x and m: a key expired on access, then the read misses', () =>
    // The TTL passes before the read: the active cycle may take the key first, or the read does;
    // either way one `expired`, then the read's `keymiss`.
    same('KExm', [['SET', 'k', 'v', 'PX', '1'], [SLEEP, '30'], ['GET', 'k'], ['SET', 'k2', 'v', 'PX', '1'], [SLEEP, '30'], ['HGET', 'k2', 'f'], ['SET', 'k3', 'v', 'PX', '1'], [SLEEP, '30'], ['LPUSH', 'k3', 'x'], ['SET', 'k4', 'v', 'PXAT', '1'], [SLEEP, '30'], ['SET', 'k4', 'w']]));
});

describe('keyspace notifications, corral only', () => {
  test('e: evicted keys', async () => {
    const c = await RawConnection.connect(corral.port);
    const sub = await RawConnection.connect(corral.port);
    try {
      await c.call('FLUSHALL');
      for (let i = 0; i < 200; i++) await c.call('SET', `ev${i}`, 'x'.repeat(200));
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'Ee');
      await sub.callRaw('SUBSCRIBE', '__keyevent@0__:evicted');
      const used = corral.node.store.usedMemory;
      await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
      await c.call('CONFIG', 'SET', 'maxmemory', String(Math.floor(used * 0.8)));
      await c.call('GET', 'ev0');
      const left = Number(await c.call('DBSIZE'));
      assert.ok(left < 200, 'some keys were evicted');
      const evicted = new Set<string>();
      for (let i = 0; i < 200 - left; i++) {
        const frame = (await sub.readReplies(1)).toString('latin1');
        const m = /\$\d+\r\n(ev\d+)\r\n$/.exec(frame);
        assert.ok(m !== null, frame);
        evicted.add(m[1]);
      }
      assert.equal(evicted.size, 200 - left);
      for (const k of evicted) assert.equal(Number(await c.call('EXISTS', k)), 0, k);
    } finally {
      await c.call('CONFIG', 'SET', 'maxmemory', '0');
      await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-tinylfu');
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
      await c.call('FLUSHALL');
      c.close();
      sub.close();
    }
  });
});

describe('keyspace notifications on a replica (corral only)', () => {
  test('a replica raises the events of the stream it applies, none for its full copy, and no expiry of its own', async () => {
    const p = await startCorral();
    const r = await startCorral({ 'notify-keyspace-events': 'KEA' });
    const pc = await RawConnection.connect(p.port);
    const rc = await RawConnection.connect(r.port);
    const sub = await RawConnection.connect(r.port);
    try {
      await pc.call('SET', 'pre1', 'v');
      await pc.call('RPUSH', 'pre2', 'a', 'b');
      await pc.call('SET', 'pre3', 'v', 'PX', '300');
      const channels = ['set', 'rpush', 'restore', 'del', 'expired', 'expire', 'new'].map((e) => `__keyevent@0__:${e}`);
      sub.socket.write(encodeRaw(['SUBSCRIBE', ...channels]));
      await sub.readReplies(channels.length);
      await rc.call('REPLICAOF', '127.0.0.1', String(p.port));
      for (let i = 0; i < 200 && Number(await rc.call('DBSIZE')) < 3; i++) await new Promise((res) => setTimeout(res, 20));
      await pc.call('SET', 'a', '1');
      await pc.call('LPUSH', 'pre2', 'x');
      // pre3's TTL passes: the primary expires it and sends DEL; the replica, which does not
      // expire keys by itself, raises `del` for the command it applies, never `expired`.
      await new Promise((res) => setTimeout(res, 500));
      await pc.call('SET', 'end', '1');
      const got: string[] = [];
      for (;;) {
        const frame = (await sub.readReplies(1)).toString('latin1').split('\r\n');
        got.push(`${frame[4].replace('__keyevent@0__:', '')} ${frame[6]}`);
        if (frame[6] === 'end') break;
      }
      assert.deepEqual(got, ['set a', 'del pre3', 'set end']);
    } finally {
      sub.close();
      pc.close();
      rc.close();
      await r.close();
      await p.close();
    }
  });
});

function encodeRaw(args: Cmd): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'latin1');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}
