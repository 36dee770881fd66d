// Byte-for-byte comparison with a real redis-server 7.0.15, in RESP2 and RESP3, of the stream
// consumer group commands: XGROUP (every subcommand, options and errors), XREADGROUP (new
// entries, history, NOACK, deleted entries, several keys), XACK, XPENDING (summary and extended,
// IDLE, consumer filter, exclusive ranges), XCLAIM and XAUTOCLAIM (options, deleted entries),
// XINFO STREAM [FULL], GROUPS, CONSUMERS, HELP; keyspace events; and the replication stream of
// group operations. Stream IDs are explicit; replies that carry the clock (delivery times, idle
// times, seen-times) are compared with those numbers masked.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, startCorral, startRedis, transcripts, type Started, type StartedCorral } from '../support/servers.js';
import { replicatedWhile } from '../support/sync-reader.js';
import { runScenario, sameScenario as sameScenarioOn, type Step } from '../support/scenario.js';
import { flushAll, keyspaceEventsOf, sameOnBoth, showBytes, splitCommands as split, type Cmd } from '../support/compare.js';

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

/**
 * Masks the clock in raw replies: unix times in ms (13 digits) and the integer after an "idle"
 * field; XPENDING's extended rows [id, consumer, idle, count] get their idle masked too.
 */
function maskClock(raw: string): string {
  return raw
    .replace(/:1\d{12}\r\n/g, ':<time>\r\n')
    .replace(/(\$4\r\nidle\r\n):\d+\r\n/g, '$1:<idle>\r\n')
    .replace(/(\*4\r\n\$\d+\r\n\d+-\d+\r\n\$\d+\r\n[^\r]*\r\n):\d+\r\n/g, '$1:<idle>\r\n');
}

/** As sameOnBoth, with the clock masked (maskClock). */
async function sameMasked(cmds: Cmd[]): Promise<void> {
  for (const resp of [2, 3]) {
    await flushAll([corral.port, redis.port]);
    const setup: Cmd[] = resp === 3 ? [['HELLO', '3']] : [];
    const [ours, theirs] = await transcripts(corral.port, redis.port, cmds, setup);
    for (let i = 0; i < cmds.length; i++) {
      const cmd = cmds[i].map(String).join(' ');
      assert.equal(showBytes(Buffer.from(maskClock(ours[i].toString('latin1')), 'latin1')), showBytes(Buffer.from(maskClock(theirs[i].toString('latin1')), 'latin1')), `RESP${resp} #${i} ${JSON.stringify(cmd)}`);
    }
  }
}

const STREAM = `
  XADD s 1-0 a 1
  XADD s 2-0 b 2
  XADD s 3-0 c 3
  XADD s 4-0 d 4
  XADD s 5-0 e 5
`;

