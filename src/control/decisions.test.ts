// The controller's decisions: exact tables at injected times ("a renewed at 1000 and was granted
// 1000 ms; at 2050 nothing, at 2051 failover to c with epoch 8"), then properties: the lease
// inequality under every drift within ±ρ, and planFailovers' invariants on random views.
//
// The fixture: epoch 7, shard s1 = primary a + replicas b, c (replid r1); shard s2 = primary d +
// replica e (replid r2). Every node renews at `now` unless a test says otherwise; a and d were
// last granted 1000 ms at their last renewal; the controller was elected at 0, so its election
// wait ended at 0 + 1000 * 1.001 + 50 = 1051.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nodeIdFor, parseTopology, type TopologyDoc } from '../cluster/topology.js';
import { planTopology } from '../cluster/plan.js';
import type { MemberRecord } from './coordinator.js';
import {
  applyGrant,
  applyProbe,
  applyRenewal,
  beginManualFailover,
  decide,
  DEFAULT_LEASE_PARAMS,
  electionWaitUntil,
  grant,
  grantExpiredAt,
  leaseSafeAt,
  nodeWriteDeadline,
  planFailovers,
  planHealth,
  planMembership,
  recordGrant,
  stepManual,
  toProbe,
  validateLeaseParams,
  type ControllerView,
  type ManualFailover,
  type NodeStatus,
} from './decisions.js';

const P = DEFAULT_LEASE_PARAMS;
const SLOTS: Array<[number, number, string]> = [[0, 8191, 's1'], [8192, 16383, 's2']];
const IDS = ['a', 'b', 'c', 'd', 'e'];

/** Epoch `epoch` with shards s1 = [primary, ...replicas] and s2 likewise; `failed` marked. */
function doc(epoch: number, s1: string[], s2: string[], failed: string[] = []): TopologyDoc {
  return parseTopology({
    epoch,
    shards: [
      { id: 's1', weight: 1, primary: s1[0], replicas: s1.slice(1) },
      { id: 's2', weight: 1, primary: s2[0], replicas: s2.slice(1) },
    ],
    nodes: IDS.map((id, i) => ({ id, host: `10.0.0.${i + 1}`, port: 7000, ...(failed.includes(id) ? { failed: true } : {}) })),
    slots: SLOTS,
    migrating: [],
  });
}
const DOC7 = doc(7, ['a', 'b', 'c'], ['d', 'e']);

type Overrides = Record<string, Partial<NodeStatus> | null>;

/** Statuses at `now`: everyone renewed at `now`, a and d granted then; null removes a node. */
function statuses(now: number, over: Overrides = {}): Map<string, NodeStatus> {
  const base: Record<string, Partial<NodeStatus>> = {
    a: { role: 'primary', replid: 'r1', offset: 500, masterLinkUp: false, lastGrantAt: now, grantedMs: 1000 },
    b: { replid: 'r1', offset: 480 },
    c: { replid: 'r1', offset: 490 },
    d: { role: 'primary', replid: 'r2', offset: 900, masterLinkUp: false, lastGrantAt: now, grantedMs: 1000 },
    e: { replid: 'r2', offset: 900 },
  };
  const map = new Map<string, NodeStatus>();
  for (const id of IDS) {
    if (over[id] === null) continue;
    map.set(id, {
      id,
      runId: `run-${id}`,
      lastRenewalAt: now,
      lastGrantAt: -Infinity,
      grantedMs: 0,
      role: 'replica',
      epoch: 7,
      replid: null,
      offset: 0,
      masterLinkUp: true,
      probe: null,
      ...base[id],
      ...over[id],
    });
  }
  return map;
}

function view(now: number, over: Overrides = {}, rest: Partial<ControllerView> = {}): ControllerView {
  return {
    now,
    electedAt: 0,
    authorityUntil: Infinity,
    params: P,
    doc: DOC7,
    pending: null,
    nodes: statuses(now, over),
    members: [],
    desiredShards: 2,
    manual: null,
    ...rest,
  };
}

/** a renewed and was granted 1000 ms at 1000, then fell silent. */
const aSilentSince1000 = { a: { lastRenewalAt: 1000, lastGrantAt: 1000, grantedMs: 1000 } };

// ---------------------------------------------------------------- timing

test('lease arithmetic: the deadline, the expiry, the election wait, at the defaults', () => {
  // 1000 * 0.999 / 1.001 = 998.002: the node writes until sentAt + 948.002 on its own clock.
  assert.equal(nodeWriteDeadline(5000, 1000, P).toFixed(3), '5948.002');
  assert.equal(nodeWriteDeadline(5000, 0, P), 4950);
  // The controller: 1000 * 1.001 + 50 after the grant.
  assert.equal(grantExpiredAt({ lastGrantAt: 1000, grantedMs: 1000 }, P), 2051);
  assert.equal(grantExpiredAt({ lastGrantAt: -Infinity, grantedMs: 0 }, P), -Infinity);
  assert.equal(electionWaitUntil(1500, P), 2551);
  assert.equal(leaseSafeAt({ lastGrantAt: 1000, grantedMs: 1000 }, 1500, P), 2551);
  assert.equal(leaseSafeAt({ lastGrantAt: 1600, grantedMs: 1000 }, 1500, P), 2651);
});

test('the controller keeps the grant with the latest expiry, not the last one', () => {
  const held = { lastGrantAt: 1000, grantedMs: 1000 }; // expires 2051
  assert.deepEqual(recordGrant(held, 1100, 0, P), held); // a refusal shortens nothing
  assert.deepEqual(recordGrant(held, 1100, 300, P), held); // 1100 + 300.3 + 50 < 2051
  assert.deepEqual(recordGrant(held, 1100, 1000, P), { lastGrantAt: 1100, grantedMs: 1000 });
  assert.deepEqual(recordGrant({ lastGrantAt: -Infinity, grantedMs: 0 }, 7, 10, P), { lastGrantAt: 7, grantedMs: 10 });
});

