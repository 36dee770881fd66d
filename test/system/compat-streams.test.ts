// Stream commands without consumer groups (XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XSETID,
// XREAD and its blocking form) compared byte for byte with a real redis-server 7.0, in RESP2 and
// RESP3. IDs are explicit (XADD with `*` makes time-based ones), except where only the shape of
// the reply or the replication stream is compared. Node splits are compared through XTRIM `~`,
// whose counts depend on where nodes split.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { keyspaceEventsOf, sameOnBoth, splitCommands, type Cmd } from '../support/compare.js';
import { replicatedWhile } from '../support/sync-reader.js';
import { sameScenario as sameScenarioOn, type Step } from '../support/scenario.js';

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

const same = (cmds: Cmd[]): Promise<void> => sameOnBoth(corral.port, redis.port, cmds);

/** 300 entries whose sizes vary (as in stream.test.ts), then `after`. */
function filled(after: Cmd[]): Cmd[] {
  const cmds: Cmd[] = [];
  for (let i = 1; i <= 300; i++) {
    const v = 'v'.repeat((i * 37) % 90);
    cmds.push(i % 7 === 0 ? ['XADD', 't', `${i}-1`, `f${i % 3}`, v, 'n', String(i)] : ['XADD', 't', `${i}-1`, 'f', v, 'n', String(i * 1000)]);
  }
  return [...cmds, ...after];
}