describe('XGROUP matches redis 7.0', () => {
  test('CREATE, MKSTREAM, $, ENTRIESREAD, BUSYGROUP and errors', async () => {
    await same(split(`
      XGROUP CREATE s g 0
      XGROUP CREATE s g 0 MKSTREAM
      XGROUP CREATE s g $ MKSTREAM
      TYPE s
      XGROUP CREATE s g 0
      XGROUP CREATE s g2 $ ENTRIESREAD 3
      XGROUP CREATE s g3 0 ENTRIESREAD -1
      XGROUP CREATE s g4 0 ENTRIESREAD -2
      XGROUP CREATE s g4 0 ENTRIESREAD x
      XGROUP CREATE s g4 0 ENTRIESREAD
      XGROUP CREATE s g4 0 FOO
      XGROUP CREATE s g4 - MKSTREAM
      XGROUP CREATE s g4 + MKSTREAM
      XGROUP CREATE s g4 1-x
      XGROUP CREATE s g4 5 MKSTREAM ENTRIESREAD 1 MKSTREAM
      XGROUP CREATE s g5 7-3 MKSTREAM ENTRIESREAD 1
      XGROUP CREATE nokey g 0
      XGROUP CREATE nokey g x MKSTREAM
      EXISTS nokey
      SET str v
      XGROUP CREATE str g 0
      XGROUP CREATE str g 0 MKSTREAM
      XGROUP create
      XGROUP CREATE s
      XGROUP FOO s g
      XGROUP FOO s g 0
      XGROUP HELP
      XGROUP help extra
      XINFO GROUPS s
    `));
  });

  test('SETID, DESTROY, CREATECONSUMER, DELCONSUMER', async () => {
    await sameMasked(split(`
      ${STREAM}
      XGROUP CREATE s g 0
      XGROUP SETID s g 3
      XGROUP SETID s g $ ENTRIESREAD 5
      XINFO GROUPS s
      XGROUP SETID s g - ENTRIESREAD 0
      XGROUP SETID s g + 
      XGROUP SETID s g 1 ENTRIESREAD
      XGROUP SETID s g 1 MKSTREAM
      XGROUP SETID s nog 1
      XGROUP SETID nokey g 1
      XGROUP SETID s g x
      XGROUP SETID s g 1 ENTRIESREAD -5
      XGROUP CREATECONSUMER s g alice
      XGROUP CREATECONSUMER s g alice
      XGROUP CREATECONSUMER s nog alice
      XGROUP CREATECONSUMER nokey g alice
      XGROUP SETID s g 0
      XREADGROUP GROUP g bob COUNT 2 STREAMS s >
      XGROUP DELCONSUMER s g bob
      XGROUP DELCONSUMER s g bob
      XGROUP DELCONSUMER s nog bob
      XPENDING s g
      XINFO CONSUMERS s g
      XGROUP DESTROY s g
      XGROUP DESTROY s g
      XGROUP DESTROY nokey g
      XINFO GROUPS s
    `));
  });
});

describe('XREADGROUP XACK XPENDING match redis 7.0', () => {
  test('new entries, history, deleted entries, NOACK, several keys', async () => {
    await sameMasked(split(`
      ${STREAM}
      XADD t 1-1 x y
      XGROUP CREATE s g 0
      XGROUP CREATE t g 0
      XREADGROUP GROUP g alice COUNT 2 STREAMS s >
      XREADGROUP GROUP g bob COUNT 1 STREAMS s t > >
      XREADGROUP GROUP g alice STREAMS s 0
      XREADGROUP GROUP g alice COUNT 1 STREAMS s 1
      XREADGROUP GROUP g alice STREAMS s 2-0
      XDEL s 2-0
      XREADGROUP GROUP g alice STREAMS s 0
      XREADGROUP GROUP g carol NOACK STREAMS s >
      XREADGROUP GROUP g carol NOACK STREAMS s >
      XREADGROUP GROUP g carol STREAMS s 0
      XREADGROUP GROUP g dave STREAMS s 0
      XREADGROUP GROUP g alice STREAMS s s > 0
      XPENDING s g
      XPENDING s g - + 10
      XPENDING s g - + 10 alice
      XPENDING s g - + 10 nobody
      XPENDING s g (1-0 + 10
      XPENDING s g - (3 10
      XPENDING s g - + 1
      XPENDING s g - + 0
      XPENDING s g - + -5
      XPENDING s g IDLE 0 - + 10
      XPENDING s g IDLE 100000 - + 10
      XPENDING s g IDLE x - + 10
      XPENDING s g IDLE 0 - + 10 bob
      XPENDING s g - + 10 alice extra
      XPENDING s g - + 
      XPENDING s g - + x
      XPENDING s g x + 1
      XPENDING s g - x 1
      XPENDING s g (18446744073709551615-18446744073709551615 + 1
      XPENDING s g - (0-0 1
      XPENDING s g IDLE 0 - +
      XPENDING s nog
      XPENDING nokey g - + 10
      XACK s g 1-0 1-0 3 x
      XACK s g 1-0 1-0 3
      XACK s g 1-0
      XACK s nog 1-0
      XACK nokey g x
      XACK s g +
      XINFO GROUPS s
      XINFO CONSUMERS s g
      XINFO STREAM s
      XINFO GROUPS t
    `));
  });

  test('argument errors in order', async () => {
    await same(split(`
      ${STREAM}
      XGROUP CREATE s g 0
      SET str v
      XREADGROUP GROUP g c STREAMS s
      XREADGROUP GROUP g c STREAMS s s >
      XREADGROUP GROUP g STREAMS s >
      XREADGROUP GROUP g c COUNT x STREAMS s >
      XREADGROUP GROUP g c COUNT -1 STREAMS s >
      XREADGROUP GROUP g c BLOCK x STREAMS s >
      XREADGROUP GROUP g c BLOCK -1 STREAMS s >
      XREADGROUP GROUP g c FOO STREAMS s >
      XREADGROUP COUNT 1 BLOCK 0 NOACK s >
      XREADGROUP COUNT 1 NOACK STREAMS s >
      XREADGROUP GROUP g c STREAMS s $
      XREADGROUP GROUP g c STREAMS s +
      XREADGROUP GROUP g c STREAMS s -
      XREADGROUP GROUP g c STREAMS s x
      XREADGROUP GROUP nog c STREAMS s >
      XREADGROUP GROUP g c STREAMS nokey >
      XREADGROUP GROUP g c STREAMS str >
      XREADGROUP GROUP g c STREAMS s str > >
      XREAD GROUP g c STREAMS s >
      XREAD NOACK STREAMS s 0
      XREAD STREAMS s >
      XINFO GROUPS s
    `));
  });

  test('reads after XGROUP SETID take entries over from other consumers', async () => {
    await sameMasked(split(`
      ${STREAM}
      XGROUP CREATE s g 0
      XREADGROUP GROUP g a STREAMS s >
      XGROUP SETID s g 2
      XREADGROUP GROUP g b COUNT 2 STREAMS s >
      XPENDING s g
      XPENDING s g - + 10 a
      XINFO STREAM s FULL
      XGROUP SETID s g 0-0
      XREADGROUP GROUP g c STREAMS s >
      XREADGROUP GROUP g c STREAMS s >
      XINFO GROUPS s
    `));
  });
});

