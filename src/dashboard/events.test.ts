// Unit tests for the dashboard's pure parts: the timeline diff (events.ts) and the snapshot built
// from two polls (model.ts: rates from counter deltas, hit ratio, lag, imbalance, migration),
// with exact tables.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffSnapshots } from './events.js';
import { buildSnapshot, countersOf, imbalanceOf, infoFields, ratePerSec, type ClusterSnapshot, type NodeCounters, type NodeState, type RawPoll, type ShardState } from './model.js';
import type { TopologyDoc } from '../cluster/topology.js';

function node(address: string, shard: string, role: NodeState['role'], extra: Partial<NodeState> = {}): NodeState {
  return { address, id: `id-${address}`, shard, role, reachable: true, failed: false, pid: 100, opsPerSec: 0, usedMemory: 0, keys: 0, offset: 0, lagBytes: role === 'replica' ? 0 : null, linkUp: role === 'replica' ? true : null, ...extra };
}

function shard(id: string, primary: string, replicas: string[], slots: number): ShardState {
  return { id, slots, primary, replicas, opsPerSec: 0, hitRatio: null, usedMemory: 0, evictionsPerSec: 0, keys: 0 };
}

function snap(at: number, epoch: number | null, nodes: NodeState[], shards: ShardState[], extra: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  return {
    at,
    error: null,
    epoch,
    controller: '',
    nodes,
    shards,
    totals: { opsPerSec: 0, hitRatio: null, usedMemory: 0, evictionsPerSec: 0, keys: 0, nodesUp: 0, nodesTotal: 0 },
    imbalance: { keys: null, ops: null, slots: null },
    hotKeys: [],
    migration: null,
    ...extra,
  };
}

/** Two shards, a primary and a replica each. */
const BASE = snap(
  1000,
  1,
  [node('h:1', 'A', 'primary'), node('h:3', 'A', 'replica'), node('h:2', 'B', 'primary'), node('h:4', 'B', 'replica')],
  [shard('A', 'h:1', ['h:3'], 8192), shard('B', 'h:2', ['h:4'], 8192)],
);

const brief = (prev: ClusterSnapshot, next: ClusterSnapshot): Array<[string, string]> => diffSnapshots(prev, next).map((e) => [e.kind, e.text]);

test('diffSnapshots: nothing changed, nothing to tell', () => {
  assert.deepEqual(brief(BASE, { ...BASE, at: 2000 }), []);
});

test('diffSnapshots: a primary killed, then its replica promoted and the old primary back as a replica', () => {
  const down = snap(2000, 1, BASE.nodes.map((n) => (n.address === 'h:1' ? { ...n, reachable: false, pid: null } : n)), BASE.shards);
  assert.deepEqual(brief(BASE, down), [['node-down', 'h:1 (primary of shard A) is down']]);
  // Found down in the poll where the controller already made it a replica: named as it was.
  const demotedDown = { ...down, nodes: down.nodes.map((n) => (n.address === 'h:1' ? { ...n, role: 'replica' as const } : n)) };
  assert.deepEqual(brief(BASE, demotedDown)[0], ['node-down', 'h:1 (primary of shard A) is down']);

  const promoted = snap(
    3000,
    2,
    [node('h:1', 'A', 'replica', { reachable: false, failed: true, pid: null }), node('h:3', 'A', 'primary'), node('h:2', 'B', 'primary'), node('h:4', 'B', 'replica')],
    [shard('A', 'h:3', ['h:1'], 8192), BASE.shards[1]],
  );
  assert.deepEqual(brief(down, promoted), [
    ['node-failed', 'h:1 (replica of shard A) marked failed by the controller'],
    ['demoted', 'h:1 is now a replica in shard A'],
    ['failover', 'failover in shard A: h:3 took over from h:1'],
    ['epoch', 'topology epoch 1 -> 2'],
  ]);

  const back = snap(4000, 3, promoted.nodes.map((n) => (n.address === 'h:1' ? { ...n, reachable: true, failed: false, pid: 101 } : n)), promoted.shards);
  assert.deepEqual(brief(promoted, back), [
    ['node-up', 'h:1 (replica of shard A) is back (pid 101)'],
    ['node-recovered', 'h:1 no longer marked failed'],
    ['epoch', 'topology epoch 2 -> 3'],
  ]);
});

test('diffSnapshots: a node killed and restarted between two polls shows by its pid', () => {
  const restarted = snap(2000, 1, BASE.nodes.map((n) => (n.address === 'h:2' ? { ...n, pid: 200 } : n)), BASE.shards);
  const events = diffSnapshots(BASE, restarted);
  assert.deepEqual(events, [{ at: 2000, kind: 'node-restarted', text: 'h:2 (primary of shard B) restarted (pid 100 -> 200)', node: 'h:2', shard: 'B' }]);
});

