// Resharding: the plan edits (reshard-plans.ts) on real ring tables, and the mover's batch
// decisions (decisions-reshard.ts) as exact tables at injected times.
//
// The fixture for the batch tables: epoch 5, shard s1 = primary a + replica b, shard s2 =
// primary d; slots 0-8191 on s1, 8192-16383 on s2; a plan moving 0-99 and 9000-9009 to s2.
// Every node renewed at `now`; a and d hold write leases.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planTopology } from '../cluster/plan.js';
import { nodeIdFor, parseTopology, Topology, type TopologyDoc } from '../cluster/topology.js';
import { SLOT_COUNT } from '../cluster/slot.js';
import { editPlan, planAddShard, planRebalance, planRemoveShard, switchSlots, type PlanEdit } from './reshard-plans.js';
import { DEFAULT_RESHARD_PARAMS, stepReshard, type ImportReport, type MoverReports, type ReshardBatch } from './decisions-reshard.js';
import { DEFAULT_LEASE_PARAMS, planMembership, type ControllerView, type NodeStatus } from './decisions.js';

const REQ = { id: 'p1', now: 1_700_000_000_000, rate: 1000 };

function threeShards(): TopologyDoc {
  return planTopology([7000, 7001, 7002].map((port) => ({ nodes: [{ host: '127.0.0.1', port }, { host: '127.0.0.1', port: port + 10 }] })), { epoch: 3 });
}

function ok(e: PlanEdit): TopologyDoc {
  if ('error' in e) assert.fail(e.error);
  return e.doc;
}

function owners(doc: TopologyDoc): string[] {
  const t = new Topology(doc);
  return Array.from(t.slotShard, (i) => doc.shards[i].id);
}

function slotsOf(doc: TopologyDoc, shard: string): number {
  return owners(doc).filter((s) => s === shard).length;
}

test('add-shard: a new empty shard, and a plan moving about a quarter of the slots to it, from every shard', () => {
  const before = threeShards();
  const after = ok(planAddShard(before, '127.0.0.1', 7003, 1, REQ));
  assert.equal(after.epoch, 4);
  assert.equal(after.shards.length, 4);
  const added = after.shards[3];
  assert.deepEqual({ id: added.id, primary: added.primary, replicas: added.replicas }, { id: '127.0.0.1:7003', primary: nodeIdFor('127.0.0.1', 7003), replicas: [] });
  assert.equal(slotsOf(after, '127.0.0.1:7003'), 0, 'no slot is its own before it moves');
  const plan = after.plan!;
  assert.equal(plan.id, 'p1');
  assert.equal(plan.kind, 'add-shard');
  assert.equal(plan.rate, 1000);
  assert.equal(plan.total, SLOT_COUNT / 4);
  assert.ok(plan.moves.every(([, , to]) => to === '127.0.0.1:7003'));
  const own = owners(before);
  const donors = new Set(plan.moves.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => own[a + i])));
  assert.equal(donors.size, 3, 'every shard gives slots');
  // The plan's end state is the balanced table.
  const done = switchSlots(after, plan.moves.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i)), '127.0.0.1:7003');
  assert.equal(done.plan, undefined);
  assert.deepEqual(after.shards.map((s) => slotsOf(done, s.id)), [4096, 4096, 4096, 4096]);
});

test('add-shard refuses a second plan, an existing primary, and takes a replica out of its shard', () => {
  const before = threeShards();
  const after = ok(planAddShard(before, '127.0.0.1', 7003, 1, REQ));
  assert.match((planAddShard(after, '127.0.0.1', 7004, 1, REQ) as { error: string }).error, /plan p1 is in progress/);
  assert.match((planAddShard(before, '127.0.0.1', 7000, 1, REQ) as { error: string }).error, /already the primary/);
  const fromReplica = ok(planAddShard(before, '127.0.0.1', 7010, 1, REQ));
  assert.deepEqual(fromReplica.shards[0].replicas, []);
  assert.equal(fromReplica.shards[3].primary, nodeIdFor('127.0.0.1', 7010));
  assert.equal(fromReplica.nodes.filter((n) => n.port === 7010).length, 1);
});