describe('XCLAIM XAUTOCLAIM match redis 7.0', () => {
  test('XCLAIM options, FORCE, JUSTID, LASTID, deleted entries', async () => {
    await sameMasked(split(`
      ${STREAM}
      XGROUP CREATE s g 0
      XREADGROUP GROUP g a COUNT 3 STREAMS s >
      XCLAIM s g b 0 1-0
      XCLAIM s g b 0 1-0 2-0 9-9 JUSTID
      XCLAIM s g b 1000000 3-0
      XCLAIM s g c 0 3-0 RETRYCOUNT 7 TIME 1000
      XCLAIM s g c 0 3-0 IDLE 5000000000000000
      XCLAIM s g c 0 3-0 IDLE -5
      XCLAIM s g c 0 4-0
      XCLAIM s g c 0 4-0 FORCE
      XCLAIM s g c 0 5-0 FORCE JUSTID
      XCLAIM s g c 0 5-0 FORCE JUSTID LASTID 9-0
      XINFO GROUPS s
      XCLAIM s g c 0 1-0 LASTID x
      XCLAIM s g c 0 1-0 LASTID +
      XCLAIM s g c 0 1-0 FOO
      XCLAIM s g c 0 1-0 IDLE x
      XCLAIM s g c 0 1-0 TIME x
      XCLAIM s g c 0 1-0 RETRYCOUNT x
      XCLAIM s g c 0 1-0 IDLE
      XCLAIM s g c x 1-0
      XCLAIM s g c -7 1-0 1-0
      XCLAIM s g c 0 + 1-0
      XCLAIM s nog c 0 1-0
      XCLAIM nokey g c 0 1-0
      XDEL s 1-0
      XCLAIM s g d 0 1-0 2-0 JUSTID
      XPENDING s g - + 10
      XINFO CONSUMERS s g
    `));
  });

  test('XAUTOCLAIM cursor, COUNT, JUSTID, deleted entries', async () => {
    await sameMasked(split(`
      ${STREAM}
      XADD s 6-0 f 6
      XGROUP CREATE s g 0
      XREADGROUP GROUP g a STREAMS s >
      XAUTOCLAIM s g b 0 0 COUNT 2
      XAUTOCLAIM s g b 0 (2-0 COUNT 2 JUSTID
      XAUTOCLAIM s g b 1000000 0
      XDEL s 3-0 5-0
      XAUTOCLAIM s g c 0 0 COUNT 1
      XAUTOCLAIM s g c 0 2-0 COUNT 2
      XAUTOCLAIM s g c 0 0
      XAUTOCLAIM s g c 0 9-0
      XAUTOCLAIM s g c 0 0 COUNT 0
      XAUTOCLAIM s g c 0 0 COUNT x
      XAUTOCLAIM s g c 0 0 COUNT 8070450532247928833
      XAUTOCLAIM s g c 0 0 COUNT
      XAUTOCLAIM s g c 0 0 FOO
      XAUTOCLAIM s g c x 0
      XAUTOCLAIM s g c 0 x
      XAUTOCLAIM s g c 0 (18446744073709551615-18446744073709551615
      XAUTOCLAIM s nog c 0 0
      XAUTOCLAIM nokey g c 0 0
      XPENDING s g
      XINFO CONSUMERS s g
    `));
  });
});

