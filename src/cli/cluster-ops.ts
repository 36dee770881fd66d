// `corral cluster status` and `corral cluster failover`: operator views and actions on a running
// cluster, over the same commands any client could send (CORRAL TOPOLOGY, INFO replication,
// CORRAL CONTROL, CLUSTER FAILOVER, ROLE).

import { callNode } from '../control/node-link.js';
import { parseTopology, type TopologyDoc } from '../cluster/topology.js';
import type { ReplyValue } from '../protocol/reply-parser.js';

function split(addr: string): [string, number] {
  const i = addr.lastIndexOf(':');
  const port = Number(addr.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port)) throw new Error(`not host:port: ${addr}`);
  return [addr.slice(0, i), port];
}

function text(r: ReplyValue): string {
  if (typeof r === 'string') return r;
  if (typeof r === 'object' && r !== null && 'verbatim' in r) return (r as { verbatim: string }).verbatim;
  if (typeof r === 'object' && r !== null && 'error' in r) throw new Error((r as { error: string }).error);
  return '';
}

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

export interface ClusterStatusReport {
  epoch: number;
  controller: string;
  coordinator: string;
  shards: Array<{ id: string; slots: number; nodes: NodeStatusReport[] }>;
}

export async function collectStatus(entry: string): Promise<ClusterStatusReport> {
  const [host, port] = split(entry);
  const raw = await callNode(host, port, ['CORRAL', 'TOPOLOGY'], 2000);
  const json = text(raw);
  if (json === '') throw new Error(`${entry} has no topology yet`);
  const doc: TopologyDoc = parseTopology(json);
  let controller = '';
  let coordinator = '';
  const shards = [];
  for (const s of doc.shards) {
    const slots = doc.slots.filter((r) => r[2] === s.id).reduce((n, r) => n + r[1] - r[0] + 1, 0);
    const nodes: NodeStatusReport[] = [];
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
        const ctl = await callNode(n.host, n.port, ['CORRAL', 'CONTROL'], 1000);
        if (Array.isArray(ctl)) {
          const m = new Map<string, string>();
          for (let i = 0; i + 1 < ctl.length; i += 2) m.set(String(ctl[i]), String(ctl[i + 1]));
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
    shards.push({ id: s.id, slots, nodes });
  }
  return { epoch: doc.epoch, controller, coordinator, shards };
}

export function formatStatus(r: ClusterStatusReport): string {
  const lines = [`topology epoch ${r.epoch}   controller ${r.controller || '(none)'}   coordinator ${r.coordinator || '(none)'}`];
  for (const s of r.shards) {
    const primaryOffset = s.nodes[0].offset;
    lines.push(`shard ${s.id}   ${s.slots} slots`);
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
    if (typeof r === 'object' && r !== null && 'error' in r) throw new Error((r as { error: string }).error);
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
