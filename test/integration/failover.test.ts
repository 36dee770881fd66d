// Black-box failover tests against `corral up --shards 3 --replicas 1` (real node processes, the
// local coordinator, a controller elected among the nodes): kill -9 of a primary under writes
// (its replica takes over, writes resume, the killed node comes back as a replica), `corral
// cluster status`, a manual failover that loses nothing, two failovers in a row checked by the
// history checker (writes confirmed by WAIT 1 survive; no two primaries acknowledge writes for
// one slot at once; plain writes lost are counted), and kill -9 of a replica during its copy.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Cluster } from 'ioredis';
import { createClient } from '../../src/index.js';
import { CORRAL_MAIN, callOnce, infoField, nodeView, sleep, startCorralUp, until, type CorralUp } from '../support/corral-up.js';
import { RawConnection } from '../support/servers.js';
import { countOps, lostWrites, overlappingPrimaries, summary, type Op } from '../support/history.js';
import { keySlot } from '../../src/cluster/slot.js';

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CORRAL_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('close', (code) => resolve({ code, out }));
  });
}

/** The port of the primary serving `key`'s slot, from CLUSTER SLOTS of any live node. */
async function primaryOf(up: CorralUp, key: string): Promise<number> {
  for (const p of up.ports) {
    const slot = await callOnce(p, 'CLUSTER', 'KEYSLOT', key);
    const slots = await callOnce(p, 'CLUSTER', 'SLOTS');
    if (typeof slot !== 'number' || !Array.isArray(slots)) continue;
    for (const r of slots as Array<[number, number, [string, number]]>) if (slot >= r[0] && slot <= r[1]) return r[2][1];
  }
  throw new Error('no node answered CLUSTER SLOTS');
}

test('kill -9 of a primary under writes: its replica takes over, writes resume, the old primary rejoins as a replica', { timeout: 120_000 }, async () => {
  const up = await startCorralUp(3, 1);
  const client = createClient({ nodes: [`127.0.0.1:${up.port}`], commandTimeout: 2000 });
  try {
    for (let i = 0; i < 300; i++) await client.set(`{k}:${i}`, String(i));
    const victim = await primaryOf(up, '{k}:0');
    const before = await nodeView(victim);
    const replicaPort = (await up.views()).find((v) => v.role === 'slave' && up.ports.includes(v.port) && v.port !== victim && v.port % 3 === victim % 3)?.port;
    // Writes keep going while the primary dies.
    let acked = 0;
    let failed = 0;
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          await client.set(`{k}:w`, String(i));
          acked++;
        } catch {
          failed++;
        }
      }
    })();
    await sleep(100);
    process.kill(before.pid, 'SIGKILL');
    const ackedAtKill = acked;
    await until('writes to the slot to succeed again', () => acked > ackedAtKill + 50, 30_000);
    stop = true;
    await writer;
    const now = await primaryOf(up, '{k}:0');
    assert.notEqual(now, victim, 'another node serves the slot');
    if (replicaPort !== undefined) assert.equal(now, replicaPort, 'the killed primary\'s replica was promoted');
    // Data written before the kill and replicated is there (WAIT was not used, but the writes
    // were long acknowledged: the replica had them).
    assert.equal(await client.get('{k}:10'), '10');
    // corral up restarts the killed process; it comes back as a replica of the new primary.
    await until('the killed node to be back as a replica', async () => {
      const v = await nodeView(victim);
      return v.role === 'slave' && v.linkUp && v.pid !== before.pid;
    }, 30_000);
    await until('the cluster to be whole', up.whole, 30_000);
    const status = await run(['cluster', 'status', '--cluster', `127.0.0.1:${up.port}`]);
    assert.equal(status.code, 0, status.out);
    assert.match(status.out, new RegExp(`primary\\s+127\\.0\\.0\\.1:${now}\\b`));
    assert.match(status.out, new RegExp(`replica\\s+127\\.0\\.0\\.1:${victim}\\b`));
    assert.match(status.out, /topology epoch \d+/);
    assert.match(status.out, /\[controller\]/);
  } finally {
    client.close();
    await up.stop();
  }
});

test('manual failover (corral cluster failover): the replica takes over and no acknowledged write is lost', { timeout: 120_000 }, async () => {
  const up = await startCorralUp(3, 1);
  const redis = new Cluster([{ host: '127.0.0.1', port: up.port }], { redisOptions: { maxRetriesPerRequest: 50 }, retryDelayOnClusterDown: 20, retryDelayOnFailover: 20 });
  try {
    const primary = await primaryOf(up, 'mf');
    const views = await up.views();
    // Which replica follows this primary: the one whose INFO names it.
    let replica = 0;
    for (const v of views) {
      if (v.role !== 'slave') continue;
      const info = await callOnce(v.port, 'INFO', 'replication');
      if (String((info as { verbatim?: string })?.verbatim ?? info).includes(`master_port:${primary}\r`)) replica = v.port;
    }
    assert.ok(replica > 0, 'the primary has a replica');
    let n = 0;
    let stop = false;
    const acked: number[] = [];
    const writer = (async () => {
      while (!stop) {
        const i = ++n;
        await redis.rpush('mf', String(i));
        acked.push(i);
      }
    })();
    await sleep(200);
    const r = await run(['cluster', 'failover', `127.0.0.1:${replica}`]);
    assert.equal(r.code, 0, r.out);
    await sleep(200);
    stop = true;
    await writer;
    assert.equal(await primaryOf(up, 'mf'), replica);
    const list = (await redis.lrange('mf', 0, -1)).map(Number);
    for (const i of acked) assert.ok(list.includes(i), `acknowledged write ${i} survived`);
    await until('the old primary to follow the new one', async () => (await nodeView(primary)).role === 'slave' && (await nodeView(primary)).linkUp);
  } finally {
    redis.disconnect();
    await up.stop();
  }
});