test('remove-shard drains one shard to the others, then retires it and its replicas', () => {
  const before = threeShards();
  const leaving = before.shards[1];
  const after = ok(planRemoveShard(before, '127.0.0.1', 7001, REQ));
  const plan = after.plan!;
  assert.equal(plan.retire, leaving.id);
  assert.equal(plan.total, slotsOf(before, leaving.id));
  const own = owners(before);
  for (const [a, b, to] of plan.moves) {
    assert.notEqual(to, leaving.id);
    for (let s = a; s <= b; s++) assert.equal(own[s], leaving.id, `slot ${s} is the leaving shard's`);
  }
  const all = plan.moves.flatMap(([a, b, to]) => Array.from({ length: b - a + 1 }, (_, i) => ({ slot: a + i, to })));
  // Two batches: the first leaves the plan running, the last ends it and retires the shard.
  const half = switchSlots(after, all.slice(0, 100).map((m) => m.slot), all[0].to);
  assert.equal(half.plan!.moves.reduce((n, [a, b]) => n + b - a + 1, 0), plan.total - 100);
  let doc = half;
  for (const to of new Set(all.map((m) => m.to))) doc = switchSlots(doc, all.slice(100).filter((m) => m.to === to).map((m) => m.slot), to);
  assert.equal(doc.plan, undefined);
  assert.equal(doc.shards.length, 2);
  assert.deepEqual(new Set(doc.retired), new Set([leaving.primary, ...leaving.replicas]));
  assert.ok(!doc.nodes.some((n) => n.port === 7001 || n.port === 7011));
  assert.equal(new Topology(doc).fullCoverage, true);
});

test('remove-shard of a shard without slots retires it at once; the last shard stays', () => {
  const before = threeShards();
  const added = ok(planAddShard(before, '127.0.0.1', 7003, 1, REQ));
  const cancelled = ok(editPlan(added, { kind: 'cancel' }));
  const removed = ok(planRemoveShard(cancelled, '127.0.0.1', 7003, REQ));
  assert.equal(removed.plan, undefined);
  assert.equal(removed.shards.length, 3);
  assert.deepEqual(removed.retired, [nodeIdFor('127.0.0.1', 7003)]);
  const one = planTopology([{ nodes: [{ host: 'h', port: 1 }] }]);
  assert.match((planRemoveShard(one, 'h', 1, REQ) as { error: string }).error, /last shard/);
});

test('retired nodes are not placed again as replicas; add-shard brings one back', () => {
  const before = threeShards();
  const added = ok(editPlan(ok(planAddShard(before, '127.0.0.1', 7003, 1, REQ)), { kind: 'cancel' }));
  const removed = ok(planRemoveShard(added, '127.0.0.1', 7003, REQ));
  const member = { id: nodeIdFor('127.0.0.1', 7003), host: '127.0.0.1', port: 7003, runId: 'r' };
  const view = { doc: removed, members: [member], nodes: new Map(), now: 0 } as unknown as ControllerView;
  assert.equal(planMembership(view), null);
  const back = ok(planAddShard(removed, '127.0.0.1', 7003, 1, REQ));
  assert.equal(back.retired, undefined);
});

test('rebalance after a weight change moves slots toward the heavier shard only as its quota says', () => {
  const before = threeShards();
  const s0 = before.shards[0].id;
  const after = ok(planRebalance(before, new Map([[s0, 2]]), REQ));
  assert.equal(after.shards[0].weight, 2);
  const plan = after.plan!;
  assert.ok(plan.moves.every(([, , to]) => to === s0));
  assert.ok(Math.abs(slotsOf(before, s0) + plan.total - SLOT_COUNT / 2) <= 1, `s0 ends with about half: ${slotsOf(before, s0) + plan.total}`);
  assert.match((planRebalance(before, new Map(), REQ) as { error: string }).error, /already where the weights put them/);
  assert.match((planRebalance(before, new Map([['nope', 2]]), REQ) as { error: string }).error, /no shard nope/);
  // By the primary's address too.
  assert.equal(ok(planRebalance(before, new Map([['127.0.0.1:7001', 3]]), REQ)).shards[1].weight, 3);
});

test('pause, resume, rate and cancel edit the plan', () => {
  const added = ok(planAddShard(threeShards(), '127.0.0.1', 7003, 1, REQ));
  const paused = ok(editPlan(added, { kind: 'pause' }));
  assert.equal(paused.plan!.paused, true);
  assert.match((editPlan(paused, { kind: 'pause' }) as { error: string }).error, /paused already/);
  assert.equal(ok(editPlan(paused, { kind: 'resume' })).plan!.paused, false);
  assert.equal(ok(editPlan(added, { kind: 'rate', rate: 5 })).plan!.rate, 5);
  const cancelled = ok(editPlan(added, { kind: 'cancel' }));
  assert.equal(cancelled.plan, undefined);
  assert.equal(cancelled.shards.length, 4, 'the added shard stays, owning what moved (nothing)');
  assert.match((editPlan(cancelled, { kind: 'pause' }) as { error: string }).error, /no resharding plan/);
});

