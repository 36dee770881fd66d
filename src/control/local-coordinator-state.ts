// The local coordinator server's state (local-coordinator-server.ts serves it over RESP): one
// cluster's topology document with its epoch, the member registrations, the controller record and
// the leases they hang on, with the rules for changing them. No sockets: every change calls
// `changed` with its subject at once, so the server pushes it to the watchers before the command
// that caused it is answered (or, for an expiry, from the timer callback): a watcher sees changes
// in the order they happened.
//
// Leases: each has a timer set at its expiry (now + ttl, re-armed by every keep-alive), so a
// lapsed lease is removed within a timer tick of its expiry, not at the next poll. Removing a
// lease removes the member records and the controller record attached to it.
//
// Lease ids are random 48-bit numbers, so a client of a server that restarted on the same port
// (all state lost) gets -NOLEASE for its old lease rather than refreshing someone else's.

import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseTopology } from '../cluster/topology.js';
import type { MemberRecord } from './coordinator.js';
import { memberFromJson } from './coordinator-shared.js';

/** Longest ttl a lease may ask for (a day), and the shortest. */
export const MAX_TTL_MS = 86_400_000;
export const MIN_TTL_MS = 10;
/** A lease timer this late (ms) says the process was stalled, not that the holder went quiet. */
const STALL_SLACK_MS = 100;

export interface LeaseState {
  id: string;
  ttlMs: number;
  expiresAt: number;
  /** The current expiry was pushed back once for a stall of this process (reset by keep-alive). */
  stallForgiven: boolean;
  timer: NodeJS.Timeout;
  /** Member ids registered under this lease. */
  members: Set<string>;
}

/** What a change is to (the subjects a connection may watch). */
export type StateSubject = 'topology' | 'members' | 'controller';

/** A command refused: its message is the error reply. */
export class ProtocolReject extends Error {}

/** Parses and checks a member record sent by a client. */
function parseMember(json: string): MemberRecord {
  const m = memberFromJson(json);
  if (m === null) throw new ProtocolReject('ERR invalid member record: needs id, host, port, runId');
  return m;
}

export class CoordinatorState {
  topology: { json: Buffer; epoch: number } | null = null;
  readonly leases = new Map<string, LeaseState>();
  readonly members = new Map<string, { json: Buffer; leaseId: string }>();
  controller: { record: MemberRecord; json: Buffer; leaseId: string } | null = null;

  constructor(private readonly changed: (subject: StateSubject) => void) {}

  /** Forgets all state (the leases' timers stopped). */
  clear(): void {
    for (const lease of this.leases.values()) clearTimeout(lease.timer);
    this.leases.clear();
    this.members.clear();
    this.controller = null;
    this.topology = null;
  }

  /** TOPOLOGY CAS: stores the document if the stored epoch is `expected` and the new one greater. */
  casTopology(expected: number, json: string): boolean {
    const doc = parseTopology(json); // throws E_TOPOLOGY on an invalid document
    const stored = this.topology?.epoch ?? 0;
    if (stored !== expected || !(doc.epoch > expected)) return false;
    this.topology = { json: Buffer.from(JSON.stringify(doc), 'utf8'), epoch: doc.epoch };
    this.changed('topology');
    return true;
  }

  /** A new lease with a fresh random id, armed. */
  grant(ttlMs: number): LeaseState {
    let id: string;
    do id = String(randomInt(1, 2 ** 48 - 1));
    while (this.leases.has(id));
    const lease: LeaseState = { id, ttlMs, expiresAt: 0, stallForgiven: false, timer: undefined as unknown as NodeJS.Timeout, members: new Set() };
    this.leases.set(id, lease);
    this.arm(lease);
    return lease;
  }

  /** (Re)sets the lease's expiry to now + ttl. */
  arm(lease: LeaseState): void {
    clearTimeout(lease.timer);
    lease.stallForgiven = false;
    lease.expiresAt = performance.now() + lease.ttlMs;
    lease.timer = setTimeout(() => this.onTimer(lease), lease.ttlMs);
  }

