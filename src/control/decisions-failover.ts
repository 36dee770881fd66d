// Automatic failover: which nodes to probe, which write leases to grant, and which primaries to
// replace by which replicas. Timing is in decisions-lease.ts, the view in decisions-view.ts.
//
// A shard's primary P is gone, and may be replaced, in three cases:
//   dead           a probe that came back after P's last renewal found its port closed or another
//                  run id behind it. The process that held the lease is gone and writes nothing,
//                  whatever lease it held: replace at once, even just after an election.
//   restarted      a renewal came from a new process of P (restartedAt set) that has not been
//                  granted a lease since: it starts empty and has served no write, so the old
//                  process's replicas hold the newer data. grant() refuses it a lease while a
//                  candidate exists, which is what keeps this case safe; with no candidate it
//                  is granted, trusted, and stays primary (a cache may start empty).
//   lease-expired  P is silent (no renewal for suspectAfterMs) and its lease has certainly
//                  expired: now >= grantExpiredAt(P), and now >= electionWaitUntil(electedAt)
//                  for the leases a predecessor may have granted. Silence is required too: a P
//                  that renews but was granted 0 or a short lease (manual failover, capped
//                  authority) has an expired lease but is healthy, and is not replaced.
//
// The candidate is a replica of P's shard in the document that renews (silent no longer than
// suspectAfterMs, not proven dead since), reports role 'replica', is not itself a restarted
// process that has not synced, is not marked failed unless it renews on the current document
// (back, its mark not yet cleared: the promotion clears it), and follows P's history: its
// replid equals the one P last reported (for a restarted P, the one its previous process
// reported; if unknown, any replid). Among those, the highest offset wins, ties going to the
// lowest node id. Without a candidate the shard stays as it is and is reported as blocked.
//
// The next document: epoch + 1; the candidate is the shard's primary; the old primary is
// appended to the shard's replicas and marked failed (cleared by planHealth when it comes back
// as a synced replica); every other field unchanged. Several shards may fail over in one
// document.
//
// Why a candidate must follow P's history: a replica that followed another primary (an older
// epoch's, or a restarted P's empty one) would, once promoted, make its own data the truth and
// the other replicas would resync from it. Known gap: a primary promoted by failover may report
// a new replid before its replicas have resynced to it; if it dies in that window no replica
// matches and the shard is blocked until one does.

import { parseTopology, type TopologyDoc, type TopologyShardDoc } from '../cluster/topology.js';
import { leaseSafeAt } from './decisions-lease.js';
import {
  isFailedIn,
  isPrimaryIn,
  isProvenDead,
  isSilent,
  knownReplid,
  nextDocDraft,
  setFailed,
  statusOf,
  type ControllerView,
} from './decisions-view.js';

export type FailoverReason = 'dead' | 'lease-expired' | 'restarted';

export interface FailoverChange {
  shard: string;
  from: string;
  to: string;
  reason: FailoverReason;
}

export interface BlockedShard {
  shard: string;
  primary: string;
  reason: FailoverReason;
  /** Why no replica can take over. */
  why: string;
}

export interface FailoverPlan {
  /** The next document, or null when no shard changes. */
  doc: TopologyDoc | null;
  changes: FailoverChange[];
  blocked: BlockedShard[];
}

/** Why the shard's primary is gone, or null while it may still hold a lease and be alive. */
export function primaryGone(view: ControllerView, shard: TopologyShardDoc): FailoverReason | null {
  const p = statusOf(view, shard.primary);
  if (isProvenDead(p)) return 'dead';
  if (p.restartedAt !== undefined) return 'restarted';
  if (isSilent(view, p) && view.now >= leaseSafeAt(p, view.electedAt, view.params)) return 'lease-expired';
  return null;
}

/** A replica that can safely be promoted and is alive enough to serve: see the header. */
export function isLiveReplica(view: ControllerView, doc: TopologyDoc, id: string): boolean {
  const s = statusOf(view, id);
  if (isSilent(view, s) || isProvenDead(s) || s.restartedAt !== undefined || s.role !== 'replica' || s.fresh === true) return false;
  // A replica marked failed is back once it renews on the current document as a replica that
  // holds data: planHealth clears the mark only at its next publication, and a primary lost in
  // between (a controller busy publishing a move's switches took a second here) must not find
  // the shard without a candidate, or its empty restarted process is kept and wipes the replica.
  return !isFailedIn(doc, id) || s.epoch === doc.epoch;
}

/** The replica to promote in place of the shard's primary, or why there is none. */
export function failoverCandidate(view: ControllerView, doc: TopologyDoc, shard: TopologyShardDoc, reason: FailoverReason): { candidate: string } | { why: string } {
  if (shard.replicas.length === 0) return { why: 'no replica' };
  const p = statusOf(view, shard.primary);
  const history = knownReplid(reason === 'restarted' ? p.previousReplid : p.replid);
  const live = shard.replicas.filter((id) => isLiveReplica(view, doc, id));
  if (live.length === 0) return { why: 'no live replica' };
  const following = live.filter((id) => history === null || statusOf(view, id).replid === history);
  if (following.length === 0) return { why: `no live replica follows replid ${history}` };
  following.sort((a, b) => statusOf(view, b).offset - statusOf(view, a).offset || (a < b ? -1 : a > b ? 1 : 0));
  return { candidate: following[0] };
}