describe('edge cases match redis 7.0', () => {
  test('XAUTOCLAIM stops after COUNT*10 attempts; XCLAIM of an ID twice; history with COUNT', async () => {
    const adds = Array.from({ length: 15 }, (_, i) => `XADD s ${i + 1}-0 f ${i}`).join('\n');
    await sameMasked(split(`
      ${adds}
      XGROUP CREATE s g 0
      XREADGROUP GROUP g a STREAMS s >
      XAUTOCLAIM s g b 3600000 0 COUNT 1
      XAUTOCLAIM s g b 3600000 (10-0 COUNT 1
      XAUTOCLAIM s g b 0 (10-0 COUNT 2 JUSTID
      XCLAIM s g c 0 1-0 1-0 2 JUSTID
      XPENDING s g IDLE 0 - + 3 c
      XPENDING s g - + 100 b
      XREADGROUP GROUP g a COUNT 2 STREAMS s 0
      XREADGROUP GROUP g a COUNT 2 STREAMS s (3
      XREADGROUP GROUP g a COUNT 0 STREAMS s 12-0
      XREADGROUP GROUP g a STREAMS s 18446744073709551615-18446744073709551615
      XREADGROUP GROUP g a STREAMS s 18446744073709551615-18446744073709551614
      XDEL s 1-0 2-0 3-0 4-0 5-0 6-0 7-0 8-0 9-0 10-0 11-0 12-0 13-0 14-0 15-0
      XAUTOCLAIM s g z 0 0 COUNT 3
      XREADGROUP GROUP g a STREAMS s 0
      XINFO STREAM s
      XINFO GROUPS s
      XPENDING s g
    `));
  });

  test('entries-read and lag after XSETID, XTRIM and ENTRIESREAD', async () => {
    await same(split(`
      ${STREAM}
      XGROUP CREATE s g1 0 ENTRIESREAD 2
      XGROUP CREATE s g2 2-0
      XGROUP CREATE s g3 5-0
      XGROUP CREATE s g4 9-0
      XINFO GROUPS s
      XREADGROUP GROUP g1 c COUNT 1 STREAMS s >
      XREADGROUP GROUP g2 c COUNT 1 STREAMS s >
      XTRIM s MAXLEN 2
      XINFO GROUPS s
      XREADGROUP GROUP g2 c STREAMS s >
      XSETID s 10-0 ENTRIESADDED 20 MAXDELETEDID 9-0
      XINFO GROUPS s
      XADD s 11-0 f v
      XREADGROUP GROUP g4 c STREAMS s >
      XINFO GROUPS s
      XINFO STREAM s
    `));
  });
});