test('without the drift corrections a node could write after the controller moved on', () => {
  // Same real send and grant time; node clock slow by ρ, controller clock fast by ρ. Naive rules
  // (deadline sentAt + g, expiry grantAt + g): the node stops at 1000/0.999 = 1001.0 real ms,
  // the controller acts at 1000/1.001 = 999.0. With the real rules: 949.0 against 1050.0.
  const slow = 1 - P.driftRate;
  const fast = 1 + P.driftRate;
  assert.ok(1000 / slow > 1000 / fast);
  assert.equal(((nodeWriteDeadline(0, 1000, P) - 0) / slow).toFixed(1), '949.0');
  assert.equal((grantExpiredAt({ lastGrantAt: 0, grantedMs: 1000 }, P) / fast).toFixed(1), '1050.0');
});

test('validateLeaseParams', () => {
  validateLeaseParams({ ...P });
  assert.throws(() => validateLeaseParams({ ...P, suspectAfterMs: 100 }), /suspectAfterMs/);
  assert.throws(() => validateLeaseParams({ ...P, leaseMs: 150 }), /outlast/); // 149.7 - 50 < 100
  assert.throws(() => validateLeaseParams({ ...P, driftRate: 1 }), /driftRate/);
  assert.throws(() => validateLeaseParams({ ...P, marginMs: -1 }), /marginMs/);
});

// ---------------------------------------------------------------- failover

const FAILOVER_A_TO_C = doc(8, ['c', 'b', 'a'], ['d', 'e'], ['a']);

test('lease expiry: a renewed at 1000 with a 1000 ms grant; nothing until 2051, then c (highest offset)', () => {
  const table: Array<[number, ReturnType<typeof planFailovers>]> = [
    [1300, { doc: null, changes: [], blocked: [] }], // silent for exactly 300: not yet silent
    [1301, { doc: null, changes: [], blocked: [] }], // silent, but its lease may be live
    [2050, { doc: null, changes: [], blocked: [] }],
    [2051, { doc: FAILOVER_A_TO_C, changes: [{ shard: 's1', from: 'a', to: 'c', reason: 'lease-expired' }], blocked: [] }],
  ];
  for (const [now, expected] of table) assert.deepEqual(planFailovers(view(now, aSilentSince1000)), expected, `at ${now}`);
});

test('a newly elected controller waits out what its predecessor may have granted', () => {
  // Elected at 1500, never heard from a: no lease of a counts as expired before 1500 + 1051.
  const unheard = { a: null };
  assert.equal(planFailovers(view(2550, unheard, { electedAt: 1500 })).doc, null);
  assert.deepEqual(planFailovers(view(2551, unheard, { electedAt: 1500 })).changes, [{ shard: 's1', from: 'a', to: 'c', reason: 'lease-expired' }]);
  // Heard once at 1600 and granted 1000 there: its own grant runs out later, at 2651.
  const once = { a: { lastRenewalAt: 1600, lastGrantAt: 1600, grantedMs: 1000 } };
  assert.equal(planFailovers(view(2650, once, { electedAt: 1500 })).doc, null);
  assert.deepEqual(planFailovers(view(2651, once, { electedAt: 1500 })).doc, FAILOVER_A_TO_C);
});

test('a primary proven dead fails over at once, even just after an election', () => {
  const dead = (probeAt: number, result: 'dead' | 'alive' | 'unknown'): Overrides => ({
    a: { lastRenewalAt: 1520, lastGrantAt: 1520, grantedMs: 1000, probe: { result, at: probeAt } },
  });
  const at = (now: number, over: Overrides) => planFailovers(view(now, over, { electedAt: 1500 }));
  assert.deepEqual(at(1530, dead(1530, 'dead')), { doc: FAILOVER_A_TO_C, changes: [{ shard: 's1', from: 'a', to: 'c', reason: 'dead' }], blocked: [] });
  // A probe older than the last renewal proves nothing; neither does a timeout.
  assert.equal(at(1530, dead(1510, 'dead')).doc, null);
  assert.equal(at(1900, dead(1890, 'unknown')).doc, null);
  assert.equal(at(1900, dead(1890, 'alive')).doc, null);
});

test('candidates: highest offset, ties to the lowest id, same replid, live, not failed unless back on the current epoch', () => {
  const pick = (over: Overrides, d: TopologyDoc = DOC7) => {
    const dead = { ...over, a: { probe: { result: 'dead' as const, at: 1001 }, lastRenewalAt: 1000, ...over.a } };
    const plan = planFailovers(view(1001, dead, { doc: d }));
    return plan.changes.length > 0 ? plan.changes[0].to : plan.blocked[0].why;
  };
  assert.equal(pick({}), 'c');
  assert.equal(pick({ b: { offset: 490 } }), 'b'); // tie: b < c
  assert.equal(pick({ c: { replid: 'r0', offset: 999 } }), 'b'); // c followed another history
  assert.equal(pick({ a: { replid: null }, c: { replid: 'r0', offset: 999 } }), 'c'); // P's replid unknown: any
  assert.equal(pick({ c: { lastRenewalAt: 700 } }), 'b'); // c silent
  assert.equal(pick({ c: { role: 'none' } }), 'b'); // c not (yet) a replica
  assert.equal(pick({ c: { epoch: 6 } }, doc(7, ['a', 'b', 'c'], ['d', 'e'], ['c'])), 'b'); // c marked failed, not back
  assert.equal(pick({}, doc(7, ['a', 'b', 'c'], ['d', 'e'], ['c'])), 'c'); // c marked failed, but renewing on epoch 7: back
  assert.equal(pick({ b: { lastRenewalAt: 600 }, c: { lastRenewalAt: 700 } }), 'no live replica');
  assert.equal(pick({ b: { replid: 'r0' }, c: { replid: 'r0' } }), 'no live replica follows replid r1');
  assert.equal(pick({}, doc(7, ['a'], ['d', 'e', 'b', 'c'])), 'no replica');
});

