// Test support: the behavioural spec of a Coordinator (src/control/coordinator.ts), written once
// and run against every backend: the local one (src/control/local-coordinator.test.ts) and etcd
// (test/system/etcd-coordinator.test.ts). A backend hands in a factory of fresh, empty clusters;
// each test opens its own clients and closes them.
//
// Timing assertions are stated against the backend's lease TTL and its expiry slack (how late
// after its TTL a lapsed lease may go: a timer tick locally, etcd's 500 ms expiry loop there).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { planTopology } from '../../src/cluster/plan.js';
import { nodeIdFor, type TopologyDoc } from '../../src/cluster/topology.js';
import type { Closable, Coordinator, CoordinatorLease, MemberRecord } from '../../src/control/coordinator.js';

export interface SpecCluster {
  /** A new client of this cluster. */
  connect(): Coordinator;
  /** Restarts the backend on the same address; resolves once it serves again. */
  restart(): Promise<void>;
  /** Releases what the backend holds for this cluster. */
  close(): Promise<void>;
}

export interface CoordinatorBackend {
  name: string;
  /** Lease TTL the tests ask for; the backend may round it up (lease.ttlMs is what it granted). */
  ttlMs: number;
  /** How long after its TTL a lapsed lease may take to disappear. */
  expirySlackMs: number;
  /** A fresh, empty cluster. */
  cluster(): Promise<SpecCluster>;
}

/** A topology document of one shard on `port`, at `epoch`. */
export function topologyDoc(epoch: number, port = 7000): TopologyDoc {
  return planTopology([{ nodes: [{ host: '127.0.0.1', port }] }], { epoch });
}