describe('XINFO matches redis 7.0', () => {
  test('STREAM, FULL, COUNT, GROUPS lag and entries-read, errors', async () => {
    await sameMasked(split(`
      XINFO STREAM s
      XINFO HELP
      XINFO help x
      XINFO FOO s
      XINFO GROUPS s
      XINFO CONSUMERS s g
      ${STREAM}
      XGROUP CREATE s g1 0
      XGROUP CREATE s g2 $
      XGROUP CREATE s g0 3-0
      XINFO STREAM s
      XINFO GROUPS s
      XREADGROUP GROUP g1 alice COUNT 1 STREAMS s >
      XREADGROUP GROUP g1 bob COUNT 1 STREAMS s >
      XREADGROUP GROUP g1 bob NOACK COUNT 1 STREAMS s >
      XINFO GROUPS s
      XDEL s 4-0
      XINFO GROUPS s
      XINFO STREAM s FULL
      XINFO STREAM s FULL COUNT 1
      XINFO STREAM s FULL COUNT 0
      XINFO STREAM s FULL COUNT -1
      XINFO STREAM s FULL COUNT x
      XINFO STREAM s FULL COUNT
      XINFO STREAM s FOO
      XINFO STREAM s FULL FOO 1
      XINFO STREAM nokey FOO
      XINFO CONSUMERS s g1
      XINFO CONSUMERS s nog
      XINFO CONSUMERS nokey g
      SET str v
      XINFO STREAM str
      XINFO GROUPS str
      XGROUP CREATE e g $ MKSTREAM
      XINFO STREAM e
      XINFO STREAM e FULL
      XINFO GROUPS e
    `));
  });

  test('lag through trimming and deletions (Redis test "Consumer group lag with XDELs")', async () => {
    await same(split(`
      XADD x 1-0 data a
      XADD x 2-0 data b
      XADD x 3-0 data c
      XADD x 4-0 data d
      XADD x 5-0 data e
      XDEL x 3-0
      XGROUP CREATE x g1 0
      XGROUP CREATE x g2 0
      XINFO GROUPS x
      XREADGROUP GROUP g1 c11 COUNT 1 STREAMS x >
      XINFO GROUPS x
      XREADGROUP GROUP g1 c11 COUNT 1 STREAMS x >
      XINFO GROUPS x
      XREADGROUP GROUP g1 c11 COUNT 1 STREAMS x >
      XINFO GROUPS x
      XREADGROUP GROUP g1 c11 COUNT 1 STREAMS x >
      XINFO GROUPS x
      XREADGROUP GROUP g1 c11 COUNT 1 STREAMS x >
      XINFO GROUPS x
      XADD x 6-0 data f
      XINFO GROUPS x
      XDEL x 2-0
      XINFO GROUPS x
      XTRIM x MINID 5-0
      XINFO GROUPS x
      XGROUP SETID x g2 5-0 ENTRIESREAD 1
      XINFO GROUPS x
    `));
  });
});

describe('XINFO STREAM radix tree counts match redis 7.0', () => {
  // radix-tree-nodes is computed from the nodes' master IDs (stream-info.ts raxNodeCount).
  test('a stream of many nodes, some emptied by XDEL', async () => {
    const adds = Array.from({ length: 40 }, (_, i) => `XADD s ${1000 + i * 37}-${i % 3} f ${i}`).join('\n');
    await same(split(`
      CONFIG SET stream-node-max-entries 3
      ${adds}
      XINFO STREAM s
      XDEL s 1000-0 1037-1 1074-2
      XDEL s 1444-0
      XINFO STREAM s
      XTRIM s MAXLEN ~ 20
      XINFO STREAM s
      CONFIG SET stream-node-max-entries 100
    `));
  });
});

