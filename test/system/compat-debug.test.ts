// DEBUG against a real redis-server 7.0.15, byte for byte in RESP2 and RESP3 where Redis's reply
// is deterministic: the enable-debug-command refusal, PROTOCOL's every type, HELP and the errors;
// DIGEST and DIGEST-VALUE of the same data (Redis's algorithm, so the digests are equal across
// the two servers); RELOAD keeping data and TTLs; SLEEP blocking the server; SET-ACTIVE-EXPIRE.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, startCorral, startRedis, transcripts, type Started, type StartedCorral } from '../support/servers.js';
import { sameOnBoth, showBytes, type Cmd } from '../support/compare.js';
import { encodeCommand } from '../../src/protocol/reply-parser.js';

let corral: StartedCorral;
let redis: Started;
let corralOff: StartedCorral;
let redisOff: Started;

before(async () => {
  [corral, redis, corralOff, redisOff] = await Promise.all([
    startCorral({ 'enable-debug-command': 'yes' }),
    startRedis(['--enable-debug-command', 'yes']),
    startCorral(),
    startRedis(),
  ]);
});

after(async () => {
  await Promise.all([corral?.close(), redis?.close(), corralOff?.close(), redisOff?.close()]);
});

const same = (cmds: Cmd[]): Promise<void> => sameOnBoth(corral.port, redis.port, cmds);

/** The same commands on both (flushed first), in one connection each; the parsed-free raw replies. */
async function rawBoth(cmds: Cmd[]): Promise<[string[], string[]]> {
  for (const port of [corral.port, redis.port]) {
    const c = await RawConnection.connect(port);
    await c.call('FLUSHALL');
    c.close();
  }
  const [ours, theirs] = await transcripts(corral.port, redis.port, cmds);
  const text = (bs: Buffer[]) => bs.map((b) => b.toString('latin1'));
  return [text(ours), text(theirs)];
}

describe('enable-debug-command', () => {
  test('no (the default) refuses DEBUG with Redis error; the setting cannot be changed at run time', async () => {
    await sameOnBoth(corralOff.port, redisOff.port, [
      ['DEBUG', 'PROTOCOL', 'string'],
      ['DEBUG', 'SLEEP', '0'],
      ['DEBUG'],
      ['CONFIG', 'GET', 'enable-debug-command'],
      ['CONFIG', 'SET', 'enable-debug-command', 'yes'],
    ]);
  });

  test('yes', async () => {
    await same([['CONFIG', 'GET', 'enable-debug-command'], ['CONFIG', 'SET', 'enable-debug-command', 'no'], ['DEBUG', 'PROTOCOL', 'string']]);
  });
});

describe('DEBUG PROTOCOL, HELP and errors', () => {
  test('every type but push, in RESP2 and RESP3', async () => {
    const types = ['string', 'integer', 'double', 'bignum', 'null', 'array', 'set', 'map', 'attrib', 'true', 'false', 'verbatim', 'nope', 'STRING'];
    await same(types.map((t) => ['DEBUG', 'PROTOCOL', t]));
  });

  test('push: an error in RESP2; in RESP3 the push, then a reply', async () => {
    await same([['DEBUG', 'PROTOCOL', 'push']]);
    const read = async (port: number): Promise<string> => {
      const c = await RawConnection.connect(port);
      try {
        await c.call('HELLO', '3');
        return (await c.sendRaw(encodeCommand(['DEBUG', 'PROTOCOL', 'push']), 2)).toString('latin1');
      } finally {
        c.close();
      }
    };
    assert.equal(JSON.stringify(await read(corral.port)), JSON.stringify(await read(redis.port)));
  });

  test('HELP, unknown subcommands, wrong argument counts, option errors', async () => {
    await same([
      ['DEBUG', 'HELP'],
      ['DEBUG', 'help', 'extra'],
      ['DEBUG', 'JMAP'],
      ['DEBUG', 'nosuch', 'a', 'b'],
      ['DEBUG', 'OBJECT'],
      ['DEBUG', 'OBJECT', 'nokey'],
      ['DEBUG', 'PROTOCOL'],
      ['DEBUG', 'RELOAD', 'BAD'],
      ['DEBUG', 'ERROR', 'MYERR some text'],
      ['DEBUG', 'STRUCTSIZE'],
      ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '5gb'],
      ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', 'abc'],
      ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '0'],
      ['DEBUG', 'SET-ACTIVE-EXPIRE', '1'],
      ['DEBUG', 'LISTPACK', 'nokey'],
      ['DEBUG', 'QUICKLIST', 'nokey'],
      ['DEBUG', 'POPULATE', '-1'],
      ['DEBUG', 'POPULATE', 'x'],
      ['DEBUG', 'POPULATE', '3', 'p', '12'],
      ['MGET', 'p:0', 'p:2', 'p:3'],
      ['DEBUG', 'LISTPACK', 'p:0'],
      ['RPUSH', 'l', 'a'],
      ['DEBUG', 'LISTPACK', 'l'],
      ['DEBUG', 'QUICKLIST', 'l'],
      ['HSET', 'h', 'f', 'v'],
      ['DEBUG', 'LISTPACK', 'h'],
      ['DEBUG', 'REPLYBUFFER', 'PEAK-RESET-TIME', 'never'],
      ['DEBUG', 'REPLYBUFFER', 'PEAK-RESET-TIME', 'x'],
      ['DEBUG', 'REPLYBUFFER', 'other', '1'],
    ]);
  });
});