test('no candidate: the shard is left as it is and reported as blocked', () => {
  const over: Overrides = { ...aSilentSince1000, b: { lastRenewalAt: 1000 }, c: { lastRenewalAt: 1000 } };
  assert.deepEqual(planFailovers(view(2051, over)), {
    doc: null,
    changes: [],
    blocked: [{ shard: 's1', primary: 'a', reason: 'lease-expired', why: 'no live replica' }],
  });
});

test('two shards fail over in one document', () => {
  const over: Overrides = { a: { probe: { result: 'dead', at: 1001 }, lastRenewalAt: 1000 }, d: { probe: { result: 'dead', at: 1001 }, lastRenewalAt: 1000 } };
  const plan = planFailovers(view(1001, over));
  assert.deepEqual(plan.doc, doc(8, ['c', 'b', 'a'], ['e', 'd'], ['a', 'd']));
  assert.deepEqual(plan.changes.map((c) => `${c.shard}:${c.from}->${c.to}`), ['s1:a->c', 's2:d->e']);
});

test('a restarted primary is refused a lease and replaced by a replica with the old history', () => {
  const v = view(1200);
  // a's process restarts: new run id, empty, a new replid, not yet primary in its own eyes.
  const restarted = applyRenewal(v.nodes.get('a'), 'a', { runId: 'run-a2', role: 'none', epoch: 0, replid: 'r9', offset: 0, masterLinkUp: false }, 1200);
  assert.equal(restarted.restartedAt, 1200);
  assert.equal(restarted.previousReplid, 'r1');
  assert.equal(restarted.lastGrantAt, -Infinity); // the old process's lease died with it
  const nodes = new Map(v.nodes).set('a', restarted);
  const after = { ...v, nodes };
  assert.equal(grant(after, 'a'), 0);
  assert.deepEqual(planFailovers(after), { doc: FAILOVER_A_TO_C, changes: [{ shard: 's1', from: 'a', to: 'c', reason: 'restarted' }], blocked: [] });

  // Without a replica to take over it is granted, and so trusted with its (empty) data.
  const alone = { ...after, doc: doc(7, ['a'], ['d', 'e', 'b', 'c']) };
  assert.equal(grant(alone, 'a'), 1000);
  const trusted = applyGrant(restarted, 1200, 1000, P);
  assert.equal(trusted.restartedAt, undefined);
  assert.deepEqual(planFailovers({ ...alone, nodes: new Map(nodes).set('a', trusted) }).changes, []);
});

test('a fresh primary (a new process a newly elected controller never knew) is replaced by a replica with data; at bootstrap nobody is', () => {
  // The controller was elected after a's process restarted: it has no earlier status of a.
  const v = view(1200, { a: null });
  const fresh = applyRenewal(undefined, 'a', { runId: 'run-a2', role: 'primary', epoch: 7, replid: 'r9', offset: 0, masterLinkUp: false, fresh: true }, 1200);
  assert.deepEqual([fresh.restartedAt, fresh.previousReplid], [1200, null]);
  const after = { ...v, nodes: new Map(v.nodes).set('a', fresh) };
  assert.equal(grant(after, 'a'), 0);
  // History unknown: the replica with the highest offset (c: 490) takes over.
  assert.deepEqual(planFailovers(after).changes, [{ shard: 's1', from: 'a', to: 'c', reason: 'restarted' }]);
  // A second renewal of the same fresh process changes nothing.
  assert.equal(applyRenewal(fresh, 'a', { runId: 'run-a2', role: 'primary', epoch: 7, replid: 'r9', offset: 0, masterLinkUp: false, fresh: true }, 1300).restartedAt, 1200);
  // A replica this controller has not heard from yet: the fresh primary waits for it (leaseMs).
  const unheard = { ...after, nodes: new Map(after.nodes).set('b', { ...after.nodes.get('b')!, lastRenewalAt: -Infinity }).set('c', { ...after.nodes.get('c')!, lastRenewalAt: -Infinity }) };
  assert.equal(grant(unheard, 'a'), 0);
  assert.equal(grant({ ...unheard, now: 2199 }, 'a'), 0);
  assert.equal(grant({ ...unheard, now: 2200 }, 'a'), 1000);
  // Bootstrap: every node is fresh; replicas without data are no candidates, so the primary is
  // granted (and so trusted), and nothing fails over.
  const boot = view(1200, { b: { fresh: true, replid: 'x', offset: 0 }, c: { fresh: true, replid: 'y', offset: 0 } });
  const bootNodes = new Map(boot.nodes).set('a', fresh);
  assert.equal(grant({ ...boot, nodes: bootNodes }, 'a'), 1000);
  assert.deepEqual(planFailovers({ ...boot, nodes: bootNodes }).changes, []);
});

test('a primary dead right after its replicas\' first copy: the replicas say they hold data, and one takes over', () => {
  // Bootstrap: b and c first renewed fresh (restartedAt set: this controller never knew them).
  const bootB = applyRenewal(undefined, 'b', { runId: 'run-b', role: 'replica', epoch: 7, replid: 'r0', offset: 0, masterLinkUp: false, fresh: true }, 900);
  const bootC = applyRenewal(undefined, 'c', { runId: 'run-c', role: 'replica', epoch: 7, replid: 'r0', offset: 0, masterLinkUp: false, fresh: true }, 900);
  // Their copies from a completed, but a was killed before either renewed with the link up; the
  // next renewals: data held (fresh false), replid r1 (a's), the link down.
  const b = applyRenewal(bootB, 'b', { runId: 'run-b', role: 'replica', epoch: 7, replid: 'r1', offset: 480, masterLinkUp: false, fresh: false }, 1001);
  const c = applyRenewal(bootC, 'c', { runId: 'run-c', role: 'replica', epoch: 7, replid: 'r1', offset: 490, masterLinkUp: false, fresh: false }, 1001);
  const dead = view(1001, { a: { probe: { result: 'dead', at: 1001 }, lastRenewalAt: 1000 } });
  const nodes = new Map(dead.nodes).set('b', b).set('c', c);
  assert.deepEqual(planFailovers({ ...dead, nodes }).changes, [{ shard: 's1', from: 'a', to: 'c', reason: 'dead' }]);
  // Had they renewed fresh (no copy completed), nobody holds data: blocked, and a restarted a is trusted.
  const stillFresh = new Map(dead.nodes).set('b', bootB).set('c', bootC);
  assert.deepEqual(planFailovers({ ...dead, nodes: stillFresh }).blocked.map((x) => x.why), ['no live replica']);
});

