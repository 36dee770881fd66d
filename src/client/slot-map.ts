// The client's picture of the cluster: node entries, the slot -> primary table, the shards
// (replica reads) and the refresh that rebuilds them from CLUSTER SLOTS.
//
// Discovery asks CLUSTER SLOTS of the known primaries (reachable ones first), then the seeds;
// the first answer wins. A node that says it has no cluster support puts the client in
// single-node mode (every slot -> that node). Refreshes are single-flight: `refreshing` holds the
// one discovery in progress and every trigger gets that same promise, so a burst of MOVED replies
// costs one CLUSTER SLOTS. A topology push asks the node that sent it first, and if a refresh is
// in flight, asks for one more after it (refreshAgain): the one in flight may have read the older
// document.

import { SLOT_COUNT } from '../cluster/slot.js';
import { BulkMode } from '../protocol/reply-decoder.js';
import type { ClientStats } from './stats.js';
import { ClientClosedError, ClusterDownError, ConnectionError, ReplyError } from './errors.js';
import { newEntry, type NodeEntry } from './nodes.js';
import type { Resolved } from './options.js';
import type { ReadRouter } from './replica-reads.js';
import { meansNotCluster, parseClusterSlots, type NodeAddress, type SlotRange } from './topology.js';

export interface SlotMapHost {
  readonly o: Resolved;
  readonly stats: ClientStats;
  /** Sends an internal (never retried) command to a node; its raw reply. */
  ask(entry: NodeEntry, args: string[], mode: BulkMode): Promise<unknown>;
  isClosed(): boolean;
  /** A refresh ended (whatever its outcome): down marks are cleared, re-route what waited. */
  refreshed(): void;
  /** A cluster map was applied (for the topology subscription). */
  applied(): void;
}

export interface ShardInfo {
  primary: string;
  replicas: string[];
}

const noop = (): void => {};

export class SlotMap {
  mode: 'unknown' | 'cluster' | 'single' = 'unknown';
  readonly nodes = new Map<string, NodeEntry>();
  /** Slot -> its primary's entry (undefined: not served, as far as the client knows). */
  slots: Array<NodeEntry | undefined> = new Array<NodeEntry | undefined>(SLOT_COUNT);
  primaries: NodeEntry[] = [];
  /** Every node of the last CLUSTER SLOTS (primaries and replicas), in its order. */
  members: NodeAddress[] = [];
  shardList: ShardInfo[] = [];
  private rr = 0;
  private refreshing: Promise<void> | null = null;
  private again = false;
  /** Asked first by the next discovery: the node whose push announced a newer topology. */
  private prefer: NodeAddress | null = null;

  constructor(
    private readonly host: SlotMapHost,
    private readonly reads: ReadRouter | null,
  ) {}

  entry(addr: NodeAddress): NodeEntry {
    let e = this.nodes.get(addr.key);
    if (e === undefined) {
      e = newEntry(addr);
      this.nodes.set(addr.key, e);
    }
    return e;
  }

  /** A primary, round-robin (keyless commands). */
  anyNode(): NodeEntry | undefined {
    const p = this.primaries;
    if (p.length === 0) return undefined;
    return p[this.rr++ % p.length];
  }

  /** The one topology refresh in flight, or a new one. Rejects if no node answered. */
  refresh(): Promise<void> {
    if (this.refreshing !== null) return this.refreshing;
    const p = (async () => {
      try {
        await this.discover();
      } finally {
        this.refreshing = null;
        for (const e of this.nodes.values()) e.down = false;
        this.host.refreshed();
        if (this.again && !this.host.isClosed()) {
          this.again = false;
          void this.refresh().catch(noop);
        }
      }
    })();
    this.refreshing = p;
    return p;
  }

  /**
   * A refresh that starts after now (the one in flight may have read an older topology), asking
   * `from` first: the node that announced the new epoch has applied it, while others may not have
   * yet (a coordinator hands the document to one node after the other).
   */
  refreshAgain(from: NodeAddress): void {
    this.prefer = from;
    if (this.refreshing !== null) this.again = true;
    else void this.refresh().catch(noop);
  }

  private async discover(): Promise<void> {
    this.host.stats.refreshes++;
    const candidates: NodeAddress[] = [];
    if (this.prefer !== null) candidates.push(this.prefer);
    this.prefer = null;
    for (const e of this.primaries) if (!e.down) candidates.push(e.addr);
    for (const e of this.primaries) if (e.down) candidates.push(e.addr);
    candidates.push(...this.host.o.seeds);
    const tried = new Set<string>();
    let last: Error = new ConnectionError('no node to ask for the topology');
    for (const addr of candidates) {
      if (tried.has(addr.key)) continue;
      tried.add(addr.key);
      if (this.host.isClosed()) throw new ClientClosedError();
      const entry = this.entry(addr);
      try {
        const ranges = parseClusterSlots(await this.host.ask(entry, ['CLUSTER', 'SLOTS'], BulkMode.Utf8), addr);
        if (ranges.length === 0) {
          last = new ClusterDownError(`${addr.key} reports no slots assigned`);
          continue;
        }
        this.applyCluster(ranges);
        return;
      } catch (err) {
        if (err instanceof ReplyError && meansNotCluster(err.message)) {
          this.applySingle(entry);
          return;
        }
        last = err as Error;
      }
    }
    throw last;
  }

  private applyCluster(ranges: SlotRange[]): void {
    const slots = new Array<NodeEntry | undefined>(SLOT_COUNT);
    const primaries = new Set<NodeEntry>();
    const keep = new Set<NodeEntry>();
    const members = new Map<string, NodeAddress>();
    const shards = new Map<string, ShardInfo>();
    for (const r of ranges) {
      const e = this.entry(r.primary);
      primaries.add(e);
      keep.add(e);
      for (let s = r.start; s <= r.end && s < SLOT_COUNT; s++) slots[s] = e;
      members.set(r.primary.key, r.primary);
      let info = shards.get(r.primary.key);
      if (info === undefined) shards.set(r.primary.key, (info = { primary: r.primary.key, replicas: [] }));
      for (const a of r.replicas) {
        members.set(a.key, a);
        if (!info.replicas.includes(a.key)) info.replicas.push(a.key);
      }
    }
    const old = this.slots;
    this.slots = slots;
    this.primaries = [...primaries];
    this.members = [...members.values()];
    this.shardList = [...shards.values()];
    this.mode = 'cluster';
    this.reads?.applyRanges(ranges, old, keep);
    // Nodes that left the topology: forget them, closing their connection once it is idle.
    for (const [key, e] of this.nodes) {
      if (keep.has(e)) continue;
      e.shard = null;
      if (this.host.o.seeds.some((s) => s.key === key)) continue;
      if (e.conn === null || e.conn.pendingCount === 0) {
        this.nodes.delete(key);
        const conn = e.conn;
        e.conn = null; // closed on purpose: not a lost node (no refresh)
        conn?.destroy(new ConnectionError(`${key} left the cluster`));
      }
    }
    this.host.applied();
  }

  private applySingle(entry: NodeEntry): void {
    this.slots = new Array<NodeEntry | undefined>(SLOT_COUNT).fill(entry);
    this.primaries = [entry];
    this.members = [entry.addr];
    this.shardList = [{ primary: entry.addr.key, replicas: [] }];
    this.mode = 'single';
  }

  clear(): void {
    this.nodes.clear();
    this.primaries = [];
  }
}