describe('group keyspace events match redis 7.0', () => {
  test('xgroup-* events', async () => {
    const cmds = split(`
      XGROUP CREATE s g $ MKSTREAM
      XGROUP CREATECONSUMER s g Bob
      XADD s 1 f A
      XREADGROUP GROUP g Alice STREAMS s >
      XCLAIM s g Mike 0 1 FORCE
      XGROUP DELCONSUMER s g Lee
      XAUTOCLAIM s g Bob 0 1
      XGROUP DELCONSUMER s g Bob
      XGROUP SETID s g 0
      XACK s g 1
      XGROUP DESTROY s g
    `);
    const ours = await keyspaceEventsOf(corral.port, cmds);
    const theirs = await keyspaceEventsOf(redis.port, cmds);
    assert.deepEqual(ours, theirs);
  });
});

/** The commands a server replicates while cmds run (times masked), read as a replica would. */
async function replicated(port: number, cmds: Cmd[]): Promise<string[][]> {
  const got = await replicatedWhile(port, async (c) => {
    for (const cmd of cmds) await c.call(...cmd);
  });
  return got.map(maskTimes);
}

const maskTimes = (cmd: string[]): string[] => cmd.map((w) => (/^1\d{12}$/.test(w) ? '<time>' : w));

describe('group replication matches redis 7.0', () => {
  test('XREADGROUP as XCLAIM, NOACK as SETID and CREATECONSUMER, claims, deleted entries', async () => {
    const cmds = split(`
      XADD s 1-0 a 1
      XADD s 2-0 b 2
      XADD s 3-0 c 3
      XGROUP CREATE s g 0
      XREADGROUP GROUP g alice COUNT 2 STREAMS s >
      XREADGROUP GROUP g alice STREAMS s 0
      XREADGROUP GROUP g bob NOACK STREAMS s >
      XREADGROUP GROUP g bob NOACK STREAMS s >
      XGROUP SETID s g 0
      XREADGROUP GROUP g carol COUNT 1 STREAMS s >
      XCLAIM s g dave 0 1 2-0 TIME 1000 JUSTID
      XCLAIM s g dave 0 9-0 LASTID 9-0
      XDEL s 1-0
      XAUTOCLAIM s g erin 0 0 JUSTID
      XACK s g 2-0 3
      XGROUP CREATECONSUMER s g frank
      XGROUP DELCONSUMER s g frank
      XGROUP DESTROY s g
    `);
    const theirs = await replicated(redis.port, cmds);
    assert.ok(theirs.some((cmd) => cmd[0].toLowerCase() === 'xclaim'));
    assert.deepEqual(await replicated(corral.port, cmds), theirs);
  });
});

describe('a corral replica applies the replicated group operations', () => {
  test('ends with the primary\'s groups, PELs, delivery times and counters', async () => {
    const primary = await startCorral();
    const replica = await startCorral({ replicaof: `127.0.0.1 ${primary.port}` });
    const p = await RawConnection.connect(primary.port);
    const r = await RawConnection.connect(replica.port);
    try {
      for (let i = 0; i < 100 && !String(await r.call('INFO', 'replication')).includes('master_link_status:up'); i++) {
        await new Promise((done) => setTimeout(done, 50));
      }
      for (const words of split(`
        ${STREAM}
        XGROUP CREATE s g 0
        XGROUP CREATE s h $
        XREADGROUP GROUP g alice COUNT 2 STREAMS s >
        XREADGROUP GROUP g bob NOACK COUNT 1 STREAMS s >
        XREADGROUP GROUP g carol STREAMS s >
        XCLAIM s g dave 0 1-0 RETRYCOUNT 5
        XCLAIM s g dave 0 9-0 LASTID 6-0
        XDEL s 2-0
        XAUTOCLAIM s g erin 0 0 COUNT 1
        XAUTOCLAIM s g erin 0 0
        XACK s g 4-0
        XGROUP CREATECONSUMER s h frank
        XGROUP CREATECONSUMER s h gina
        XGROUP DELCONSUMER s h gina
        XGROUP SETID s h 3-0 ENTRIESREAD 3
        XREADGROUP GROUP h frank NOACK STREAMS s >
      `)) await p.call(...words);
      assert.equal(await p.call('WAIT', '1', '5000'), 1);
      const seen = (raw: Buffer): string => showBytes(raw).replace(/seen-time\\r\\n:\d+/g, 'seen-time:<masked>');
      const full = seen(await p.callRaw('XINFO', 'STREAM', 's', 'FULL'));
      assert.ok(full.includes('erin'), full);
      assert.equal(seen(await r.callRaw('XINFO', 'STREAM', 's', 'FULL')), full);
      assert.equal(showBytes(await r.callRaw('XPENDING', 's', 'g')), showBytes(await p.callRaw('XPENDING', 's', 'g')));
    } finally {
      p.close();
      r.close();
      await replica.close();
      await primary.close();
    }
  });
});

