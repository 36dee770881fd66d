// Fault tests with in-process nodes under a real control plane (the local coordinator, an
// elected controller, write leases), where chosen nodes reach the control plane and their
// primaries through fault-injecting proxies:
//   - a primary partitioned from the control plane but still reachable by clients stops
//     accepting writes before its replica is promoted: no two nodes acknowledge writes for one
//     slot at once (history checker), and it rejoins as a replica when healed;
//   - a replica partitioned from its primary resumes from the backlog when healed;
//   - the controller's node stopping: another node takes over as controller and a later
//     failover still happens.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection } from '../support/servers.js';
import { startControlCluster, type ControlCluster } from '../support/control-cluster.js';
import { sleep, until } from '../support/corral-up.js';
import { overlappingPrimaries, summary, type Op } from '../support/history.js';
import { keySlot } from '../../src/cluster/slot.js';
import type { CorralNode } from '../../src/server/node.js';

function role(n: CorralNode): string {
  return n.replication.role;
}

async function whole(c: ControlCluster, shards: number): Promise<void> {
  await until('the cluster to be whole with a controller', () => {
    const masters = c.nodes.filter((n) => role(n) === 'master' && n.cluster?.myShard !== -1);
    const replicasUp = c.nodes.filter((n) => role(n) === 'slave').every((n) => n.replication.link?.up === true);
    return masters.length === shards && replicasUp && c.controllerNode() !== null && masters.every((m) => m.writeFence > performance.now());
  }, 20_000);
}

/**
 * A test that times out leaves its body running: its finally never closes the cluster, and its
 * loops go on, so the file's process would never exit (seen: 1 run in 6, a hang in the fault
 * proxy's scenarios not yet explained). On the abort: print the cluster's log, stop the loops,
 * close the cluster.
 */
function onTimeout(t: { signal: AbortSignal }, c: { log: string[]; close(): Promise<void> }, stopLoops: () => void = () => {}): { finished(): void } {
  // The signal is aborted when every test ends; only an abort before the body finished is a timeout.
  let finished = false;
  t.signal.addEventListener('abort', () => {
    if (finished) return;
    console.error(`--- the cluster's log at the abort:\n${c.log.slice(-120).join('\n')}`);
    stopLoops();
    void c.close();
  });
  return { finished: () => void (finished = true) };
}

/** A key whose slot the given node serves as primary. */
function keyOn(node: CorralNode, prefix: string): string {
  const t = node.cluster!.topology!;
  for (let i = 0; ; i++) {
    const k = `${prefix}{${i}}`;
    if (t.slotShard[keySlot(Buffer.from(k))] === node.cluster!.myShard) return k;
  }
}

/** Writes unique values to `key` on one node over one connection, recording each outcome. */
function writer(node: CorralNode, key: string, client: string, history: Op[], stop: () => boolean): Promise<void> {
  return (async () => {
    const c = await RawConnection.connect(node.port);
    const slot = keySlot(Buffer.from(key));
    for (let i = 1; !stop(); i++) {
      const value = `${client}-${i}`;
      const start = performance.now();
      let outcome: 'ok' | 'fail' | 'unknown' = 'unknown';
      try {
        const r = await c.call('SET', key, value);
        outcome = typeof r === 'object' && r !== null && 'simple' in r ? 'ok' : 'fail';
      } catch {
        outcome = 'unknown';
      }
      history.push({ kind: 'write', client, key, value, start, end: performance.now(), outcome, acked: 'plain', node: `127.0.0.1:${node.port}`, slot });
      if (outcome !== 'ok') await sleep(2);
    }
    c.close();
  })();
}