  private onTimer(lease: LeaseState): void {
    if (this.leases.get(lease.id) !== lease) return;
    // A timer may fire a little early relative to performance.now(); never expire before time.
    const now = performance.now();
    const left = lease.expiresAt - now;
    if (left > 0) {
      lease.timer = setTimeout(() => this.onTimer(lease), Math.ceil(left));
      return;
    }
    // A timer that fires well after its time means this process was stalled (a blocked event
    // loop, a descheduled process). Node runs due timers before it reads sockets, so the
    // holder's keep-alives sent during the stall are still unread: expiring now would blame the
    // holder for the coordinator's own silence. The stalled time is given back (never more than
    // a ttl), so the lease expires only after a ttl in which this process could hear it. Holding
    // a lease longer than its holder counts on is always safe: holders stop acting on a lease by
    // their own clocks (agent.ts, controller.ts). Once per keep-alive: a loop that is always
    // late must not keep a dead holder's lease forever.
    const late = -left;
    if (late > STALL_SLACK_MS && !lease.stallForgiven) {
      lease.stallForgiven = true;
      lease.expiresAt = now + Math.min(late, lease.ttlMs);
      lease.timer = setTimeout(() => this.onTimer(lease), Math.ceil(lease.expiresAt - now));
      return;
    }
    this.expire(lease);
  }

  /** Removes the lease and everything attached to it, and tells the watchers. */
  expire(lease: LeaseState): void {
    clearTimeout(lease.timer);
    this.leases.delete(lease.id);
    let membersChanged = false;
    for (const id of lease.members) {
      const m = this.members.get(id);
      if (m !== undefined && m.leaseId === lease.id) {
        this.members.delete(id);
        membersChanged = true;
      }
    }
    if (membersChanged) this.changed('members');
    if (this.controller !== null && this.controller.leaseId === lease.id) {
      this.controller = null;
      this.changed('controller');
    }
  }

  /** The live lease with that id; -NOLEASE if there is none. */
  lease(id: string): LeaseState {
    const lease = this.leases.get(id);
    if (lease === undefined) throw new ProtocolReject(`NOLEASE lease ${id} not found`);
    return lease;
  }

  /** MEMBER REGISTER: replaces the member's record (by id) and attaches it to the lease. */
  register(lease: LeaseState, json: string): void {
    const member = parseMember(json);
    const old = this.members.get(member.id);
    if (old !== undefined) this.leases.get(old.leaseId)?.members.delete(member.id);
    this.members.set(member.id, { json: Buffer.from(json, 'utf8'), leaseId: lease.id });
    lease.members.add(member.id);
    this.changed('members');
  }

  /** CONTROLLER CAMPAIGN: whether the candidate now holds the record (written now, or already its). */
  campaign(lease: LeaseState, json: string): boolean {
    const candidate = parseMember(json);
    if (this.controller !== null) return sameMember(this.controller.record, candidate);
    this.controller = { record: candidate, json: Buffer.from(json, 'utf8'), leaseId: lease.id };
    this.changed('controller');
    return true;
  }

  /**
   * CONTROLLER RESIGN, or EVICT: deletes the record if that member holds it (false if not).
   * Evicting a dead controller also ends its lease, so its member record goes too.
   */
  release(id: string, runId: string, evict: boolean): boolean {
    const c = this.controller;
    if (c === null || c.record.id !== id || c.record.runId !== runId) return false;
    this.controller = null;
    this.changed('controller');
    if (evict) {
      const lease = this.leases.get(c.leaseId);
      if (lease !== undefined) this.expire(lease);
    }
    return true;
  }

  /** The place the stored document gives a node on this port: primary, replica, or null. */
  placement(port: number): 'primary' | 'replica' | null {
    if (this.topology === null) return null;
    const doc = parseTopology(this.topology.json.toString('utf8'));
    const ids = new Set(doc.nodes.filter((n) => n.port === port).map((n) => n.id));
    for (const s of doc.shards) {
      if (ids.has(s.primary)) return 'primary';
      if (s.replicas.some((r) => ids.has(r))) return 'replica';
    }
    return null;
  }
}

function sameMember(a: MemberRecord, b: MemberRecord): boolean {
  return a.id === b.id && a.runId === b.runId;
}
