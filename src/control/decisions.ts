// The controller's decisions, as pure functions of what it knows (ControllerView) and the time
// (view.now): no I/O, no clock, no timers. The loop around them (sockets, timers, coordinator
// calls) is elsewhere; this module defines what the loop feeds in and what it must carry out.
//
// The controller is one elected process. Every primary accepts writes only under a short write
// lease the controller grants over RESP; the nodes renew every renewEveryMs (~100 ms), and each
// renewal reports the node's role, applied epoch, replication id and offset, and for a replica
// whether its link to its primary is up. The controller probes suspects (TCP connect + run id
// check) and changes the cluster only by writing topology documents (epoch + 1) through the
// coordinator's compare-and-write. The parts:
//
//   decisions-lease.ts     the lease arithmetic and the proof that a node stops writing before
//                          the controller thinks its lease is over (header there)
//   decisions-view.ts      NodeStatus, ControllerView, and the reducers the loop applies to them
//   decisions-failover.ts  grant(), toProbe(), planFailovers(): when a primary is gone, who
//                          replaces it
//   decisions-health.ts    planHealth() (failed marks) and planMembership() (bootstrap, joins)
//   decisions-manual.ts    beginManualFailover(), stepManual(): the manual failover sequence
//
// decide(view) orders them for one turn of the loop and returns at most one document:
//
//   1. probes: toProbe (always).
//   2. no document yet: bootstrap (planMembership), nothing else.
//   3. failovers: every gone primary with a candidate, in one document. First, because every
//      write to those shards fails until it is published.
//   4. the manual failover's step; its publish waits for the next turn if 3 published.
//   5. health marks, then 6. joins, each only if nothing above published.
//   Nothing is published while a document this controller wrote is still pending, or once its
//   authority has run out (now >= authorityUntil): a controller that may have been superseded
//   must not act on leases it no longer knows about.
//
// One turn of the loop, and why in this order:
//   - on a renewal: status = applyRenewal(...); ms = grant(view, id); reply ms; status =
//     applyGrant(status, now, ms). All at one `now`, read after the renewal was read, in one
//     synchronous section, so no decide() sees a renewal without its grant or vice versa.
//   - on a probe's answer: status = applyProbe(...).
//   - on a timer (every ~probeEveryMs) and after each event: d = decide(view); start d.probes;
//     send d.actions; if d.publish, set view.pending = d.publish BEFORE yielding to the event
//     loop (a renewal handled in between must already see it: see ControllerView.pending), then
//     casTopology(doc.epoch - 1, doc); on success view.doc = doc; either way pending = null;
//     view.manual = d.manual.
//
// A requirement on the coordinator that these functions cannot meet alone: a compare-and-write
// sent by a controller that has since lost its election must not land after its successor has
// started granting (the successor would grant the replaced primary a lease under the old document
// while the new one names another primary). The write must be conditional on the writer still
// holding the controller record (an etcd transaction comparing the controller key's revision; the
// local coordinator checking the caller), or the loop must not send it after authorityUntil and
// the coordinator must drop it when it arrives late.

import type { TopologyDoc } from '../cluster/topology.js';
import { planFailovers, toProbe, type FailoverChange } from './decisions-failover.js';
import { planHealth, planMembership } from './decisions-health.js';
import { stepManual, type ManualAction } from './decisions-manual.js';
import type { ControllerView, ManualFailover } from './decisions-view.js';

export * from './decisions-lease.js';
export * from './decisions-view.js';
export * from './decisions-failover.js';
export * from './decisions-health.js';
export * from './decisions-manual.js';

export type NodeCommand = Exclude<ManualAction, { kind: 'publish' }>;

export interface Decision {
  /** Nodes to probe now. */
  probes: string[];
  /** The document to compare-and-write (epoch = current + 1), or null. */
  publish: TopologyDoc | null;
  /** The manual failover's new state (the loop stores it). */
  manual: ManualFailover | null;
  /** Commands to send to nodes (the manual failover's pause and resume). */
  actions: NodeCommand[];
  /** One line per decision taken or withheld, for the log. */
  reasons: string[];
  /** The automatic failovers in `publish` (the loop logs each as failover.started). */
  failovers: FailoverChange[];
}

export function decide(view: ControllerView): Decision {
  const reasons: string[] = [];
  let publish: TopologyDoc | null = null;
  let canPublish = true;
  const pending = view.pending ?? null;
  if (pending !== null) {
    canPublish = false;
    reasons.push(`not publishing: epoch ${pending.epoch} is being written`);
  } else if (!(view.now < view.authorityUntil)) {
    canPublish = false;
    reasons.push(`not publishing: authority ended at ${view.authorityUntil}`);
  }

  if (view.doc === null) {
    const step = stepManual(view);
    const boot = canPublish ? planMembership(view) : null;
    if (boot !== null) {
      publish = boot.doc;
      reasons.push(`bootstrap: ${boot.doc.shards.length} shards, ${boot.doc.nodes.length} nodes`);
    }
    return { probes: [], publish, manual: step.manual, actions: commandsOf(step.actions), reasons: [...reasons, ...manualReasons(view.manual, step.manual)], failovers: [] };
  }

  const failovers = planFailovers(view);
  for (const b of failovers.blocked) reasons.push(`blocked ${b.shard}: primary ${b.primary} ${b.reason}, ${b.why}`);
  let failed: FailoverChange[] = [];
  if (canPublish && failovers.doc !== null) {
    publish = failovers.doc;
    failed = failovers.changes;
    for (const c of failovers.changes) reasons.push(`failover ${c.shard}: ${c.from} -> ${c.to} (${c.reason})`);
  }

  const step = stepManual(view);
  let manual = step.manual;
  const manualDoc = step.actions.find((a) => a.kind === 'publish');
  let deferred = false;
  if (manualDoc !== undefined) {
    if (canPublish && publish === null) {
      publish = manualDoc.doc;
    } else {
      // Everything that led to 'done' still holds next turn (offsets only grow, the lease stays
      // expired since grant() gives the primary 0), so stay in 'lease' and publish then.
      manual = { ...manual!, phase: 'lease' };
      deferred = true;
    }
  }
  reasons.push(...manualReasons(view.manual, manual));
  if (deferred) reasons.push(`manual ${manual!.shard}: publish deferred`);

  if (canPublish && publish === null) {
    const health = planHealth(view);
    if (health !== null) {
      publish = health.doc;
      for (const id of health.failed) reasons.push(`health: ${id} failed`);
      for (const id of health.recovered) reasons.push(`health: ${id} recovered`);
    }
  }
  if (canPublish && publish === null) {
    const joins = planMembership(view);
    if (joins !== null) {
      publish = joins.doc;
      for (const j of joins.joined) reasons.push(`join ${j.shard}: ${j.node}`);
    }
  }
  return { probes: toProbe(view), publish, manual, actions: commandsOf(step.actions), reasons, failovers: failed };
}

function commandsOf(actions: ManualAction[]): NodeCommand[] {
  return actions.filter((a): a is NodeCommand => a.kind !== 'publish');
}

function manualReasons(before: ManualFailover | null, after: ManualFailover | null): string[] {
  if (before === null || after === null || before.phase === after.phase) return [];
  const why = after.phase === 'aborted' && after.reason !== undefined ? ` (${after.reason})` : '';
  return [`manual ${after.shard}: ${before.phase} -> ${after.phase}${why}`];
}