test('applyRenewal, applyGrant and applyProbe', () => {
  const r = { runId: 'x1', role: 'replica' as const, epoch: 3, replid: 'r1', offset: 10, masterLinkUp: false };
  const first = applyRenewal(undefined, 'n', r, 100);
  assert.deepEqual(first, { id: 'n', lastRenewalAt: 100, lastGrantAt: -Infinity, grantedMs: 0, probe: null, ...r });
  const restarted = applyRenewal(applyGrant(first, 100, 500, P), 'n', { ...r, runId: 'x2', replid: 'r7' }, 200);
  assert.deepEqual([restarted.restartedAt, restarted.previousReplid, restarted.lastGrantAt], [200, 'r1', -Infinity]);
  // Restarting again before being trusted keeps the first history.
  assert.equal(applyRenewal(restarted, 'n', { ...r, runId: 'x3', replid: 'r8' }, 300).previousReplid, 'r1');
  // Synced as a replica: the restart no longer matters.
  const synced = applyRenewal(restarted, 'n', { ...r, runId: 'x2', masterLinkUp: true }, 300);
  assert.equal('restartedAt' in synced || 'previousReplid' in synced, false);
  assert.deepEqual(applyProbe(synced, 'n', 'dead', 400).probe, { result: 'dead', at: 400 });
  // Synced, then the primary died before a renewal with the link up went out: the renewal says
  // it holds data (fresh false) with the link down. Trusted too; a fresh one with the link down is not.
  const fresh = applyRenewal(undefined, 'm', { ...r, runId: 'y1', fresh: true }, 100);
  assert.equal(fresh.restartedAt, 100);
  assert.equal(applyRenewal(fresh, 'm', { ...r, runId: 'y1', fresh: true }, 200).restartedAt, 100);
  const copied = applyRenewal(fresh, 'm', { ...r, runId: 'y1', fresh: false }, 200);
  assert.equal('restartedAt' in copied || 'previousReplid' in copied, false);
  assert.deepEqual(applyGrant(first, 150, 0, P), first);
});

// ---------------------------------------------------------------- grant and probes

test('grant: leaseMs, capped by authority, 0 to anyone who must not write', () => {
  const m = (phase: ManualFailover['phase']): ManualFailover => ({ shard: 's1', replica: 'c', primary: 'a', startedAt: 900, phase });
  const table: Array<[string, Partial<ControllerView>, string, number]> = [
    ['primary', {}, 'a', 1000],
    ['replica', {}, 'b', 0],
    ['authority until 1300.5', { authorityUntil: 1300.5 }, 'a', 300],
    ['authority until 1000', { authorityUntil: 1000 }, 'a', 0],
    ['authority ended', { authorityUntil: 900 }, 'a', 0],
    ['no document', { doc: null }, 'a', 0],
    ['replaced in the pending document', { pending: FAILOVER_A_TO_C }, 'a', 0],
    ['primary of the pending document only', { pending: FAILOVER_A_TO_C }, 'c', 0],
    ['replaced by the document', { doc: FAILOVER_A_TO_C }, 'a', 0],
    ['promoted by the document', { doc: FAILOVER_A_TO_C }, 'c', 1000],
    ['manual pause', { manual: m('pause') }, 'a', 0],
    ['manual catch-up', { manual: m('catch-up') }, 'a', 0],
    ['manual lease', { manual: m('lease') }, 'a', 0],
    ['manual done', { manual: m('done') }, 'a', 0],
    ['manual aborted', { manual: m('aborted') }, 'a', 1000],
    ['other shard in manual', { manual: m('lease') }, 'd', 1000],
  ];
  for (const [name, rest, id, ms] of table) assert.equal(grant(view(1000, {}, rest), id), ms, name);
});

test('toProbe: silent primaries, primaries a replica lost its link to, silent replicas; once per probeEveryMs', () => {
  const over: Overrides = { a: { lastRenewalAt: 1000 }, b: { lastRenewalAt: 1050 }, e: { masterLinkUp: false } };
  assert.deepEqual(toProbe(view(1400, over)), ['a', 'b', 'd']);
  const probed = { ...over, a: { lastRenewalAt: 1000, probe: { result: 'unknown' as const, at: 1350 } } };
  assert.deepEqual(toProbe(view(1400, probed)), ['b', 'd']);
  assert.deepEqual(toProbe(view(1450, { ...probed, b: { lastRenewalAt: 1400 } })), ['a', 'd']);
  // Failed replicas are not probed; nothing to probe before the first document.
  assert.deepEqual(toProbe(view(1400, over, { doc: doc(7, ['a', 'b', 'c'], ['d', 'e'], ['b']) })), ['a', 'd']);
  assert.deepEqual(toProbe(view(1400, over, { doc: null })), []);
  assert.deepEqual(toProbe(view(1300, { a: { lastRenewalAt: 1000 } })), []);
});

// ---------------------------------------------------------------- health

