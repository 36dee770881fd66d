// Black-box tests of Lua scripting over real sockets, against corral only (in-process nodes):
// - busy scripts: past busy-reply-threshold (alias lua-time-limit) other clients get BUSY, SCRIPT
//   KILL / FUNCTION KILL end a script that has not written (even one that pcalls around its loop),
//   a script that wrote is UNKILLABLE and SHUTDOWN NOSAVE still stops the node; NOTBUSY otherwise;
// - bad input leaves the node serving with its data: a script out of Lua memory (lua-memory-limit),
//   self-referencing return values (the Lua stack limit), unknown commands, table arguments to
//   redis.call, syntax errors, unknown SHAs, and a 100,000-element reply arriving intact;
// - replication: a script's effects (TTLs, random SPOPs) land identically on a replica, FUNCTION
//   LOAD reaches it, and a replica refuses script writes but runs read-only scripts;
// - cluster mode: CROSSSLOT and MOVED for declared keys, non-local and cross-slot keys touched
//   inside a script (Redis 7.0's scriptVerifyClusterState), ioredis Cluster defineCommand, EVALSHA;
// - MULTI/EXEC with EVAL inside: the script's reply is one element of EXEC's array.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from 'ioredis';
import { keySlot } from '../../src/cluster/slot.js';
import type { TopologyDoc } from '../../src/cluster/topology.js';
import { startCorral, RawConnection, type StartedCorral, type ReplyValue } from '../support/servers.js';
import { startCorralCluster, type CorralCluster } from '../support/corral-cluster.js';

const BUSY_EVAL = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
const BUSY_FUNCTION = 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.';
const NOTBUSY = 'NOTBUSY No scripts in execution right now.';
const OK = { simple: 'OK' };
const PONG = { simple: 'PONG' };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const conns: RawConnection[] = [];
const servers: Array<{ close(): Promise<void> }> = [];

async function conn(port: number): Promise<RawConnection> {
  const c = await RawConnection.connect(port);
  conns.push(c);
  return c;
}

async function node(config: Record<string, string> = {}): Promise<StartedCorral> {
  const s = await startCorral(config);
  servers.push(s);
  return s;
}

after(async () => {
  for (const c of conns) c.close();
  for (const s of servers.reverse()) await s.close();
});

/** The text of an error reply (fails on any other reply). */
function errorOf(v: ReplyValue): string {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && 'error' in v) return v.error;
  assert.fail(`expected an error reply, got ${JSON.stringify(v)}`);
}

/** Polls PING until the node answers BUSY; returns that error. */
async function waitBusy(c: RawConnection): Promise<string> {
  let reply: ReplyValue = null;
  await until('the node to answer BUSY', async () => {
    reply = await c.call('PING');
    return reply !== null && typeof reply === 'object' && 'error' in reply;
  });
  return errorOf(reply);
}

/** SHUTDOWN NOSAVE from `c` stops node `s`: connection dropped, stopped resolves, port refused, script ended. */
async function shutdownStops(s: StartedCorral, c: RawConnection): Promise<void> {
  await assert.rejects(c.call('SHUTDOWN', 'NOSAVE'), /connection closed/);
  let timer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([
    s.node.stopped.then(() => true),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 10_000))),
  ]);
  clearTimeout(timer);
  assert.ok(stopped, 'the node stopped after SHUTDOWN NOSAVE');
  await assert.rejects(RawConnection.connect(s.port), /ECONNREFUSED/);
  // The script itself ended too (else it would spin in this process forever).
  await until('the script to end', () => s.node.scripting?.running === null);
}

const SPIN_LIB = [
  '#!lua name=spinlib',
  "redis.register_function('spin', function() while true do end end)",
  "redis.register_function('wspin', function(keys) redis.call('set', keys[1], 'v') while true do end end)",
].join('\n');