describe('streams match redis 7.0', () => {
  test('XADD: IDs, options and errors', async () => {
    await same(splitCommands(`
      XADD s 1-1 a 1
      XADD s 1-* b 2
      XADD s 1-1 c 3
      XADD s 0-0 a b
      XADD s 0 a b
      XADD s 1 a b
      XADD s 2-18446744073709551615 a b
      XADD s 2-* a b
      XADD s 3-5 a
      XADD s 3-5 a b c
      XADD s x a b
      XADD s - a b
      XADD s + a b
      XADD s 99999999999999999999-1 a b
      XADD s NOMKSTREAM 9-9 a b
      XADD other NOMKSTREAM 9-9 a b
      EXISTS other
      XADD s MAXLEN
      XADD s MAXLEN 1
      XADD s MAXLEN -1 10-0 a b
      XADD s MAXLEN abc 10-0 a b
      XADD s MINID 1 MAXLEN 1 10-0 a b
      XADD s LIMIT 10 10-0 a b
      XADD s MAXLEN 1 LIMIT 10 10-0 a b
      XADD s MAXLEN ~ 1 LIMIT -1 10-0 a b
      XADD s MINID - 10-0 a b
      XADD s MINID = 2 10-0 a b
      XRANGE s - +
      XADD s MAXLEN = 2 11-0 a b
      XADD s MAXLEN ~ 1 12-0 a b
      XLEN s
      XADD s 18446744073709551615-18446744073709551615 a b
      XADD s 18446744073709551615-* a b
      XADD s * a b
      XLEN s
      SET str v
      XADD str 1-1 a b
      XLEN str
      TYPE s
      OBJECT ENCODING s
    `));
  });

  test('XRANGE and XREVRANGE: bounds, exclusive bounds, COUNT', async () => {
    await same(splitCommands(`
      XADD s 1-1 a 1
      XADD s 1-2 b 2
      XADD s 2-0 c 3
      XADD s 2-5 d 4
      XADD s 18446744073709551615-0 e 5
      XRANGE s - +
      XRANGE s 1 1
      XRANGE s 2 +
      XRANGE s (1-1 +
      XRANGE s (1 +
      XRANGE s - (2-5
      XRANGE s (- +
      XRANGE s - (+
      XRANGE s - (0-0
      XRANGE s (18446744073709551615-18446744073709551615 +
      XREVRANGE s + -
      XREVRANGE s + - COUNT 2
      XREVRANGE s (2-5 (1-1
      XREVRANGE s 2 1
      XRANGE s - + COUNT 0
      XRANGE s - + COUNT -3
      XRANGE s - + COUNT
      XRANGE s - + COUNT x
      XRANGE s - + FOO 1
      XRANGE s 1-x +
      XRANGE s 1-18446744073709551616 +
      XRANGE s 01 +
      XRANGE s +1 +
      XRANGE s 5 1
      XRANGE nokey - +
      XRANGE nokey - + COUNT 0
      SET str v
      XRANGE str - +
      XLEN nokey
      XLEN str
    `));
  });

  test('XDEL, XTRIM and XSETID: counters and errors', async () => {
    await same(splitCommands(`
      XDEL nokey bad-id
      XADD s 1-1 a 1
      XADD s 2-1 a 2
      XADD s 3-1 a 3
      XADD s 4-1 a 4
      XDEL s 1-1 9-9
      XDEL s bad
      XDEL s 2-1 2-1
      XRANGE s - +
      XINFO STREAM s
      XTRIM nokey MAXLEN 0
      XTRIM s FOO 1
      XTRIM s
      XTRIM s MAXLEN ~ 1 LIMIT 0
      XTRIM s MINID 4-1
      XINFO STREAM s
      XTRIM s MAXLEN 0
      XINFO STREAM s
      XSETID s 1-1
      XSETID s 9-9 ENTRIESADDED -1
      XSETID s 9-9 MAXDELETEDID 10-0
      XSETID s 9-9 ENTRIESADDED 1 FOO
      XSETID s 9-9 ENTRIESADDED
      XSETID s 9-9 ENTRIESADDED 100 MAXDELETEDID 8-0
      XINFO STREAM s
      XSETID s -
      XSETID s 9
      XSETID nokey 1-1
      XADD s 9-0 a b
      XADD s 9-* a b
      XSETID s 8-0
      XSETID s 9-1 ENTRIESADDED 0
      SET str v
      XDEL str 1-1
      XTRIM str MAXLEN 0
      XSETID str 1-1
    `));
  });

  test('nodes split as Redis splits them: XTRIM ~ and LIMIT remove the same entries', async () => {
    await same([
      ['CONFIG', 'SET', 'stream-node-max-bytes', '300'],
      ...filled([
        ['XTRIM', 't', 'MAXLEN', '~', '100'],
        ['XTRIM', 't', 'MINID', '~', '150'],
        ['XLEN', 't'],
        ['XADD', 't', 'MAXLEN', '~', '50', 'LIMIT', '20', '400-0', 'a', 'b'],
        ['XLEN', 't'],
      ]),
      ['CONFIG', 'SET', 'stream-node-max-bytes', '4096'],
    ]);
    await same([
      ['CONFIG', 'SET', 'stream-node-max-entries', '7'],
      ...filled([
        ['XDEL', 't', '1-1', '2-1', '3-1', '4-1', '5-1', '6-1', '7-1', '9-1'],
        ['XTRIM', 't', 'MAXLEN', '~', '290'],
        ['XTRIM', 't', 'MINID', '~', '30-1'],
        ['XTRIM', 't', 'MINID', '35-1'],
        ['XTRIM', 't', 'MAXLEN', '~', '100', 'LIMIT', '30'],
        ['XRANGE', 't', '-', '+', 'COUNT', '3'],
        ['XLEN', 't'],
        ['DEBUG', 'DIGEST-VALUE', 't'],
      ]),
      ['CONFIG', 'SET', 'stream-node-max-entries', '100'],
    ]);
  });

  test('seeded random XADD/XDEL/XTRIM/XRANGE sequences under small node limits', async () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const value = (): string =>
      [
        () => 'v'.repeat(rnd(40)) + (rnd(2) ? String(rnd(1000)) : ''),
        () => String(rnd(100000) - 50000),
        () => 'y'.repeat(rnd(300)),
        () => ['-0', '007', '9223372036854775807', '9223372036854775808', '-9223372036854775808', String(rnd(2 ** 31) * 1000)][rnd(6)],
      ][rnd(4)]();
    for (let round = 0; round < 6; round++) {
      const cmds: Cmd[] = [
        ['CONFIG', 'SET', 'stream-node-max-entries', String(rnd(6))],
        ['CONFIG', 'SET', 'stream-node-max-bytes', String([0, 50, 120, 300, 4096][rnd(5)])],
      ];
      let ms = 1;
      for (let i = 0; i < 80; i++) {
        const r = rnd(20);
        const someId = (): string => `${rnd(ms + 1)}-${rnd(3)}`;
        if (r < 10) {
          ms += rnd(10) === 0 ? rnd(100000000) : rnd(3);
          const fields: string[] = [];
          for (let k = 0, n = 1 + rnd(3); k < n; k++) fields.push(rnd(3) ? `f${k}` : `g${rnd(5)}`, value());
          const trim = rnd(4) === 0 ? ['MAXLEN', ...(rnd(2) ? ['~'] : []), String(rnd(30))] : [];
          cmds.push(['XADD', 's', ...trim, rnd(3) ? `${ms}-*` : `${ms}-${rnd(5)}`, ...fields]);
        } else if (r < 13) cmds.push(['XDEL', 's', someId(), someId(), someId()]);
        else if (r < 15) {
          const threshold = rnd(2) ? ['MAXLEN', String(rnd(40))] : ['MINID', someId()];
          cmds.push(['XTRIM', 's', threshold[0], ...(rnd(2) ? ['~'] : []), threshold[1], ...(rnd(3) === 0 ? ['LIMIT', String(rnd(20))] : [])]);
        } else if (r < 17) cmds.push(['XRANGE', 's', String(rnd(ms + 1)), '+', 'COUNT', String(rnd(10))]);
        else if (r < 18) cmds.push(['XREVRANGE', 's', '+', `(${rnd(ms + 1)}-0`, 'COUNT', String(rnd(10))]);
        else if (r < 19) cmds.push(['XREAD', 'COUNT', String(rnd(5)), 'STREAMS', 's', `${rnd(ms + 1)}-0`]);
        else cmds.push(['DEBUG', 'DIGEST-VALUE', 's']);
      }
      cmds.push(['XRANGE', 's', '-', '+'], ['XLEN', 's'], ['CONFIG', 'SET', 'stream-node-max-entries', '100'], ['CONFIG', 'SET', 'stream-node-max-bytes', '4096']);
      await same(cmds);
    }
  });

  test('XREAD without blocking, COPY, DEBUG DIGEST, SCAN TYPE', async () => {
    await same([
      ...splitCommands(`
      XADD s 1-1 a 1
      XADD s 2-1 b 2
      XADD t 5-0 c 3
      XREAD STREAMS s 0
      XREAD COUNT 1 STREAMS s t 0 0
      XREAD STREAMS s s 1-1 0
      XREAD STREAMS s t $ $
      XREAD STREAMS nokey 0
      XREAD STREAMS s
      XREAD STREAMS s t 0
      XREAD COUNT -5 STREAMS s 0-0
      XREAD COUNT x STREAMS s 0
      XREAD FOO STREAMS s 0
      XREAD GROUP a b STREAMS s 0
      XREAD NOACK STREAMS s 0
      XREAD STREAMS s >
      XREAD STREAMS s -
      XREAD STREAMS s 1-x
      XREAD BLOCK -1 STREAMS s 0
      XREAD BLOCK abc STREAMS s 0
      XREAD BLOCK 10 STREAMS s 2-1
      SET str v
      XREAD STREAMS str 0
      XREAD STREAMS s str 0 0
      COPY s s2
      XRANGE s2 - +
      XDEL s2 1-1
      XLEN s
      DEBUG DIGEST-VALUE s s2 t
      DEBUG DIGEST
      MULTI
      XREAD BLOCK 0 STREAMS s $
      XADD s 3-0 x y
      EXEC
    `),
      ['EVAL', "return redis.call('xread','block','0','streams','s','$')", '0'],
      ['EVAL', "return redis.call('XREAD','BLOCK','0','STREAMS','s','$')", '0'],
      ['EVAL', "return redis.call('XREAD','STREAMS','s','0')", '0'],
    ]);
  });

  test('SCAN TYPE stream finds the streams only', async () => {
    for (const port of [corral.port, redis.port]) {
      const c = await RawConnection.connect(port);
      try {
        await c.call('FLUSHALL');
        for (const cmd of splitCommands('XADD s1 1-1 a b\nXADD s2 1-1 a b\nSET str v\nRPUSH l x')) await c.call(...cmd);
        const reply = (await c.call('SCAN', '0', 'TYPE', 'stream', 'COUNT', '100')) as unknown[];
        assert.deepEqual((reply[1] as unknown[]).map(String).sort(), ['s1', 's2']);
        assert.equal((await c.callRaw('TYPE', 's1')).toString(), '+stream\r\n');
      } finally {
        c.close();
      }
    }
  });

  test('keyspace events', async () => {
    const cmds = splitCommands(`
      XADD s 1-1 a 1
      XADD s MAXLEN 1 2-1 a 2
      XDEL s 9-9
      XDEL s 2-1
      XADD s 3-1 a 3
      XTRIM s MAXLEN 0
      XTRIM s MAXLEN 0
      XSETID s 5-0
      DEL s
    `);
    assert.deepEqual(await keyspaceEventsOf(corral.port, cmds), await keyspaceEventsOf(redis.port, cmds));
  });

  test('replication: generated IDs and approximate trims go out as Redis rewrites them', async () => {
    const writes = splitCommands(`
      CONFIG SET stream-node-max-entries 3
      XADD s 1-1 a 1
      XADD s 1-* a 2
      XADD s 1-* a 3
      XADD s 2-* a 4
      XADD s 3-1 a 5
      XADD s MAXLEN ~ 2 4 a 6
      XADD s MINID ~ 4 5-1 a 7
      XADD s MAXLEN ~ 0 LIMIT 1 6-1 a 8
      XTRIM s MAXLEN ~ 1
      XTRIM s MINID ~ 0
      XDEL s 6-1
      XSETID s 7-0
      CONFIG SET stream-node-max-entries 100
      SET last 1
    `);
    const streams: string[][][] = [];
    for (const port of [corral.port, redis.port]) {
      streams.push(await replicatedWhile(port, async (c) => {
        for (const cmd of writes) await c.call(...cmd);
      }));
    }
    assert.deepEqual(streams[0], streams[1]);
    assert.ok(streams[1].some((cmd) => cmd[0] === 'xadd' && cmd.includes('=')));
  });

  test('XADD * replies a time-based ID and replicates it', async () => {
    for (const port of [corral.port, redis.port]) {
      const c = await RawConnection.connect(port);
      try {
        await c.call('DEL', 'auto');
        const before = Date.now();
        const id = String(await c.call('XADD', 'auto', '*', 'a', 'b'));
        const [ms, seq] = id.split('-').map(Number);
        assert.ok(ms >= before - 1000 && ms <= Date.now() + 1000, id);
        assert.equal(seq, 0);
        const next = String(await c.call('XADD', 'auto', `${ms + 100000}-*`, 'a', 'b'));
        assert.equal(next, `${ms + 100000}-0`);
        assert.equal(String(await c.call('XADD', 'auto', '*', 'a', 'b')), `${ms + 100000}-1`);
      } finally {
        c.close();
      }
    }
  });
});

