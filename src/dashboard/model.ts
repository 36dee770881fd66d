// The dashboard's data model: what one poll of a cluster gathers (RawPoll: the topology document,
// each node's INFO fields, hot keys, the resharding status) and the ClusterSnapshot the page draws,
// computed from two successive polls by pure functions (rates are counter deltas over the time
// between the polls), so that they can be tested with exact tables. The collector (collector.ts)
// does the I/O; events.ts diffs successive snapshots into timeline events.

import type { TopologyDoc } from '../cluster/topology.js';

/** One node as the page shows it. Figures are null when the node did not answer. */
export interface NodeState {
  address: string;
  id: string;
  shard: string;
  role: 'primary' | 'replica';
  reachable: boolean;
  /** Marked failed by the controller in the topology document. */
  failed: boolean;
  pid: number | null;
  opsPerSec: number | null;
  usedMemory: number | null;
  keys: number | null;
  /** master_repl_offset (a primary) or slave_repl_offset (a replica). */
  offset: number | null;
  /** A replica's bytes behind its primary (null: a primary, or either did not answer). */
  lagBytes: number | null;
  /** A replica's link to its primary (null: a primary or unknown). */
  linkUp: boolean | null;
}

export interface ShardState {
  id: string;
  slots: number;
  primary: string;
  replicas: string[];
  /** The primary's commands per second (0 when it did not answer). */
  opsPerSec: number;
  /** keyspace hits / (hits + misses) over the last interval, on every node of the shard; null: no reads. */
  hitRatio: number | null;
  /** The primary's used_memory (null: it did not answer). */
  usedMemory: number | null;
  /** Keys evicted per second on the primary. */
  evictionsPerSec: number;
  keys: number;
}

export interface HotKey {
  key: string;
  node: string;
  shard: string;
  opsPerSec: number;
}

export interface MigrationState {
  plan: string;
  kind: string;
  state: string;
  totalSlots: number;
  slotsLeft: number;
  /** 0..1 */
  progress: number;
  bytesPerSec: number | null;
  etaMs: number | null;
  lastError: string;
}

export interface ClusterSnapshot {
  /** Wall-clock ms of the poll. */
  at: number;
  /** Why the cluster could not be read at all (no node answered), else null. */
  error: string | null;
  epoch: number | null;
  controller: string;
  nodes: NodeState[];
  shards: ShardState[];
  totals: { opsPerSec: number; hitRatio: number | null; usedMemory: number; evictionsPerSec: number; keys: number; nodesUp: number; nodesTotal: number };
  /** Most over mean across primaries (1: even); null without figures. */
  imbalance: { keys: number | null; ops: number | null; slots: number | null };
  hotKeys: HotKey[];
  migration: MigrationState | null;
}

/** The counters and gauges read from one node's INFO. */
export interface NodeCounters {
  pid: number;
  commands: number;
  hits: number;
  misses: number;
  evicted: number;
  usedMemory: number;
  keys: number;
  offset: number;
  linkUp: boolean | null;
}

/** What one poll gathered. `info` is keyed by node address; a missing entry: no answer. */
export interface RawPoll {
  at: number;
  doc: TopologyDoc | null;
  error: string | null;
  controller: string;
  info: Map<string, NodeCounters>;
  hotKeys: HotKey[];
  reshard: Map<string, string> | null;
}