describe('busy scripts', () => {
  let s: StartedCorral;
  before(async () => {
    s = await node();
    const c = await conn(s.port);
    assert.deepEqual(await c.call('CONFIG', 'SET', 'lua-time-limit', '100'), OK);
    assert.deepEqual(await c.call('CONFIG', 'GET', 'busy-reply-threshold'), ['busy-reply-threshold', '100']);
    assert.equal(await c.call('FUNCTION', 'LOAD', SPIN_LIB), 'spinlib');
  });

  test('an endless EVAL makes others BUSY until SCRIPT KILL; then the node serves again', async () => {
    const a = await conn(s.port);
    const b = await conn(s.port);
    assert.deepEqual(await b.call('SCRIPT', 'KILL'), { error: NOTBUSY });
    assert.deepEqual(await b.call('SET', 'keep', 'v'), OK);
    const pending = a.call('EVAL', 'while true do end', '0');
    assert.equal(await waitBusy(b), BUSY_EVAL);
    assert.deepEqual(await b.call('GET', 'keep'), { error: BUSY_EVAL });
    assert.deepEqual(await b.call('FUNCTION', 'KILL'), { error: BUSY_EVAL });
    assert.deepEqual(await b.call('SCRIPT', 'KILL'), OK);
    assert.match(errorOf(await pending), /Script killed by user with SCRIPT KILL/);
    assert.deepEqual(await a.call('PING'), PONG);
    assert.deepEqual(await b.call('PING'), PONG);
    assert.equal(await b.call('GET', 'keep'), 'v');
    assert.deepEqual(await b.call('SCRIPT', 'KILL'), { error: NOTBUSY });
    assert.equal(await a.call('EVAL', 'return 7', '0'), 7);
  });

  test('a script that pcalls around a loop of redis.call(ping) is still killable', async () => {
    const a = await conn(s.port);
    const b = await conn(s.port);
    const body = "while true do pcall(function() while true do redis.call('ping') end end) end";
    const pending = a.call('EVAL', body, '0');
    assert.equal(await waitBusy(b), BUSY_EVAL);
    assert.deepEqual(await b.call('SCRIPT', 'KILL'), OK);
    assert.match(errorOf(await pending), /Script killed by user with SCRIPT KILL/);
    assert.deepEqual(await b.call('PING'), PONG);
  });

  test('an endless FCALL: BUSY names FUNCTION KILL, SCRIPT KILL is refused, FUNCTION KILL ends it', async () => {
    const a = await conn(s.port);
    const b = await conn(s.port);
    assert.deepEqual(await b.call('FUNCTION', 'KILL'), { error: NOTBUSY });
    const pending = a.call('FCALL', 'spin', '0');
    assert.equal(await waitBusy(b), BUSY_FUNCTION);
    assert.deepEqual(await b.call('GET', 'keep'), { error: BUSY_FUNCTION });
    assert.deepEqual(await b.call('SCRIPT', 'KILL'), { error: BUSY_FUNCTION });
    const stats = (await b.call('FUNCTION', 'STATS')) as ReplyValue[];
    assert.equal(stats[0], 'running_script');
    assert.deepEqual((stats[1] as ReplyValue[]).slice(0, 4), ['name', 'spin', 'command', ['FCALL', 'spin', '0']]);
    assert.deepEqual(await b.call('FUNCTION', 'KILL'), OK);
    assert.match(errorOf(await pending), /Script killed by user/);
    assert.deepEqual(await b.call('PING'), PONG);
    assert.equal(await b.call('GET', 'keep'), 'v');
    assert.deepEqual(await b.call('FUNCTION', 'KILL'), { error: NOTBUSY });
  });

  for (const kind of ['EVAL', 'FCALL'] as const) {
    test(`${kind === 'EVAL' ? 'an' : 'a'} ${kind} that wrote is UNKILLABLE, and SHUTDOWN NOSAVE still stops the node`, async () => {
      const lone = await node();
      const a = await conn(lone.port);
      const b = await conn(lone.port);
      assert.deepEqual(await b.call('CONFIG', 'SET', 'busy-reply-threshold', '100'), OK);
      let pending: Promise<ReplyValue>;
      if (kind === 'EVAL') {
        pending = a.call('EVAL', "redis.call('set','k','v') while true do end", '0');
      } else {
        assert.equal(await b.call('FUNCTION', 'LOAD', SPIN_LIB), 'spinlib');
        pending = a.call('FCALL', 'wspin', '1', 'k');
      }
      // The caller's connection closes with the node (no reply, as Redis's process exits).
      const dropped = assert.rejects(pending, /connection closed/);
      const busy = await waitBusy(b);
      assert.equal(busy, kind === 'EVAL' ? BUSY_EVAL : BUSY_FUNCTION);
      const refusal = errorOf(await b.call(kind === 'EVAL' ? 'SCRIPT' : 'FUNCTION', 'KILL'));
      assert.ok(refusal.startsWith('UNKILLABLE'), refusal);
      // Still running: others still get BUSY.
      assert.deepEqual(await b.call('PING'), { error: busy });
      await shutdownStops(lone, b);
      await dropped;
    });
  }
});