test('health: a replica unreachable for suspectAfterMs + leaseMs is marked failed', () => {
  const e = (probe: NodeStatus['probe']): Overrides => ({ e: { lastRenewalAt: 1000, probe } });
  const unknown = e({ result: 'unknown', at: 2200 });
  assert.equal(planHealth(view(2300, unknown)), null); // silent 1300 = 300 + 1000
  assert.deepEqual(planHealth(view(2301, unknown)), { doc: doc(8, ['a', 'b', 'c'], ['d', 'e'], ['e']), failed: ['e'], recovered: [] });
  assert.equal(planHealth(view(2301, e({ result: 'dead', at: 2250 })))?.failed[0], 'e');
  assert.equal(planHealth(view(2301, e({ result: 'alive', at: 2250 }))), null);
  assert.equal(planHealth(view(2301, e({ result: 'dead', at: 900 }))), null); // before its last renewal
  assert.equal(planHealth(view(2301, e(null))), null);
  // A silent primary is failover's business, not health's.
  assert.equal(planHealth(view(2301, { d: { lastRenewalAt: 1000, probe: { result: 'dead', at: 2200 } } })), null);
});

test('health: a failed old primary that comes back as a synced replica on the current epoch is cleared', () => {
  const back = (a: Partial<NodeStatus>) => planHealth(view(3000, { a: { role: 'replica', epoch: 8, masterLinkUp: true, replid: 'r1', ...a } }, { doc: FAILOVER_A_TO_C }));
  assert.deepEqual(back({}), { doc: doc(9, ['c', 'b', 'a'], ['d', 'e']), failed: [], recovered: ['a'] });
  assert.equal(back({ masterLinkUp: false }), null);
  assert.equal(back({ epoch: 7 }), null);
  assert.equal(back({ role: 'primary' }), null);
  assert.equal(back({ lastRenewalAt: 2000 }), null);
});

// ---------------------------------------------------------------- membership

const member = (i: number): MemberRecord => ({ id: nodeIdFor('10.0.1.' + i, 7000), host: '10.0.1.' + i, port: 7000, runId: `m${i}` });
const at7000 = (...ns: number[]) => ns.map((i) => ({ host: '10.0.1.' + i, port: 7000 }));

test('bootstrap: the first desiredShards members are primaries, the rest spread by fewest replicas', () => {
  const members = [1, 2, 3, 4, 5].map(member);
  const plan = planMembership(view(0, {}, { doc: null, members }))!;
  assert.deepEqual(plan.doc, planTopology([{ nodes: at7000(1, 3, 5) }, { nodes: at7000(2, 4) }], { epoch: 1 }));
  assert.deepEqual(plan.doc.shards.map((s) => [s.id, s.primary, s.replicas]), [
    ['10.0.1.1:7000', member(1).id, [member(3).id, member(5).id]],
    ['10.0.1.2:7000', member(2).id, [member(4).id]],
  ]);
  assert.deepEqual(plan.joined, [
    { node: member(3).id, shard: '10.0.1.1:7000' },
    { node: member(4).id, shard: '10.0.1.2:7000' },
    { node: member(5).id, shard: '10.0.1.1:7000' },
  ]);
  assert.equal(planMembership(view(0, {}, { doc: null, members: [member(1)] })), null);
  // A record whose id is not its address's is left out (here: too few members remain).
  assert.equal(planMembership(view(0, {}, { doc: null, members: [member(1), { ...member(2), id: 'x' }] })), null);
});

test('joins: each newcomer becomes a replica of the shard with the fewest non-failed replicas', () => {
  const [f, g] = [member(6), member(7)];
  const plan = planMembership(view(0, {}, { members: [f, g] }))!;
  // s1 has 2 replicas, s2 has 1: f joins s2; then 2 and 2, g joins s1 (shard order).
  assert.deepEqual(plan.doc.shards.map((s) => s.replicas), [['b', 'c', g.id], ['e', f.id]]);
  assert.equal(plan.doc.epoch, 8);
  assert.deepEqual(plan.doc.nodes.slice(5), [{ id: f.id, host: f.host, port: 7000 }, { id: g.id, host: g.host, port: 7000 }]);
  assert.deepEqual(plan.joined, [{ node: f.id, shard: 's2' }, { node: g.id, shard: 's1' }]);
  // With e failed s2 counts 0: both join s2.
  const failedE = planMembership(view(0, {}, { members: [f, g], doc: doc(7, ['a', 'b', 'c'], ['d', 'e'], ['e']) }))!;
  assert.deepEqual(failedE.joined.map((j) => j.shard), ['s2', 's2']);
  assert.equal(planMembership(view(0, {}, { members: [] })), null);
  // Members already in the document, or whose id is not their address's, do not join.
  const placed = (id: string): MemberRecord => ({ id, host: '10.0.0.9', port: 7000, runId: 'r' });
  assert.equal(planMembership(view(0, {}, { members: [placed('a'), placed('e')] })), null);
  assert.equal(planMembership(view(0, {}, { members: [placed('a'), { ...f, id: 'x' }] })), null);
  // A placed member listed before a newcomer does not hide it.
  assert.deepEqual(planMembership(view(0, {}, { members: [placed('b'), g] }))!.joined, [{ node: g.id, shard: 's2' }]);
});

// ---------------------------------------------------------------- manual failover