export function memberAt(port: number, runId = `run-${port}-${Math.random().toString(36).slice(2, 8)}`): MemberRecord {
  return { id: nodeIdFor('127.0.0.1', port), host: '127.0.0.1', port, runId };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 5 ms until it returns true; fails after timeoutMs with `what`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (performance.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Every value a watch delivered, with the performance.now() of its delivery. */
export class Recorder<T> {
  readonly values: T[] = [];
  readonly times: number[] = [];
  readonly add = (v: T): void => {
    this.values.push(v);
    this.times.push(performance.now());
  };
  get last(): T | undefined {
    return this.values[this.values.length - 1];
  }
}

const ids = (ms: MemberRecord[]): string[] => ms.map((m) => `${m.port}/${m.runId}`).sort();

/** Runs the spec against a backend. */
export function coordinatorSpec(backend: CoordinatorBackend): void {
  /** Opens a cluster and clients for one test, and closes all of them after it. */
  async function withCluster(body: (c: SpecCluster, open: () => Coordinator, keep: (x: Closable) => void) => Promise<void>): Promise<void> {
    const cluster = await backend.cluster();
    const clients: Coordinator[] = [];
    const closables: Closable[] = [];
    try {
      await body(
        cluster,
        () => {
          const c = cluster.connect();
          clients.push(c);
          return c;
        },
        (x) => closables.push(x),
      );
    } finally {
      for (const x of closables) x.close();
      await Promise.all(clients.map((c) => c.close()));
      await cluster.close();
    }
  }

  const ttl = backend.ttlMs;
  const slack = backend.expirySlackMs;

  describe(`Coordinator spec: ${backend.name}`, () => {
    test('topology: compare-and-set by epoch', () =>
      withCluster(async (_c, open) => {
        const a = open();
        const b = open();
        assert.equal(await a.readTopology(), null);
        assert.equal(await a.casTopology(0, topologyDoc(1)), true);
        assert.equal((await b.readTopology())?.epoch, 1);
        assert.deepEqual(await b.readTopology(), topologyDoc(1));
        // A writer that believes nothing is stored, or an older epoch, is refused.
        assert.equal(await b.casTopology(0, topologyDoc(2)), false);
        assert.equal(await b.casTopology(3, topologyDoc(4)), false);
        // The right expected epoch but a document that is not newer: refused.
        assert.equal(await b.casTopology(1, topologyDoc(1)), false);
        assert.equal(await b.casTopology(1, topologyDoc(0)), false);
        assert.equal((await a.readTopology())?.epoch, 1);
        assert.equal(await b.casTopology(1, topologyDoc(5, 7005)), true);
        assert.deepEqual(await a.readTopology(), topologyDoc(5, 7005));
        // Of two writers racing from the same epoch, exactly one wins.
        const race = await Promise.all([a.casTopology(5, topologyDoc(6, 7001)), b.casTopology(5, topologyDoc(6, 7002))]);
        assert.deepEqual(race.filter(Boolean).length, 1);
        assert.equal((await a.readTopology())?.epoch, 6);
      }));

    test('topology: a watch delivers the current document, then every newer one in order', () =>
      withCluster(async (_c, open, keep) => {
        const writer = open();
        const watcher = open();
        const early = new Recorder<TopologyDoc>();
        keep(watcher.watchTopology(early.add)); // before any document exists
        await sleep(100);
        assert.equal(early.values.length, 0, 'no document, no call');
        assert.equal(await writer.casTopology(0, topologyDoc(1)), true);
        await until('the first document', () => early.values.length > 0);
        assert.deepEqual(early.values[0], topologyDoc(1));

        const late = new Recorder<TopologyDoc>();
        keep(open().watchTopology(late.add));
        await until('the current document at start', () => late.values.length > 0);
        assert.equal(late.values[0].epoch, 1);
        for (let e = 2; e <= 8; e++) assert.equal(await writer.casTopology(e - 1, topologyDoc(e, 7000 + e)), true);
        for (const r of [early, late]) {
          await until('epoch 8', () => r.last?.epoch === 8);
          const epochs = r.values.map((d) => d.epoch);
          // Re-deliveries are allowed, going back is not, and no document may be skipped.
          for (let i = 1; i < epochs.length; i++) assert.ok(epochs[i] >= epochs[i - 1], `in order: ${epochs}`);
          assert.deepEqual([...new Set(epochs)], [1, 2, 3, 4, 5, 6, 7, 8]);
          assert.deepEqual(r.last, topologyDoc(8, 7008));
        }
      }));

    test('members: a registration appears, is replaced by its id, and goes with its lease', () =>
      withCluster(async (_c, open, keep) => {
        const a = open();
        const b = open();
        const seen = new Recorder<MemberRecord[]>();
        keep(open().watchMembers(seen.add));
        await until('the member list at start', () => seen.values.length > 0);
        assert.deepEqual(seen.values[0], []);

        const leaseA = await a.grantLease(ttl);
        const leaseB = await b.grantLease(ttl);
        keep(leaseA);
        const ma = memberAt(7001);
        const mb = memberAt(7002);
        await a.register(ma, leaseA);
        await b.register(mb, leaseB);
        assert.deepEqual(ids(await a.members()), ids([ma, mb]));
        await until('both members watched', () => seen.last !== undefined && ids(seen.last).join() === ids([ma, mb]).join());

        // A restarted process registers the same id with a new runId: it replaces the old record.
        const ma2 = { ...ma, runId: 'restarted' };
        await a.register(ma2, leaseA);
        assert.deepEqual(ids(await b.members()), ids([ma2, mb]));

        // B stops keeping its lease alive: its record goes by itself; A's lease is kept alive.
        leaseB.close();
        await until('B gone', () => seen.last !== undefined && ids(seen.last).join() === ids([ma2]).join(), ttl + slack + 2000);
        assert.deepEqual(ids(await a.members()), ids([ma2]));
        const before = leaseA.lastConfirmedSentAt();
        await sleep(ttl * 1.5);
        assert.ok(leaseA.lastConfirmedSentAt() > before, 'keep-alives are confirmed');
        assert.ok(performance.now() - leaseA.lastConfirmedSentAt() < ttl, 'the last confirmation is recent');
        assert.deepEqual(ids(await b.members()), ids([ma2]));
      }));

    test('leases: a lease not kept alive expires after its ttl, not before', (t) =>
      withCluster(async (_c, open, keep) => {
        const c = open();
        const seen = new Recorder<MemberRecord[]>();
        keep(c.watchMembers(seen.add));
        const lease = await c.grantLease(ttl);
        lease.close(); // no keep-alive at all: it lives ttl from its grant
        const granted = lease.lastConfirmedSentAt();
        assert.ok(lease.ttlMs >= ttl, `granted ${lease.ttlMs} ms for ${ttl}`);
        await c.register(memberAt(7001), lease);
        await until('the member', () => seen.last?.length === 1);
        // Just before the ttl has run out it must still be there.
        await sleep(Math.max(0, granted + lease.ttlMs * 0.8 - performance.now()));
        assert.equal((await c.members()).length, 1, 'alive before its ttl');
        await until('expiry', () => seen.last?.length === 0, lease.ttlMs + slack + 2000);
        const goneAfter = seen.times[seen.times.length - 1] - granted;
        t.diagnostic(`${backend.name}: ttl ${lease.ttlMs} ms, record gone ${goneAfter.toFixed(1)} ms after the grant was sent`);
        assert.ok(goneAfter >= lease.ttlMs - 2, `not before its ttl (${goneAfter.toFixed(1)} ms)`);
        assert.ok(goneAfter <= lease.ttlMs + slack, `within ${slack} ms of its ttl (${goneAfter.toFixed(1)} ms)`);
      }));

    test('controller: exactly one of several concurrent candidates wins; the next wins once it goes', (t) =>
      withCluster(async (_c, open, keep) => {
        const observer = open();
        const seen = new Recorder<MemberRecord | null>();
        keep(observer.watchController(seen.add));
        await until('the controller at start', () => seen.values.length > 0);
        assert.equal(seen.values[0], null);

        const n = 5;
        const clients = Array.from({ length: n }, () => open());
        const leases: CoordinatorLease[] = await Promise.all(clients.map((c) => c.grantLease(ttl)));
        leases.forEach(keep);
        const candidates = clients.map((_, i) => memberAt(7100 + i));
        const t0 = performance.now();
        const won = await Promise.all(clients.map((c, i) => c.campaign(candidates[i], leases[i])));
        assert.equal(won.filter(Boolean).length, 1, `one winner: ${won}`);
        const first = won.indexOf(true);
        for (const c of clients) assert.deepEqual(await c.controller(), candidates[first]);
        await until('the winner watched', () => seen.last?.runId === candidates[first].runId);
        t.diagnostic(`${backend.name}: ${n} concurrent campaigns to a watched winner: ${(seen.times[seen.times.length - 1] - t0).toFixed(1)} ms`);
        // Campaigning again while holding it is still a win; a non-holder's resign is a no-op.
        assert.equal(await clients[first].campaign(candidates[first], leases[first]), true);
        const other = (first + 1) % n;
        await clients[other].resign(candidates[other]);
        assert.deepEqual(await observer.controller(), candidates[first]);

        // The winner's lease lapses (its process died): the record goes, another candidate wins.
        leases[first].close();
        await until('the record gone', () => seen.last === null, leases[first].ttlMs + slack + 2000);
        const rest = clients.map((_, i) => i).filter((i) => i !== first);
        const second = await Promise.all(rest.map((i) => clients[i].campaign(candidates[i], leases[i])));
        assert.equal(second.filter(Boolean).length, 1);
        const next = rest[second.indexOf(true)];
        assert.deepEqual(await observer.controller(), candidates[next]);

        // The new one resigns: the record goes at once, and a third can win.
        await clients[next].resign(candidates[next]);
        await until('resigned', () => seen.last === null);
        assert.equal(await observer.controller(), null);
        const third = rest.find((i) => i !== next)!;
        assert.equal(await clients[third].campaign(candidates[third], leases[third]), true);
        await until('the third watched', () => seen.last?.runId === candidates[third].runId);
      }));

    test('controller: evictController only when the record still matches, and ends its lease', () =>
      withCluster(async (_c, open, keep) => {
        const holder = open();
        const evictor = open();
        const lease = await holder.grantLease(ttl);
        keep(lease);
        let lost = 0;
        lease.onLost = () => lost++;
        const me = { ...memberAt(7200), since: 1_700_000_000_000 }; // every field comes back
        await holder.register(me, lease);
        assert.deepEqual(await evictor.members(), [me]);
        assert.equal(await holder.campaign(me, lease), true);
        // A stale view of the controller (a restarted process, or another member) evicts nothing.
        assert.equal(await evictor.evictController({ ...me, runId: 'an-older-run' }), false);
        assert.equal(await evictor.evictController(memberAt(7201)), false);
        assert.deepEqual(await evictor.controller(), me);
        assert.equal(await evictor.evictController(me), true);
        assert.equal(await evictor.controller(), null);
        assert.equal(await evictor.evictController(me), false);
        // Its lease was revoked: the member record under it went too, and the holder hears so.
        assert.deepEqual(await evictor.members(), []);
        await until('onLost', () => lost === 1, ttl + 2000);
        await sleep(ttl / 2);
        assert.equal(lost, 1, 'onLost fires once');
        await assert.rejects(holder.register(me, lease), { code: 'E_LEASE_LOST' });
        await assert.rejects(holder.campaign(me, lease), { code: 'E_LEASE_LOST' });
      }));

    test('probe: up while the backend answers', () =>
      withCluster(async (_c, open) => {
        assert.equal(await open().probe(1000), 'up');
      }));

    test('watches survive a restart of the backend', () =>
      withCluster(async (cluster, open, keep) => {
        const writer = open();
        const docs = new Recorder<TopologyDoc>();
        const controllers = new Recorder<MemberRecord | null>();
        const watcher = open();
        keep(watcher.watchTopology(docs.add));
        keep(watcher.watchController(controllers.add));
        assert.equal(await writer.casTopology(0, topologyDoc(1)), true);
        await until('epoch 1', () => docs.last?.epoch === 1);
        await cluster.restart();
        // Whatever survived the restart (nothing locally, everything in etcd), write on top of it.
        let stored: TopologyDoc | null = null;
        await until('the backend answering again', async () => {
          try {
            stored = await writer.readTopology();
            return true;
          } catch {
            return false;
          }
        });
        const epoch = (stored as TopologyDoc | null)?.epoch ?? 0;
        assert.equal(await writer.casTopology(epoch, topologyDoc(10)), true);
        await until('epoch 10 through the same watch', () => docs.last?.epoch === 10, 10_000);
        const lease = await writer.grantLease(ttl);
        keep(lease);
        const m = memberAt(7300);
        assert.equal(await writer.campaign(m, lease), true);
        await until('the controller through the same watch', () => controllers.last?.runId === m.runId, 10_000);
      }));
  });
}