// ---- the mover's batches ----

function fixture(plan = true): TopologyDoc {
  return parseTopology({
    epoch: 5,
    shards: [
      { id: 's1', weight: 1, primary: 'a', replicas: ['b'] },
      { id: 's2', weight: 1, primary: 'd', replicas: [] },
    ],
    nodes: ['a', 'b', 'd'].map((id, i) => ({ id, host: '10.0.0.1', port: 7000 + i })),
    slots: [[0, 8191, 's1'], [8192, 16383, 's2']],
    migrating: [],
    ...(plan ? { plan: { id: 'p', kind: 'rebalance', paused: false, rate: 100, moves: [[0, 99, 's2'], [9000, 9009, 's1']], total: 110, startedAt: 0 } } : {}),
  });
}

function status(id: string, role: NodeStatus['role'], over: Partial<NodeStatus> = {}): NodeStatus {
  return { id, runId: 'r', lastRenewalAt: 1000, lastGrantAt: 1000, grantedMs: 1000, role, epoch: 5, replid: 'x', offset: 0, masterLinkUp: role === 'replica', probe: null, ...over };
}

function view(doc: TopologyDoc, now = 1000, over: Record<string, Partial<NodeStatus>> = {}): ControllerView {
  const nodes = new Map<string, NodeStatus>([
    ['a', status('a', 'primary', over.a)],
    ['b', status('b', 'replica', { lastGrantAt: -Infinity, ...over.b })],
    ['d', status('d', 'primary', { replid: 'y', ...over.d })],
  ]);
  return { now, electedAt: 0, authorityUntil: Infinity, params: DEFAULT_LEASE_PARAMS, doc, nodes, members: [], desiredShards: 2, manual: null, pending: null };
}

const NO_REPORTS: MoverReports = { imports: null, replicas: new Map() };

function imports(at: number, slots: number[], r: Partial<ImportReport>): MoverReports {
  return { imports: { at, bySlot: new Map(slots.map((s) => [s, { state: 'streaming', mark: 0, offset: 0, keys: 1, bytes: 10, error: '', ...r }])) }, replicas: new Map() };
}

const P = { ...DEFAULT_RESHARD_PARAMS, slotsPerBatch: 4 };
const FIRST = [0, 1, 2, 3];

test('a batch starts with the first slots of the plan, one source and target, when both primaries are ready', () => {
  const s = stepReshard(view(fixture()), null, NO_REPORTS, -Infinity, true, P);
  assert.deepEqual(s.batch, { planId: 'p', slots: FIRST, from: 's1', to: 's2', source: 'a', target: 'd', phase: 'copy', startedAt: 1000, rate: 100 });
  assert.deepEqual(s.actions, [
    { kind: 'set-rate', node: 'a', rate: 100 },
    { kind: 'import', node: 'd', slots: FIRST, host: '10.0.0.1', port: 7000 },
  ]);
  // Not yet: paused plan, a recent abort, a target without a lease, a silent source, no plan.
  const paused = parseTopology({ ...fixture(), plan: { ...fixture().plan!, paused: true } });
  assert.equal(stepReshard(view(paused), null, NO_REPORTS, -Infinity, true, P).batch, null);
  assert.equal(stepReshard(view(fixture()), null, NO_REPORTS, 600, true, P).waiting, 'retrying after an abort');
  assert.equal(stepReshard(view(fixture(), 1000, { d: { lastGrantAt: -Infinity } }), null, NO_REPORTS, -Infinity, true, P).waiting, 'target d without a write lease yet');
  assert.equal(stepReshard(view(fixture(), 1000, { a: { lastRenewalAt: 600 } }), null, NO_REPORTS, -Infinity, true, P).waiting, 'source a not renewing');
  assert.equal(stepReshard(view(fixture(false)), null, NO_REPORTS, -Infinity, true, P).batch, null);
});

function started(): ReshardBatch {
  return stepReshard(view(fixture()), null, NO_REPORTS, -Infinity, true, P).batch!;
}