export function planFailovers(view: ControllerView): FailoverPlan {
  const doc = view.doc;
  const plan: FailoverPlan = { doc: null, changes: [], blocked: [] };
  if (doc === null) return plan;
  let draft: TopologyDoc | null = null;
  for (const shard of doc.shards) {
    const reason = primaryGone(view, shard);
    if (reason === null) continue;
    const pick = failoverCandidate(view, doc, shard, reason);
    if ('why' in pick) {
      plan.blocked.push({ shard: shard.id, primary: shard.primary, reason, why: pick.why });
      continue;
    }
    draft ??= nextDocDraft(doc);
    const target = draft.shards.find((s) => s.id === shard.id)!;
    target.primary = pick.candidate;
    target.replicas = [...shard.replicas.filter((r) => r !== pick.candidate), shard.primary];
    setFailed(draft, pick.candidate, false);
    setFailed(draft, shard.primary, true);
    plan.changes.push({ shard: shard.id, from: shard.primary, to: pick.candidate, reason });
  }
  if (draft !== null) plan.doc = parseTopology(draft);
  return plan;
}

/**
 * Milliseconds of write lease to grant a node whose renewal the loop has just applied
 * (applyRenewal, then grant, then applyGrant, all at one `now`, in one synchronous section):
 * min(leaseMs, authorityUntil - now) rounded down, or 0 when that is not positive or the node
 * must not write:
 *   - it is not a primary of the document (replicas have nothing to write; a primary that the
 *     document, or the pending one, replaced must not get a lease while it still claims to be
 *     primary: the replacement was published on the strength of its lease having expired);
 *   - it is marked failed;
 *   - its shard is in a manual failover from the pause on (the lease must run out before the
 *     replica is published);
 *   - it is a restarted process that a replica with the old history can replace (see
 *     'restarted' in the header), or might: a replica not heard from yet is waited for leaseMs.
 */
export function grant(view: ControllerView, nodeId: string): number {
  const ms = Math.floor(Math.min(view.params.leaseMs, view.authorityUntil - view.now));
  if (!(ms > 0)) return 0;
  const doc = view.doc;
  if (doc === null || !isPrimaryIn(doc, nodeId) || isFailedIn(doc, nodeId)) return 0;
  const pending = view.pending ?? null;
  if (pending !== null && (!isPrimaryIn(pending, nodeId) || isFailedIn(pending, nodeId))) return 0;
  const manual = view.manual;
  if (manual !== null && manual.primary === nodeId && manual.phase !== 'aborted') return 0;
  const status = statusOf(view, nodeId);
  if (status.restartedAt !== undefined) {
    const shard = doc.shards.find((s) => s.primary === nodeId)!;
    if ('candidate' in failoverCandidate(view, doc, shard, 'restarted')) return 0;
    // A replica this controller has not heard from yet (it was just elected, say) may hold the
    // shard's data: an empty primary is trusted only after they had a moment to renew.
    const unheard = shard.replicas.some((id) => !isFailedIn(doc, id) && statusOf(view, id).lastRenewalAt === -Infinity);
    if (unheard && view.now - status.restartedAt < view.params.leaseMs) return 0;
  }
  return ms;
}

/**
 * Nodes to probe now, in document order (each shard's primary, then its replicas), each at most
 * once per probeEveryMs: a primary that is silent, or that a renewing replica of its shard
 * reports its link to as down (the fast path after a crash: the replica notices the closed
 * connection at once and says so in its next renewal); and silent replicas, for planHealth.
 * Nodes marked failed are not probed: their renewals say when they are back. The loop must not
 * start a second probe of a node while one is in flight.
 */
export function toProbe(view: ControllerView): string[] {
  const doc = view.doc;
  if (doc === null) return [];
  const out: string[] = [];
  const due = (id: string): boolean => {
    const probe = statusOf(view, id).probe;
    return !isFailedIn(doc, id) && (probe === null || view.now - probe.at >= view.params.probeEveryMs) && !out.includes(id);
  };
  for (const shard of doc.shards) {
    const linkDown = shard.replicas.some((r) => {
      const s = statusOf(view, r);
      return !isFailedIn(doc, r) && !isSilent(view, s) && s.role === 'replica' && !s.masterLinkUp;
    });
    if ((isSilent(view, statusOf(view, shard.primary)) || linkDown) && due(shard.primary)) out.push(shard.primary);
    for (const r of shard.replicas) if (isSilent(view, statusOf(view, r)) && due(r)) out.push(r);
  }
  return out;
}
