// Kills -9 in the resharding tests: killing a node process and the KillWindow that tells the
// checks when it happened and which slots were the killed primary's.

import type { TopologyDoc } from '../../src/cluster/topology.js';
import { nodeView } from './corral-up.js';
import { newestTopology, slotsOfShard } from './reshard-control.js';

// ---- kills ----------------------------------------------------------------------------------

/** A kill -9 of a node: when, and the slots its shard served if it was a primary. */
export interface KillWindow {
  label: string;
  at: number;
  port: number;
  pid: number;
  /** The shard it was the primary of, if it was one; the shard it was in (primary or replica). */
  shard?: string;
  memberOf?: string;
  /** The slots of the killed primary's shard (those of the batch in flight too): empty for a replica. */
  slots: ReadonlySet<number>;
}

/** kill -9 of the node process on `port`; the window for the checks. */
export async function killNode(ports: readonly number[], port: number, label: string, extraSlots: Iterable<number> = []): Promise<KillWindow> {
  const doc = await newestTopology(ports);
  const v = await nodeView(port);
  if (v.pid <= 0) throw new Error(`${port} does not answer: nothing to kill`);
  const at = Date.now();
  process.kill(v.pid, 'SIGKILL');
  return killWindow(doc, port, v.pid, at, label, extraSlots);
}

/**
 * The window for the checks of a kill -9 of `port` (process `pid`) at `at`, from `doc`, read just
 * before or just after it (a primary's slots: its shard's in `doc`, and `extraSlots`).
 */
export function killWindow(doc: TopologyDoc, port: number, pid: number, at: number, label: string, extraSlots: Iterable<number> = []): KillWindow {
  const id = doc.nodes.find((n) => n.port === port)?.id;
  const shard = doc.shards.find((s) => s.primary === id);
  const memberOf = doc.shards.find((s) => s.primary === id || (id !== undefined && s.replicas.includes(id)))?.id;
  const slots = shard === undefined ? new Set<number>() : slotsOfShard(doc, shard.id);
  if (shard !== undefined) for (const s of extraSlots) slots.add(s);
  return { label: `${label} (${port}, pid ${pid}, ${shard === undefined ? `a replica in ${memberOf}` : `primary of ${shard.id}, ${slots.size} slots`})`, at, port, pid, shard: shard?.id, memberOf, slots };
}