test('copy -> pause -> catch-up -> replicas -> publish, each on a report taken after it began', () => {
  const b0 = started();
  // A report older than the batch does not count; one with a slot still copying waits.
  assert.equal(stepReshard(view(fixture(), 1010), b0, imports(990, FIRST, {}), -Infinity, true, P).batch!.phase, 'copy');
  const copying = imports(1005, FIRST, {});
  (copying.imports!.bySlot as Map<number, ImportReport>).set(2, { state: 'copying', mark: 0, offset: 0, keys: 0, bytes: 0, error: '' });
  assert.equal(stepReshard(view(fixture(), 1010), b0, copying, -Infinity, true, P).batch!.phase, 'copy');
  const s1 = stepReshard(view(fixture(), 1010), b0, imports(1005, FIRST, {}), -Infinity, true, P);
  assert.equal(s1.batch!.phase, 'pause');
  assert.equal(s1.batch!.pauseSentAt, 1010);
  assert.deepEqual(s1.actions, [{ kind: 'pause', node: 'a', slots: FIRST, forMs: 3000 }]);
  // The loop records the marks; catch-up waits for the target to apply them.
  const marked = { ...s1.batch!, marks: [3, 1, 1, 2] };
  assert.equal(stepReshard(view(fixture(), 1020), marked, imports(1015, FIRST, { mark: 1 }), -Infinity, true, P).batch!.phase, 'catch-up');
  const s2 = stepReshard(view(fixture(), 1030), marked, imports(1025, FIRST, { mark: 3, offset: 777 }), -Infinity, true, P);
  // s2 has no replica: straight to publish, with the slots on s2 and out of the plan.
  assert.equal(s2.batch!.phase, 'publishing');
  assert.equal(s2.batch!.markOffset, 777);
  const next = s2.publish!;
  assert.equal(next.epoch, 6);
  assert.deepEqual(next.slots.slice(0, 2), [[0, 3, 's2'], [4, 8191, 's1']]);
  assert.deepEqual(next.plan!.moves, [[4, 99, 's2'], [9000, 9009, 's1']]);
  // Nothing is published when the controller may not publish this turn.
  const held = stepReshard(view(fixture(), 1030), marked, imports(1025, FIRST, { mark: 3 }), -Infinity, false, P);
  assert.equal(held.publish, null);
  assert.equal(held.batch!.phase, 'publish');
});

test('the target\'s replicas must reach the offset of the marks before the switch', () => {
  // Move the other way: 9000-9009 from s2 (primary d, no replica) to s1 (primary a, replica b).
  const reversed = parseTopology({ ...fixture(), plan: { ...fixture().plan!, moves: [[9000, 9003, 's1']] } });
  const b = { ...stepReshard(view(reversed), null, NO_REPORTS, -Infinity, true, P).batch!, phase: 'catch-up' as const, pauseSentAt: 1010, marks: [1, 1, 1, 1] };
  assert.equal(b.target, 'a');
  const slots = [9000, 9001, 9002, 9003];
  const s = stepReshard(view(reversed, 1030), b, imports(1020, slots, { mark: 1, offset: 500 }), -Infinity, true, P);
  assert.equal(s.batch!.phase, 'replicas');
  assert.equal(s.waiting, 'replica b catching up');
  const behind: MoverReports = { ...imports(1020, slots, { mark: 1, offset: 500 }), replicas: new Map([['b', { replid: 'x', offset: 499, at: 1040 }]]) };
  assert.equal(stepReshard(view(reversed, 1050), s.batch, behind, -Infinity, true, P).batch!.phase, 'replicas');
  const before: MoverReports = { ...behind, replicas: new Map([['b', { replid: 'x', offset: 600, at: 1020 }]]) };
  assert.equal(stepReshard(view(reversed, 1050), s.batch, before, -Infinity, true, P).batch!.phase, 'replicas', 'a poll sent before the catch-up does not count');
  const otherHistory: MoverReports = { ...behind, replicas: new Map([['b', { replid: 'zz', offset: 600, at: 1040 }]]) };
  assert.equal(stepReshard(view(reversed, 1050), s.batch, otherHistory, -Infinity, true, P).batch!.phase, 'replicas');
  const there: MoverReports = { ...behind, replicas: new Map([['b', { replid: 'x', offset: 500, at: 1040 }]]) };
  assert.equal(stepReshard(view(reversed, 1050), s.batch, there, -Infinity, true, P).batch!.phase, 'publishing');
  // A replica that is not renewing is not waited for.
  assert.equal(stepReshard(view(reversed, 1050, { b: { lastRenewalAt: 600 } }), s.batch, behind, -Infinity, true, P).batch!.phase, 'publishing');
});

