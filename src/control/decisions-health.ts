// Node health marks and membership: the documents the controller writes that do not move a
// primary. Both are edits of the current document with epoch + 1 (or, for bootstrap, epoch 1).
//
// Health. A replica is marked failed (CLUSTER NODES says `fail`, CLUSTER SLOTS leaves it out,
// failover never picks it) when it has been silent for longer than suspectAfterMs + leaseMs and
// the latest probe, taken after its last renewal, did not find it alive ('dead' or 'unknown').
// The first probe goes out once it has been silent for suspectAfterMs, so this reads "probes have
// failed to reach it for a lease's length": long enough that a replica stalled by one slow
// network round or a GC pause is not flapped in and out of the document. Primaries are never
// marked here: a gone primary is replaced by planFailovers, which marks it. A failed node is
// cleared when it renews again on the current epoch as a replica whose link to its primary is
// up: it has applied the document that demoted it and synced from the new primary (this is how a
// recovered old primary comes back).
//
// Membership. Bootstrap, with no document yet and at least desiredShards members registered:
// the first desiredShards members in registration order become the primaries of one shard each,
// the rest replicas, each added to the shard with the fewest replicas so far (ties: shard order);
// the slot table is planTopology's (epoch 1). With a document: every member not in a shard
// joins as a replica of the shard with the fewest replicas not marked failed (ties: shard
// order), one after the other in registration order. Members whose id is not
// nodeIdFor(host, port) are left out: a document must name every node by its address's id.

import { nodeIdFor, parseTopology, type TopologyDoc } from '../cluster/topology.js';
import { planTopology } from '../cluster/plan.js';
import type { MemberRecord } from './coordinator.js';
import { isFailedIn, isSilent, nextDocDraft, setFailed, statusOf, type ControllerView } from './decisions-view.js';

export interface HealthPlan {
  doc: TopologyDoc;
  /** Replicas newly marked failed. */
  failed: string[];
  /** Nodes whose failed mark is cleared. */
  recovered: string[];
}

export function planHealth(view: ControllerView): HealthPlan | null {
  const doc = view.doc;
  if (doc === null) return null;
  const failed: string[] = [];
  const recovered: string[] = [];
  for (const shard of doc.shards) {
    for (const id of shard.replicas) {
      const s = statusOf(view, id);
      if (!isFailedIn(doc, id)) {
        const unreachable = s.probe !== null && s.probe.at > s.lastRenewalAt && s.probe.result !== 'alive';
        if (unreachable && view.now - s.lastRenewalAt > view.params.suspectAfterMs + view.params.leaseMs) failed.push(id);
      } else if (!isSilent(view, s) && s.epoch === doc.epoch && s.role === 'replica' && s.masterLinkUp) {
        recovered.push(id);
      }
    }
  }
  if (failed.length === 0 && recovered.length === 0) return null;
  const draft = nextDocDraft(doc);
  for (const id of failed) setFailed(draft, id, true);
  for (const id of recovered) setFailed(draft, id, false);
  return { doc: parseTopology(draft), failed, recovered };
}

export interface MembershipPlan {
  doc: TopologyDoc;
  /** True when this is the first document. */
  bootstrap: boolean;
  /** Every member placed as a replica, and its shard (for bootstrap, primaries are not listed). */
  joined: Array<{ node: string; shard: string }>;
}

/** Registered members that can be placed: id derived from the address, first registration only. */
function placeableMembers(members: readonly MemberRecord[]): MemberRecord[] {
  const seen = new Set<string>();
  return members.filter((m) => {
    if (seen.has(m.id) || m.id !== nodeIdFor(m.host, m.port)) return false;
    seen.add(m.id);
    return true;
  });
}

/** Index of the smallest count, the first one on ties. */
function fewest(counts: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < counts.length; i++) if (counts[i] < counts[best]) best = i;
  return best;
}

/** Whether the document names `id` in a shard or as retired. */
function isPlaced(doc: TopologyDoc, id: string): boolean {
  for (const s of doc.shards) if (s.primary === id || s.replicas.includes(id)) return true;
  return doc.retired !== undefined && doc.retired.includes(id);
}

/**
 * Whether some member would join: not placed, and placeable. The controller asks every tick (40
 * a second) and the answer is nearly always no; this answers it without the sets and copies of
 * the plan itself (which, run that rarely per call, V8 never optimizes: it was half of an idle
 * controller's decisions).
 */
function hasNewcomer(members: readonly MemberRecord[], doc: TopologyDoc): boolean {
  for (const m of members) if (!isPlaced(doc, m.id) && m.id === nodeIdFor(m.host, m.port)) return true;
  return false;
}

export function planMembership(view: ControllerView): MembershipPlan | null {
  if (view.doc !== null && (view.doc.shards.length === 0 || !hasNewcomer(view.members, view.doc))) return null;
  const members = placeableMembers(view.members);
  const doc = view.doc;
  if (doc === null) {
    const n = view.desiredShards;
    if (!Number.isInteger(n) || n < 1 || members.length < n) return null;
    const shards = members.slice(0, n).map((m) => [m]);
    const joined: Array<{ node: string; index: number }> = [];
    for (const m of members.slice(n)) {
      const index = fewest(shards.map((s) => s.length));
      shards[index].push(m);
      joined.push({ node: m.id, index });
    }
    const planned = planTopology(shards.map((nodes) => ({ nodes: nodes.map(({ host, port }) => ({ host, port })) })), { epoch: 1 });
    return { doc: planned, bootstrap: true, joined: joined.map(({ node, index }) => ({ node, shard: planned.shards[index].id })) };
  }
  // Retired nodes (remove-shard took them out) are not placed again until an add-shard names them.
  const placed = new Set([...doc.shards.flatMap((s) => [s.primary, ...s.replicas]), ...(doc.retired ?? [])]);
  const newcomers = members.filter((m) => !placed.has(m.id));
  if (newcomers.length === 0 || doc.shards.length === 0) return null;
  const draft = nextDocDraft(doc);
  const joined: Array<{ node: string; shard: string }> = [];
  for (const m of newcomers) {
    const shard = draft.shards[fewest(draft.shards.map((s) => s.replicas.filter((r) => !isFailedIn(draft, r)).length))];
    if (!draft.nodes.some((n) => n.id === m.id)) draft.nodes.push({ id: m.id, host: m.host, port: m.port });
    shard.replicas.push(m.id);
    joined.push({ node: m.id, shard: shard.id });
  }
  return { doc: parseTopology(draft), bootstrap: false, joined };
}
