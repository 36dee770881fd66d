import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesRedis } from '../../../test/support/redis-meta-check.js';
import { argsFrom, commandHarness } from '../../../test/support/command-harness.js';
import { dataCommands } from '../../commands/index.js';
import { streamGroupCommands, sanitizeError, errNoGroup } from '../../commands/stream-groups.js';
import { streamClaimCommands } from '../../commands/stream-claim.js';
import { raxNodeCount, streamInfoCommands } from '../../commands/stream-info.js';
import { streamReadgroupCommands } from './stream-readgroup.js';

const T0 = 1_700_000_000_000;

/** A harness that also runs container subcommands (XGROUP CREATE ...) and reports replication. */
function harness() {
  const h = commandHarness([...dataCommands, ...streamReadgroupCommands]);
  const c = h.c;
  /** Runs a call; returns its raw reply and the words it asked to be replicated as. */
  const call = (...argv: string[]): { reply: string; replicated: string[][] } => {
    let cmd = h.table.get(argv[0])!;
    if (cmd.subcommands !== null) cmd = cmd.subcommands.get(argv[1].toLowerCase())!;
    c.args = argsFrom(argv);
    c.db = h.store.dbs[c.client.db];
    c.name = cmd.fullName;
    c.replicateAs = null;
    c.replicateAlso.length = 0;
    c.w.begin();
    cmd.handler(c);
    const replicated = c.replicateAs === null ? [] : [c.replicateAs, ...c.replicateAlso];
    return { reply: c.w.take()?.toString('latin1') ?? '', replicated };
  };
  const line = (text: string) => call(...text.trim().split(/\s+/));
  return { ...h, call, line };
}

test('group command definitions carry Redis 7.0.15 arity, keys and flags', () => {
  assertMatchesRedis(streamGroupCommands);
  assertMatchesRedis(streamClaimCommands);
  assertMatchesRedis(streamInfoCommands);
  // XREADGROUP's "blocking" flag has no bit in the table.
  assertMatchesRedis(streamReadgroupCommands, true);
});

test('formatted errors lose their newlines as addReplyErrorFormat makes them', () => {
  assert.equal(sanitizeError('a\r\nb\nc'), 'a  b c');
  assert.equal(errNoGroup('k\n', 'g'), "NOGROUP No such key 'k ' or consumer group 'g'");
});

describe('delivery and idle times follow the clock exactly', () => {
  test('XPENDING idle, XCLAIM IDLE/TIME, XINFO FULL times and seen-time', () => {
    const h = harness();
    h.line('XADD s 1-0 a 1');
    h.line('XADD s 2-0 b 2');
    h.line('XGROUP CREATE s g 0');
    h.line('XREADGROUP GROUP g alice STREAMS s >');
    h.clock.advance(250);
    assert.equal(
      h.line('XPENDING s g - + 10').reply,
      '*2\r\n*4\r\n$3\r\n1-0\r\n$5\r\nalice\r\n:250\r\n:1\r\n*4\r\n$3\r\n2-0\r\n$5\r\nalice\r\n:250\r\n:1\r\n',
    );
    assert.equal(h.line('XPENDING s g IDLE 251 - + 10').reply, '*0\r\n');
    h.line('XCLAIM s g bob 200 1-0 IDLE 1000');
    h.line('XCLAIM s g bob 0 2-0 TIME 1234 RETRYCOUNT 7 JUSTID');
    h.clock.advance(10);
    assert.equal(
      h.line('XPENDING s g - + 10').reply,
      `*2\r\n*4\r\n$3\r\n1-0\r\n$3\r\nbob\r\n:1010\r\n:2\r\n*4\r\n$3\r\n2-0\r\n$3\r\nbob\r\n:${T0 + 260 - 1234}\r\n:7\r\n`,
    );
    const full = h.line('XINFO STREAM s FULL').reply;
    assert.ok(full.includes(`$5\r\nalice\r\n$9\r\nseen-time\r\n:${T0}\r\n`), full);
    assert.ok(full.includes(`$3\r\nbob\r\n$9\r\nseen-time\r\n:${T0 + 250}\r\n`), full);
    assert.ok(full.includes(`*3\r\n$3\r\n1-0\r\n:${T0 + 250 - 1000}\r\n:2\r\n`), full);
    assert.equal(
      h.line('XINFO CONSUMERS s g').reply,
      '*2\r\n*6\r\n$4\r\nname\r\n$5\r\nalice\r\n$7\r\npending\r\n:0\r\n$4\r\nidle\r\n:260\r\n*6\r\n$4\r\nname\r\n$3\r\nbob\r\n$7\r\npending\r\n:2\r\n$4\r\nidle\r\n:10\r\n',
    );
    h.accounted();
  });

  test('XAUTOCLAIM claims only what has been idle long enough', () => {
    const h = harness();
    h.line('XADD s 1-0 a 1');
    h.line('XGROUP CREATE s g 0');
    h.line('XREADGROUP GROUP g alice STREAMS s >');
    h.clock.advance(99);
    assert.equal(h.line('XAUTOCLAIM s g bob 100 0 JUSTID').reply, '*3\r\n$3\r\n0-0\r\n*0\r\n*0\r\n');
    h.clock.advance(1);
    assert.equal(h.line('XAUTOCLAIM s g bob 100 0 JUSTID').reply, '*3\r\n$3\r\n0-0\r\n*1\r\n$3\r\n1-0\r\n*0\r\n');
  });
});