test('aborts: each resumes the source\'s writes if it paused them, and drops the target\'s copies', () => {
  const b0 = started();
  const paused: ReshardBatch = { ...b0, phase: 'catch-up', pauseSentAt: 1010, marks: [1, 1, 1, 1] };
  const undo = [
    { kind: 'resume', node: 'a', slots: FIRST },
    { kind: 'abort-import', node: 'd', slots: FIRST },
  ];
  const cases: Array<[string, ControllerView, ReshardBatch, MoverReports, RegExp]> = [
    ['cancelled', view(fixture(false), 1020), paused, NO_REPORTS, /plan ended/],
    ['source failed over', view(parseTopology({ ...fixture(), shards: [{ id: 's1', weight: 1, primary: 'b', replicas: ['a'] }, fixture().shards[1]] }), 1020), paused, NO_REPORTS, /s1 has a new primary/],
    ['target silent', view(fixture(), 1400, { d: { lastRenewalAt: 1000 }, a: { lastRenewalAt: 1400 } }), paused, NO_REPORTS, /target d stopped renewing/],
    ['import failed', view(fixture(), 1020), paused, imports(1015, FIRST, { state: 'failed', error: 'x' }), /ended during the switch/],
    ['switch too long', view(fixture(), 2011, { a: { lastRenewalAt: 2000 }, d: { lastRenewalAt: 2000 } }), paused, NO_REPORTS, /longer than 1000 ms/],
  ];
  for (const [name, v, b, r, why] of cases) {
    const s = stepReshard(v, b, r, -Infinity, true, P);
    assert.equal(s.batch, null, name);
    assert.match(s.aborted ?? '', why, name);
    assert.deepEqual(s.actions, undo, name);
  }
  // Before the pause nothing is resumed.
  const s = stepReshard(view(fixture(), 1020), b0, imports(1015, FIRST, { state: 'failed', error: 'refused' }), -Infinity, true, P);
  assert.match(s.aborted!, /import of slot 0 failed: refused/);
  assert.deepEqual(s.actions, [{ kind: 'abort-import', node: 'd', slots: FIRST }]);
  // An import the target never reports fails after the grace period.
  assert.equal(stepReshard(view(fixture(), 1500, { a: { lastRenewalAt: 1500 }, d: { lastRenewalAt: 1500 } }), b0, imports(1400, [], {}), -Infinity, true, P).batch!.phase, 'copy');
  const later = { a: { lastRenewalAt: 3000 }, d: { lastRenewalAt: 3000 } };
  assert.match(stepReshard(view(fixture(), 3001, later), b0, imports(3000, [], {}), -Infinity, true, P).aborted!, /no import of slot 0/);
  // A refused pause.
  assert.match(stepReshard(view(fixture(), 1020), { ...paused, phase: 'pause', marks: undefined, pauseFailed: 'ERR slot 0 is still being copied' }, NO_REPORTS, -Infinity, true, P).aborted!, /refused the pause/);
});

test('a rate change reaches the source of the batch in flight', () => {
  const b0 = started();
  const faster = parseTopology({ ...fixture(), plan: { ...fixture().plan!, rate: 5000 } });
  const s = stepReshard(view(faster, 1010), b0, NO_REPORTS, -Infinity, true, P);
  assert.deepEqual(s.actions, [{ kind: 'set-rate', node: 'a', rate: 5000 }]);
  assert.equal(s.batch!.rate, 5000);
});

test('a plan whose remaining slots are already in place ends with one document', () => {
  const done = parseTopology({ ...fixture(), plan: { ...fixture().plan!, moves: [[8192, 8200, 's2']] } });
  const s = stepReshard(view(done), null, NO_REPORTS, -Infinity, true, P);
  assert.equal(s.batch, null);
  assert.equal(s.publish!.plan, undefined);
  assert.deepEqual(s.publish!.slots, done.slots);
});

test('a primary losing slots waits for the primaries that take them (newOwnersOfMine)', async () => {
  const { newOwnersOfMine } = await import('./agent.js');
  const before = fixture();
  const moved = switchSlots(before, [0, 1], 's2');
  assert.deepEqual(newOwnersOfMine(before, moved, 'a').map((n) => n.id), ['d']);
  assert.deepEqual(newOwnersOfMine(before, moved, 'd'), [], 'gaining slots waits for no one');
  assert.deepEqual(newOwnersOfMine(before, moved, 'b'), [], 'a replica waits for no one');
  const failover = parseTopology({ ...before, epoch: 6, shards: [{ id: 's1', weight: 1, primary: 'b', replicas: ['a'] }, before.shards[1]] });
  assert.deepEqual(newOwnersOfMine(before, failover, 'a').map((n) => n.id), ['b']);
});