test('manual failover: pause, catch-up, lease, publish', () => {
  // a was last granted 1000 ms at 2950 (expiry 4001); the operator asks for c at 3000.
  const base = (now: number, over: Overrides, manual: ManualFailover | null) =>
    view(now, { a: { lastGrantAt: 2950, grantedMs: 1000 }, ...over }, { manual });
  const begun = beginManualFailover(base(3000, {}, null), 'c');
  assert.deepEqual(begun, { manual: { shard: 's1', replica: 'c', primary: 'a', startedAt: 3000, phase: 'pause' } });
  let m = (begun as { manual: ManualFailover }).manual;

  const steps: Array<[number, Overrides, Partial<ManualFailover>, ManualFailover['phase'], unknown[]]> = [
    [3000, {}, {}, 'pause', [{ kind: 'pause-writes', node: 'a', forMs: 5000 }]],
    [3005, {}, {}, 'pause', []], // asked once; waiting for the answer
    [3010, { c: { offset: 590 } }, { pausedOffset: 600 }, 'catch-up', []], // the loop recorded a's answer
    // The acknowledged pause (5000 ms from 3000) outlasts a's last grant (expiry 4001): the
    // pause fences a, and the switch follows the catch-up at once.
    [3050, { c: { offset: 600 } }, {}, 'done', [{ kind: 'publish', doc: doc(8, ['c', 'b', 'a'], ['d', 'e']) }]],
  ];
  for (const [now, over, loopSets, phase, actions] of steps) {
    const v = base(now, over, { ...m, ...loopSets });
    if (now < 4001) assert.equal(grant(v, 'a'), 0, `grant at ${now}`);
    const step = stepManual(v);
    assert.equal(step.manual?.phase, phase, `phase at ${now}`);
    assert.deepEqual(step.actions, actions, `actions at ${now}`);
    m = step.manual!;
  }
  assert.equal(m.pauseSentAt, 3000);
});

test('manual failover: a pause that may not outlast the lease waits for the lease', () => {
  // The same, but only 900 ms were left before the timeout when the pause was asked for.
  const m: ManualFailover = { shard: 's1', replica: 'c', primary: 'a', startedAt: 3000, phase: 'catch-up', pausedOffset: 600, pauseSentAt: 3000, pauseForMs: 900 };
  const at = (now: number) => stepManual(view(now, { a: { lastGrantAt: 2950, grantedMs: 1000 }, c: { offset: 600 } }, { manual: m }));
  assert.equal(at(3050).manual?.phase, 'lease');
  assert.equal(at(4000).manual?.phase, 'lease');
  assert.equal(at(4001).manual?.phase, 'done');
});

test('manual failover aborts: timeout, replica silent, superseded', () => {
  const m: ManualFailover = { shard: 's1', replica: 'c', primary: 'a', startedAt: 3000, phase: 'catch-up', pausedOffset: 600, pauseSentAt: 3000 };
  const step = (now: number, over: Overrides = {}, rest: Partial<ControllerView> = {}) => stepManual(view(now, over, { manual: m, ...rest }));
  assert.deepEqual(step(7999), { manual: m, actions: [] });
  assert.deepEqual(step(8000), { manual: { ...m, phase: 'aborted', reason: 'timeout' }, actions: [{ kind: 'resume-writes', node: 'a' }] });
  assert.equal(grant(view(8000, {}, { manual: step(8000).manual }), 'a'), 1000);
  assert.deepEqual(step(3401, { c: { lastRenewalAt: 3100 } }).manual?.reason, 'replica stopped renewing');
  assert.deepEqual(step(3100, {}, { doc: doc(8, ['b', 'c', 'a'], ['d', 'e'], ['a']) }), {
    manual: { ...m, phase: 'aborted', reason: 'superseded: epoch 8 made b primary' },
    actions: [],
  });
  assert.equal(step(3100, {}, { doc: FAILOVER_A_TO_C }).manual?.phase, 'done');
  assert.equal(step(3100, {}, { doc: doc(8, ['a', 'b'], ['d', 'e', 'c']) }).manual?.reason, 'replica left the shard');
});

test('beginManualFailover refuses what cannot work', () => {
  const table: Array<[string, Overrides, Partial<ControllerView>, string]> = [
    ['a', {}, {}, 'a is already the primary of shard s1'],
    ['x', {}, {}, 'x is not in the topology'],
    ['c', { c: { lastRenewalAt: 0 } }, {}, 'c is not renewing'],
    ['c', { a: { lastRenewalAt: 0 } }, {}, 'primary a is not renewing: automatic failover handles it'],
    ['c', {}, { doc: doc(7, ['a', 'b', 'c'], ['d', 'e'], ['c']) }, 'c is marked failed'],
    ['c', {}, { doc: null }, 'no topology yet'],
    ['e', {}, { manual: { shard: 's1', replica: 'c', primary: 'a', startedAt: 0, phase: 'lease' } }, 'a manual failover of shard s1 is in progress'],
  ];
  for (const [replica, over, rest, error] of table) assert.deepEqual(beginManualFailover(view(1000, over, rest), replica), { error });
});

// ---------------------------------------------------------------- decide

test('decide: bootstrap first; failovers before joins; one document per call', () => {
  const members = [1, 2, 3].map(member);
  const boot = decide(view(0, {}, { doc: null, members }));
  assert.deepEqual([boot.publish?.epoch, boot.reasons, boot.probes], [1, ['bootstrap: 2 shards, 3 nodes'], []]);

  const deadA = { a: { lastRenewalAt: 1000, probe: { result: 'dead' as const, at: 1001 } } };
  const first = decide(view(1001, deadA, { members: [member(6)] }));
  assert.deepEqual(first.publish, FAILOVER_A_TO_C);
  assert.deepEqual(first.reasons, ['failover s1: a -> c (dead)']);
  // Next turn, on epoch 8: s1 counts one replica not marked failed (b; a is), as s2 (e): s1.
  const next = decide(view(1100, deadA, { members: [member(6)], doc: FAILOVER_A_TO_C }));
  assert.deepEqual(next.reasons, [`join s1: ${member(6).id}`]);
  assert.equal(next.publish?.epoch, 9);
});

test('decide: health before joins; nothing published while a write is pending or without authority', () => {
  const eGone: Overrides = { e: { lastRenewalAt: 1000, probe: { result: 'dead', at: 2200 } } };
  assert.deepEqual(decide(view(2301, eGone, { members: [member(6)] })).reasons, ['health: e failed']);
  const pending = decide(view(2301, eGone, { pending: FAILOVER_A_TO_C }));
  assert.deepEqual([pending.publish, pending.reasons, pending.probes], [null, ['not publishing: epoch 8 is being written'], ['e']]);
  assert.deepEqual(decide(view(2301, eGone, { authorityUntil: 2301 })).reasons, ['not publishing: authority ended at 2301']);
  const blocked: Overrides = { ...aSilentSince1000, b: { lastRenewalAt: 1000 }, c: { lastRenewalAt: 1000 } };
  assert.deepEqual(decide(view(2051, blocked)).reasons, ['blocked s1: primary a lease-expired, no live replica']);
});

