// The placement check of the resharding tests: CLUSTER SLOTS of every node against the topology
// document, every key held (KEYS * sent to each primary itself, not routed) by exactly one primary,
// its slot's owner, and each replica holding exactly its primary's keys; and waiting for that to
// settle after a plan.

import { keySlot, SLOT_COUNT } from '../../src/cluster/slot.js';
import type { TopologyDoc } from '../../src/cluster/topology.js';
import { callOnce, sleep } from './corral-up.js';
import { RawConnection } from './servers.js';
import { newestTopology, nodePort, slotOwners } from './reshard-control.js';

// ---- placement --------------------------------------------------------------------------------

async function keysOf(port: number): Promise<string[] | null> {
  let c: RawConnection | null = null;
  try {
    c = await RawConnection.connect(port);
    const r = await c.call('KEYS', '*');
    return Array.isArray(r) ? (r as string[]) : null;
  } catch {
    return null;
  } finally {
    c?.close();
  }
}

/**
 * What is wrong with the cluster's placement now (empty when nothing): CLUSTER SLOTS of every
 * node of the document; every key of `expected` held by exactly one primary, its slot's owner, and
 * no other key anywhere; each replica holding exactly its primary's keys.
 */
export async function placementProblems(doc: TopologyDoc, expected: ReadonlySet<string>): Promise<string[]> {
  const problems: string[] = [];
  const owners = slotOwners(doc);
  const shardPrimaryPort = new Map(doc.shards.map((s) => [s.id, nodePort(doc, s.primary)]));
  const members = doc.shards.flatMap((s) => [s.primary, ...s.replicas]).map((id) => nodePort(doc, id));
  // CLUSTER SLOTS: 16384 slots, each once, served by the document's primary.
  for (const port of members) {
    const r = await callOnce(port, 'CLUSTER', 'SLOTS');
    if (!Array.isArray(r)) {
      problems.push(`${port}: CLUSTER SLOTS answered ${JSON.stringify(r)}`);
      continue;
    }
    const seen = new Uint8Array(SLOT_COUNT);
    const wrong: string[] = [];
    for (const range of r as Array<[number, number, [string, number]]>) {
      for (let s = range[0]; s <= range[1]; s++) {
        seen[s]++;
        if (range[2][1] !== shardPrimaryPort.get(owners[s]) && wrong.length < 3) wrong.push(`slot ${s} on ${range[2][1]}, the document says ${shardPrimaryPort.get(owners[s])}`);
      }
    }
    const missing = seen.reduce((n, x) => n + (x === 0 ? 1 : 0), 0);
    const twice = seen.reduce((n, x) => n + (x > 1 ? 1 : 0), 0);
    if (missing > 0 || twice > 0 || wrong.length > 0) problems.push(`${port}: CLUSTER SLOTS leaves ${missing} slots out, lists ${twice} more than once${wrong.length > 0 ? `; ${wrong.join('; ')}` : ''}`);
  }
  // Keys, as each primary holds them (KEYS *: every live key it has, served or not).
  const holders = new Map<string, number[]>();
  const keysByPort = new Map<number, string[]>();
  for (const s of doc.shards) {
    const port = nodePort(doc, s.primary);
    const keys = await keysOf(port);
    if (keys === null) {
      problems.push(`primary ${port}: KEYS * failed`);
      continue;
    }
    keysByPort.set(port, keys);
    for (const k of keys) {
      const h = holders.get(k);
      if (h === undefined) holders.set(k, [port]);
      else h.push(port);
    }
  }
  const examples = { missing: [] as string[], twice: [] as string[], misplaced: [] as string[], unknown: [] as string[] };
  const counts = { missing: 0, twice: 0, misplaced: 0, unknown: 0 };
  const note = (kind: keyof typeof counts, text: string): void => {
    counts[kind]++;
    if (examples[kind].length < 5) examples[kind].push(text);
  };
  for (const k of expected) {
    const h = holders.get(k);
    const slot = keySlot(k);
    const owner = shardPrimaryPort.get(owners[slot]);
    if (h === undefined) note('missing', `${k} (slot ${slot}, owner ${owner})`);
    else if (h.length > 1) note('twice', `${k} (slot ${slot}) on ${h.join(' and ')}, owner ${owner}`);
    else if (h[0] !== owner) note('misplaced', `${k} (slot ${slot}) on ${h[0]}, owner ${owner}`);
  }
  for (const [k, h] of holders) if (!expected.has(k)) note('unknown', `${k} (slot ${keySlot(k)}) on ${h.join(',')}`);
  for (const kind of Object.keys(counts) as Array<keyof typeof counts>) {
    if (counts[kind] > 0) problems.push(`${counts[kind]} keys ${kind === 'twice' ? 'on two primaries' : kind === 'unknown' ? 'never written held by a primary' : kind === 'missing' ? 'on no primary' : 'on a primary that does not own their slot'}: ${examples[kind].join('; ')}`);
  }
  // Each replica holds exactly its primary's keys.
  for (const s of doc.shards) {
    const primaryKeys = keysByPort.get(nodePort(doc, s.primary));
    if (primaryKeys === undefined) continue;
    const want = new Set(primaryKeys);
    for (const r of s.replicas) {
      const port = nodePort(doc, r);
      const keys = await keysOf(port);
      if (keys === null) {
        problems.push(`replica ${port}: KEYS * failed`);
        continue;
      }
      const extra = keys.filter((k) => !want.has(k));
      const have = new Set(keys);
      const lacking = primaryKeys.filter((k) => !have.has(k));
      if (extra.length > 0 || lacking.length > 0) {
        problems.push(`replica ${port} of ${nodePort(doc, s.primary)}: ${extra.length} keys its primary does not hold (${extra.slice(0, 3).join(', ')}), ${lacking.length} of its primary's missing (${lacking.slice(0, 3).join(', ')})`);
      }
    }
  }
  return problems;
}

/** Polls placementProblems until it finds none or `timeoutMs` passes; the last problems found. */
export async function settledPlacement(ports: () => readonly number[], expected: ReadonlySet<string>, timeoutMs = 10_000): Promise<{ problems: string[]; doc: TopologyDoc; ms: number }> {
  const start = Date.now();
  for (;;) {
    const doc = await newestTopology(ports());
    const problems = await placementProblems(doc, expected);
    if (problems.length === 0 || Date.now() - start > timeoutMs) return { problems, doc, ms: Date.now() - start };
    await sleep(250);
  }
}