test('diffSnapshots: a shard added, slots moving to it, the plan starting and finishing', () => {
  const plan = { plan: 'p1', kind: 'add-shard', state: 'running', totalSlots: 5461, slotsLeft: 5461, progress: 0, bytesPerSec: null, etaMs: null, lastError: '' };
  const added = snap(2000, 2, [...BASE.nodes, node('h:5', 'C', 'primary')], [...BASE.shards, shard('C', 'h:5', [], 0)], { migration: plan });
  assert.deepEqual(brief(BASE, added), [
    ['node-added', 'h:5 (primary of shard C) joined'],
    ['shard-added', 'shard C added (primary h:5)'],
    ['epoch', 'topology epoch 1 -> 2'],
    ['migration-started', 'add-shard p1 started: 5461 slots to move'],
  ]);
  // While the plan runs, its batches' epochs and slot moves are its progress, not events.
  const batch = snap(2500, 3, added.nodes, [shard('A', 'h:1', ['h:3'], 7000), BASE.shards[1], shard('C', 'h:5', [], 1192)], { migration: { ...plan, slotsLeft: 4269, progress: 0.1514 } });
  assert.deepEqual(brief(added, batch), []);
  const moved = snap(3000, 5, added.nodes, [shard('A', 'h:1', ['h:3'], 5462), shard('B', 'h:2', ['h:4'], 5461), shard('C', 'h:5', [], 5461)]);
  assert.deepEqual(brief(added, moved), [
    ['slots', 'shard A: 8192 -> 5462 slots'],
    ['slots', 'shard B: 8192 -> 5461 slots'],
    ['slots', 'shard C: 0 -> 5461 slots'],
    ['epoch', 'topology epoch 2 -> 5'],
    ['migration-finished', 'add-shard p1 finished'],
  ]);
  const removed = snap(4000, 6, BASE.nodes, BASE.shards);
  assert.deepEqual(brief(moved, removed), [
    ['node-removed', 'h:5 left the cluster'],
    ['slots', 'shard A: 5462 -> 8192 slots'],
    ['slots', 'shard B: 5461 -> 8192 slots'],
    ['shard-removed', 'shard C removed'],
    ['epoch', 'topology epoch 5 -> 6'],
  ]);
});

test('diffSnapshots: the whole cluster unreachable and back', () => {
  const lost = snap(2000, null, [], [], { error: 'no node answered' });
  assert.deepEqual(brief(BASE, lost), [['cluster-unreachable', 'cluster unreachable: no node answered']]);
  assert.deepEqual(brief(lost, { ...BASE, at: 3000 }), [['cluster-reachable', 'cluster reachable again']]);
  assert.deepEqual(brief(lost, lost), []);
});

// ---- model.ts ----------------------------------------------------------------------------------

const counters = (c: Partial<NodeCounters>): NodeCounters => ({ pid: 1, commands: 0, hits: 0, misses: 0, evicted: 0, usedMemory: 0, keys: 0, offset: 0, linkUp: null, ...c });

test('countersOf: INFO fields of a primary and of a replica', () => {
  const primary = infoFields(
    '# Server\r\nprocess_id:42\r\n# Stats\r\ntotal_commands_processed:1000\r\nevicted_keys:3\r\nkeyspace_hits:70\r\nkeyspace_misses:30\r\n# Memory\r\nused_memory:1048576\r\n# Replication\r\nrole:master\r\nmaster_repl_offset:5000\r\n# Keyspace\r\ndb0:keys=10,expires=2,avg_ttl=0\r\ndb3:keys=5,expires=0,avg_ttl=0\r\n',
  );
  assert.deepEqual(countersOf(primary), { pid: 42, commands: 1000, hits: 70, misses: 30, evicted: 3, usedMemory: 1048576, keys: 15, offset: 5000, linkUp: null });
  const replica = infoFields('role:slave\r\nmaster_link_status:down\r\nslave_repl_offset:4000\r\nmaster_repl_offset:4100\r\n');
  assert.deepEqual(countersOf(replica), { pid: 0, commands: 0, hits: 0, misses: 0, evicted: 0, usedMemory: 0, keys: 0, offset: 4000, linkUp: false });
});

test('ratePerSec and imbalanceOf', () => {
  const rows: Array<[NodeCounters | undefined, NodeCounters, number, number | null]> = [
    [undefined, counters({ commands: 100 }), 1, null],
    [counters({ commands: 100 }), counters({ commands: 600 }), 0.5, 1000],
    [counters({ commands: 100 }), counters({ commands: 100 }), 1, 0],
    [counters({ commands: 100 }), counters({ commands: 50 }), 1, null], // counter went back
    [counters({ commands: 100 }), counters({ pid: 2, commands: 900 }), 1, null], // restarted
    [counters({ commands: 100 }), counters({ commands: 200 }), 0, null],
  ];
  for (const [prev, cur, s, want] of rows) assert.equal(ratePerSec(prev, cur, 'commands', s), want);
  assert.equal(imbalanceOf([]), null);
  assert.equal(imbalanceOf([0, 0]), null);
  assert.equal(imbalanceOf([10, 10, 10]), 1);
  assert.equal(imbalanceOf([30, 10, 20]), 1.5);
  assert.equal(imbalanceOf([1, 2]), 1.333);
});