/** INFO's `name:value` lines as a map. */
export function infoFields(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** The figures the dashboard uses from INFO ALL's fields. */
export function countersOf(f: Map<string, string>): NodeCounters {
  const num = (k: string): number => {
    const v = Number(f.get(k) ?? 0);
    return Number.isFinite(v) ? v : 0;
  };
  let keys = 0;
  for (const [k, v] of f) {
    const m = /^db\d+$/.test(k) ? /keys=(\d+)/.exec(v) : null;
    if (m !== null) keys += Number(m[1]);
  }
  const replica = f.get('role') === 'slave';
  return {
    pid: num('process_id'),
    commands: num('total_commands_processed'),
    hits: num('keyspace_hits'),
    misses: num('keyspace_misses'),
    evicted: num('evicted_keys'),
    usedMemory: num('used_memory'),
    keys,
    offset: replica ? num('slave_repl_offset') : num('master_repl_offset'),
    linkUp: replica ? f.get('master_link_status') === 'up' : null,
  };
}

/**
 * A counter's rate per second between two readings; null when there is no earlier reading, no
 * time passed, or the process restarted (another pid, or the counter went back).
 */
export function ratePerSec(prev: NodeCounters | undefined, cur: NodeCounters, field: 'commands' | 'hits' | 'misses' | 'evicted', seconds: number): number | null {
  if (prev === undefined || !(seconds > 0) || prev.pid !== cur.pid || cur[field] < prev[field]) return null;
  return (cur[field] - prev[field]) / seconds;
}

/** Most over mean (1: even), to 3 decimals; null for no values or a zero mean. */
export function imbalanceOf(values: number[]): number | null {
  if (values.length === 0) return null;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (mean === 0) return null;
  return Math.round((Math.max(...values) / mean) * 1000) / 1000;
}

/** Slots each shard owns in a document, by shard id. */
export function slotCounts(doc: TopologyDoc): Map<string, number> {
  const m = new Map<string, number>(doc.shards.map((s) => [s.id, 0]));
  for (const [start, end, shard] of doc.slots) m.set(shard, (m.get(shard) ?? 0) + end - start + 1);
  return m;
}

const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** The snapshot of `cur`, with rates against `prev` (the poll before, if any). */
export function buildSnapshot(cur: RawPoll, prev: RawPoll | null): ClusterSnapshot {
  const empty: ClusterSnapshot = {
    at: cur.at,
    error: cur.error,
    epoch: null,
    controller: cur.controller,
    nodes: [],
    shards: [],
    totals: { opsPerSec: 0, hitRatio: null, usedMemory: 0, evictionsPerSec: 0, keys: 0, nodesUp: 0, nodesTotal: 0 },
    imbalance: { keys: null, ops: null, slots: null },
    hotKeys: cur.hotKeys,
    migration: null,
  };
  const doc = cur.doc;
  if (doc === null) return empty;
  const seconds = prev === null ? 0 : (cur.at - prev.at) / 1000;
  const addressOf = new Map(doc.nodes.map((n) => [n.id, `${n.host}:${n.port}`]));
  const failed = new Set(doc.nodes.filter((n) => n.failed === true).map((n) => n.id));
  const counts = slotCounts(doc);
  const nodes: NodeState[] = [];
  const shards: ShardState[] = [];
  let totalHits = 0;
  let totalReads = 0;
  for (const s of doc.shards) {
    const primary = addressOf.get(s.primary) ?? s.primary;
    const replicas = s.replicas.map((id) => addressOf.get(id) ?? id);
    const pc = cur.info.get(primary);
    let hits = 0;
    let reads = 0;
    for (const [id, address] of [[s.primary, primary], ...s.replicas.map((id, i) => [id, replicas[i]])] as Array<[string, string]>) {
      const c = cur.info.get(address);
      const before = prev?.info.get(address);
      const ops = c === undefined ? null : ratePerSec(before, c, 'commands', seconds);
      if (c !== undefined) {
        const h = ratePerSec(before, c, 'hits', seconds);
        const m = ratePerSec(before, c, 'misses', seconds);
        if (h !== null && m !== null) {
          hits += h;
          reads += h + m;
        }
      }
      const isReplica = id !== s.primary;
      nodes.push({
        address,
        id,
        shard: s.id,
        role: isReplica ? 'replica' : 'primary',
        reachable: c !== undefined,
        failed: failed.has(id),
        pid: c?.pid ?? null,
        opsPerSec: ops === null ? null : round(ops),
        usedMemory: c?.usedMemory ?? null,
        keys: c?.keys ?? null,
        offset: c?.offset ?? null,
        lagBytes: isReplica && c !== undefined && pc !== undefined ? Math.max(0, pc.offset - c.offset) : null,
        linkUp: isReplica ? (c?.linkUp ?? null) : null,
      });
    }
    totalHits += hits;
    totalReads += reads;
    const evictions = pc === undefined ? null : ratePerSec(prev?.info.get(primary), pc, 'evicted', seconds);
    const ops = pc === undefined ? null : ratePerSec(prev?.info.get(primary), pc, 'commands', seconds);
    shards.push({
      id: s.id,
      slots: counts.get(s.id) ?? 0,
      primary,
      replicas,
      opsPerSec: round(ops ?? 0),
      hitRatio: reads > 0 ? round(hits / reads, 4) : null,
      usedMemory: pc?.usedMemory ?? null,
      evictionsPerSec: round(evictions ?? 0),
      keys: pc?.keys ?? 0,
    });
  }
  const up = nodes.filter((n) => n.reachable).length;
  const answered = shards.filter((s) => cur.info.has(s.primary));
  return {
    ...empty,
    epoch: doc.epoch,
    nodes,
    shards,
    totals: {
      opsPerSec: round(shards.reduce((a, s) => a + s.opsPerSec, 0)),
      hitRatio: totalReads > 0 ? round(totalHits / totalReads, 4) : null,
      usedMemory: nodes.reduce((a, n) => a + (n.usedMemory ?? 0), 0),
      evictionsPerSec: round(shards.reduce((a, s) => a + s.evictionsPerSec, 0)),
      keys: shards.reduce((a, s) => a + s.keys, 0),
      nodesUp: up,
      nodesTotal: nodes.length,
    },
    imbalance: {
      keys: imbalanceOf(answered.map((s) => s.keys)),
      ops: imbalanceOf(answered.map((s) => s.opsPerSec)),
      slots: imbalanceOf(shards.map((s) => s.slots)),
    },
    migration: migrationOf(doc, cur.reshard),
  };
}

/** The plan in progress: the controller's RESHARD STATUS for it when it answered, else the document's. */
export function migrationOf(doc: TopologyDoc, reshard: Map<string, string> | null): MigrationState | null {
  const plan = doc.plan;
  if (plan === undefined) return null;
  const docLeft = plan.moves.reduce((n, m) => n + m[1] - m[0] + 1, 0);
  const live = reshard !== null && reshard.get('plan') === plan.id ? reshard : null;
  const num = (k: string): number | null => {
    const v = Number(live?.get(k));
    return live === null || live.get(k) === undefined || !Number.isFinite(v) ? null : v;
  };
  const totalSlots = num('total_slots') ?? plan.total;
  const slotsLeft = num('slots_left') ?? docLeft;
  const eta = num('eta_ms');
  return {
    plan: plan.id,
    kind: plan.kind,
    state: live?.get('state') ?? (plan.paused ? 'paused' : 'running'),
    totalSlots,
    slotsLeft,
    progress: totalSlots === 0 ? 0 : round(Math.max(0, totalSlots - slotsLeft) / totalSlots, 4),
    bytesPerSec: num('bytes_per_sec'),
    etaMs: eta === null || eta < 0 ? null : eta,
    lastError: live?.get('last_error') ?? '',
  };
}

/** The figures charted over time: one point per poll. */
export interface SeriesPoint {
  at: number;
  shards: Record<string, { ops: number; hit: number | null; mem: number | null; evict: number }>;
}

export function pointOf(s: ClusterSnapshot): SeriesPoint {
  const shards: SeriesPoint['shards'] = {};
  for (const sh of s.shards) shards[sh.id] = { ops: sh.opsPerSec, hit: sh.hitRatio, mem: sh.usedMemory, evict: sh.evictionsPerSec };
  return { at: s.at, shards };
}