describe('bad input leaves the node serving', () => {
  let c: RawConnection;
  before(async () => {
    const s = await node();
    c = await conn(s.port);
    assert.deepEqual(await c.call('SET', 'data', 'intact'), OK);
  });

  async function healthy(): Promise<void> {
    assert.deepEqual(await c.call('PING'), PONG);
    assert.equal(await c.call('GET', 'data'), 'intact');
  }

  test('a script allocating without bound fails with "not enough memory"; the next EVAL works', async () => {
    const [, limit] = (await c.call('CONFIG', 'GET', 'lua-memory-limit')) as string[];
    assert.deepEqual(await c.call('CONFIG', 'SET', 'lua-memory-limit', '32mb'), OK);
    try {
      const hog = "local t = {} for i=1,1e9 do t[i] = string.rep('x', 1000) .. i end";
      assert.match(errorOf(await c.call('EVAL', hog, '0')), /not enough memory/);
      await healthy();
      assert.equal(await c.call('EVAL', "return #string.rep('x', 4 * 1024 * 1024)", '0'), 4 * 1024 * 1024);
      assert.match(errorOf(await c.call('EVAL', hog, '0')), /not enough memory/);
      assert.equal(await c.call('EVAL', 'return ARGV[1]', '0', 'fine'), 'fine');
      const info = String(await c.call('INFO', 'memory'));
      const used = Number(/used_memory_lua:(\d+)/.exec(info)?.[1]);
      assert.ok(used > 0 && used <= 32 * 1024 * 1024, `used_memory_lua ${used}`);
    } finally {
      await c.call('CONFIG', 'SET', 'lua-memory-limit', limit);
    }
    await healthy();
  });

  test('self-referencing return values end in "reached lua stack limit" inside nested arrays', async () => {
    for (const body of ['local a = {}; local b = {a}; a[1] = b; return a', 'local t = {}; t[1] = t; return t']) {
      const raw = (await c.callRaw('EVAL', body, '0')).toString('latin1');
      const m = /^((?:\*1\r\n)+)-ERR reached lua stack limit\r\n$/.exec(raw);
      assert.ok(m !== null, `nested arrays ending in the error: ${JSON.stringify(raw.slice(0, 40))}...${JSON.stringify(raw.slice(-40))}`);
      assert.ok(m[1].length / 4 >= 100, `nesting depth ${m[1].length / 4}`);
      await healthy();
    }
  });

  test('unknown commands and non-string arguments inside scripts are errors, with pcall catching them', async () => {
    assert.match(errorOf(await c.call('EVAL', "return redis.call('nosuchcmd', 'x')", '0')), /^ERR Unknown Redis command called from script/);
    assert.deepEqual(await c.call('EVAL', "local r = redis.pcall('nosuchcmd') return {r['err'], 'after'}", '0'), [
      'ERR Unknown Redis command called from script',
      'after',
    ]);
    const tableArg = errorOf(await c.call('EVAL', "return redis.call('set', {}, 'x')", '0'));
    assert.ok(tableArg.includes('Lua redis lib command arguments must be strings or integers'), tableArg);
    assert.deepEqual(await c.call('EVAL', "return redis.pcall('set', KEYS[1], {1})", '1', 'data'), {
      error: 'ERR Lua redis lib command arguments must be strings or integers',
    });
    assert.match(errorOf(await c.call('EVAL', "return redis.call('get')", '0')), /^ERR Wrong number of args calling Redis command from script/);
    await healthy();
  });

  test('syntax errors and unknown SHAs', async () => {
    assert.match(errorOf(await c.call('EVAL', 'return (', '0')), /^ERR Error compiling script \(new function\): user_script:1: /);
    assert.match(errorOf(await c.call('EVAL', 'x = = 1', '0')), /^ERR Error compiling script \(new function\): /);
    assert.deepEqual(await c.call('EVALSHA', 'f'.repeat(40), '0'), { error: 'NOSCRIPT No matching script. Please use EVAL.' });
    assert.deepEqual(await c.call('EVALSHA', 'nope', '0'), { error: 'NOSCRIPT No matching script. Please use EVAL.' });
    const sha = await c.call('SCRIPT', 'LOAD', 'return ARGV[1]');
    assert.equal(await c.call('EVALSHA', sha as string, '0', 'loaded'), 'loaded');
    await healthy();
  });

  test('a 100,000-element reply arrives intact', async () => {
    const reply = (await c.call('EVAL', "local t = {} for i=1,tonumber(ARGV[1]) do t[i] = 'v' .. i end return t", '0', '100000')) as string[];
    assert.equal(reply.length, 100_000);
    for (let i = 0; i < reply.length; i++) if (reply[i] !== `v${i + 1}`) assert.fail(`element ${i}: ${reply[i]}`);
    const ints = (await c.call('EVAL', 'local t = {} for i=1,100000 do t[i] = i end return t', '0')) as number[];
    assert.equal(ints.length, 100_000);
    assert.equal(ints.reduce((a, b) => a + b, 0), (100_000 * 100_001) / 2);
    await healthy();
  });
});