test('decide: a manual publish waits for a turn without a failover', () => {
  const m: ManualFailover = { shard: 's1', replica: 'c', primary: 'a', startedAt: 3000, phase: 'lease', pausedOffset: 600, pauseSentAt: 3000 };
  const over: Overrides = { a: { lastGrantAt: 2950, grantedMs: 1000 }, c: { offset: 600 } };
  const deadD = { ...over, d: { lastRenewalAt: 4000, probe: { result: 'dead' as const, at: 4001 } } };
  const busy = decide(view(4001, deadD, { manual: m }));
  assert.deepEqual(busy.reasons, ['failover s2: d -> e (dead)', 'manual s1: publish deferred']);
  assert.deepEqual(busy.manual, m);
  const free = decide(view(4001, over, { manual: m }));
  assert.deepEqual([free.reasons, free.manual?.phase, free.publish], [['manual s1: lease -> done'], 'done', doc(8, ['c', 'b', 'a'], ['d', 'e'])]);
  const paused = decide(view(3000, {}, { manual: { ...m, phase: 'pause', pausedOffset: undefined, pauseSentAt: undefined } }));
  assert.deepEqual(paused.actions, [{ kind: 'pause-writes', node: 'a', forMs: 5000 }]);
});

// ---------------------------------------------------------------- properties

const rho = fc.double({ min: 0, max: 0.01, noNaN: true });
/** A clock rate within ±ρ of real time, the extremes included. */
const rateWithin = (r: number) => fc.oneof(fc.constantFrom(1 - r, 1 + r, 1), fc.double({ min: 1 - r, max: 1 + r, noNaN: true }));

test('property: the node stops writing before the controller considers the lease expired, for all drifts within ±ρ', () => {
  fc.assert(
    fc.property(
      rho.chain((r) => fc.tuple(fc.constant(r), rateWithin(r), rateWithin(r))),
      fc.double({ min: 0, max: 1e6, noNaN: true }), // real time the renewal is sent
      fc.double({ min: 0, max: 5000, noNaN: true }), // until the controller grants
      fc.integer({ min: 0, max: 10000 }), // grant
      fc.integer({ min: 1, max: 200 }), // margin
      fc.double({ min: -1e9, max: 1e9, noNaN: true }), // node clock offset
      fc.double({ min: -1e9, max: 1e9, noNaN: true }), // controller clock offset
      ([r, nodeRate, ctlRate], sentReal, delay, g, marginMs, nodeOff, ctlOff) => {
        const params = { driftRate: r, marginMs };
        const grantReal = sentReal + delay;
        const deadline = nodeWriteDeadline(nodeOff + nodeRate * sentReal, g, params);
        const expiry = grantExpiredAt({ lastGrantAt: ctlOff + ctlRate * grantReal, grantedMs: g }, params);
        const nodeStopsReal = (deadline - nodeOff) / nodeRate;
        const controllerActsReal = (expiry - ctlOff) / ctlRate;
        assert.ok(nodeStopsReal < controllerActsReal, `${nodeStopsReal} >= ${controllerActsReal}`);
      },
    ),
    { numRuns: 2000 },
  );
});

test('property: a successor that waits out the election never overlaps a predecessor grant', () => {
  fc.assert(
    fc.property(
      rho.chain((r) => fc.tuple(fc.constant(r), rateWithin(r), rateWithin(r))),
      fc.double({ min: 0, max: 1e6, noNaN: true }), // real time the successor is elected
      fc.double({ min: 0, max: 5000, noNaN: true }), // the predecessor's last renewal was sent this long before
      fc.double({ min: 0, max: 1, noNaN: true }), // and granted this fraction of leaseMs
      fc.double({ min: 0, max: 1000, noNaN: true }), // the successor learns it won this much later
      ([r, nodeRate, ctlRate], electedReal, before, fraction, late) => {
        const params = { ...P, driftRate: r };
        const deadline = nodeWriteDeadline(nodeRate * (electedReal - before), fraction * params.leaseMs, params);
        const wait = electionWaitUntil(ctlRate * (electedReal + late), params);
        assert.ok(deadline / nodeRate < wait / ctlRate);
      },
    ),
    { numRuns: 1000 },
  );
});

/** Random views over the fixture's cluster: who renews, probes, replids, offsets, marks, restarts. */
const randomView = fc
  .record({
    now: fc.integer({ min: 0, max: 5000 }),
    electedAt: fc.integer({ min: -2000, max: 5000 }),
    shape: fc.constantFrom<[string[], string[]]>([['a', 'b', 'c'], ['d', 'e']], [['a'], ['d', 'e', 'b', 'c']], [['a', 'b', 'c', 'd'], ['e']]),
    failed: fc.subarray(IDS, { maxLength: 2 }),
    nodes: fc.array(
      fc.record({
        // Biased towards live replicas, so that most runs have a candidate to check.
        silentFor: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 300 }), weight: 3 }, { arbitrary: fc.integer({ min: -1, max: 3000 }), weight: 2 }),
        granted: fc.option(fc.record({ ago: fc.integer({ min: 0, max: 3000 }), ms: fc.integer({ min: 0, max: 1000 }) })),
        probe: fc.option(fc.record({ result: fc.constantFrom('dead' as const, 'alive' as const, 'unknown' as const), ago: fc.integer({ min: 0, max: 3000 }) })),
        role: fc.constantFrom('replica' as const, 'replica' as const, 'primary' as const, 'none' as const),
        replid: fc.constantFrom('r1', 'r1', 'r2', null),
        offset: fc.integer({ min: 0, max: 5 }),
        restarted: fc.integer({ min: 0, max: 4 }).map((x) => x === 0),
        epoch: fc.constantFrom(6, 7, 7),
      }),
      { minLength: 5, maxLength: 5 },
    ),
  })
  .map(({ now, electedAt, shape, failed, nodes }): ControllerView => {
    const d = doc(7, shape[0], shape[1], failed.filter((id) => id !== shape[0][0] && id !== shape[1][0]));
    const map = new Map<string, NodeStatus>();
    nodes.forEach((n, i) => {
      const id = IDS[i];
      if (n.silentFor < 0) return; // never heard from
      map.set(id, {
        id,
        runId: 'x',
        lastRenewalAt: now - n.silentFor,
        lastGrantAt: n.granted === null ? -Infinity : now - n.granted.ago,
        grantedMs: n.granted?.ms ?? 0,
        role: n.role,
        epoch: n.epoch,
        replid: n.replid,
        offset: n.offset,
        masterLinkUp: true,
        probe: n.probe === null ? null : { result: n.probe.result, at: now - n.probe.ago },
        ...(n.restarted ? { restartedAt: now - 1, previousReplid: n.replid } : {}),
      });
    });
    return { now, electedAt, authorityUntil: Infinity, params: P, doc: d, pending: null, nodes: map, members: [], desiredShards: 2, manual: null };
  });

