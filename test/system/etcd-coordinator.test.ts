// The etcd backend of Coordinator against a real etcd (Debian's etcd-server; see
// test/support/etcd.ts): the shared Coordinator spec, then what only etcd has: a stopped etcd
// surfacing as prompt rejections, a restarted one resuming watches and keeping its leases,
// endpoints that are dead or mute, and the latencies it adds.

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { EtcdCoordinator } from '../../src/control/etcd-coordinator.js';
import type { MemberRecord } from '../../src/control/coordinator.js';
import type { TopologyDoc } from '../../src/cluster/topology.js';
import { EtcdServer, freePort } from '../support/etcd.js';
import { coordinatorSpec, memberAt, Recorder, sleep, topologyDoc, until, type SpecCluster } from '../support/coordinator-spec.js';

let shared: Promise<EtcdServer> | null = null;
/** One etcd for the whole file, started on first use. */
const etcd = (): Promise<EtcdServer> => (shared ??= EtcdServer.start());
after(async () => {
  if (shared !== null) await (await shared).remove();
});

let clusters = 0;
/** A cluster name no other test uses, so every test starts from empty keys. */
const freshName = (): string => `t${process.pid}-${++clusters}`;

coordinatorSpec({
  name: 'etcd',
  ttlMs: 1000,
  // etcd looks for expired leases every 500 ms, then revokes through raft.
  expirySlackMs: 1000,
  async cluster(): Promise<SpecCluster> {
    const server = await etcd();
    const name = freshName();
    return {
      connect: () => new EtcdCoordinator([server.endpoint], name),
      restart: () => server.restart(),
      close: async () => {},
    };
  },
});