// ---- blocking XREAD: scenarios over several connections ----

/** Runs a scenario on both servers, in RESP2 and RESP3, and compares every reply (test/support/scenario.ts). */
function sameScenario(steps: Step[]): Promise<void> {
  return sameScenarioOn({ corral: corral.port, redis: redis.port }, steps);
}

describe('blocking XREAD matches redis 7.0', () => {
  test('one XADD serves every reader below the new last ID; the others keep waiting', async () => {
    await sameScenario([
      { on: 'w', cmd: ['XADD', 's', '5-0', 'old', '1'] },
      { on: 'a', cmd: ['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'], replies: 0, blocked: 1 },
      { on: 'b', cmd: ['XREAD', 'COUNT', '1', 'BLOCK', '0', 'STREAMS', 'other', 's', '$', '5-0'], replies: 0, blocked: 2 },
      { on: 'c', cmd: ['XREAD', 'BLOCK', '0', 'STREAMS', 's', '7-0'], replies: 0, blocked: 3 },
      { on: 'w', cmd: ['XADD', 's', '6-0', 'new', '2'] },
      { on: 'a', read: 1 },
      { on: 'b', read: 1 },
      { on: 'w', cmd: ['XADD', 's', '8-0', 'later', '3'] },
      { on: 'c', read: 1 },
    ]);
  });

  test('a deleted or overwritten key does not end the wait; a new stream there serves it', async () => {
    await sameScenario([
      { on: 'w', cmd: ['XADD', 's', '5-0', 'a', '1'] },
      { on: 'a', cmd: ['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'], replies: 0, blocked: 1 },
      { on: 'w', cmd: ['DEL', 's'] },
      { on: 'w', cmd: ['SET', 's', 'str'] },
      { on: 'w', cmd: ['DEL', 's'] },
      { on: 'w', cmd: ['MULTI'] },
      { on: 'w', cmd: ['XADD', 's', '9-0', 'x', '1'] },
      { on: 'w', cmd: ['DEL', 's'] },
      { on: 'w', cmd: ['EXEC'] },
      { on: 'w', cmd: ['XADD', 's', '1-0', 'b', '2'] },
      { on: 'w', cmd: ['XADD', 's', '6-0', 'c', '3'] },
      { on: 'a', read: 1 },
    ]);
  });

  test('an XADD then XDEL in one transaction serves an empty entry list', async () => {
    await sameScenario([
      { on: 'a', cmd: ['XREAD', 'BLOCK', '0', 'STREAMS', 's', '0-0'], replies: 0, blocked: 1 },
      { on: 'w', cmd: ['MULTI'] },
      { on: 'w', cmd: ['XADD', 's', '1-0', 'x', '1'] },
      { on: 'w', cmd: ['XDEL', 's', '1-0'] },
      { on: 'w', cmd: ['EXEC'] },
      { on: 'a', read: 1 },
      { on: 'a', cmd: ['PING'] },
    ]);
  });

  test('a timeout answers a null array', async () => {
    await sameScenario([
      { on: 'w', cmd: ['XADD', 's', '5-0', 'a', '1'] },
      { on: 'a', cmd: ['XREAD', 'BLOCK', '20', 'STREAMS', 's', '$'] },
      { on: 'a', cmd: ['XREAD', 'BLOCK', '20', 'STREAMS', 's', 'nokey', '5-0', '0-0'] },
    ]);
  });
});
