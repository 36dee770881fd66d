// Cluster topology: node addresses, parsing CLUSTER SLOTS, and the replies that mean "this node
// is not a cluster node" (which switches the client to single-node mode).

export interface NodeAddress {
  host: string;
  port: number;
  /** 'host:port', the node's identity in the client. */
  key: string;
}

export interface SlotRange {
  start: number;
  end: number;
  primary: NodeAddress;
  replicas: NodeAddress[];
}

export function address(host: string, port: number): NodeAddress {
  return { host, port, key: `${host}:${port}` };
}

/** 'host:port' (IPv6 hosts may contain ':'; the port is after the last one). */
export function parseAddress(s: string): NodeAddress {
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new TypeError(`invalid node address ${JSON.stringify(s)}`);
  let host = s.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return address(host, port);
}

/**
 * The slot ranges of a CLUSTER SLOTS reply: [[start, end, [host, port, id, ...], replica...]].
 * An empty host means "the node you asked" (Redis sends '' when it does not know its own IP);
 * '?' means unknown: that node is left out.
 */
export function parseClusterSlots(reply: unknown, answeredBy: NodeAddress): SlotRange[] {
  if (!Array.isArray(reply)) throw new TypeError('CLUSTER SLOTS: not an array');
  const out: SlotRange[] = [];
  for (const entry of reply) {
    if (!Array.isArray(entry) || entry.length < 3) throw new TypeError('CLUSTER SLOTS: bad entry');
    const [start, end] = entry as [unknown, unknown];
    if (typeof start !== 'number' || typeof end !== 'number') throw new TypeError('CLUSTER SLOTS: bad range');
    const nodes: NodeAddress[] = [];
    for (let i = 2; i < entry.length; i++) {
      const n = entry[i] as unknown[];
      if (!Array.isArray(n) || n.length < 2) continue;
      const host = String(n[0]);
      if (host === '?') {
        if (i === 2) nodes.push(answeredBy);
        continue;
      }
      nodes.push(address(host === '' ? answeredBy.host : host, Number(n[1])));
    }
    if (nodes.length === 0) continue;
    out.push({ start, end, primary: nodes[0], replicas: nodes.slice(1) });
  }
  return out;
}

/** True for CLUSTER SLOTS errors from a server that is not in cluster mode. */
export function meansNotCluster(message: string): boolean {
  return /cluster support disabled/i.test(message) || /^ERR unknown command/i.test(message);
}

/** A MOVED/ASK error's slot and target, or null. */
export function parseRedirect(message: string): { ask: boolean; slot: number; to: NodeAddress } | null {
  const ask = message.startsWith('ASK ');
  if (!ask && !message.startsWith('MOVED ')) return null;
  const parts = message.split(' ');
  if (parts.length < 3) return null;
  const slot = Number(parts[1]);
  try {
    let target = parts[2];
    // Redis 7 may send ":port" for "same host as the node you asked".
    if (target.startsWith(':')) return { ask, slot, to: { host: '', port: Number(target.slice(1)), key: '' } };
    return { ask, slot, to: parseAddress(target) };
  } catch {
    return null;
  }
}
