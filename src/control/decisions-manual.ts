// Manual failover (`corral cluster failover REPLICA`), modelled on Redis's CLUSTER FAILOVER: hand a
// shard to one of its replicas without losing a write, while the primary is healthy.
//
//   phase      the controller...                                  moves on when
//   pause      asks the primary to pause client writes for the     the primary answers with the
//              time left before the timeout (pause-writes, once);  offset it paused at (the loop
//              grant() gives the primary 0 from now on             sets pausedOffset)
//   catch-up   waits for the replica                               replica offset >= pausedOffset,
//                                                                  on the primary's replid
//   lease      waits for the primary's write lease to run out      now >= leaseSafeAt(primary)
//   done       publishes epoch + 1: the replica primary, the old primary its (healthy) replica
//   aborted    resumes the primary's writes (grants resume too)    -
//
// Why both a pause and the lease: the pause fixes the offset the replica must reach, so no
// acknowledged write is left behind; the lease is what fences the old primary when the pause did
// not arrive or may not last (a pause message can be lost, and a pause ends by itself after
// forMs). When the primary acknowledged a pause that outlasts its last grant (pauseOutlastsLease),
// the pause itself fences it and the switch follows the catch-up at once; otherwise it waits for
// the lease (about leaseMs(1 + ρ) + margin after the primary's last grant).
//
// Aborts: when manualTimeoutMs has passed since the start without a publish, when the replica
// stops renewing (silent for suspectAfterMs) or is marked failed, or leaves the shard. The
// primary's writes are resumed and grant() serves it again. If the document changes the shard's
// primary meanwhile (an automatic failover), the manual failover is over: 'done' if the replica
// it named is now the primary, 'aborted' otherwise, with no resume (the old primary was replaced).
//
// After 'done' the old primary's pause simply lapses: by then it is a replica, which refuses
// client writes anyway, and it holds no lease. Race: if the compare-and-write of the published
// document fails, the loop must abort the manual failover itself (resume-writes to the primary).

import { parseTopology, type TopologyDoc } from '../cluster/topology.js';
import { grantExpiredAt, leaseSafeAt } from './decisions-lease.js';
import { isFailedIn, isSilent, knownReplid, nextDocDraft, setFailed, shardOf, statusOf, type ControllerView, type ManualFailover } from './decisions-view.js';

export type ManualAction =
  | { kind: 'pause-writes'; node: string; forMs: number }
  | { kind: 'resume-writes'; node: string }
  | { kind: 'publish'; doc: TopologyDoc };

export interface ManualStep {
  manual: ManualFailover | null;
  actions: ManualAction[];
}

/** Starts a manual failover to `replica` at view.now, or says why it cannot start. */
export function beginManualFailover(view: ControllerView, replica: string): { manual: ManualFailover } | { error: string } {
  const doc = view.doc;
  if (doc === null) return { error: 'no topology yet' };
  if (view.manual !== null && view.manual.phase !== 'done' && view.manual.phase !== 'aborted') {
    return { error: `a manual failover of shard ${view.manual.shard} is in progress` };
  }
  const shard = shardOf(doc, replica);
  if (shard === undefined) return { error: `${replica} is not in the topology` };
  if (shard.primary === replica) return { error: `${replica} is already the primary of shard ${shard.id}` };
  if (isFailedIn(doc, replica)) return { error: `${replica} is marked failed` };
  if (isSilent(view, statusOf(view, replica))) return { error: `${replica} is not renewing` };
  if (isSilent(view, statusOf(view, shard.primary))) return { error: `primary ${shard.primary} is not renewing: automatic failover handles it` };
  return { manual: { shard: shard.id, replica, primary: shard.primary, startedAt: view.now, phase: 'pause' } };
}

/**
 * The primary acknowledged a pause (pausedOffset) asked for at pauseSentAt for forMs: it takes
 * no writes from receiving it (at or after pauseSentAt, in real time) for forMs of its own clock,
 * and no grant was given since the manual failover began (at or before pauseSentAt). If the
 * pause ends after the last grant has expired, the primary cannot take a write again: it is
 * fenced by its pause, and the switch need not wait for the lease (as Redis's manual failover
 * does not wait for a timeout).
 */
function pauseOutlastsLease(view: ControllerView, m: ManualFailover): boolean {
  if (m.pausedOffset === undefined || m.pauseSentAt === undefined || m.pauseForMs === undefined) return false;
  const { driftRate: rho, marginMs } = view.params;
  const pauseEndsNoEarlierThan = m.pauseSentAt + (m.pauseForMs * (1 - rho)) / (1 + rho) - marginMs;
  return pauseEndsNoEarlierThan > grantExpiredAt(statusOf(view, m.primary), view.params) && pauseEndsNoEarlierThan > view.now;
}

/** The next step of view.manual at view.now. */
export function stepManual(view: ControllerView): ManualStep {
  const m = view.manual;
  if (m === null || m.phase === 'done' || m.phase === 'aborted') return { manual: m, actions: [] };
  const abort = (reason: string, resume = true): ManualStep => ({
    manual: { ...m, phase: 'aborted', reason },
    actions: resume ? [{ kind: 'resume-writes', node: m.primary }] : [],
  });
  const doc = view.doc;
  const shard = doc?.shards.find((s) => s.id === m.shard);
  if (doc === null || shard === undefined) return abort('shard is gone', false);
  if (shard.primary !== m.primary) {
    if (shard.primary === m.replica) return { manual: { ...m, phase: 'done' }, actions: [] };
    return abort(`superseded: epoch ${doc.epoch} made ${shard.primary} primary`, false);
  }
  if (!shard.replicas.includes(m.replica)) return abort('replica left the shard');
  if (view.now - m.startedAt >= view.params.manualTimeoutMs) return abort('timeout');
  const replica = statusOf(view, m.replica);
  if (isSilent(view, replica)) return abort('replica stopped renewing');
  if (isFailedIn(doc, m.replica)) return abort('replica is marked failed');

  let next: ManualFailover = m;
  if (next.phase === 'pause') {
    if (next.pausedOffset === undefined) {
      if (next.pauseSentAt !== undefined) return { manual: next, actions: [] };
      const forMs = m.startedAt + view.params.manualTimeoutMs - view.now;
      return { manual: { ...next, pauseSentAt: view.now, pauseForMs: forMs }, actions: [{ kind: 'pause-writes', node: m.primary, forMs }] };
    }
    next = { ...next, phase: 'catch-up' };
  }
  if (next.phase === 'catch-up') {
    const primaryReplid = knownReplid(statusOf(view, m.primary).replid);
    const sameHistory = primaryReplid === null || replica.replid === primaryReplid;
    if (!(sameHistory && replica.offset >= (next.pausedOffset ?? Infinity))) return { manual: next, actions: [] };
    next = { ...next, phase: 'lease' };
  }
  // phase 'lease': over at once when the acknowledged pause outlasts the primary's lease.
  if (!pauseOutlastsLease(view, next) && view.now < leaseSafeAt(statusOf(view, m.primary), view.electedAt, view.params)) return { manual: next, actions: [] };
  const draft = nextDocDraft(doc);
  const target = draft.shards.find((s) => s.id === m.shard)!;
  target.primary = m.replica;
  target.replicas = [...shard.replicas.filter((r) => r !== m.replica), m.primary];
  setFailed(draft, m.primary, false);
  return { manual: { ...next, phase: 'done' }, actions: [{ kind: 'publish', doc: parseTopology(draft) }] };
}
