// What the controller knows, as the loop around the decisions (decisions.ts) fills it in: one
// NodeStatus per node built from renewals, grants and probes, and the ControllerView handed to
// every decision. The reducers here (applyRenewal, applyGrant, applyProbe) are how the loop
// updates a NodeStatus, so that the rules about restarts and grant records live in one place.
//
// Restarts. A renewal carrying a runId other than the one last seen means the node's process was
// replaced (a node id is its address, and two processes cannot listen on one address): the old
// process, and every write lease it held, is gone. applyRenewal then sets restartedAt, remembers
// the replid the old process reported (the history its replicas follow; the new process starts
// empty, with a new replid) and clears the grant record. restartedAt stays set until the process
// has been trusted with its data: granted a write lease (applyGrant), or synced as a replica
// (a renewal with role 'replica' and the link to its primary up, or saying it holds data). While it is set and the node is
// a primary, the failover rules prefer any replica that followed the old history.
//
// Race: a renewal of the old process delayed in the network may arrive after the new one's
// first renewal. The loop must drop renewals on a connection whose runId it has seen replaced;
// otherwise the status flips back and forth (never unsafely: the old process is gone).

import type { MemberRecord } from './coordinator.js';
import type { TopologyDoc, TopologyShardDoc } from '../cluster/topology.js';
import { NO_GRANT, recordGrant, type GrantRecord, type LeaseParams } from './decisions-lease.js';

export type ReportedRole = 'primary' | 'replica' | 'none';
export type ProbeResult = 'dead' | 'alive' | 'unknown';

/** What a node's renewal carries. */
export interface Renewal {
  runId: string;
  /** The role the node is playing, by its own applied topology. */
  role: ReportedRole;
  /** Epoch of the topology document the node has applied (0: none). */
  epoch: number;
  /** Replication id: a primary's own, a replica's primary's; null when it has none. */
  replid: string | null;
  /** Replication offset. */
  offset: number;
  /** A replica's link to its primary is up (synced); false for primaries. */
  masterLinkUp: boolean;
  /**
   * The process holds no data of the shard's history: it started empty and has neither finished
   * a copy as a replica nor been granted a lease as a primary. A fresh primary is treated as
   * restarted (its replica with data replaces it); a fresh replica is never promoted.
   */
  fresh?: boolean;
}

/** The controller's knowledge of one node. */
export interface NodeStatus extends Omit<Renewal, 'runId'>, GrantRecord {
  id: string;
  /** The runId of the process last heard from; null before the first renewal. */
  runId: string | null;
  /** Controller time of the last renewal; -Infinity if never. */
  lastRenewalAt: number;
  /**
   * Controller time at which a renewal arrived from a new process of this node, while that
   * process has not yet been trusted with its data (see the header). Undefined otherwise.
   */
  restartedAt?: number;
  /** With restartedAt: the replid the previous process reported (null if unknown). */
  previousReplid?: string | null;
  /** The latest probe's result and the controller time it came back. */
  probe: { result: ProbeResult; at: number } | null;
}

/** A manual failover (`corral cluster failover REPLICA`) in progress; see decisions-manual.ts. */
export interface ManualFailover {
  shard: string;
  replica: string;
  primary: string;
  startedAt: number;
  phase: 'pause' | 'catch-up' | 'lease' | 'done' | 'aborted';
  /** Set by the loop when the primary answers the pause: its offset, writes paused from there. */
  pausedOffset?: number;
  /** Set by stepManual when it asks for the pause, and for how long it asked. */
  pauseSentAt?: number;
  pauseForMs?: number;
  /** Why it was aborted. */
  reason?: string;
}

export interface ControllerView {
  /** The controller's monotonic clock, read after the events it has applied. */
  now: number;
  /** When this controller won the election. */
  electedAt: number;
  /**
   * The controller may grant leases only up to this time (derived by the loop from its
   * coordinator lease). Infinity when the coordinator is proven down: sound only if no successor
   * can be elected while this controller lives (a coordinator that restarts must not accept a
   * campaign before leaseMs(1 + ρ) + margin has passed).
   */
  authorityUntil: number;
  params: LeaseParams;
  /** The latest topology document known to be written. */
  doc: TopologyDoc | null;
  /**
   * A document this controller decided to write whose compare-and-write has not been confirmed
   * yet, or null. Race: between deciding "replace primary P" and the write landing, P may renew;
   * grants must already follow the decided document, or P would get a fresh lease while its
   * replacement is being published. The loop sets it synchronously when decide() returns a
   * document, and clears it (re-reading the document) when the write succeeds or fails.
   * Absent means null.
   */
  pending?: TopologyDoc | null;
  nodes: ReadonlyMap<string, NodeStatus>;
  /** Registered members, in registration order. */
  members: readonly MemberRecord[];
  /** Number of shards to bootstrap with. */
  desiredShards: number;
  manual: ManualFailover | null;
}