describe('DEBUG DIGEST and DIGEST-VALUE', () => {
  const data: Cmd[] = [
    ['SET', 'str', 'hello'],
    ['SET', 'int', '12345'],
    ['SET', 'ttl', 'v', 'EX', '1000'],
    ['RPUSH', 'list', 'a', 'b', '3', 'c'],
    ['SADD', 'intset', '1', '2', '-7'],
    ['SADD', 'set', 'x', 'y', 'z'],
    ['HSET', 'hash', 'f1', 'v1', 'f2', '2'],
    ['HSET', 'bighash', 'f', 'x'.repeat(100)],
    ['ZADD', 'zset', '1.5', 'a', '2', 'b', '-3e20', 'c', 'inf', 'd'],
    ['ZADD', 'bigzset', '0.1', 'y'.repeat(100)],
    ['SELECT', '3'],
    ['SET', 'str', 'hello'],
    ['SELECT', '0'],
  ];

  test('equal data gives equal digests on both; order and database matter as in Redis', async () => {
    await same([
      ['DEBUG', 'DIGEST'],
      ['DEBUG', 'DIGEST-VALUE', 'nokey'],
      ...data,
      ['DEBUG', 'DIGEST'],
      ['DEBUG', 'DIGEST-VALUE', 'str', 'int', 'ttl', 'list', 'intset', 'set', 'hash', 'bighash', 'zset', 'bigzset', 'nokey'],
      ['DEBUG', 'DIGEST-VALUE'],
      ['LPUSH', 'list', 'first'],
      ['DEBUG', 'DIGEST-VALUE', 'list'],
      ['PERSIST', 'ttl'],
      ['DEBUG', 'DIGEST-VALUE', 'ttl'],
      ['DEBUG', 'DIGEST'],
    ]);
  });

  test('a digest is the same after DEBUG RELOAD', async () => {
    const [ours, theirs] = await rawBoth([...data, ['DEBUG', 'DIGEST'], ['DEBUG', 'RELOAD'], ['DEBUG', 'DIGEST']]);
    assert.equal(ours.at(-1), ours.at(-3));
    assert.equal(theirs.at(-1), theirs.at(-3));
    assert.equal(ours.at(-1), theirs.at(-1));
  });
});

