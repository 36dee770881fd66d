// The coordinator: where a cluster's shared state lives and how its members find each other. One
// interface, two backends: the local one that `corral up` runs on one machine (local-coordinator
// -server.ts, reached over RESP by local-coordinator.ts), and etcd for clusters spanning machines
// (etcd-coordinator.ts). No consensus is written here: the local backend is a single process, and
// etcd is etcd.
//
// What it holds, per cluster name:
//   - the topology document (cluster/topology.ts), compare-and-written by epoch, watched by every
//     node: the only way the cluster's shape changes;
//   - node registrations (who is up, at which address, with which run id), each under a
//     coordinator lease so that a dead process's record disappears by itself;
//   - the controller election: one member at a time holds the `controller` record under a
//     coordinator lease; the rest wait for it to go away.
//
// Coordinator leases are coarse (etcd counts them in whole seconds). The fine-grained write leases
// that fence primaries are granted by the elected controller over RESP (see docs/replication.md);
// this interface only has to tell who the controller is and whether that is still true.

import type { TopologyDoc } from '../cluster/topology.js';

/** A member of the cluster as it registers itself. */
export interface MemberRecord {
  /** The node id (cluster/topology.ts nodeIdFor of host:port). */
  id: string;
  host: string;
  port: number;
  /** Random per process: a restarted node has a new one. */
  runId: string;
  /**
   * When the node first registered (its wall clock, ms): the order in which members joined,
   * which decides the first primaries of a cluster whose nodes were started one by one.
   */
  since?: number;
}

/** Something that can be stopped: a watch or a keep-alive loop. */
export interface Closable {
  close(): void;
}

/** A lease held from the coordinator; the holder keeps it alive until it closes it or dies. */
export interface CoordinatorLease extends Closable {
  /** Backend-specific id (etcd's lease id in decimal, or the local coordinator's). */
  readonly id: string;
  readonly ttlMs: number;
  /**
   * Local monotonic time (performance.now()) at which the last keep-alive that the backend
   * confirmed was sent. The lease is certainly alive at the coordinator until that time plus
   * ttlMs (less clock drift).
   */
  lastConfirmedSentAt(): number;
  /** Called once if the coordinator says the lease no longer exists (expired or revoked). */
  onLost: (() => void) | null;
}

/** Whether the coordinator answered, refused connections (its process is down), or timed out. */
export type Reachability = 'up' | 'refused' | 'unreachable';

export interface Coordinator {
  /** e.g. "local 127.0.0.1:6999" or "etcd http://127.0.0.1:2379 cluster demo". */
  readonly description: string;

  /** The stored topology document, or null when none was ever written. */
  readTopology(): Promise<TopologyDoc | null>;
  /**
   * Writes `doc` if the stored document's epoch is `expectedEpoch` (0: none stored yet) and
   * doc.epoch > expectedEpoch; returns whether it was written. Atomic at the coordinator.
   */
  casTopology(expectedEpoch: number, doc: TopologyDoc): Promise<boolean>;
  /**
   * Calls `onDoc` with the current document (if any) and then with every document written after
   * it, in epoch order. Reconnects by itself; a document may be delivered more than once.
   */
  watchTopology(onDoc: (doc: TopologyDoc) => void): Closable;

  /** Grants a lease of about ttlMs (etcd rounds up to whole seconds) and keeps it alive. */
  grantLease(ttlMs: number): Promise<CoordinatorLease>;

  /** Registers (or re-registers) a member under a lease; the record goes when the lease does. */
  register(member: MemberRecord, lease: CoordinatorLease): Promise<void>;
  /** Every registered member. */
  members(): Promise<MemberRecord[]>;
  /** Calls back with the full member list whenever it changes (and once at start). */
  watchMembers(onMembers: (members: MemberRecord[]) => void): Closable;

  /**
   * Tries to become the controller: writes the controller record (the candidate) under `lease`
   * if no controller record exists. Resolves true if this candidate now holds it.
   */
  campaign(candidate: MemberRecord, lease: CoordinatorLease): Promise<boolean>;
  /** The current controller record, or null. */
  controller(): Promise<MemberRecord | null>;
  /** Calls back with the controller record whenever it changes (null when there is none). */
  watchController(onController: (c: MemberRecord | null) => void): Closable;
  /**
   * Deletes the controller record if it is still exactly `expected` (same id and runId), and
   * revokes its lease. Used only when the old controller's process is proven dead (docs).
   */
  evictController(expected: MemberRecord): Promise<boolean>;
  /** Gives up the controller record if `candidate` holds it. */
  resign(candidate: MemberRecord): Promise<void>;

  /** Whether the coordinator's endpoints answer, refuse connections, or time out. */
  probe(timeoutMs: number): Promise<Reachability>;

  close(): Promise<void>;
}