test('property: planFailovers keeps every shard primaried and promotes only live replicas, marked failed only if back', () => {
  const seen = { dead: 0, restarted: 0, 'lease-expired': 0, blocked: 0, none: 0 };
  fc.assert(
    fc.property(randomView, (v) => {
      const before = v.doc!;
      const plan = planFailovers(v);
      for (const c of plan.changes) seen[c.reason]++;
      seen.blocked += plan.blocked.length;
      if (plan.changes.length + plan.blocked.length === 0) seen.none++;
      if (plan.doc === null) {
        assert.equal(plan.changes.length, 0);
        return;
      }
      const after = parseTopology(JSON.parse(JSON.stringify(plan.doc)));
      assert.equal(after.epoch, before.epoch + 1);
      assert.deepEqual(after.slots, before.slots);
      for (const shard of after.shards) {
        const primary = after.nodes.find((n) => n.id === shard.primary);
        assert.ok(primary !== undefined && primary.failed !== true, `shard ${shard.id} has a live primary`);
      }
      for (const c of plan.changes) {
        const s = v.nodes.get(c.to)!;
        const old = before.shards.find((x) => x.id === c.shard)!;
        assert.ok(old.replicas.includes(c.to) && old.primary === c.from);
        // A node marked failed only once it renews on the current document (back), and unmarked then.
        if (before.nodes.find((n) => n.id === c.to)!.failed === true) assert.equal(s.epoch, before.epoch, 'never promotes a failed node that is not back');
        assert.notEqual(after.nodes.find((n) => n.id === c.to)!.failed, true);
        assert.ok(v.now - s.lastRenewalAt <= P.suspectAfterMs, 'never promotes a silent node');
        assert.ok(s.restartedAt === undefined && s.role === 'replica');
        const p = v.nodes.get(c.from);
        if (c.reason === 'lease-expired') assert.ok(v.now >= leaseSafeAt(p ?? { lastGrantAt: -Infinity, grantedMs: 0 }, v.electedAt, P));
        if (c.reason === 'dead') assert.ok(p !== undefined && p.probe?.result === 'dead' && p.probe.at > p.lastRenewalAt);
        const moved = after.shards.find((x) => x.id === c.shard)!;
        assert.ok(moved.primary === c.to && moved.replicas.at(-1) === c.from);
        assert.equal(after.nodes.find((n) => n.id === c.from)!.failed, true);
      }
      // Shards without a change are untouched.
      const changed = new Set(plan.changes.map((c) => c.shard));
      for (const s of before.shards) if (!changed.has(s.id)) assert.deepEqual(after.shards.find((x) => x.id === s.id), s);
    }),
    { numRuns: 1000 },
  );
  // Not vacuous: every kind of outcome was exercised (typically each a hundred times or more).
  for (const [kind, n] of Object.entries(seen)) assert.ok(n >= 10, `${kind}: ${n} runs`);
});

test('property: grant is positive only for a primary of the document', () => {
  fc.assert(
    fc.property(randomView, fc.constantFrom(...IDS), (v, id) => {
      if (grant(v, id) > 0) assert.ok(v.doc!.shards.some((s) => s.primary === id));
    }),
  );
});

test('property: a lease-expired failover comes after the old primary stopped writing, in real time', () => {
  // a sends its last renewal at real time s and is granted g at s + delay; the controller's
  // clock runs at ctlRate, a's at nodeRate. Whenever planFailovers replaces a for lease expiry
  // at controller time now, a's write deadline has passed in real time.
  let runs = 0;
  let failovers = 0;
  fc.assert(
    fc.property(
      rateWithin(P.driftRate),
      rateWithin(P.driftRate),
      fc.integer({ min: 0, max: 1000 }), // g
      fc.integer({ min: 0, max: 50 }), // delay
      fc.integer({ min: 0, max: 3000 }), // real time of the decision after s
      (nodeRate, ctlRate, g, delay, after) => {
        runs++;
        const s = 10_000;
        const grantAt = ctlRate * (s + delay);
        const now = ctlRate * (s + after);
        const v = view(now, { a: { lastRenewalAt: grantAt, lastGrantAt: grantAt, grantedMs: g } });
        const plan = planFailovers(v);
        if (plan.changes.some((c) => c.from === 'a')) {
          failovers++;
          const deadlineReal = nodeWriteDeadline(nodeRate * s, g, P) / nodeRate;
          assert.ok(deadlineReal < s + after);
        }
      },
    ),
    { numRuns: 2000 },
  );
  assert.ok(failovers > runs / 10 && failovers < runs - runs / 10, `${failovers} failovers in ${runs} runs`);
});
