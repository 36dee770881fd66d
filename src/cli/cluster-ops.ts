// `corral cluster status` and `corral cluster failover`: operator views and actions on a running
// cluster, over the same commands any client could send (CORRAL TOPOLOGY, INFO, DBSIZE, CORRAL
// CONTROL, CORRAL RESHARD STATUS, CLUSTER FAILOVER, ROLE).

import { callNode } from './node-call.js';
import { parseTopology, type TopologyDoc } from '../cluster/topology.js';
import { errorOf, formatMB, parseReshardStatus, progressLine, replyPairs, replyText as text, slotCounts, splitAddress as split } from './reshard-format.js';

function fields(info: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of info.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

export interface NodeStatusReport {
  id: string;
  address: string;
  shard: string;
  role: 'primary' | 'replica';
  failed: boolean;
  reachable: boolean;
  offset: number | null;
  linkUp: boolean | null;
  leaseMsLeft: number | null;
  controller: boolean;
  pid: number | null;
}

export interface ShardStatusReport {
  id: string;
  slots: number;
  /** The primary's DBSIZE, used_memory and instantaneous_ops_per_sec (null: unreachable). */
  keys: number | null;
  bytes: number | null;
  opsPerSec: number | null;
  nodes: NodeStatusReport[];
}

/** The resharding plan in progress: from the controller's RESHARD STATUS, else the document's. */
export interface MigrationReport {
  plan: string;
  kind: string;
  state: string;
  totalSlots: number;
  slotsLeft: number;
  keysMoved: number | null;
  bytesMoved: number | null;
  bytesPerSec: number | null;
  etaMs: number;
  lastError: string;
}

export interface ClusterStatusReport {
  epoch: number;
  controller: string;
  coordinator: string;
  /** Most slots on one shard over the mean per shard (1: even). */
  imbalance: number;
  migration: MigrationReport | null;
  shards: ShardStatusReport[];
}

export async function collectStatus(entry: string): Promise<ClusterStatusReport> {
  const [host, port] = split(entry);
  const raw = await callNode(host, port, ['CORRAL', 'TOPOLOGY'], 2000);
  const json = text(raw);
  if (json === '') throw new Error(`${entry} has no topology yet`);
  const doc: TopologyDoc = parseTopology(json);
  let controller = '';
  let coordinator = '';
  const shards: ShardStatusReport[] = [];
  const counts = slotCounts(doc);
  for (const s of doc.shards) {
    const slots = counts.get(s.id) ?? 0;
    const shard: ShardStatusReport = { id: s.id, slots, keys: null, bytes: null, opsPerSec: null, nodes: [] };
    const nodes = shard.nodes;
    for (const id of [s.primary, ...s.replicas]) {
      const n = doc.nodes.find((x) => x.id === id)!;
      const rep: NodeStatusReport = {
        id,
        address: `${n.host}:${n.port}`,
        shard: s.id,
        role: id === s.primary ? 'primary' : 'replica',
        failed: n.failed === true,
        reachable: false,
        offset: null,
        linkUp: null,
        leaseMsLeft: null,
        controller: false,
        pid: null,
      };
      try {
        const info = fields(text(await callNode(n.host, n.port, ['INFO', 'ALL'], 1000)));
        rep.reachable = true;
        rep.offset = Number(info.get('master_repl_offset') ?? 0);
        rep.pid = Number(info.get('process_id') ?? 0) || null;
        if (info.get('role') === 'slave') rep.linkUp = info.get('master_link_status') === 'up';
        if (id === s.primary) {
          shard.bytes = Number(info.get('used_memory') ?? 0);
          shard.opsPerSec = Number(info.get('instantaneous_ops_per_sec') ?? 0);
          const keys = await callNode(n.host, n.port, ['DBSIZE'], 1000);
          shard.keys = typeof keys === 'number' ? keys : null;
        }
        const ctl = await callNode(n.host, n.port, ['CORRAL', 'CONTROL'], 1000);
        if (Array.isArray(ctl)) {
          const m = replyPairs(ctl);
          rep.controller = m.get('is_controller') === '1';
          rep.leaseMsLeft = Number(m.get('lease_ms_left') ?? 0);
          if (controller === '') controller = m.get('controller') ?? '';
          if (coordinator === '') coordinator = m.get('coordinator') ?? '';
        }
      } catch {
        rep.reachable = false;
      }
      nodes.push(rep);
    }
    shards.push(shard);
  }
  const mean = doc.shards.length === 0 ? 0 : [...counts.values()].reduce((a, b) => a + b, 0) / doc.shards.length;
  const imbalance = mean === 0 ? 0 : Math.round((Math.max(...counts.values()) / mean) * 1000) / 1000;
  return { epoch: doc.epoch, controller, coordinator, imbalance, migration: await migrationOf(doc, controller), shards };
}

async function migrationOf(doc: TopologyDoc, controller: string): Promise<MigrationReport | null> {
  const plan = doc.plan;
  if (plan === undefined) return null;
  if (controller !== '') {
    try {
      const [host, port] = split(controller);
      const s = parseReshardStatus(await callNode(host, port, ['CORRAL', 'RESHARD', 'STATUS'], 1000));
      if (s.plan === plan.id) {
        const { plan: id, kind, state, totalSlots, slotsLeft, keysMoved, bytesMoved, bytesPerSec, etaMs, lastError } = s;
        return { plan: id, kind, state, totalSlots, slotsLeft, keysMoved, bytesMoved, bytesPerSec, etaMs, lastError };
      }
    } catch {
      /* the document's view below */
    }
  }
  const left = plan.moves.reduce((n, m) => n + m[1] - m[0] + 1, 0);
  return { plan: plan.id, kind: plan.kind, state: plan.paused ? 'paused' : 'running', totalSlots: plan.total, slotsLeft: left, keysMoved: null, bytesMoved: null, bytesPerSec: null, etaMs: -1, lastError: '' };
}

export function formatStatus(r: ClusterStatusReport): string {
  const lines = [`topology epoch ${r.epoch}   controller ${r.controller || '(none)'}   coordinator ${r.coordinator || '(none)'}`];
  for (const s of r.shards) {
    const primaryOffset = s.nodes[0].offset;
    const load = s.keys === null ? 'primary unreachable' : `${s.keys} keys   ${formatMB(s.bytes ?? 0)} MB   ${s.opsPerSec ?? 0} ops/s`;
    lines.push(`shard ${s.id}   ${s.slots} slots   ${load}`);
    for (const n of s.nodes) {
      const parts = [`  ${n.role.padEnd(7)} ${n.address.padEnd(21)}`];
      if (!n.reachable) parts.push(n.failed ? 'FAILED, unreachable' : 'unreachable');
      else {
        parts.push(`pid ${String(n.pid ?? '?').padEnd(7)} offset ${n.offset}`);
        if (n.role === 'replica') {
          parts.push(`lag ${primaryOffset !== null && n.offset !== null ? Math.max(0, primaryOffset - n.offset) : '?'} B`);
          parts.push(`link ${n.linkUp ? 'up' : 'down'}`);
        } else {
          parts.push(`lease ${n.leaseMsLeft ?? 0} ms left`);
        }
        if (n.failed) parts.push('(marked failed)');
      }
      if (n.controller) parts.push('[controller]');
      lines.push(parts.join('   '));
    }
  }
  lines.push(`imbalance ${r.imbalance.toFixed(2)} (most slots on a shard / mean per shard)`);
  const m = r.migration;
  if (m !== null) {
    const line =
      m.bytesMoved === null
        ? `moved ${m.totalSlots - m.slotsLeft}/${m.totalSlots} slots (the controller did not answer: figures from the topology)`
        : progressLine({ ...m, batch: '', keysMoved: m.keysMoved ?? 0, bytesMoved: m.bytesMoved, elapsedMs: 0, rate: 0, bytesPerSec: m.bytesPerSec ?? 0, waiting: '' });
    lines.push(`migration ${m.plan}   ${m.kind}   ${m.state}   ${line}${m.lastError !== '' ? `   last error: ${m.lastError}` : ''}`);
  }
  return lines.join('\n');
}

export async function clusterStatus(entry: string, json: boolean): Promise<number> {
  try {
    const r = await collectStatus(entry);
    console.log(json ? JSON.stringify(r, null, 2) : formatStatus(r));
    return 0;
  } catch (err) {
    console.error(`corral: ${(err as Error).message}`);
    return 1;
  }
}

export async function clusterFailover(replica: string, timeoutMs: number): Promise<number> {
  try {
    const [host, port] = split(replica);
    const r = await callNode(host, port, ['CLUSTER', 'FAILOVER'], 2000);
    if (errorOf(r) !== null) throw new Error(errorOf(r)!);
    const until = Date.now() + timeoutMs;
    for (;;) {
      const role = await callNode(host, port, ['ROLE'], 1000);
      if (Array.isArray(role) && role[0] === 'master') {
        console.log(`${replica} is now the primary of its shard`);
        return 0;
      }
      if (Date.now() > until) throw new Error(`${replica} did not become primary within ${timeoutMs} ms`);
      await new Promise((res) => setTimeout(res, 50));
    }
  } catch (err) {
    console.error(`corral: ${(err as Error).message}`);
    return 1;
  }
}
