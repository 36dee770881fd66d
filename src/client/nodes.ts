// What the client keeps per node and per shard. A node entry is created the first time a node is
// seen (a seed, CLUSTER SLOTS, a redirect) and holds its one data connection; a shard (built only
// when replica reads are on, replica-reads.ts) is a primary, its replicas and the state replica
// reads need: the round-robin cursor, the node with the lowest round trip, and the
// read-your-writes token. All fields exist from creation so every entry has one shape.

import type { Connection } from './connection.js';
import type { NodeAddress } from './topology.js';

export interface NodeEntry {
  addr: NodeAddress;
  conn: Connection | null;
  /** Its connection was lost: commands for it wait for the refresh in flight. */
  down: boolean;
  /** The shard this node serves in the current map (as primary or replica); null if unknown. */
  shard: Shard | null;
  /** Replica: the highest offset a CORRAL WAITOFFSET on it answered (0: nothing known). */
  knownOffset: number;
  /** Smoothed PING round trip in ms (readFrom 'nearest'); -1 until measured. */
  rtt: number;
  /**
   * Primary: a write's reply was delivered and the CORRAL OFFSET behind it has not answered yet
   * (or could not: lost connection, a server without the command), so its shard's token may be
   * short of what the caller has seen written. Reads of the shard go to the primary meanwhile.
   */
  awaitingOffset: boolean;
  /** Primary: CORRAL OFFSET answered an error (not a corral node): never sent to it again. */
  noOffset: boolean;
  /** Replica: skipped by replica reads after its connection failed, until a timer clears it. */
  quarantined: boolean;
  /** Consecutive connection failures (the quarantine grows with them). */
  failures: number;
}

export interface Shard {
  primary: NodeEntry;
  replicas: NodeEntry[];
  /** Round-robin cursor over replicas. */
  rr: number;
  /**
   * Read-your-writes session token: the highest CORRAL OFFSET this client's writes to the
   * primary were followed by. A replica read first waits until the replica has applied it.
   */
  token: number;
  /** The node with the lowest measured round trip (readFrom 'nearest'); the primary until measured. */
  nearest: NodeEntry;
}

export function newEntry(addr: NodeAddress): NodeEntry {
  return {
    addr,
    conn: null,
    down: false,
    shard: null,
    knownOffset: 0,
    rtt: -1,
    awaitingOffset: false,
    noOffset: false,
    quarantined: false,
    failures: 0,
  };
}

export function newShard(primary: NodeEntry): Shard {
  return { primary, replicas: [], rr: 0, token: 0, nearest: primary };
}