// ---- blocking XREADGROUP: scenarios over several connections ----

/** Runs a scenario on both servers, in RESP2 and RESP3, and compares every reply, times masked (test/support/scenario.ts). */
function sameScenario(steps: Step[]): Promise<void> {
  return sameScenarioOn({ corral: corral.port, redis: redis.port }, steps, showMasked);
}

const showMasked = (reply: Buffer): string => maskClock(reply.toString('latin1'));

const cmd = (line: string): Cmd => line.trim().split(' ');

/** What redis and corral replicate while the steps run (times masked): [redis's, corral's]. */
async function replicatedScenarios(steps: Step[]): Promise<string[][][]> {
  const streams: string[][][] = [];
  for (const port of [redis.port, corral.port]) {
    streams.push((await replicatedWhile(port, () => runScenario(port, steps, 2, showMasked))).map(maskTimes));
  }
  return streams;
}

describe('blocking XREADGROUP matches redis 7.0', () => {
  test('an XADD serves the first waiter; the group moved on, the second waits for more', async () => {
    await sameScenario([
      { on: 'w', cmd: cmd('XGROUP CREATE s g $ MKSTREAM') },
      { on: 'w', cmd: cmd('XGROUP CREATE other g $ MKSTREAM') },
      { on: 'a', cmd: cmd('XREADGROUP GROUP g alice BLOCK 0 STREAMS s >'), replies: 0, blocked: 1 },
      { on: 'b', cmd: cmd('XREADGROUP GROUP g bob COUNT 5 BLOCK 0 STREAMS other s > >'), replies: 0, blocked: 2 },
      { on: 'w', cmd: cmd('XADD s 1-0 f v') },
      { on: 'a', read: 1 },
      { on: 'w', cmd: cmd('XPENDING s g') },
      { on: 'w', cmd: cmd('MULTI') },
      { on: 'w', cmd: cmd('XADD s 2-0 f v') },
      { on: 'w', cmd: cmd('XADD s 3-0 f v') },
      { on: 'w', cmd: cmd('EXEC') },
      { on: 'b', read: 1 },
      { on: 'w', cmd: cmd('XPENDING s g') },
      { on: 'w', cmd: cmd('XINFO GROUPS s') },
    ]);
  });

  test('NOACK, an empty range after XDEL, a timeout, and MULTI', async () => {
    await sameScenario([
      { on: 'w', cmd: cmd('XGROUP CREATE s g $ MKSTREAM') },
      { on: 'a', cmd: cmd('XREADGROUP GROUP g alice NOACK BLOCK 0 STREAMS s >'), replies: 0, blocked: 1 },
      { on: 'w', cmd: cmd('XADD s 1-0 f v') },
      { on: 'a', read: 1 },
      { on: 'w', cmd: cmd('XINFO CONSUMERS s g') },
      { on: 'w', cmd: cmd('XPENDING s g') },
      { on: 'w', cmd: cmd('XADD s 2-0 f v') },
      { on: 'w', cmd: cmd('XDEL s 2-0') },
      { on: 'a', cmd: cmd('XREADGROUP GROUP g alice BLOCK 20 STREAMS s >') },
      { on: 'a', cmd: cmd('MULTI') },
      { on: 'a', cmd: cmd('XREADGROUP GROUP g alice BLOCK 0 STREAMS s >') },
      { on: 'a', cmd: cmd('EXEC') },
      { on: 'a', cmd: cmd('XREADGROUP GROUP g alice BLOCK 0 STREAMS s 0') },
    ]);
  });

  test('the group destroyed, the key deleted or overwritten end the wait with an error', async () => {
    await sameScenario([
      { on: 'w', cmd: cmd('XGROUP CREATE s g $ MKSTREAM') },
      { on: 'a', cmd: cmd('XREADGROUP GROUP g alice BLOCK 0 STREAMS s >'), replies: 0, blocked: 1 },
      { on: 'w', cmd: cmd('XGROUP DESTROY s g') },
      { on: 'a', read: 1 },
      { on: 'w', cmd: cmd('XGROUP CREATE s g $') },
      { on: 'a', cmd: cmd('XREADGROUP GROUP g alice BLOCK 0 STREAMS s >'), replies: 0, blocked: 1 },
      { on: 'w', cmd: cmd('DEL s') },
      { on: 'a', read: 1 },
      { on: 'w', cmd: cmd('XGROUP CREATE s g $ MKSTREAM') },
      { on: 'a', cmd: cmd('XREADGROUP GROUP g alice BLOCK 0 STREAMS s >'), replies: 0, blocked: 1 },
      { on: 'w', cmd: cmd('SET s x') },
      { on: 'a', read: 1 },
    ]);
  });

  test('group commands do not touch WATCH (DESTROY neither); MKSTREAM does', async () => {
    const watched = (line: string): Step[] => [
      { on: 'a', cmd: cmd('WATCH s') },
      { on: 'b', cmd: cmd(line) },
      { on: 'a', cmd: cmd('MULTI') },
      { on: 'a', cmd: cmd('PING') },
      { on: 'a', cmd: cmd('EXEC') },
    ];
    await sameScenario([
      ...watched('XGROUP CREATE s g 0 MKSTREAM'),
      { on: 'b', cmd: cmd('XADD s 1-0 f v') },
      ...watched('XREADGROUP GROUP g c STREAMS s >'),
      ...watched('XACK s g 1-0'),
      ...watched('XCLAIM s g d 0 1-0 FORCE'),
      ...watched('XAUTOCLAIM s g e 0 0'),
      ...watched('XGROUP SETID s g 0'),
      ...watched('XGROUP CREATECONSUMER s g f'),
      ...watched('XGROUP DELCONSUMER s g f'),
      ...watched('XGROUP CREATE s g2 0'),
      ...watched('XGROUP DESTROY s g2'),
    ]);
  });

  test('a served waiter is replicated as XCLAIMs', async () => {
    const steps: Step[] = [
      { on: 'w', cmd: cmd('XGROUP CREATE s g $ MKSTREAM') },
      { on: 'a', cmd: cmd('XREADGROUP GROUP g alice BLOCK 0 STREAMS s >'), replies: 0, blocked: 1 },
      { on: 'w', cmd: cmd('XADD s 1-0 f v') },
      { on: 'a', read: 1 },
    ];
    const [theirs, ours] = await replicatedScenarios(steps);
    assert.ok(theirs.some((words) => words[0].toLowerCase() === 'xclaim'));
    assert.deepEqual(ours, theirs);
  });

  // Redis wraps the two commands a served NOACK waiter replicates as in MULTI/EXEC
  // (afterCommand); server/blocking.ts propagates a stream waiter's words one by one.
  test('a served NOACK waiter is replicated as CREATECONSUMER and SETID in MULTI/EXEC', async () => {
    const steps: Step[] = [
      { on: 'w', cmd: cmd('XGROUP CREATE s g $ MKSTREAM') },
      { on: 'b', cmd: cmd('XREADGROUP GROUP g bob NOACK BLOCK 0 STREAMS s >'), replies: 0, blocked: 1 },
      { on: 'w', cmd: cmd('XADD s 2-0 f v') },
      { on: 'b', read: 1 },
    ];
    const [theirs, ours] = await replicatedScenarios(steps);
    assert.ok(theirs.some((words) => words[0].toLowerCase() === 'multi'));
    assert.deepEqual(ours, theirs);
  });
});
