// The dashboard's timeline: what changed between two successive snapshots of a cluster, as events
// (a pure function of the two, so it is tested with exact tables). Nodes are matched by address
// and shards by id (a shard keeps its id across failovers). A node killed and restarted between
// two polls is never seen down: its new pid tells (`node-restarted`). The epochs and slot moves of
// a resharding plan in progress are left to the migrations panel (the plan's start and end are
// events).

import type { ClusterSnapshot, MigrationState } from './model.js';

export type TimelineKind =
  | 'cluster-unreachable'
  | 'cluster-reachable'
  | 'node-down'
  | 'node-up'
  | 'node-restarted'
  | 'node-failed'
  | 'node-recovered'
  | 'failover'
  | 'demoted'
  | 'node-added'
  | 'node-removed'
  | 'shard-added'
  | 'shard-removed'
  | 'epoch'
  | 'slots'
  | 'migration-started'
  | 'migration-finished';

export interface TimelineEvent {
  at: number;
  kind: TimelineKind;
  text: string;
  /** The node (host:port) or shard id concerned, when one is. */
  node?: string;
  shard?: string;
}

/** What changed from `prev` to `next`, in a fixed order (cluster, nodes, shards, epoch, migration). */
export function diffSnapshots(prev: ClusterSnapshot, next: ClusterSnapshot): TimelineEvent[] {
  const at = next.at;
  const out: TimelineEvent[] = [];
  if (prev.error === null && next.error !== null) out.push({ at, kind: 'cluster-unreachable', text: `cluster unreachable: ${next.error}` });
  if (prev.error !== null && next.error === null) out.push({ at, kind: 'cluster-reachable', text: 'cluster reachable again' });
  if (next.epoch === null || prev.epoch === null) return out;

  const before = new Map(prev.nodes.map((n) => [n.address, n]));
  const after = new Map(next.nodes.map((n) => [n.address, n]));
  for (const n of next.nodes) {
    const p = before.get(n.address);
    const what = `${n.address} (${n.role} of shard ${n.shard})`;
    if (p === undefined) {
      out.push({ at, kind: 'node-added', text: `${what} joined`, node: n.address, shard: n.shard });
      continue;
    }
    // A node found down or restarted is named by the role it had: the controller may have
    // demoted it in the same interval.
    const was = `${n.address} (${p.role} of shard ${p.shard})`;
    if (p.reachable && !n.reachable) out.push({ at, kind: 'node-down', text: `${was} is down`, node: n.address, shard: n.shard });
    else if (!p.reachable && n.reachable) out.push({ at, kind: 'node-up', text: `${what} is back (pid ${n.pid})`, node: n.address, shard: n.shard });
    else if (p.reachable && n.reachable && p.pid !== null && n.pid !== null && p.pid !== n.pid) {
      out.push({ at, kind: 'node-restarted', text: `${was} restarted (pid ${p.pid} -> ${n.pid})`, node: n.address, shard: n.shard });
    }
    if (!p.failed && n.failed) out.push({ at, kind: 'node-failed', text: `${what} marked failed by the controller`, node: n.address, shard: n.shard });
    if (p.failed && !n.failed) out.push({ at, kind: 'node-recovered', text: `${n.address} no longer marked failed`, node: n.address, shard: n.shard });
    if (p.role === 'primary' && n.role === 'replica') out.push({ at, kind: 'demoted', text: `${n.address} is now a replica in shard ${n.shard}`, node: n.address, shard: n.shard });
  }
  for (const p of prev.nodes) {
    if (!after.has(p.address)) out.push({ at, kind: 'node-removed', text: `${p.address} left the cluster`, node: p.address, shard: p.shard });
  }

  // A resharding plan publishes a new epoch for every batch of slots it moves: while the same plan
  // runs on both sides, those show as its progress (the migrations panel), not one event each,
  // which would push failovers out of the bounded timeline.
  const planGoesOn = prev.migration !== null && next.migration !== null && prev.migration.plan === next.migration.plan;
  const shardsBefore = new Map(prev.shards.map((s) => [s.id, s]));
  const shardsAfter = new Set(next.shards.map((s) => s.id));
  for (const s of next.shards) {
    const p = shardsBefore.get(s.id);
    if (p === undefined) {
      out.push({ at, kind: 'shard-added', text: `shard ${s.id} added (primary ${s.primary})`, shard: s.id });
      continue;
    }
    if (p.primary !== s.primary) out.push({ at, kind: 'failover', text: `failover in shard ${s.id}: ${s.primary} took over from ${p.primary}`, node: s.primary, shard: s.id });
    if (p.slots !== s.slots && !planGoesOn) out.push({ at, kind: 'slots', text: `shard ${s.id}: ${p.slots} -> ${s.slots} slots`, shard: s.id });
  }
  for (const p of prev.shards) {
    if (!shardsAfter.has(p.id)) out.push({ at, kind: 'shard-removed', text: `shard ${p.id} removed`, shard: p.id });
  }

  if (prev.epoch !== next.epoch && !planGoesOn) out.push({ at, kind: 'epoch', text: `topology epoch ${prev.epoch} -> ${next.epoch}` });
  out.push(...migrationEvents(at, prev.migration, next.migration));
  return out;
}

function migrationEvents(at: number, prev: MigrationState | null, next: MigrationState | null): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  if (prev !== null && prev.plan !== next?.plan) out.push({ at, kind: 'migration-finished', text: `${prev.kind} ${prev.plan} finished` });
  if (next !== null && next.plan !== prev?.plan) out.push({ at, kind: 'migration-started', text: `${next.kind} ${next.plan} started: ${next.totalSlots} slots to move` });
  return out;
}
