// The blocking pops (BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP) and
// LMPOP/ZMPOP compared byte for byte with a real redis-server 7.0: scenarios with several
// connections (one blocks, another writes) run on both servers, in RESP2 and RESP3, and every
// reply each connection gets must be the same. A step that blocks waits until the server's INFO
// says so, so both servers see the same interleaving.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { flushAll, sameOnBoth, showBytes, type Cmd } from '../support/compare.js';
import { blockedClients, sameScenario as sameScenarioOn, type Step } from '../support/scenario.js';
import { encodeCommand } from '../../src/protocol/reply-parser.js';

let corral: StartedCorral;
let redis: Started;

before(async () => {
  corral = await startCorral({ 'enable-debug-command': 'yes' });
  redis = await startRedis(['--enable-debug-command', 'yes']);
});

after(async () => {
  await corral?.close();
  await redis?.close();
});

/** Runs a scenario on both servers, in RESP2 and RESP3, and compares every reply (test/support/scenario.ts). */
function sameScenario(steps: Step[]): Promise<void> {
  return sameScenarioOn({ corral: corral.port, redis: redis.port }, steps);
}

const same = (cmds: Cmd[]): Promise<void> => sameOnBoth(corral.port, redis.port, cmds);

describe('blocking pops match redis 7.0', () => {
  test('argument errors, WRONGTYPE, and pops that need not block', async () => {
    await same([
      ['BLPOP', 'k', '-1'],
      ['BLPOP', 'k', 'abc'],
      ['BLPOP', 'k', 'inf'],
      ['BLPOP', 'k', '1e300'],
      ['BLPOP', 'k', ' 1'],
      ['BLMOVE', 'a', 'b', 'UP', 'LEFT', '0'],
      ['BLMOVE', 'a', 'b', 'LEFT', 'LEFT', '-1'],
      ['BRPOPLPUSH', 'a', 'b', 'x'],
      ['SET', 's', 'v'],
      ['BLPOP', 'missing', 's', '0'],
      ['BZPOPMIN', 's', '0'],
      ['BLMOVE', 's', 'd', 'LEFT', 'RIGHT', '0'],
      ['RPUSH', 'l1', 'a', 'b', 'c'],
      ['RPUSH', 'l2', 'x'],
      ['BLPOP', 'missing', 'l1', 'l2', '0'],
      ['BRPOP', 'l2', 'l1', '0'],
      ['BRPOPLPUSH', 'l1', 'l1', '0'],
      ['BLMOVE', 'l1', 's', 'LEFT', 'LEFT', '0'],
      ['BLMOVE', 'l1', 'l3', 'LEFT', 'RIGHT', '0'],
      ['LRANGE', 'l1', '0', '-1'],
      ['LRANGE', 'l3', '0', '-1'],
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '1.5', 'd'],
      ['BZPOPMIN', 'nothing', 'z', '0'],
      ['BZPOPMAX', 'z', '0'],
      ['BZMPOP', '0', '2', 'nothing', 'z', 'MIN', 'COUNT', '10'],
      ['EXISTS', 'z'],
    ]);
  });

  test('LMPOP, ZMPOP, BLMPOP and BZMPOP arguments', async () => {
    await same([
      ['LMPOP', '0', 'l', 'LEFT'],
      ['LMPOP', 'a', 'l', 'LEFT'],
      ['LMPOP', '-1', 'l', 'RIGHT'],
      ['LMPOP', '1', 'l', 'bad'],
      ['LMPOP', '1', 'l', 'LEFT', 'x'],
      ['LMPOP', '1', 'l', 'COUNT'],
      ['LMPOP', '1', 'l', 'LEFT', 'COUNT', '1', 'COUNT', '2'],
      ['LMPOP', '1', 'l', 'LEFT', 'COUNT', '0'],
      ['LMPOP', '1', 'l', 'LEFT', 'COUNT', 'a'],
      ['LMPOP', '5', 'l', 'LEFT'],
      ['LMPOP', '1', 'l', 'LEFT'],
      ['RPUSH', 'l', 'a', 'b', 'c'],
      ['LMPOP', '2', 'nope', 'l', 'RIGHT', 'COUNT', '2'],
      ['LMPOP', '1', 'l', 'LEFT', 'COUNT', '9'],
      ['EXISTS', 'l'],
      ['ZMPOP', '1', 'z', 'LEFT'],
      ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '-1'],
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
      ['ZMPOP', '1', 'z', 'MAX'],
      ['ZMPOP', '2', 'z', 'z', 'MIN', 'COUNT', '5'],
      ['ZMPOP', '1', 'z', 'MIN'],
      ['SET', 's', 'v'],
      ['LMPOP', '1', 's', 'LEFT'],
      ['ZMPOP', '1', 's', 'MIN'],
      ['BLMPOP', 'x', '1', 'l', 'LEFT'],
      ['BLMPOP', '0', '0', 'l', 'LEFT'],
      ['BLMPOP', '-1', '1', 'l', 'LEFT'],
      ['BZMPOP', '0', '1', 'z', 'LEFT'],
      ['BZMPOP', '0.01', '1', 'z', 'MIN', 'COUNT', '0'],
    ]);
  });

  test('inside MULTI a blocking pop answers as timed out', async () => {
    await same([
      ['MULTI'],
      ['BLPOP', 'k', '0'],
      ['BRPOPLPUSH', 'k', 'd', '0'],
      ['BLMOVE', 'k', 'd', 'LEFT', 'LEFT', '0'],
      ['BZPOPMIN', 'z', '0'],
      ['BLMPOP', '0', '1', 'k', 'LEFT'],
      ['BZMPOP', '0', '1', 'z', 'MAX', 'COUNT', '2'],
      ['RPUSH', 'k', 'v'],
      ['BLPOP', 'k', '0'],
      ['EXEC'],
    ]);
  });

  test('a push serves the waiters first come first served; a timeout answers null', async () => {
    await sameScenario([
      { on: 'a', cmd: ['BLPOP', 'q', '0'], replies: 0, blocked: 1 },
      { on: 'b', cmd: ['BRPOP', 'q', 'other', '0'], replies: 0, blocked: 2 },
      { on: 'c', cmd: ['RPUSH', 'q', 'x', 'y', 'z'] },
      { on: 'a', read: 1 },
      { on: 'b', read: 1 },
      { on: 'c', cmd: ['LRANGE', 'q', '0', '-1'] },
      { on: 'a', cmd: ['BLPOP', 'none', '0.05'] },
      { on: 'a', cmd: ['BZPOPMAX', 'none', '0.05'] },
      { on: 'a', cmd: ['BLMOVE', 'none', 'd', 'LEFT', 'LEFT', '0.05'] },
    ]);
  });

  test('MULTI/EXEC: keys are served in the order they became ready, after the transaction', async () => {
    await sameScenario([
      { on: 'a', cmd: ['BLPOP', 'k1', 'k2', '0'], replies: 0 },
      { on: 'c', cmd: ['MULTI'] },
      { on: 'c', cmd: ['LPUSH', 'k2', 'from-k2'] },
      { on: 'c', cmd: ['LPUSH', 'k1', 'from-k1'] },
      { on: 'c', cmd: ['LPUSH', 'k2', 'again'] },
      { on: 'c', cmd: ['EXEC'] },
      { on: 'a', read: 1 },
      { on: 'c', cmd: ['LRANGE', 'k1', '0', '-1'] },
      { on: 'c', cmd: ['LRANGE', 'k2', '0', '-1'] },
      { on: 'b', cmd: ['BLPOP', 'k3', '0'], replies: 0 },
      { on: 'c', cmd: ['MULTI'] },
      { on: 'c', cmd: ['RPUSH', 'k3', 'v'] },
      { on: 'c', cmd: ['DEL', 'k3'] },
      { on: 'c', cmd: ['EXEC'] },
      { on: 'c', cmd: ['RPUSH', 'k3', 'w'] },
      { on: 'b', read: 1 },
    ]);
  });

  test('BLMOVE chains into another waiter; a wrong-type destination answers WRONGTYPE', async () => {
    await sameScenario([
      { on: 'a', cmd: ['BLMOVE', 'src', 'mid', 'RIGHT', 'LEFT', '0'], replies: 0, blocked: 1 },
      { on: 'b', cmd: ['BRPOPLPUSH', 'mid', 'dst', '0'], replies: 0, blocked: 2 },
      { on: 'c', cmd: ['RPUSH', 'src', 'one', 'two'] },
      { on: 'a', read: 1 },
      { on: 'b', read: 1 },
      { on: 'c', cmd: ['LRANGE', 'src', '0', '-1'] },
      { on: 'c', cmd: ['LRANGE', 'mid', '0', '-1'] },
      { on: 'c', cmd: ['LRANGE', 'dst', '0', '-1'] },
      { on: 'a', cmd: ['BRPOPLPUSH', 'src2', 'str', '0'], replies: 0, blocked: 1 },
      { on: 'c', cmd: ['SET', 'str', 'x'] },
      { on: 'c', cmd: ['RPUSH', 'src2', 'v'] },
      { on: 'a', read: 1 },
      { on: 'c', cmd: ['LRANGE', 'src2', '0', '-1'] },
    ]);
  });

  test('sorted sets and counts: BZPOPMIN, BZMPOP, BLMPOP served later', async () => {
    await sameScenario([
      { on: 'a', cmd: ['BZPOPMIN', 'z1', 'z2', '0'], replies: 0, blocked: 1 },
      { on: 'b', cmd: ['BZMPOP', '0', '1', 'z2', 'MAX', 'COUNT', '2'], replies: 0, blocked: 2 },
      { on: 'c', cmd: ['ZADD', 'z2', '1', 'a', '2', 'b', '3', 'c', '4', 'd'] },
      { on: 'a', read: 1 },
      { on: 'b', read: 1 },
      { on: 'c', cmd: ['ZRANGE', 'z2', '0', '-1', 'WITHSCORES'] },
      { on: 'a', cmd: ['BLMPOP', '0', '2', 'l1', 'l2', 'RIGHT', 'COUNT', '5'], replies: 0, blocked: 1 },
      { on: 'c', cmd: ['RPUSH', 'l2', 'a', 'b', 'c'] },
      { on: 'a', read: 1 },
      { on: 'c', cmd: ['EXISTS', 'l2'] },
      { on: 'a', cmd: ['BLPOP', 'zz', '0'], replies: 0, blocked: 1 },
      { on: 'c', cmd: ['ZADD', 'zz', '1', 'a'] },
      { on: 'c', cmd: ['DEL', 'zz'] },
      { on: 'c', cmd: ['RPUSH', 'zz', 'list-now'] },
      { on: 'a', read: 1 },
    ]);
  });

  test('CLIENT UNBLOCK, and what a client pipelined behind a blocking pop', async () => {
    await sameScenario([
      { on: 'a', cmd: ['BLPOP', 'k', '0'], replies: 0 },
      { on: 'c', cmd: ['CLIENT', 'UNBLOCK', '999999'] },
      { on: 'c', cmd: ['CLIENT', 'UNBLOCK', '1', 'PLEASE'] },
      { on: 'b', cmd: ['BZPOPMIN', 'z', '0'], replies: 0, blocked: 2 },
      { on: 'c', cmd: ['RPUSH', 'k', 'v1', 'v2'] },
      { on: 'a', read: 1 },
      { on: 'c', cmd: ['ZADD', 'z', '1', 'm'] },
      { on: 'b', read: 1 },
    ]);
    // Ids differ between servers: unblock by the id each server reports.
    for (const port of [corral.port, redis.port]) {
      const a = await RawConnection.connect(port);
      const c = await RawConnection.connect(port);
      try {
        const id = Number(await a.call('CLIENT', 'ID'));
        a.socket.write(Buffer.concat([encodeCommand(['BLPOP', 'nokey', '0']), encodeCommand(['PING', 'after'])]));
        while ((await blockedClients(port)) !== 1) await new Promise((r) => setTimeout(r, 5));
        assert.equal(String(await c.call('CLIENT', 'UNBLOCK', String(id), 'ERROR')), '1');
        assert.equal(showBytes(await a.readReplies(2)), showBytes(Buffer.from('-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n$5\r\nafter\r\n')));
        a.socket.write(encodeCommand(['BLPOP', 'nokey', '0']));
        while ((await blockedClients(port)) !== 1) await new Promise((r) => setTimeout(r, 5));
        assert.equal(String(await c.call('CLIENT', 'UNBLOCK', String(id))), '1');
        assert.equal(showBytes(await a.readReplies(1)), showBytes(Buffer.from('*-1\r\n')));
        assert.equal(String(await c.call('CLIENT', 'UNBLOCK', String(id))), '0');
      } finally {
        a.close();
        c.close();
      }
    }
  });

  test('keyspace notifications of pops, at once and served later', async () => {
    await sameScenario([
      { on: 's', cmd: ['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'] },
      { on: 's', cmd: ['PSUBSCRIBE', '__key*__:*'] },
      { on: 'c', cmd: ['RPUSH', 'l', 'a', 'b', 'c'] },
      { on: 'c', cmd: ['BLPOP', 'l', '0'] },
      { on: 'c', cmd: ['LMPOP', '1', 'l', 'RIGHT', 'COUNT', '5'] },
      { on: 'c', cmd: ['ZADD', 'z', '1', 'a', '2', 'b'] },
      { on: 'c', cmd: ['ZMPOP', '1', 'z', 'MAX'] },
      { on: 'c', cmd: ['BZPOPMIN', 'z', '0'] },
      { on: 'a', cmd: ['BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', '0'], replies: 0 },
      { on: 'c', cmd: ['RPUSH', 'src', 'v'] },
      { on: 'a', read: 1 },
      { on: 'a', cmd: ['BZMPOP', '0', '1', 'zz', 'MIN', 'COUNT', '3'], replies: 0 },
      { on: 'c', cmd: ['ZADD', 'zz', '1', 'm'] },
      { on: 'a', read: 1 },
      { on: 's', drain: true },
      { on: 'c', cmd: ['CONFIG', 'SET', 'notify-keyspace-events', ''] },
    ]);
  });

  test('SWAPDB wakes a client blocked on a key the swapped-in database holds', async () => {
    await sameScenario([
      { on: 'a', cmd: ['SELECT', '5'] },
      { on: 'a', cmd: ['BLPOP', 'bl', '0'], replies: 0 },
      { on: 'c', cmd: ['SELECT', '6'] },
      { on: 'c', cmd: ['RPUSH', 'bl', 'v', 'w'] },
      { on: 'c', cmd: ['SWAPDB', '5', '6'] },
      { on: 'a', read: 1 },
      { on: 'c', cmd: ['SELECT', '5'] },
      { on: 'c', cmd: ['LRANGE', 'bl', '0', '-1'] },
      { on: 'c', cmd: ['SWAPDB', '5', '6'] },
      { on: 'c', cmd: ['FLUSHALL'] },
    ]);
  });

  test('a key whose TTL passed during the transaction that pushed it is expired when its waiter is served: the waiter stays blocked', async () => {
    await sameScenario([
      { on: 'a', cmd: ['BRPOP', 'k', '0'], replies: 0 },
      { on: 'c', cmd: ['DEBUG', 'SET-ACTIVE-EXPIRE', '0'] },
      { on: 'c', cmd: ['MULTI'] },
      { on: 'c', cmd: ['RPUSH', 'k', 'hello'] },
      { on: 'c', cmd: ['PEXPIRE', 'k', '100'] },
      { on: 'c', cmd: ['DEBUG', 'SLEEP', '0.2'] },
      { on: 'c', cmd: ['EXEC'] },
      { on: 'c', cmd: ['EXISTS', 'k'] },
      { on: 'c', cmd: ['RPUSH', 'k', 'again'] },
      { on: 'a', read: 1 },
      { on: 'c', cmd: ['DEBUG', 'SET-ACTIVE-EXPIRE', '1'] },
    ]);
  });

  test('a client that disconnects while blocked is not served', async () => {
    for (const port of [corral.port, redis.port]) {
      await flushAll([port]);
      const a = await RawConnection.connect(port);
      a.socket.write(encodeCommand(['BLPOP', 'gone', '0']));
      while ((await blockedClients(port)) !== 1) await new Promise((r) => setTimeout(r, 5));
      a.close();
      while ((await blockedClients(port)) !== 0) await new Promise((r) => setTimeout(r, 5));
      const c = await RawConnection.connect(port);
      await c.call('RPUSH', 'gone', 'kept');
      assert.deepEqual(await c.call('LRANGE', 'gone', '0', '-1'), ['kept']);
      c.close();
    }
  });
});