describe('etcd coordinator: this backend', () => {
  test('etcd stopped: calls reject within seconds and probe says refused; restarted: watches resume, the lease lives on', async (t) => {
    const server = await etcd();
    const name = freshName();
    const c = new EtcdCoordinator([server.endpoint], name);
    const writer = new EtcdCoordinator([server.endpoint], name);
    try {
      const lease = await c.grantLease(2000);
      let lost = false;
      lease.onLost = () => (lost = true);
      const me = memberAt(7600);
      await c.register(me, lease);
      assert.equal(await c.campaign(me, lease), true);
      const docs = new Recorder<TopologyDoc>();
      const members = new Recorder<MemberRecord[]>();
      const w1 = c.watchTopology(docs.add);
      const w2 = c.watchMembers(members.add);
      assert.equal(await writer.casTopology(0, topologyDoc(1)), true);
      await until('epoch 1 watched', () => docs.last?.epoch === 1);
      await until('the member watched', () => members.last?.length === 1);

      await server.stop();
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['readTopology', () => c.readTopology()],
        ['casTopology', () => c.casTopology(1, topologyDoc(2))],
        ['members', () => c.members()],
        ['grantLease', () => c.grantLease(1000)],
        ['register', () => c.register(me, lease)],
        ['campaign', () => c.campaign(me, lease)],
        ['controller', () => c.controller()],
        ['evictController', () => c.evictController(me)],
      ];
      const took: string[] = [];
      for (const [what, call] of calls) {
        const t0 = performance.now();
        await assert.rejects(call(), (err: { code?: string }) => err.code === 'E_COORDINATOR_UNAVAILABLE' || err.code === 'E_COORDINATOR_TIMEOUT', what);
        const ms = performance.now() - t0;
        took.push(`${what} ${ms.toFixed(0)}`);
        assert.ok(ms < 3000, `${what} rejected after ${ms.toFixed(0)} ms`);
      }
      t.diagnostic(`with etcd stopped, rejected after (ms): ${took.join(', ')}`);
      assert.equal(await c.probe(500), 'refused');
      await sleep(500);
      assert.equal(lost, false, 'an unreachable etcd is not a lost lease');

      const restartedAt = performance.now();
      await server.startAgain();
      t.diagnostic(`etcd back after ${(performance.now() - restartedAt).toFixed(0)} ms`);
      // The lease etcd restored is kept alive again, and still usable for writes.
      await until('a keep-alive confirmed after the restart', () => lease.lastConfirmedSentAt() > restartedAt, 5000);
      t.diagnostic(`first keep-alive confirmed ${(lease.lastConfirmedSentAt() - restartedAt).toFixed(0)} ms after etcd was started again`);
      await c.register({ ...me, port: 7601 }, lease);
      assert.deepEqual((await c.members()).map((m) => m.port), [7601]);
      assert.deepEqual(await writer.controller(), me);
      // The same watches deliver what is written after the restart.
      const t1 = performance.now();
      assert.equal(await writer.casTopology(1, topologyDoc(2)), true);
      await until('epoch 2 through the old watch', () => docs.last?.epoch === 2, 10_000);
      t.diagnostic(`watch delivery after the restart: ${(performance.now() - t1).toFixed(0)} ms`);
      await until('the re-registration through the old watch', () => members.last?.[0]?.port === 7601, 10_000);
      assert.equal(await c.probe(1000), 'up');
      assert.equal(lost, false);
      w1.close();
      w2.close();
    } finally {
      await c.close();
      await writer.close();
      if (!server.running) await server.startAgain();
    }
  });

  test('endpoints: a dead one is skipped, a mute one times out, probe tells them apart', async () => {
    const server = await etcd();
    const dead = await freePort();
    const accepted: net.Socket[] = [];
    const mute = net.createServer((s) => accepted.push(s));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const mutePort = (mute.address() as net.AddressInfo).port;
    const name = freshName();
    const both = new EtcdCoordinator([`http://127.0.0.1:${dead}`, server.endpoint], name);
    const deadOnly = new EtcdCoordinator([`http://127.0.0.1:${dead}`], name);
    const muteOnly = new EtcdCoordinator([`http://127.0.0.1:${mutePort}`], name, { callTimeoutMs: 500 });
    try {
      for (let i = 0; i < 5; i++) assert.equal(await both.casTopology(i, topologyDoc(i + 1)), true);
      assert.equal(await both.probe(1000), 'up');
      assert.equal(await deadOnly.probe(500), 'refused');
      assert.equal(await muteOnly.probe(300), 'unreachable');
      const t0 = performance.now();
      await assert.rejects(muteOnly.readTopology(), (err: { code?: string }) => err.code === 'E_COORDINATOR_TIMEOUT' || err.code === 'E_COORDINATOR_UNAVAILABLE');
      assert.ok(performance.now() - t0 < 2000);
    } finally {
      await Promise.all([both.close(), deadOnly.close(), muteOnly.close()]);
      for (const s of accepted) s.destroy();
      mute.close();
    }
  });

  test('latency: campaign, and a write reaching a watcher', async (t) => {
    const server = await etcd();
    const name = freshName();
    const a = new EtcdCoordinator([server.endpoint], name);
    const b = new EtcdCoordinator([server.endpoint], name);
    try {
      const docs = new Recorder<TopologyDoc>();
      const controllers = new Recorder<MemberRecord | null>();
      const w1 = b.watchTopology(docs.add);
      const w2 = b.watchController(controllers.add);
      await until('watches started', () => controllers.values.length > 0);
      const lease = await a.grantLease(1000);
      const me = memberAt(7700);
      const campaign: number[] = [];
      const toWatcher: number[] = [];
      const topo: number[] = [];
      for (let i = 0; i < 20; i++) {
        let t0 = performance.now();
        assert.equal(await a.campaign(me, lease), true);
        campaign.push(performance.now() - t0);
        await until('controller watched', () => controllers.last?.runId === me.runId);
        toWatcher.push(controllers.times[controllers.times.length - 1] - t0);
        await a.resign(me);
        await until('resigned', () => controllers.last === null);
        t0 = performance.now();
        assert.equal(await a.casTopology(i, topologyDoc(i + 1)), true);
        await until('doc watched', () => docs.last?.epoch === i + 1);
        topo.push(docs.times[docs.times.length - 1] - t0);
      }
      const fmt = (xs: number[]): string => {
        const s = [...xs].sort((x, y) => x - y);
        return `median ${s[s.length >> 1].toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms`;
      };
      t.diagnostic(`campaign() call: ${fmt(campaign)}; campaign to watcher: ${fmt(toWatcher)}; casTopology to watcher: ${fmt(topo)}`);
      lease.close();
      w1.close();
      w2.close();
    } finally {
      await a.close();
      await b.close();
    }
  });
});
