// Topology documents edited for tests: a slot handed to another shard at the next epoch.

import type { TopologyDoc } from '../../src/cluster/topology.js';

/** The document with one slot given to another shard, epoch + 1. */
export function moveSlot(doc: TopologyDoc, slot: number, toShard: string): TopologyDoc {
  const slots: Array<[number, number, string]> = [];
  for (const [s, e, id] of doc.slots) {
    if (slot < s || slot > e) {
      slots.push([s, e, id]);
      continue;
    }
    if (s < slot) slots.push([s, slot - 1, id]);
    slots.push([slot, slot, toShard]);
    if (slot < e) slots.push([slot + 1, e, id]);
  }
  return { ...doc, epoch: doc.epoch + 1, slots };
}
