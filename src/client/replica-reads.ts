// Replica reads (readFrom 'replica' / 'nearest') and read-your-writes across replicas; what each
// mode promises is in options.ts. Only built when readFrom is not 'primary': the core's hot path
// then pays one boolean test per command.
//
// Routing. The core hands every command whose slot's primary is up to route(). A read-only
// command (by the server's command table, router.ts) goes to a node picked from the slot's shard
// (round-robin over replicas, or the lowest round trip); anything else goes to the primary. The
// choice is made again at every dispatch (a retry may pick another node), except for a read
// pinned to the primary after LOADING or STALE.
//
// Read-your-writes, with no per-command allocation on the write path:
// - A write sent to a primary sets its connection's owesOffset; flush() appends the one shared
//   CORRAL OFFSET record after the turn's commands. Its reply (on that connection: the record
//   need not say whose it is) raises the shard's token.
// - Delivering a write's reply sets the primary's awaitingOffset; the next OFFSET reply on that
//   connection covers it (FIFO: it was appended after the write), and clears it. Meanwhile the
//   shard's reads go to the primary: the caller may have seen a write the token does not cover
//   yet (the OFFSET reply was cut into a later read). A lost connection leaves the flag set; the
//   next diverted read asks the primary for an OFFSET.
// - A read for a replica whose last known offset is below the token is written after a guard,
//   CORRAL WAITOFFSET <token> <ryWaitMs> (one record per guard; reads of the same turn on that
//   connection share it while its token covers theirs). The guard's answer raises the replica's
//   known offset, so later reads skip the guard until the token moves again. A STALE guard is
//   marked; each read behind it drops its reply and is dispatched again, pinned to the primary.
//
// Round trips ('nearest'): the shared PING record, at most one in flight per connection, every
// second on each connection of every shard's nodes (and once as a connection comes up); the
// smoothed result picks each shard's nearest node when it arrives, so a read costs no search.

import { performance } from 'node:perf_hooks';
import { Access, Command, Ctl, PING_PROBE, READONLY, controlRecord } from './command.js';
import { ConnState, type Connection } from './connection.js';
import { newShard, type NodeEntry, type Shard } from './nodes.js';
import type { Resolved } from './options.js';
import { isReadOnly } from './router.js';
import type { SlotRange } from './topology.js';
import type { HotKeySet } from './hot-reads.js';

/** What the router needs from the core (cluster-client.ts). */
export interface ReadHost {
  readonly o: Resolved;
  readonly stats: { replicaReads: number; readFallbacks: number };
  entry(addr: SlotRange['primary']): NodeEntry;
  connOf(entry: NodeEntry): Connection;
  sendTo(entry: NodeEntry, cmd: Command): void;
  dispatch(cmd: Command): void;
  markDirty(conn: Connection): void;
  isOpen(): boolean;
}

const PROBE_INTERVAL_MS = 1000;
/** Weight of a new round-trip sample in the smoothed value. */
const RTT_ALPHA = 0.3;
const QUARANTINE_BASE_MS = 250;
const QUARANTINE_MAX_MS = 30_000;

export class ReadRouter {
  private readonly nearestMode: boolean;
  private readonly ryw: boolean;
  private readonly waitMs: number;
  private shards: Shard[] = [];
  private probeTimer: unknown = null;

  constructor(
    private readonly host: ReadHost,
    /** hotReadsFrom: only these keys' reads leave the primary (null: every read may). */
    private readonly hot: HotKeySet | null = null,
  ) {
    this.nearestMode = (host.o.hotReadsFrom ?? host.o.readFrom) === 'nearest';
    this.ryw = host.o.readYourWrites;
    this.waitMs = host.o.ryWaitMs;
  }

  // ---- routing ------------------------------------------------------------------------------

