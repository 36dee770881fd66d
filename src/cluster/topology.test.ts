// The topology document: validation of untrusted JSON, compiled lookups, epoch ordering, and
// documents planned by the ring.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Topology, TopologyError, UNASSIGNED, nodeIdFor, parseTopology, type TopologyDoc } from './topology.js';
import { parseClusterNodes, planTopology } from './plan.js';
import { SLOT_COUNT } from './slot.js';

const A = nodeIdFor('127.0.0.1', 7000);
const B = nodeIdFor('127.0.0.1', 7001);
const C = nodeIdFor('127.0.0.1', 7002);

function twoShards(): TopologyDoc {
  return {
    epoch: 4,
    nodes: [
      { id: A, host: '127.0.0.1', port: 7000 },
      { id: B, host: '127.0.0.1', port: 7001 },
      { id: C, host: '127.0.0.1', port: 7002 },
    ],
    shards: [
      { id: 's1', weight: 1, primary: A, replicas: [C] },
      { id: 's2', weight: 1, primary: B, replicas: [] },
    ],
    slots: [
      [0, 99, 's1'],
      [100, 16383, 's2'],
    ],
    migrating: [],
  };
}

test('node ids are 40 hex characters derived from the address', () => {
  assert.match(A, /^[0-9a-f]{40}$/);
  assert.notEqual(A, B);
  assert.equal(nodeIdFor('127.0.0.1', 7000), A);
});

test('a valid document compiles to slot and shard lookups', () => {
  const t = new Topology(parseTopology(JSON.stringify(twoShards())));
  assert.equal(t.epoch, 4);
  assert.equal(t.slotShard[0], 0);
  assert.equal(t.slotShard[99], 0);
  assert.equal(t.slotShard[100], 1);
  assert.deepEqual(t.primaryAddress, ['127.0.0.1:7000', '127.0.0.1:7001']);
  assert.deepEqual(t.slotRanges(), [
    [0, 99, 0],
    [100, 16383, 1],
  ]);
  assert.deepEqual(t.shardNodes(0).map((n) => n.port), [7000, 7002]);
  assert.equal(t.shardOfNode.get(C), 0);
  assert.ok(t.fullCoverage);
  assert.ok(t.isNewer({ ...twoShards(), epoch: 5 }));
  assert.ok(!t.isNewer({ ...twoShards(), epoch: 4 }));
  assert.ok(!t.isNewer({ ...twoShards(), epoch: 3 }));
});

test('unassigned slots are reported, not invented', () => {
  const doc = { ...twoShards(), slots: [[0, 10, 's1']] as Array<[number, number, string]> };
  const t = new Topology(parseTopology(doc));
  assert.equal(t.assignedSlots, 11);
  assert.ok(!t.fullCoverage);
  assert.equal(t.slotShard[11], UNASSIGNED);
});

test('bad documents are refused with a reason', () => {
  const bad: Array<[unknown, RegExp]> = [
    ['{', /invalid topology: /],
    [null, /not an object/],
    [{ ...twoShards(), epoch: -1 }, /epoch/],
    [{ ...twoShards(), epoch: 1.5 }, /epoch/],
    [{ ...twoShards(), nodes: 'x' }, /arrays/],
    [{ ...twoShards(), slots: [[0, 16384, 's1']] }, /bad slot range/],
    [{ ...twoShards(), slots: [[5, 4, 's1']] }, /bad slot range/],
    [{ ...twoShards(), slots: [[0, 10, 's1'], [10, 20, 's2']] }, /slot 10 is assigned twice/],
    [{ ...twoShards(), slots: [[0, 10, 'nope']] }, /unknown shard/],
    [{ ...twoShards(), shards: [{ id: 's1', primary: 'ghost', replicas: [] }] }, /unknown node ghost/],
    [{ ...twoShards(), shards: [{ id: 's1', primary: A, replicas: [A] }] }, /in two shards/],
    [{ ...twoShards(), shards: [{ id: 's1', weight: 0, primary: A, replicas: [] }] }, /weight/],
    [{ ...twoShards(), nodes: [{ id: 'has space', host: 'h', port: 1 }] }, /id/],
    [{ ...twoShards(), nodes: [{ id: A, host: '127.0.0.1', port: 70000 }] }, /bad port/],
    [{ ...twoShards(), migrating: [{ slot: 1, from: 's1', to: 'zz' }] }, /unknown shard/],
    [{ ...twoShards(), shards: Array.from({ length: 16385 }, (_, i) => ({ id: `s${i}`, primary: A, replicas: [] })) }, /at most 16384 shards/],
  ];
  for (const [input, why] of bad) {
    assert.throws(() => parseTopology(input), (err: unknown) => err instanceof TopologyError && why.test((err as Error).message), JSON.stringify(input));
  }
});

test('planTopology: every slot assigned, balanced, deterministic, ids from addresses', () => {
  const shards = [7000, 7001, 7002].map((port) => ({ nodes: [{ host: '127.0.0.1', port }] }));
  const doc = planTopology(shards, { epoch: 1 });
  const t = new Topology(doc);
  assert.ok(t.fullCoverage);
  const counts = [0, 0, 0];
  for (let s = 0; s < SLOT_COUNT; s++) counts[t.slotShard[s]]++;
  assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `counts ${counts}`);
  assert.deepEqual(doc.shards.map((s) => s.primary), [A, B, C]);
  assert.deepEqual(planTopology(shards, { epoch: 1 }), doc);
});

test('parseClusterNodes reads "host:port[*weight]" lists', () => {
  assert.deepEqual(parseClusterNodes(' 127.0.0.1:7000, 10.0.0.2:7001*2 '), [
    { weight: 1, nodes: [{ host: '127.0.0.1', port: 7000 }] },
    { weight: 2, nodes: [{ host: '10.0.0.2', port: 7001 }] },
  ]);
  assert.throws(() => parseClusterNodes('localhost'), /not host:port/);
  assert.throws(() => parseClusterNodes('h:0'), /not host:port/);
});