describe('replication words', () => {
  test('XREADGROUP as XCLAIMs, NOACK as CREATECONSUMER + SETID, history as nothing', () => {
    const h = harness();
    h.line('XADD s 1-0 a 1');
    h.line('XADD s 2-0 b 2');
    h.line('XGROUP CREATE s g 0');
    assert.deepEqual(h.line('XREADGROUP GROUP g alice COUNT 1 STREAMS s >').replicated, [
      ['XCLAIM', 's', 'g', 'alice', '0', '1-0', 'TIME', String(T0), 'RETRYCOUNT', '1', 'FORCE', 'JUSTID', 'LASTID', '1-0'],
    ]);
    const dirty = h.store.dirty;
    assert.deepEqual(h.line('XREADGROUP GROUP g alice STREAMS s 0').replicated, []);
    assert.deepEqual(h.line('XREADGROUP GROUP g nobody STREAMS s 0').replicated, []);
    assert.equal(h.store.dirty, dirty, 'a history read counts no write');
    assert.deepEqual(h.line('XREADGROUP GROUP g bob NOACK STREAMS s >').replicated, [
      ['XGROUP', 'CREATECONSUMER', 's', 'g', 'bob'],
      ['XGROUP', 'SETID', 's', 'g', '2-0', 'ENTRIESREAD', '2'],
    ]);
    assert.deepEqual(h.line('XCLAIM s g carol 0 9-0 LASTID 5-0').replicated, [['XGROUP', 'SETID', 's', 'g', '5-0', 'ENTRIESREAD', '2']]);
    h.line('XDEL s 1-0');
    assert.deepEqual(h.line('XCLAIM s g carol 0 1').replicated, [
      ['XCLAIM', 's', 'g', 'alice', '0', '1', 'TIME', String(T0), 'RETRYCOUNT', '2', 'FORCE', 'JUSTID', 'LASTID', '5-0'],
    ]);
    assert.equal(h.line('XPENDING s g').reply, '*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n');
    h.accounted();
  });
});

test('only MKSTREAM signals the key as modified (WATCH, tracking)', () => {
  const h = harness();
  h.line('XGROUP CREATE s g 0 MKSTREAM');
  assert.deepEqual(h.modified.splice(0), ['0:s']);
  h.line('XADD s 1-0 a 1');
  h.modified.length = 0;
  for (const text of ['XGROUP CREATE s g2 0', 'XREADGROUP GROUP g c STREAMS s >', 'XACK s g 1-0', 'XCLAIM s g d 0 1-0 FORCE', 'XAUTOCLAIM s g e 0 0', 'XGROUP SETID s g 0', 'XGROUP CREATECONSUMER s g f', 'XGROUP DELCONSUMER s g f']) {
    assert.ok(!h.line(text).reply.startsWith('-'), text);
  }
  assert.deepEqual(h.modified, []);
  h.line('XGROUP DESTROY s g');
  assert.deepEqual(h.modified, []);
  h.accounted();
});

/** As src/commands/dirty.test.ts does for the data commands (XREADGROUP is a server command). */
describe('dirty: XREADGROUP moves it when it delivers, not otherwise', () => {
  const SETUP = ['XADD x 1-0 f v', 'XGROUP CREATE x g 0'];
  const CASES: Record<string, { setup: string[]; change: string; noop: string[] }> = {
    xreadgroup: { setup: SETUP, change: 'XREADGROUP GROUP g c STREAMS x >', noop: ['XREADGROUP GROUP g c STREAMS x 0', 'XREADGROUP GROUP nog c STREAMS x >'] },
  };
  for (const [name, c] of Object.entries(CASES)) {
    test(name, () => {
      const h = harness();
      for (const s of c.setup) h.line(s);
      const before = h.store.dirty;
      assert.ok(!h.line(c.change).reply.startsWith('-'));
      assert.ok(h.store.dirty > before, `${c.change} should move dirty`);
      for (const noop of c.noop) {
        const g = harness();
        for (const s of c.setup) g.line(s);
        const at = g.store.dirty;
        g.line(noop);
        assert.equal(g.store.dirty, at, `${noop} should not move dirty`);
      }
    });
  }
});

test('raxNodeCount matches the radix-tree-nodes redis-server 7.0.15 reports', () => {
  const id = (ms: number): bigint => BigInt(ms) << 64n;
  assert.equal(raxNodeCount([]), 1);
  assert.equal(raxNodeCount([id(1)]), 2);
  // 1000 entries 1-0..1000-0 in nodes of 100: redis-server says 10 keys, 26 nodes.
  assert.equal(raxNodeCount(Array.from({ length: 10 }, (_, i) => id(1 + 100 * i))), 26);
  // Two keys differing in the last byte only: compressed prefix, a branch, two leaves.
  assert.equal(raxNodeCount([id(1), id(1) + 1n]), 4);
});