describe('DEBUG RELOAD and LOADAOF', () => {
  test('data, encodings and TTLs survive', async () => {
    const cmds: Cmd[] = [
      ['SET', 'a', '1', 'PX', '100000'],
      ['RPUSH', 'l', 'x', 'y'],
      ['SADD', 's', '1', '2'],
      ['ZADD', 'z', '1', 'm'],
      ['HSET', 'h', 'f', 'v'],
      ['DEBUG', 'RELOAD'],
      ['MGET', 'a'],
      ['LRANGE', 'l', '0', '-1'],
      ['SMEMBERS', 's'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['HGETALL', 'h'],
      ['OBJECT', 'ENCODING', 'l'],
      ['OBJECT', 'ENCODING', 's'],
      ['OBJECT', 'ENCODING', 'z'],
      ['OBJECT', 'ENCODING', 'h'],
      ['TTL', 'a'],
      ['SET', 'extra', '1'],
      ['DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH', 'MERGE'],
      ['DBSIZE'],
      ['DEBUG', 'RELOAD', 'NOSAVE'],
      ['DBSIZE'],
    ];
    const [ours, theirs] = await rawBoth(cmds);
    for (let i = 0; i < cmds.length; i++) {
      assert.equal(JSON.stringify(ours[i]), JSON.stringify(theirs[i]), `#${i} ${cmds[i].join(' ')}`);
    }
  });

  // Neither goes to redis-server: without an AOF, LOADAOF exits; a duplicate key in a NOFLUSH
  // load without MERGE is a panic.
  test('LOADAOF reloads as RELOAD does; NOFLUSH over present keys is refused', async () => {
    const c = await RawConnection.connect(corral.port);
    await c.call('FLUSHALL');
    await c.call('SET', 'a', '1', 'EX', '100');
    assert.equal((await c.callRaw('DEBUG', 'LOADAOF')).toString(), '+OK\r\n');
    assert.equal(await c.call('TTL', 'a'), 100);
    assert.equal(showBytes(await c.callRaw('DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH')), showBytes(Buffer.from('-ERR Error trying to load the RDB dump\r\n')));
    assert.equal(await c.call('DBSIZE'), 1);
    c.close();
  });
});

describe('DEBUG SLEEP and SET-ACTIVE-EXPIRE', () => {
  test('SLEEP blocks the whole server', async () => {
    for (const port of [corral.port, redis.port]) {
      const a = await RawConnection.connect(port);
      const b = await RawConnection.connect(port);
      const t0 = Date.now();
      const slept = a.callRaw('DEBUG', 'SLEEP', '0.3');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal((await b.callRaw('PING')).toString(), '+PONG\r\n');
      const pinged = Date.now() - t0;
      assert.equal((await slept).toString(), '+OK\r\n');
      assert.ok(pinged >= 250, `PING answered after ${pinged} ms on port ${port}`);
      assert.equal((await a.callRaw('DEBUG', 'SLEEP', '0')).toString(), '+OK\r\n');
      a.close();
      b.close();
    }
  });

  test('SET-ACTIVE-EXPIRE 0 leaves expired keys in place until 1', async () => {
    for (const port of [corral.port, redis.port]) {
      const c = await RawConnection.connect(port);
      await c.call('FLUSHALL');
      assert.equal(showBytes(await c.callRaw('DEBUG', 'SET-ACTIVE-EXPIRE', '0')), showBytes(Buffer.from('+OK\r\n')));
      for (let i = 0; i < 20; i++) await c.call('SET', `k${i}`, 'v', 'PX', '20');
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(await c.call('DBSIZE'), 20, `port ${port}`);
      await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
      let size = 20;
      for (let i = 0; i < 40 && size !== 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        size = (await c.call('DBSIZE')) as number;
      }
      assert.equal(size, 0, `port ${port}`);
      c.close();
    }
  });

  test('with keys past their TTL left in place, SWAPDB changes a watched key only where it changes logically', async () => {
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    // [db0's x, db1's x] before WATCH x in db 1 and SWAPDB 0 1: 'stale' set with PX 1 and past it.
    const cases: Array<[string | null, string | null]> = [['stale', null], ['stale', 'stale'], ['live', null], [null, 'stale'], ['live', 'stale']];
    const outcome = async (port: number, [db0, db1]: [string | null, string | null]): Promise<string> => {
      const c = await RawConnection.connect(port);
      try {
        await c.call('FLUSHALL');
        await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
        for (const [db, v] of [[0, db0], [1, db1]] as const) {
          await c.call('SELECT', db);
          if (v === 'stale') await c.call('SET', 'x', 'v', 'PX', '1');
          if (v === 'live') await c.call('SET', 'x', 'v');
        }
        await sleep(5);
        await c.call('SELECT', 1);
        await c.call('WATCH', 'x');
        await c.call('SWAPDB', 0, 1);
        await c.call('MULTI');
        await c.call('PING');
        return JSON.stringify(await c.call('EXEC'));
      } finally {
        await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
        c.close();
      }
    };
    for (const k of cases) assert.equal(await outcome(corral.port, k), await outcome(redis.port, k), JSON.stringify(k));
  });
});

describe('DEBUG OBJECT', () => {
  test('the same fields as Redis (address and LRU clock aside)', async () => {
    const cmds: Cmd[] = [
      ['SET', 'int', '20000'],
      ['SET', 'str', 'hello world'],
      ['SET', 'raw', 'x'.repeat(100)],
      ['RPUSH', 'list', 'a', 'b', 'c'],
      ['HSET', 'hash', 'f', 'v'],
      ['SADD', 'set', '1', '2'],
      ['ZADD', 'zset', '1', 'a'],
      ['DEBUG', 'OBJECT', 'int'],
      ['DEBUG', 'OBJECT', 'str'],
      ['DEBUG', 'OBJECT', 'raw'],
      ['DEBUG', 'OBJECT', 'list'],
      ['DEBUG', 'OBJECT', 'hash'],
      ['DEBUG', 'OBJECT', 'set'],
      ['DEBUG', 'OBJECT', 'zset'],
    ];
    const [ours, theirs] = await rawBoth(cmds);
    const mask = (s: string) => s.replace(/at:0x[0-9a-f]+/, 'at:ADDR').replace(/ lru:\d+/, ' lru:N');
    for (let i = 7; i < cmds.length; i++) assert.equal(mask(ours[i]), mask(theirs[i]), cmds[i].join(' '));
  });
});
