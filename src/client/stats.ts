// The client's counters (CorralClient.stats): plain numbers bumped where things happen.

export interface ClientStats {
  /** CLUSTER SLOTS discoveries (initial, after MOVED, lost connections, CLUSTERDOWN, pushes). */
  refreshes: number;
  redirects: number;
  retries: number;
  timeouts: number;
  /** Reads sent to a replica (readFrom 'replica'/'nearest'). */
  replicaReads: number;
  /** Replica reads re-sent to the primary (the replica was STALE for the token, or LOADING). */
  readFallbacks: number;
  /** Topology pushes that announced a newer epoch (each asked for a refresh). */
  topologyPushes: number;
  /** Near-cache (option nearCache): GETs served from this process. */
  nearHits: number;
  /** Near-cache: GETs (and cache-layer lookups) that went to a node. */
  nearMisses: number;
  /** Near-cache: invalidations received from the nodes (per key; a flush counts one). */
  nearInvalidations: number;
  /** Near-cache: bytes held (keys + values + a per-entry overhead). */
  nearBytes: number;
  /** Near-cache: entries held. */
  nearEntries: number;
}

export function newStats(): ClientStats {
  return { refreshes: 0, redirects: 0, retries: 0, timeouts: 0, replicaReads: 0, readFallbacks: 0, topologyPushes: 0, nearHits: 0, nearMisses: 0, nearInvalidations: 0, nearBytes: 0, nearEntries: 0 };
}