test('a primary partitioned from the control plane stops taking writes before its replica is promoted', { timeout: 60_000 }, async (t) => {
  const c = await startControlCluster({ shards: 2, replicas: 1, proxied: [0, 1] });
  let stop = false;
  const guard = onTimeout(t, c, () => (stop = true));
  try {
    await whole(c, 2);
    const ctl = c.controllerNode()!;
    const victim = c.nodes.slice(0, 2).find((n) => n !== ctl && role(n) === 'master')!;
    const replica = c.nodes.find((n) => role(n) === 'slave' && n.replication.masterPort === victim.port)!;
    assert.ok(victim !== undefined && replica !== undefined);
    const key = keyOn(victim, 'p');
    const history: Op[] = [];
    const writers = [writer(victim, `${key}:a`, 'old', history, () => stop), writer(replica, `${key}:b`, 'new', history, () => stop)];
    await sleep(200);
    // Cut the victim off from the coordinator and the controller (and every other node); its
    // clients still reach it, and its replica still replicates from it.
    for (const p of c.proxies.get(victim.port)!.values()) p.blackhole();
    const cutAt = performance.now();
    await until('the replica to be promoted', () => role(replica) === 'master', 15_000);
    const promotedAt = performance.now();
    await until('writes acknowledged by the new primary', () => history.some((o) => o.kind === 'write' && o.outcome === 'ok' && o.node.endsWith(`:${replica.port}`)), 10_000);
    await sleep(300);
    stop = true;
    await Promise.all(writers);
    const oldAcks = history.filter((o) => o.kind === 'write' && o.outcome === 'ok' && o.node.endsWith(`:${victim.port}`)) as Array<{ end: number }>;
    // A loop, not Math.max(...): a fast machine's run may hold more acks than a call takes arguments.
    let lastOld = -Infinity;
    for (const o of oldAcks) if (o.end > lastOld) lastOld = o.end;
    assert.ok(lastOld < promotedAt, `the old primary's last acknowledged write (${(lastOld - cutAt).toFixed(0)} ms after the cut) came before the promotion (${(promotedAt - cutAt).toFixed(0)} ms)`);
    const overlap = overlappingPrimaries(history);
    assert.equal(overlap.interleavings.length, 0, summary({ primaries: overlap }));
    // The victim refuses writes as CLUSTERDOWN while cut off.
    const direct = await RawConnection.connect(victim.port);
    assert.deepEqual(await direct.call('SET', key, 'x'), { error: 'CLUSTERDOWN The cluster is down' });
    direct.close();
    // Healed: it learns the new topology and follows the new primary.
    for (const p of c.proxies.get(victim.port)!.values()) await p.heal({ resetDamaged: true });
    await until('the old primary to rejoin as a replica', () => role(victim) === 'slave' && victim.replication.link?.up === true, 20_000);
  } finally {
    guard.finished();
    await c.close();
  }
});

test('a replica partitioned from its primary resumes from the backlog when healed', { timeout: 60_000 }, async (t) => {
  const c = await startControlCluster({ shards: 1, replicas: 1, proxied: [1], config: { 'repl-timeout': '1' } });
  const guard = onTimeout(t, c);
  try {
    await whole(c, 1);
    const [primary, replica] = c.nodes;
    const pc = await RawConnection.connect(primary.port);
    for (let i = 0; i < 100; i++) await pc.call('SET', `k${i}`, String(i));
    assert.equal(await pc.call('WAIT', 1, 2000), 1);
    const toPrimary = c.proxies.get(replica.port)!.get(primary.port)!;
    toPrimary.blackhole();
    for (let i = 100; i < 200; i++) await pc.call('SET', `k${i}`, String(i));
    await until('the replica to notice its link is down', () => replica.replication.link?.up === false, 10_000);
    await toPrimary.heal({ resetDamaged: true });
    await until('the replica to catch up', async () => (await RawConnection.connect(replica.port).then(async (r) => {
      await r.call('READONLY');
      const v = await r.call('GET', 'k199');
      r.close();
      return v;
    })) === '199', 10_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${c.log.join('\n')}`);
    });
    const link = replica.replication.link!;
    assert.equal(link.fullSyncs, 1, 'no second full copy');
    assert.ok(link.partialSyncs >= 1, 'resumed from the backlog');
    assert.equal(role(replica), 'slave', 'no failover: the primary kept its lease');
    pc.close();
  } finally {
    guard.finished();
    await c.close();
  }
});

// The waits below are bounded one by one (20 + 15 + 15 + 15 s); the test's own limit is above their sum.
test('the controller stopping: another node becomes controller and failovers still happen', { timeout: 90_000 }, async (t) => {
  const c = await startControlCluster({ shards: 2, replicas: 1 });
  const guard = onTimeout(t, c);
  try {
    await whole(c, 2);
    const first = c.controllerNode()!;
    await first.close();
    await until('another controller', () => {
      const n = c.controllerNode();
      return n !== null && n !== first;
    }, 15_000);
    // If the stopped node was a primary, its replica has taken over; either way every shard has
    // a primary again that takes writes.
    await until('every shard to have a writable primary', async () => {
      const live = c.nodes.filter((n) => n !== first);
      const masters = live.filter((n) => role(n) === 'master' && n.writeFence > performance.now());
      return masters.length === 2;
    }, 15_000);
    const second = c.controllerNode()!;
    const victim = c.nodes.find((n) => n !== first && n !== second && role(n) === 'master');
    if (victim !== undefined) {
      const replica = c.nodes.find((n) => n !== first && role(n) === 'slave' && n.replication.masterPort === victim.port);
      if (replica !== undefined) {
        await victim.close();
        await until('a second failover under the new controller', () => role(replica) === 'master', 15_000);
      }
    }
  } finally {
    guard.finished();
    await c.close();
  }
});