/**
 * Writes unique values to one key through whichever node is its slot's primary now (CLUSTER SLOTS
 * from any live node after an error), each SET optionally followed by WAIT 1 on the same
 * connection, recording every outcome for the history checker.
 */
function slotWriter(up: CorralUp, key: string, client: string, withWait: boolean, history: Op[], stop: () => boolean): Promise<void> {
  return (async () => {
    let conn: RawConnection | null = null;
    let port = 0;
    const slot = keySlot(Buffer.from(key));
    for (let i = 1; !stop(); i++) {
      const value = `${client}-${i}`;
      if (conn === null) {
        try {
          port = await primaryOf(up, key);
          conn = await RawConnection.connect(port);
        } catch {
          conn = null;
          await sleep(10);
          i--;
          continue;
        }
      }
      const start = Date.now();
      let outcome: 'ok' | 'fail' | 'unknown' = 'unknown';
      let acked: 'plain' | 'wait' = 'plain';
      try {
        const r = await conn.call('SET', key, value);
        outcome = typeof r === 'object' && r !== null && 'simple' in r ? 'ok' : 'fail';
        if (outcome === 'ok' && withWait) {
          const w = await conn.call('WAIT', 1, 500);
          if (typeof w === 'number' && w >= 1) acked = 'wait';
        }
      } catch {
        outcome = 'unknown';
      }
      history.push({ kind: 'write', client, key, value, start, end: Date.now(), outcome, acked, node: `127.0.0.1:${port}`, slot });
      if (outcome !== 'ok') {
        conn.close();
        conn = null;
        await sleep(10);
      }
    }
    conn?.close();
  })();
}

test('two kill -9 failovers in a row under writes: every write confirmed by WAIT 1 survives, no two primaries at once', { timeout: 180_000 }, async () => {
  const up = await startCorralUp(2, 1);
  try {
    const history: Op[] = [];
    const keys: string[] = [];
    // A failback (A, then B, then A again) looks like two primaries interleaving to the checker:
    // the overlap check runs per round, each round one handover.
    const overlaps: string[] = [];
    for (let round = 0; round < 2; round++) {
      const roundStart = history.length;
      keys.push(`{h}:wait:${round}`, `{h}:plain:${round}`);
      let stop = false;
      const writers = [slotWriter(up, `{h}:wait:${round}`, `wait${round}`, true, history, () => stop), slotWriter(up, `{h}:plain:${round}`, `plain${round}`, false, history, () => stop)];
      await sleep(300);
      const victim = await primaryOf(up, '{h}');
      const v = await nodeView(victim);
      process.kill(v.pid, 'SIGKILL');
      const killedAt = Date.now();
      await until('writes to the slot to succeed on another node', () => history.some((o) => o.kind === 'write' && o.outcome === 'ok' && o.start > killedAt && !o.node.endsWith(`:${victim}`)), 30_000).catch((err: Error) => {
        throw new Error(`${err.message} (round ${round}, victim ${victim})\n${up.output().split('\n').slice(-60).join('\n')}`);
      });
      await sleep(300);
      stop = true;
      await Promise.all(writers);
      const primaries = overlappingPrimaries(history.slice(roundStart));
      if (primaries.interleavings.length > 0) overlaps.push(summary({ primaries }));
      // The killed node comes back (corral up restarts it) as a replica, in sync.
      await until('the cluster to be whole again', up.whole, 30_000);
    }
    const final = new Map<string, string | null>();
    for (const k of keys) {
      const v = await callOnce(await primaryOf(up, k), 'GET', k);
      final.set(k, typeof v === 'string' ? v : null);
    }
    const lost = lostWrites(history, final);
    const text = summary({ ops: countOps(history), lost });
    assert.ok(lost.ackedWait > 10, `writes confirmed by WAIT: ${lost.ackedWait}\n${text}`);
    assert.equal(lost.lostWait, 0, text);
    assert.equal(lost.corrupt, 0, text);
    assert.deepEqual(overlaps, []);
  } finally {
    await up.stop();
  }
});

test('kill -9 of a replica during its full copy: it restarts and copies again; the primary keeps serving', { timeout: 120_000 }, async () => {
  const up = await startCorralUp(1, 1, ['--maxmemory', '1gb']);
  try {
    const [primaryPort, replicaPort] = up.ports;
    const c = await RawConnection.connect(primaryPort);
    for (let j = 0; j < 100; j++) {
      const args: string[] = [];
      for (let i = 0; i < 2000; i++) args.push(`{k}:${j}:${i}`, 'v'.repeat(100));
      assert.deepEqual(await c.call('MSET', ...args), { simple: 'OK' });
    }
    // Make the replica copy again (a restart of its process), and kill it mid-copy.
    let r = await nodeView(replicaPort);
    process.kill(r.pid, 'SIGKILL');
    await until('the replica to restart and start its copy', async () => {
      const info = await callOnce(replicaPort, 'INFO', 'replication');
      return infoField(info, 'master_sync_in_progress') === '1';
    }, 30_000, 2);
    r = await nodeView(replicaPort);
    process.kill(r.pid, 'SIGKILL');
    assert.deepEqual(await c.call('SET', '{k}during', '1'), { simple: 'OK' });
    await until('the replica to be back in sync', up.whole, 60_000);
    assert.equal(await c.call('WAIT', 1, 5000), 1);
    assert.equal(await callOnce(replicaPort, 'DBSIZE'), 200_001);
    assert.equal((await nodeView(primaryPort)).role, 'master', 'no failover: the primary was never in doubt');
    c.close();
  } finally {
    await up.stop();
  }
});
