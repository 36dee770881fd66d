// Plans topology documents: from a list of shards (their nodes, primary first, and weights) to a
// full document whose slot table the consistent-hash ring computes. Every node and coordinator
// that plans from the same list gets the same document.

import { buildSlotTable, slotRanges } from './ring.js';
import { nodeIdFor, parseTopology, type TopologyDoc } from './topology.js';

export interface ShardPlan {
  /** Default: the primary's "host:port", so a shard keeps its ring points across restarts. */
  id?: string;
  weight?: number;
  /** The shard's nodes, primary first. */
  nodes: Array<{ host: string; port: number }>;
}

export function planTopology(shards: ShardPlan[], options: { epoch?: number; vnodes?: number } = {}): TopologyDoc {
  if (shards.length === 0) throw new RangeError('a cluster needs at least one shard');
  const shardDocs = shards.map((s) => {
    if (s.nodes.length === 0) throw new RangeError('a shard needs at least one node');
    const ids = s.nodes.map((n) => nodeIdFor(n.host, n.port));
    return { id: s.id ?? `${s.nodes[0].host}:${s.nodes[0].port}`, weight: s.weight ?? 1, primary: ids[0], replicas: ids.slice(1) };
  });
  const table = buildSlotTable(shardDocs, options.vnodes === undefined ? {} : { vnodes: options.vnodes });
  const doc = {
    epoch: options.epoch ?? 1,
    shards: shardDocs,
    nodes: shards.flatMap((s) => s.nodes.map((n) => ({ id: nodeIdFor(n.host, n.port), host: n.host, port: n.port }))),
    slots: slotRanges(table).map(([start, end, shard]) => [start, end, shardDocs[shard].id]),
    migrating: [],
  };
  return parseTopology(doc);
}

/**
 * The `cluster-nodes` parameter of a node started from a config file: "host:port[*weight] ...",
 * one single-node shard per entry, in any order that every node's file shares.
 */
export function parseClusterNodes(text: string): ShardPlan[] {
  return text
    .trim()
    .split(/[\s,]+/)
    .filter((w) => w !== '')
    .map((word) => {
      const m = /^(.+):(\d{1,5})(?:\*(\d+(?:\.\d+)?))?$/.exec(word);
      if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new RangeError(`cluster-nodes: '${word}' is not host:port[*weight]`);
      return { weight: m[3] === undefined ? 1 : Number(m[3]), nodes: [{ host: m[1], port: Number(m[2]) }] };
    });
}