  /** Sends cmd for a slot whose primary is `primary` (known, not down). */
  route(primary: NodeEntry, cmd: Command): void {
    const host = this.host;
    cmd.guard = null; // a retried read may have had one
    let access = cmd.access;
    if (access === Access.Unknown) {
      access = cmd.access = isReadOnly(cmd.args[0]) ? Access.Read : this.ryw ? Access.Write : Access.Other;
    }
    const shard = primary.shard;
    if (access >= Access.PrimaryRead || cmd.slot < 0 || shard === null || shard.primary !== primary || (this.hot !== null && !this.hot.has(cmd.args[1]))) {
      host.sendTo(primary, cmd);
      return;
    }
    if (this.ryw && primary.awaitingOffset) {
      this.probeOffset(primary);
      cmd.access = Access.Read;
      host.sendTo(primary, cmd);
      return;
    }
    const target = this.nearestMode ? this.nearest(shard) : this.nextReplica(shard);
    if (target === primary) {
      cmd.access = Access.Read;
      host.sendTo(primary, cmd);
      return;
    }
    const token = this.ryw ? shard.token : 0;
    const conn = host.connOf(target);
    if (!conn.readOnly) {
      conn.readOnly = true;
      conn.send(READONLY);
    }
    if (token > target.knownOffset) {
      let g = conn.guard;
      if (g === null || (g.args[2] as number) < token) {
        g = controlRecord(['CORRAL', 'WAITOFFSET', token, this.waitMs], Ctl.Wait);
        conn.guard = g;
        conn.send(g);
      }
      cmd.guard = g;
    }
    cmd.access = Access.ReplicaRead;
    host.stats.replicaReads++;
    host.sendTo(target, cmd);
  }

  private nextReplica(shard: Shard): NodeEntry {
    const reps = shard.replicas;
    const n = reps.length;
    for (let i = 0; i < n; i++) {
      const r = reps[shard.rr];
      shard.rr = shard.rr + 1 === n ? 0 : shard.rr + 1;
      if (!r.down && !r.quarantined) return r;
    }
    return shard.primary;
  }

  private nearest(shard: Shard): NodeEntry {
    const t = shard.nearest;
    return t.down || t.quarantined ? shard.primary : t;
  }

  /** Makes sure a CORRAL OFFSET reaches `primary` soon (unless one is on its way). */
  private probeOffset(primary: NodeEntry): void {
    if (primary.noOffset) return;
    const conn = this.host.connOf(primary);
    if (conn.owesOffset || conn.offsetsInFlight > 0) return;
    conn.owesOffset = true;
    if (conn.state === ConnState.Ready && !conn.dirty) this.host.markDirty(conn);
  }

  /** A read's reply arrived and it had a guard: true if the guard was STALE (the read is re-sent). */
  staleGuard(cmd: Command): boolean {
    const g = cmd.guard!;
    cmd.guard = null;
    if (g.ctl !== Ctl.WaitStale) return false;
    this.toPrimary(cmd);
    return true;
  }

  /** Re-sends a read to its slot's primary (after STALE or LOADING from a replica). */
  toPrimary(cmd: Command): void {
    cmd.access = Access.PrimaryRead;
    this.host.stats.readFallbacks++;
    this.host.dispatch(cmd);
  }

  // ---- Control records' replies -------------------------------------------------------------

  onControl(conn: Connection, cmd: Command, v: unknown): void {
    const e = conn.ref;
    if (e === null) return;
    switch (cmd.ctl) {
      case Ctl.Offset: {
        conn.offsetsInFlight--;
        if (typeof v === 'number') {
          const s = e.shard;
          if (s !== null && s.primary === e && v > s.token) s.token = v;
          e.awaitingOffset = false;
        } else {
          // Not a corral node (or not one that knows OFFSET): its shard's reads stay on it.
          e.noOffset = true;
        }
        return;
      }
      case Ctl.Wait:
        if (conn.guard === cmd) conn.guard = null;
        if (typeof v === 'number') {
          if (v > e.knownOffset) e.knownOffset = v;
        } else {
          cmd.ctl = Ctl.WaitStale;
        }
        return;
      case Ctl.Ping: {
        if (conn.pingAt === 0) return;
        const sample = performance.now() - conn.pingAt;
        conn.pingAt = 0;
        e.rtt = e.rtt < 0 ? sample : e.rtt + (sample - e.rtt) * RTT_ALPHA;
        if (e.shard !== null) pickNearest(e.shard);
        return;
      }
      default:
        return; // READONLY: nothing to do with its answer
    }
  }

  // ---- topology -----------------------------------------------------------------------------

