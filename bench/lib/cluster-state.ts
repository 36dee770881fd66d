// bench/lib/cluster-state.ts — reading the state of a replicated cluster (Redis Cluster or corral,
// which reports roles exactly as Redis does) over raw RESP, for the failover benchmark: one-shot
// commands with a timeout, CLUSTER NODES / CLUSTER SLOTS parsing, the current primary of a slot
// and its process id (INFO server process_id), and a "whole again" check (every node up and
// connected, every primary with its replicas, every replica's link up and in sync, all nodes
// agreeing on who serves which slots). Also hash tags that map to a given slot.
// Node 20 built-ins only (and src/cluster/slot.ts for the slot function).

import net from 'node:net';
import { keySlot } from '../../src/cluster/slot.js';
import { parseInfo, parseReply, RespError, type Reply } from './resp.js';
import { sleep } from './procs.js';

const CRLF = '\r\n';

function encode(args: readonly (string | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}${CRLF}`)];
  for (const a of args) {
    const b = Buffer.from(String(a), 'utf8');
    parts.push(Buffer.from(`$${b.length}${CRLF}`), b, Buffer.from(CRLF));
  }
  return Buffer.concat(parts);
}

/**
 * One command on a fresh connection to 127.0.0.1:port; resolves with the parsed reply (an error
 * reply resolves as a RespError), rejects if the node cannot be reached or does not answer within
 * timeoutMs. The connection is always closed.
 */
export function query(port: number, args: readonly (string | number)[], timeoutMs = 2000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let done = false;
    let acc: Buffer = Buffer.alloc(0);
    const sock = net.createConnection({ port, host: '127.0.0.1' });
    const finish = (err: Error | null, value?: Reply): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err !== null) reject(err);
      else resolve(value ?? null);
    };
    const timer = setTimeout(
      () => finish(new Error(`${args.join(' ')} to port ${port}: no reply within ${timeoutMs} ms`)),
      timeoutMs,
    );
    sock.setNoDelay(true);
    sock.on('connect', () => sock.write(encode(args)));
    sock.on('data', (d: Buffer) => {
      acc = acc.length === 0 ? d : Buffer.concat([acc, d]);
      let r: ReturnType<typeof parseReply>;
      try {
        r = parseReply(acc, 0);
      } catch (err) {
        finish(err as Error);
        return;
      }
      if (r !== undefined) finish(null, r.value);
    });
    sock.on('error', (e) => finish(new Error(`${args.join(' ')} to port ${port}: ${e.message}`)));
    sock.on('close', () => finish(new Error(`${args.join(' ')} to port ${port}: connection closed before the reply`)));
  });
}

/** query(), but an error reply throws (with the command and port in the message). */
export async function queryOk(port: number, args: readonly (string | number)[], timeoutMs = 2000): Promise<Reply> {
  const r = await query(port, args, timeoutMs);
  if (r instanceof RespError) throw new Error(`${args.join(' ')} on port ${port}: -${r.message}`);
  return r;
}

/** INFO <section> as a field map. */
export async function infoOf(port: number, section: string, timeoutMs = 2000): Promise<Record<string, string>> {
  return parseInfo(await queryOk(port, ['INFO', section], timeoutMs));
}

/** The node's own pid, from INFO server's process_id (throws if the field is missing). */
export async function processId(port: number): Promise<number> {
  const f = await infoOf(port, 'server');
  const pid = Number(f['process_id']);
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new Error(`INFO server on port ${port} has no process_id field (fields: ${Object.keys(f).slice(0, 12).join(', ')}...)`);
  }
  return pid;
}

// ---- CLUSTER NODES -----------------------------------------------------------------------------

export interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  /** The id of its primary ('-' for a primary). */
  master: string;
  linkState: string;
  /** Slot ranges [start, end] it serves (migrating/importing markers ignored). */
  slots: Array<[number, number]>;
}

/** Parses CLUSTER NODES output (Redis 7 format: `ip:port@cport[,hostname]`). */
export function parseClusterNodes(text: string): NodeLine[] {
  const out: NodeLine[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(' ');
    if (f.length < 8) continue;
    const addr = f[1]!.split(',')[0]!.split('@')[0]!;
    const slots: Array<[number, number]> = [];
    for (const s of f.slice(8)) {
      if (s.startsWith('[')) continue;
      const [a, b] = s.split('-');
      slots.push([Number(a), Number(b ?? a)]);
    }
    out.push({
      id: f[0]!,
      port: Number(addr.slice(addr.lastIndexOf(':') + 1)),
      flags: f[2]!.split(','),
      master: f[3]!,
      linkState: f[7]!,
      slots,
    });
  }
  return out;
}

export async function clusterNodes(port: number): Promise<NodeLine[]> {
  const r = await queryOk(port, ['CLUSTER', 'NODES']);
  if (typeof r !== 'string') throw new Error(`CLUSTER NODES on port ${port}: unexpected reply ${JSON.stringify(r)}`);
  return parseClusterNodes(r);
}

// ---- CLUSTER SLOTS -----------------------------------------------------------------------------

export interface SlotRange {
  start: number;
  end: number;
  masterPort: number;
  masterId: string;
  replicaPorts: number[];
}

export function parseClusterSlots(r: Reply, port: number): SlotRange[] {
  if (!Array.isArray(r)) throw new Error(`CLUSTER SLOTS on port ${port}: unexpected reply ${JSON.stringify(r)}`);
  return r.map((e) => {
    if (!Array.isArray(e) || e.length < 3 || !Array.isArray(e[2])) {
      throw new Error(`CLUSTER SLOTS on port ${port}: unexpected entry ${JSON.stringify(e)}`);
    }
    const node = (n: Reply): Reply[] => (Array.isArray(n) ? n : []);
    return {
      start: Number(e[0]),
      end: Number(e[1]),
      masterPort: Number(node(e[2])[1]),
      masterId: String(node(e[2])[2] ?? ''),
      replicaPorts: e.slice(3).map((n) => Number(node(n)[1])),
    };
  });
}

export async function clusterSlots(port: number): Promise<SlotRange[]> {
  return parseClusterSlots(await queryOk(port, ['CLUSTER', 'SLOTS']), port);
}

/**
 * The shards of a cluster as CLUSTER SLOTS on `port` reports them: one entry per primary, with
 * its ranges and a representative slot (the first slot of its first range), sorted by that slot.
 * A shard keeps its slots through a failover, so the representative slot names the shard.
 */
export async function shardsOf(port: number): Promise<Array<{ slot: number; masterPort: number; ranges: Array<[number, number]> }>> {
  const by = new Map<number, Array<[number, number]>>();
  for (const r of await clusterSlots(port)) {
    const list = by.get(r.masterPort) ?? [];
    list.push([r.start, r.end]);
    by.set(r.masterPort, list);
  }
  return [...by.entries()]
    .map(([masterPort, ranges]) => {
      ranges.sort((a, b) => a[0] - b[0]);
      return { slot: ranges[0]![0], masterPort, ranges };
    })
    .sort((a, b) => a.slot - b.slot);
}

/**
 * The port of the primary serving `slot`, as every reachable node's CLUSTER SLOTS says; throws if
 * no node answers or the nodes disagree (call it while the cluster is whole).
 */
export async function slotMasterPort(ports: readonly number[], slot: number): Promise<number> {
  const seen = new Map<number, number[]>();
  const errors: string[] = [];
  for (const p of ports) {
    try {
      const r = (await clusterSlots(p)).find((x) => slot >= x.start && slot <= x.end);
      if (r === undefined) {
        errors.push(`port ${p}: slot ${slot} not served`);
        continue;
      }
      seen.set(r.masterPort, [...(seen.get(r.masterPort) ?? []), p]);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (seen.size === 1) return [...seen.keys()][0]!;
  if (seen.size === 0) throw new Error(`no node says who serves slot ${slot}: ${errors.join('; ')}`);
  throw new Error(`nodes disagree on who serves slot ${slot}: ${[...seen].map(([m, by]) => `${m} (says ${by.join(',')})`).join(' vs ')}`);
}

// ---- whole again -------------------------------------------------------------------------------

export interface Expectation {
  /** Primaries serving slots. */
  masters: number;
  /** Replicas per primary. */
  replicasPerMaster: number;
}

const BAD_FLAGS = ['fail', 'fail?', 'pfail', 'handshake', 'noaddr'];

/**
 * Everything that keeps the cluster on `ports` from being whole, or [] if it is whole: every node
 * answers, says cluster_state:ok, lists every node without fail/pfail/handshake flags and with
 * its link connected; `masters` primaries serve all 16384 slots with `replicasPerMaster`
 * replicas each; every node agrees on that; every replica's link to its primary is up and not in
 * a sync; every primary sees its replicas online.
 */
export async function wholeProblems(ports: readonly number[], expect: Expectation): Promise<string[]> {
  const problems: string[] = [];
  const views: string[] = [];
  const nodesByPort = new Map<number, NodeLine[]>();
  for (const p of ports) {
    try {
      const ci = parseInfo(await queryOk(p, ['CLUSTER', 'INFO']));
      if (ci['cluster_state'] !== 'ok') problems.push(`port ${p}: cluster_state:${ci['cluster_state'] ?? '(missing)'}`);
      const nodes = await clusterNodes(p);
      nodesByPort.set(p, nodes);
      if (nodes.length !== ports.length) problems.push(`port ${p}: CLUSTER NODES lists ${nodes.length} nodes, expected ${ports.length}`);
      for (const n of nodes) {
        const bad = n.flags.filter((f) => BAD_FLAGS.includes(f));
        if (bad.length > 0) problems.push(`port ${p} sees ${n.port} as ${bad.join(',')}`);
        if (n.linkState !== 'connected') problems.push(`port ${p} sees ${n.port} ${n.linkState}`);
      }
      const masters = nodes.filter((n) => n.flags.includes('master') && n.slots.length > 0);
      const slots = masters.reduce((s, m) => s + m.slots.reduce((a, [x, y]) => a + y - x + 1, 0), 0);
      if (masters.length !== expect.masters) problems.push(`port ${p} sees ${masters.length} primaries with slots, expected ${expect.masters}`);
      if (slots !== 16384) problems.push(`port ${p}: primaries cover ${slots} slots`);
      for (const m of masters) {
        const reps = nodes.filter((n) => n.master === m.id && (n.flags.includes('slave') || n.flags.includes('replica')));
        if (reps.length !== expect.replicasPerMaster) {
          problems.push(`port ${p}: primary ${m.port} has ${reps.length} replicas, expected ${expect.replicasPerMaster}`);
        }
      }
      views.push(masters.map((m) => `${m.port}:${m.slots.map(([a, b]) => `${a}-${b}`).join(',')}`).sort().join(' '));
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (new Set(views).size > 1) problems.push(`nodes disagree on the slot map: ${[...new Set(views)].join(' | ')}`);
  // Replication links, from each node's own INFO replication.
  for (const p of ports) {
    if (!nodesByPort.has(p)) continue;
    try {
      const r = await infoOf(p, 'replication');
      if (r['role'] === 'slave') {
        if (r['master_link_status'] !== 'up') problems.push(`replica ${p}: master_link_status:${r['master_link_status'] ?? '(missing)'}`);
        if (r['master_sync_in_progress'] !== '0') problems.push(`replica ${p}: master_sync_in_progress:${r['master_sync_in_progress'] ?? '(missing)'}`);
      } else if (r['role'] === 'master') {
        const me = nodesByPort.get(p)!.find((n) => n.flags.includes('myself'));
        if (me !== undefined && me.slots.length > 0) {
          const online = Object.entries(r).filter(([k, v]) => /^slave\d+$/.test(k) && /state=online/.test(v)).length;
          if (online < expect.replicasPerMaster) problems.push(`primary ${p}: ${online} replicas online, expected ${expect.replicasPerMaster}`);
        }
      } else {
        problems.push(`port ${p}: INFO replication role:${r['role'] ?? '(missing)'}`);
      }
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return problems;
}

/**
 * Polls wholeProblems until there are none; resolves with the ms waited. Throws after timeoutMs
 * (with the last problems), or as soon as abort() returns a reason (e.g. a process exited).
 */
export async function waitWhole(
  ports: readonly number[],
  expect: Expectation,
  timeoutMs: number,
  abort: () => string | null = () => null,
  pollMs = 200,
): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const why = abort();
    if (why !== null) throw new Error(why);
    const problems = await wholeProblems(ports, expect);
    if (problems.length === 0) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) {
      const shown = problems.slice(0, 8).join('; ') + (problems.length > 8 ? `; ... (${problems.length - 8} more)` : '');
      throw new Error(`cluster not whole after ${Math.round(timeoutMs / 1000)} s: ${shown}`);
    }
    await sleep(pollMs);
  }
}

// ---- hash tags ---------------------------------------------------------------------------------

/** A short hash tag (without braces) whose keys `{tag}...` all hash to `slot`. */
export function tagForSlot(slot: number, prefix = 't'): string {
  for (let i = 0; i < 10_000_000; i++) {
    const tag = `${prefix}${i.toString(36)}`;
    if (keySlot(tag) === slot) return tag;
  }
  throw new Error(`no hash tag found for slot ${slot}`);
}