describe('replication of script effects', () => {
  let p: StartedCorral;
  let pc: RawConnection;
  let rc: RawConnection;
  before(async () => {
    p = await node();
    const r = await node();
    pc = await conn(p.port);
    rc = await conn(r.port);
    assert.deepEqual(await rc.call('REPLICAOF', '127.0.0.1', p.port), OK);
    await until('the link to be up', async () => /master_link_status:up/.test(String(await rc.call('INFO', 'replication'))));
  });

  test('an EVAL writing keys, a TTL and random SPOPs lands identically on the replica', async () => {
    const members = Array.from({ length: 40 }, (_, i) => `m${i}`);
    assert.equal(await pc.call('SADD', 'pool', ...members), 40);
    const body = [
      "redis.call('set', KEYS[1], ARGV[1])",
      "redis.call('set', KEYS[2], 'two')",
      "redis.call('expire', KEYS[2], 1000)",
      "local popped = {}",
      "for i = 1, 5 do popped[i] = redis.call('spop', KEYS[3]) end",
      "redis.call('rpush', KEYS[4], unpack(popped))",
      "return popped",
    ].join('\n');
    const popped = (await pc.call('EVAL', body, '4', 'k1', 'k2', 'pool', 'popped', 'one')) as string[];
    assert.equal(popped.length, 5);
    assert.equal(await pc.call('WAIT', '1', '5000'), 1);
    const view = async (c: RawConnection): Promise<unknown> => ({
      strings: await c.call('MGET', 'k1', 'k2'),
      pool: ((await c.call('SMEMBERS', 'pool')) as string[]).sort(),
      popped: await c.call('LRANGE', 'popped', '0', '-1'),
      ttl: ((await c.call('PTTL', 'k2')) as number) > 0,
      noTtl: await c.call('PTTL', 'k1'),
    });
    const onPrimary = await view(pc);
    assert.deepEqual(onPrimary, {
      strings: ['one', 'two'],
      pool: members.filter((m) => !popped.includes(m)).sort(),
      popped,
      ttl: true,
      noTtl: -1,
    });
    assert.deepEqual(await view(rc), onPrimary);
  });

  test('FUNCTION LOAD reaches the replica: FUNCTION LIST shows it, FCALL_RO runs there', async () => {
    const lib = [
      '#!lua name=replib',
      "redis.register_function{function_name='getk', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}",
      "redis.register_function('setk', function(keys, args) return redis.call('set', keys[1], args[1]) end)",
    ].join('\n');
    assert.equal(await pc.call('FUNCTION', 'LOAD', lib), 'replib');
    assert.deepEqual(await pc.call('FCALL', 'setk', '1', 'fk', 'fv'), OK);
    assert.equal(await pc.call('WAIT', '1', '5000'), 1);
    const list = (await rc.call('FUNCTION', 'LIST', 'LIBRARYNAME', 'replib')) as ReplyValue[][];
    assert.equal(list.length, 1);
    assert.deepEqual(list[0].slice(0, 2), ['library_name', 'replib']);
    const names = (list[0][5] as ReplyValue[][]).map((f) => f[1]).sort();
    assert.deepEqual(names, ['getk', 'setk']);
    assert.equal(await rc.call('FCALL_RO', 'getk', '1', 'fk'), 'fv');
    assert.match(errorOf(await rc.call('FCALL', 'setk', '1', 'fk', 'other')), /^READONLY/);
    assert.equal(await rc.call('GET', 'fk'), 'fv');
  });

  test('a script writing on the replica gets READONLY; read-only scripts run there', async () => {
    assert.match(errorOf(await rc.call('EVAL', "return redis.call('set', KEYS[1], 'x')", '1', 'ro:x')), /^READONLY/);
    assert.equal(await rc.call('EXISTS', 'ro:x'), 0);
    assert.equal(await rc.call('EVAL_RO', "return redis.call('get', KEYS[1])", '1', 'k1'), 'one');
    assert.equal(await rc.call('EVAL', "return redis.call('get', KEYS[1])", '1', 'k1'), 'one');
    const sha = (await rc.call('SCRIPT', 'LOAD', "return redis.call('strlen', KEYS[1])")) as string;
    assert.equal(await rc.call('EVALSHA_RO', sha, '1', 'k1'), 3);
    assert.match(errorOf(await rc.call('EVAL_RO', "return redis.call('del', KEYS[1])", '1', 'k1')), /Write commands are not allowed from read-only scripts/);
    assert.equal(await rc.call('GET', 'k1'), 'one');
  });

  describe('MULTI/EXEC with EVAL inside', () => {
    test("the script runs inside EXEC, between its neighbours, and its reply is one of EXEC's elements", async () => {
      assert.deepEqual(await pc.call('SET', 'tx', '1'), OK);
      assert.deepEqual(await pc.call('MULTI'), OK);
      const queued = [
        await pc.call('SET', 'tx', '10'),
        await pc.call('EVAL', "redis.call('incr', KEYS[1]) return {redis.call('get', KEYS[1]), 'from lua'}", '1', 'tx'),
        await pc.call('INCR', 'tx'),
        await pc.call('EVAL', "return redis.call('nosuchcmd')", '0'),
        await pc.call('GET', 'tx'),
      ];
      assert.deepEqual(queued, Array(5).fill({ simple: 'QUEUED' }));
      const reply = (await pc.call('EXEC')) as ReplyValue[];
      assert.equal(reply.length, 5);
      assert.deepEqual(reply[0], OK);
      assert.deepEqual(reply[1], ['11', 'from lua']);
      assert.equal(reply[2], 12);
      assert.match(errorOf(reply[3]), /^ERR Unknown Redis command called from script/);
      assert.equal(reply[4], '12');
      assert.equal(await pc.call('WAIT', '1', '5000'), 1);
      assert.equal(await rc.call('GET', 'tx'), '12');
    });

    test('a WATCHed key changed by another client aborts EXEC: the queued script never runs', async () => {
      const other = await conn(p.port);
      assert.deepEqual(await pc.call('WATCH', 'w'), OK);
      assert.deepEqual(await other.call('SET', 'w', 'theirs'), OK);
      assert.deepEqual(await pc.call('MULTI'), OK);
      assert.deepEqual(await pc.call('EVAL', "return redis.call('set', KEYS[1], 'mine')", '1', 'w'), { simple: 'QUEUED' });
      assert.equal(await pc.call('EXEC'), null);
      assert.equal(await pc.call('GET', 'w'), 'theirs');
    });
  });
});

