// A replica as the primary's replication source sees it: the connection the server gives it
// (ReplicaConnection), and the peer's replication state (ReplicaPeer): where it is (waiting,
// receiving its full copy, online), what it acknowledged, and the stream buffered for it while
// its copy is sent.

import type { FullCopy } from './full-copy.js';

/** A connection to a replica, as the server gives it to the source. */
export interface ReplicaConnection {
  readonly id: number;
  /** The replica's IP as seen from here. */
  readonly ip: string;
  /** Writes; returns whether the kernel took every byte at once (buf may then be reused). */
  write(buf: Buffer): boolean;
  /** The replica said `REPLCONF capa corral-load`: its full copy may use CORRAL LOAD. */
  readonly bulkLoad: boolean;
  /**
   * A replica that is not corral's: its full copy is this RDB file of the dataset as it is when
   * called (for the stream from replid/offset on), sent as a bulk. Null for corral's replicas.
   */
  readonly rdb: ((replid: string, offset: number) => Buffer) | null;
  /** Bytes written but not yet taken by the kernel. */
  readonly pendingBytes: number;
  close(): void;
}

export type ReplicaState = 'wait_bgsave' | 'send_bulk' | 'online';

export class ReplicaPeer {
  state: ReplicaState = 'wait_bgsave';
  /** Offset the replica acknowledged (REPLCONF ACK). */
  ackOffset = 0;
  /** Date.now() of the last acknowledgement. */
  ackAt = 0;
  listeningPort = 0;
  /** The stream produced while its snapshot is sent, sent after it. */
  pending: Buffer[] = [];
  pendingBytes = 0;
  /** Its full copy while one is being sent (full-copy.ts). */
  sync: FullCopy | null = null;

  constructor(readonly conn: ReplicaConnection) {}
}