test('buildSnapshot: per-shard rates, hit ratio over the shard, lag, imbalance, a dead replica', () => {
  const doc: TopologyDoc = {
    epoch: 7,
    shards: [
      { id: 'A', weight: 1, primary: 'a1', replicas: ['a2'] },
      { id: 'B', weight: 1, primary: 'b1', replicas: ['b2'] },
    ],
    nodes: [
      { id: 'a1', host: 'h', port: 1 },
      { id: 'a2', host: 'h', port: 3 },
      { id: 'b1', host: 'h', port: 2 },
      { id: 'b2', host: 'h', port: 4, failed: true },
    ],
    slots: [
      [0, 9999, 'A'],
      [10000, 16383, 'B'],
    ],
    migrating: [],
  };
  const poll = (at: number, info: Array<[string, NodeCounters]>): RawPoll => ({ at, doc, error: null, controller: 'h:1', info: new Map(info), hotKeys: [], reshard: null });
  const prev = poll(10_000, [
    ['h:1', counters({ commands: 1000, hits: 100, misses: 100, evicted: 0, offset: 500 })],
    ['h:3', counters({ commands: 50, hits: 0, misses: 0, offset: 400, linkUp: true })],
    ['h:2', counters({ commands: 0, hits: 0, misses: 0, evicted: 10 })],
  ]);
  const cur = poll(12_000, [
    ['h:1', counters({ commands: 3000, hits: 190, misses: 110, evicted: 0, usedMemory: 2000, keys: 30, offset: 900 })],
    ['h:3', counters({ commands: 60, hits: 100, misses: 0, usedMemory: 1900, keys: 30, offset: 850, linkUp: true })],
    ['h:2', counters({ commands: 400, hits: 0, misses: 0, evicted: 30, usedMemory: 1000, keys: 10 })],
  ]);
  const s = buildSnapshot(cur, prev);
  assert.equal(s.epoch, 7);
  assert.deepEqual(
    s.shards.map((x) => [x.id, x.slots, x.primary, x.opsPerSec, x.hitRatio, x.usedMemory, x.evictionsPerSec, x.keys]),
    [
      ['A', 10000, 'h:1', 1000, 0.95, 2000, 0, 30], // hits (90 + 100) / reads (90 + 10 + 100) over both nodes
      ['B', 6384, 'h:2', 200, null, 1000, 10, 10],
    ],
  );
  assert.deepEqual(
    s.nodes.map((n) => [n.address, n.role, n.reachable, n.failed, n.opsPerSec, n.lagBytes, n.linkUp]),
    [
      ['h:1', 'primary', true, false, 1000, null, null],
      ['h:3', 'replica', true, false, 5, 50, true],
      ['h:2', 'primary', true, false, 200, null, null],
      ['h:4', 'replica', false, true, null, null, null],
    ],
  );
  assert.deepEqual(s.totals, { opsPerSec: 1200, hitRatio: 0.95, usedMemory: 4900, evictionsPerSec: 10, keys: 40, nodesUp: 3, nodesTotal: 4 });
  assert.deepEqual(s.imbalance, { keys: 1.5, ops: 1.667, slots: 1.221 });
  assert.equal(s.migration, null);
  // The first poll has no rates yet.
  assert.deepEqual(buildSnapshot(prev, null).shards.map((x) => [x.opsPerSec, x.hitRatio]), [
    [0, null],
    [0, null],
  ]);
});

test('buildSnapshot: a plan in progress, from the controller when it answers for the plan, else from the document', () => {
  const doc: TopologyDoc = {
    epoch: 3,
    shards: [{ id: 'A', weight: 1, primary: 'a1', replicas: [] }],
    nodes: [{ id: 'a1', host: 'h', port: 1 }],
    slots: [[0, 16383, 'A']],
    migrating: [],
    plan: { id: 'p9', kind: 'rebalance', paused: false, rate: 0, moves: [[0, 99, 'A']], total: 400, startedAt: 0 },
  };
  const raw = (reshard: Map<string, string> | null): RawPoll => ({ at: 1, doc, error: null, controller: 'h:1', info: new Map(), hotKeys: [], reshard });
  assert.deepEqual(buildSnapshot(raw(null), null).migration, { plan: 'p9', kind: 'rebalance', state: 'running', totalSlots: 400, slotsLeft: 100, progress: 0.75, bytesPerSec: null, etaMs: null, lastError: '' });
  const live = new Map([['plan', 'p9'], ['state', 'paused'], ['total_slots', '400'], ['slots_left', '40'], ['bytes_per_sec', '1048576'], ['eta_ms', '5000'], ['last_error', '']]);
  assert.deepEqual(buildSnapshot(raw(live), null).migration, { plan: 'p9', kind: 'rebalance', state: 'paused', totalSlots: 400, slotsLeft: 40, progress: 0.9, bytesPerSec: 1048576, etaMs: 5000, lastError: '' });
  const other = new Map([['plan', 'p8'], ['slots_left', '0']]);
  assert.equal(buildSnapshot(raw(other), null).migration?.slotsLeft, 100);
});