describe('cluster mode (3 shards)', () => {
  let cluster: CorralCluster;
  let c: RawConnection;
  before(async () => {
    cluster = await startCorralCluster(3);
    servers.push(cluster);
    c = await conn(cluster.ports[0]);
  });

  function ownerOf(doc: TopologyDoc, slot: number): number {
    const range = doc.slots.find(([s, e]) => slot >= s && slot <= e)!;
    return doc.shards.findIndex((s) => s.id === range[2]);
  }
  /** A key node `index` owns (or does not own), not in slot `notSlot`. */
  function keyOwnedBy(index: number, owned = true, prefix = 'k', notSlot = -1): string {
    for (let i = 0; ; i++) {
      const key = `${prefix}${i}`;
      if ((ownerOf(cluster.topology, keySlot(key)) === index) === owned && keySlot(key) !== notSlot) return key;
    }
  }

  test('declared keys: different slots get CROSSSLOT, another node\'s key gets MOVED', async () => {
    const mine = keyOwnedBy(0);
    const mine2 = keyOwnedBy(0, true, 'm', keySlot(mine));
    const theirs = keyOwnedBy(0, false);
    const crossslot = { error: "CROSSSLOT Keys in request don't hash to the same slot" };
    assert.deepEqual(await c.call('EVAL', 'return 1', '2', mine, theirs), crossslot);
    assert.deepEqual(await c.call('EVAL', 'return 1', '2', mine, mine2), crossslot);
    const slot = keySlot(theirs);
    const port = cluster.ports[ownerOf(cluster.topology, slot)];
    assert.deepEqual(await c.call('EVAL', 'return 1', '1', theirs), { error: `MOVED ${slot} 127.0.0.1:${port}` });
    // Two keys of one slot (a hash tag) that this node owns are served.
    const tag = keyOwnedBy(0, true, 'tag');
    assert.deepEqual(await c.call('EVAL', 'return #KEYS', '2', `{${tag}}a`, `{${tag}}b`), 2);
  });

  test('a script touching another node\'s key gets "non local key", and writes nothing there', async () => {
    const mine = keyOwnedBy(0);
    const theirs = keyOwnedBy(0, false);
    const owner = await conn(cluster.ports[ownerOf(cluster.topology, keySlot(theirs))]);
    for (const body of ["return redis.call('get', ARGV[1])", "return redis.call('set', ARGV[1], 'x')"]) {
      const err = errorOf(await c.call('EVAL', body, '1', mine, theirs));
      assert.ok(err.includes('Script attempted to access a non local key in a cluster node'), err);
    }
    assert.equal(await owner.call('GET', theirs), null);
    assert.deepEqual(await c.call('PING'), PONG);
  });

  test('undeclared local keys of another slot: allowed for compat EVAL, not for #!lua scripts (Redis 7.0)', async () => {
    const mine = keyOwnedBy(0);
    const mine2 = keyOwnedBy(0, true, 'm', keySlot(mine));
    const both = "redis.call('set', KEYS[1], 'a') return redis.call('set', ARGV[1], 'b')";
    assert.deepEqual(await c.call('EVAL', both, '1', mine, mine2), OK);
    assert.deepEqual(await c.call('MGET', mine, mine2), { error: "CROSSSLOT Keys in request don't hash to the same slot" });
    assert.equal(await c.call('GET', mine2), 'b');
    const sameSlot = 'Script attempted to access keys that do not hash to the same slot';
    const err = errorOf(await c.call('EVAL', `#!lua\n${both}`, '1', mine, mine2));
    assert.ok(err.includes(sameSlot), err);
    assert.deepEqual(await c.call('EVAL', `#!lua flags=allow-cross-slot-keys\n${both}`, '1', mine, mine2), OK);
    // The declared key fixes the script's slot even before the script touches it (Redis's
    // getNodeByQuery sets the caller's slot): touching only the undeclared key is refused too.
    const onlyOther = errorOf(await c.call('EVAL', "#!lua\nreturn redis.call('set', ARGV[1], 'c')", '1', mine, mine2));
    assert.ok(onlyOther.includes(sameSlot), onlyOther);
    assert.equal(await c.call('GET', mine2), 'b');
  });

  test('ioredis Cluster defineCommand runs a script on every node; EVALSHA after SCRIPT LOAD on each primary', async () => {
    const primaries = await Promise.all(cluster.ports.map((port) => conn(port)));
    const body = "redis.call('set', KEYS[1], ARGV[1]) return {redis.call('get', KEYS[1]), redis.call('strlen', KEYS[1])}";
    const sha = (await primaries[0].call('SCRIPT', 'LOAD', body)) as string;
    assert.deepEqual(await primaries[1].call('SCRIPT', 'EXISTS', sha), [0]);
    assert.deepEqual(await primaries[1].call('EVALSHA', sha, '1', keyOwnedBy(1)), { error: 'NOSCRIPT No matching script. Please use EVAL.' });
    for (const pc of primaries.slice(1)) assert.equal(await pc.call('SCRIPT', 'LOAD', body), sha);
    for (const pc of primaries) assert.deepEqual(await pc.call('SCRIPT', 'EXISTS', sha), [1]);

    const client = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0] }]);
    try {
      client.defineCommand('setget', { numberOfKeys: 1, lua: "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])" });
      const owners = new Set<number>();
      for (let i = 0; i < 60; i++) {
        const key = `dc:${i}`;
        const got = await (client as unknown as { setget(k: string, v: string): Promise<string> }).setget(key, `v${i}`);
        assert.equal(got, `v${i}`);
        const owner = ownerOf(cluster.topology, keySlot(key));
        owners.add(owner);
        assert.equal(await primaries[owner].call('GET', key), `v${i}`);
      }
      assert.equal(owners.size, 3, 'the keys spanned every node');
      for (let i = 0; i < 30; i++) {
        const key = `es:${i}`;
        assert.deepEqual(await client.evalsha(sha, 1, key, `val${i}`), [`val${i}`, `val${i}`.length]);
        assert.equal(await primaries[ownerOf(cluster.topology, keySlot(key))].call('GET', key), `val${i}`);
      }
    } finally {
      client.disconnect();
    }
  });
});
