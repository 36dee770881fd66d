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
}

export function newStats(): ClientStats {
  return { refreshes: 0, redirects: 0, retries: 0, timeouts: 0, replicaReads: 0, readFallbacks: 0, topologyPushes: 0 };
}