/** The status of a node never heard from. */
export function unknownStatus(id: string): NodeStatus {
  return {
    id,
    runId: null,
    lastRenewalAt: -Infinity,
    ...NO_GRANT,
    role: 'none',
    epoch: 0,
    replid: null,
    offset: 0,
    masterLinkUp: false,
    probe: null,
  };
}

export function statusOf(view: Pick<ControllerView, 'nodes'>, id: string): NodeStatus {
  return view.nodes.get(id) ?? unknownStatus(id);
}

/** The loop's update for a renewal received at controller time `now` (before calling grant()). */
export function applyRenewal(prev: NodeStatus | undefined, id: string, renewal: Renewal, now: number): NodeStatus {
  const base = prev ?? unknownStatus(id);
  const next: NodeStatus = { ...base, ...renewal, id, lastRenewalAt: now };
  if (renewal.fresh === true && base.restartedAt === undefined && (prev === undefined || prev.runId !== renewal.runId || prev.lastGrantAt === -Infinity)) {
    // A new process this controller may never have known (it was elected after the restart):
    // its history before the restart is unknown.
    next.restartedAt = now;
    next.previousReplid = prev !== undefined && prev.runId !== renewal.runId ? prev.replid : null;
    next.lastGrantAt = NO_GRANT.lastGrantAt;
    next.grantedMs = NO_GRANT.grantedMs;
  } else if (prev !== undefined && prev.runId !== null && prev.runId !== renewal.runId) {
    // A new process: the old one's leases died with it; keep the history its replicas follow
    // (the first restart's, if it restarts again before being trusted).
    next.restartedAt = now;
    next.previousReplid = prev.restartedAt !== undefined ? (prev.previousReplid ?? null) : prev.replid;
    next.lastGrantAt = NO_GRANT.lastGrantAt;
    next.grantedMs = NO_GRANT.grantedMs;
  } else if (renewal.role === 'replica' && (renewal.masterLinkUp || renewal.fresh === false)) {
    // Synced as a replica at least once in this process's life: its link is up now, or it says
    // it holds data (a process starts without, and has it only once a copy from its primary
    // completed). The second matters when the primary dies right after the copy, before a
    // renewal with the link up went out: the replica is the one holding the shard's data.
    delete next.restartedAt;
    delete next.previousReplid;
  }
  return next;
}

/** The loop's update after sending `grantMs` at controller time `now`. */
export function applyGrant(status: NodeStatus, now: number, grantMs: number, params: LeaseParams): NodeStatus {
  if (!(grantMs > 0)) return status;
  const next: NodeStatus = { ...status, ...recordGrant(status, now, grantMs, params) };
  // Trusted with its data: from here on its writes are the shard's history.
  delete next.restartedAt;
  delete next.previousReplid;
  return next;
}

/** The loop's update when a probe of node `id` comes back at controller time `now`. */
export function applyProbe(prev: NodeStatus | undefined, id: string, result: ProbeResult, now: number): NodeStatus {
  return { ...(prev ?? unknownStatus(id)), probe: { result, at: now } };
}

// ---- predicates shared by the decisions ----

/** No renewal for longer than suspectAfterMs. */
export function isSilent(view: ControllerView, s: NodeStatus): boolean {
  return view.now - s.lastRenewalAt > view.params.suspectAfterMs;
}

/**
 * The process is proven gone: a probe that came back after its last renewal found the port
 * closed or another process (run id) behind it.
 */
export function isProvenDead(s: NodeStatus): boolean {
  return s.probe !== null && s.probe.result === 'dead' && s.probe.at > s.lastRenewalAt;
}

export function shardOf(doc: TopologyDoc, nodeId: string): TopologyShardDoc | undefined {
  return doc.shards.find((s) => s.primary === nodeId || s.replicas.includes(nodeId));
}

export function isFailedIn(doc: TopologyDoc, nodeId: string): boolean {
  return doc.nodes.some((n) => n.id === nodeId && n.failed === true);
}

export function isPrimaryIn(doc: TopologyDoc, nodeId: string): boolean {
  return doc.shards.some((s) => s.primary === nodeId);
}

/** A replid that names a history: null and '' (a loop's placeholder) mean unknown. */
export function knownReplid(replid: string | null | undefined): string | null {
  return replid === undefined || replid === null || replid === '' ? null : replid;
}

/** A deep copy of `doc` with the next epoch, for a decision to edit before parseTopology. */
export function nextDocDraft(doc: TopologyDoc): TopologyDoc {
  const copy = structuredClone(doc);
  copy.epoch = doc.epoch + 1;
  return copy;
}

/** Sets or clears a node's `failed` flag in a draft (absent rather than false when healthy). */
export function setFailed(draft: TopologyDoc, nodeId: string, failed: boolean): void {
  const node = draft.nodes.find((n) => n.id === nodeId);
  if (node === undefined) return;
  if (failed) node.failed = true;
  else delete node.failed;
}