  /**
   * Builds the shards of a new slot map: `ranges` from CLUSTER SLOTS, `oldSlots` the map before.
   * A shard keeps its object (token, cursor, round trips) while its primary stays the same; a
   * shard with a new primary starts with token 0 and, if the client had written to that shard's
   * slots before, is re-seeded from the new primary's CORRAL OFFSET (options.ts). Adds every
   * replica to `keep` (the nodes the core must not forget).
   */
  applyRanges(ranges: SlotRange[], oldSlots: ReadonlyArray<NodeEntry | undefined>, keep: Set<NodeEntry>): void {
    const byPrimary = new Map<NodeEntry, Shard>();
    const fresh = new Set<Shard>();
    const reseed = new Set<Shard>();
    const wrote = (s: Shard | null): boolean => s !== null && (s.token > 0 || s.primary.awaitingOffset);
    for (const r of ranges) {
      const p = this.host.entry(r.primary);
      let s = byPrimary.get(p);
      if (s === undefined) {
        if (p.shard !== null && p.shard.primary === p) {
          s = p.shard;
          s.replicas = [];
        } else {
          // A new primary: was it a replica of a shard this client wrote to (a failover)?
          s = newShard(p);
          fresh.add(s);
          if (wrote(p.shard)) reseed.add(s);
        }
        byPrimary.set(p, s);
      }
      const isFresh = fresh.has(s);
      const before = oldSlots[r.start];
      if (isFresh && before !== undefined && before !== p && wrote(before.shard)) reseed.add(s);
      for (const a of r.replicas) {
        const e = this.host.entry(a);
        if (e === p || s.replicas.includes(e)) continue;
        if (e.shard !== s) {
          if (isFresh && wrote(e.shard)) reseed.add(s);
          e.shard = s;
          e.knownOffset = 0;
        }
        s.replicas.push(e);
        keep.add(e);
      }
    }
    for (const [p, s] of byPrimary) {
      p.shard = s;
      if (s.rr >= s.replicas.length) s.rr = 0;
      pickNearest(s);
    }
    this.shards = [...byPrimary.values()];
    for (const s of reseed) {
      // Reads go to the new primary until its offset answers (route() sees awaitingOffset).
      s.primary.awaitingOffset = !s.primary.noOffset;
      this.probeOffset(s.primary);
    }
    if (this.nearestMode) this.startProbes();
  }

  /** A replica's connection failed: skip it for a while (longer after each failure in a row). */
  quarantine(e: NodeEntry): void {
    if (e.quarantined) return;
    e.quarantined = true;
    const ms = Math.min(QUARANTINE_MAX_MS, QUARANTINE_BASE_MS * 2 ** Math.min(e.failures, 10));
    e.failures++;
    if (e.shard !== null && e.shard.nearest === e) pickNearest(e.shard);
    const h = this.host.o.timers.setTimeout(() => {
      e.quarantined = false;
    }, ms);
    (h as { unref?: () => void } | null)?.unref?.();
  }

  onConnected(conn: Connection): void {
    const e = conn.ref;
    if (e === null) return;
    e.failures = 0;
    if (this.nearestMode) this.ping(conn);
  }

  // ---- round trips ('nearest') --------------------------------------------------------------

  private startProbes(): void {
    if (this.probeTimer !== null) return;
    this.probe();
  }

  private readonly probe = (): void => {
    this.probeTimer = null;
    if (!this.host.isOpen()) return;
    for (const s of this.shards) {
      this.probeNode(s.primary);
      for (const r of s.replicas) this.probeNode(r);
    }
    this.probeTimer = this.host.o.timers.setTimeout(this.probe, PROBE_INTERVAL_MS);
    (this.probeTimer as { unref?: () => void } | null)?.unref?.();
  };

  private probeNode(e: NodeEntry): void {
    if (e.quarantined || e.down) return;
    const conn = this.host.connOf(e); // opens it if needed: its first PING goes on connect
    if (conn.state === ConnState.Ready) this.ping(conn);
  }

  private ping(conn: Connection): void {
    if (conn.pingAt !== 0) return;
    conn.pingAt = performance.now();
    conn.send(PING_PROBE);
  }

  close(): void {
    if (this.probeTimer !== null) this.host.o.timers.clearTimeout(this.probeTimer);
    this.probeTimer = null;
    this.shards = [];
  }
}

/** The shard's node with the lowest smoothed round trip (the primary until one is measured). */
function pickNearest(s: Shard): void {
  let best = s.primary;
  let bestRtt = best.rtt < 0 ? Infinity : best.rtt;
  for (const r of s.replicas) {
    if (r.rtt >= 0 && r.rtt < bestRtt && !r.quarantined) {
      best = r;
      bestRtt = r.rtt;
    }
  }
  s.nearest = best;
}
