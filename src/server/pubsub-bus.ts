// The cluster's pub/sub bus: a message PUBLISHed on one node reaches the subscribers of every
// node of the cluster, and one SPUBLISHed those of every node of the channel's shard (Redis
// Cluster does both over its cluster bus). This node keeps one connection to each other node of
// the topology it applied, opened at the first message for it, and sends each message once as
// `CORRAL PUBLISH|SPUBLISH <channel> <message>` (commands/pubsub.ts delivers it there, and does
// not send it on); the replies (a receiver count) are read and dropped. Writes of one event-loop
// turn go out together (cork / uncork).
//
// Bounded, as everything a client can make the node hold: a peer that is slow or unreachable
// holds at most PEER_BUFFER bytes; messages past that are dropped and counted (Redis Cluster
// loses them the same way when its bus link to a node is down). A lost connection is opened
// again on the next message after RECONNECT_MS.
//
// Links authenticate and use TLS as the node's other cluster links (linkSecurity('cluster'):
// util/link-security.ts): AUTH goes first, and its refusal is logged like any error reply.

import type net from 'node:net';
import { authNotNeeded, dialLink, type LinkSecurity } from '../util/link-security.js';
import type { Topology } from '../cluster/topology.js';

/** Bytes a peer may hold (written, not yet taken by the kernel) before messages to it are dropped. */
const PEER_BUFFER = 16 * 1024 * 1024;
/** A peer whose connection failed is not dialled again for this long. */
const RECONNECT_MS = 1000;

export interface PubSubBusHost {
  /** The topology this node applied, and its own id in it. */
  topology(): Topology | null;
  myId(): string;
  /** How to reach the other nodes: credentials (AUTH first) and TLS. */
  security(): LinkSecurity;
  log(line: string): void;
}

interface Peer {
  readonly address: string;
  socket: net.Socket | null;
  corked: boolean;
  failedAt: number;
}

export class PubSubBus {
  private readonly peers = new Map<string, Peer>();
  private readonly corked: Peer[] = [];
  /** Messages dropped because a peer was unreachable or held PEER_BUFFER bytes already. */
  dropped = 0;
  private lastDropLog = 0;

  constructor(private readonly host: PubSubBusHost) {}

  /** Sends a message published here to the other nodes (shard: the other nodes of this node's shard). */
  publish(channel: Buffer, message: Buffer, shard: boolean): void {
    const t = this.host.topology();
    if (t === null) return;
    const me = this.host.myId();
    let frame: Buffer | null = null;
    const myShard = t.shardOfNode.get(me);
    for (const node of t.doc.nodes) {
      if (node.id === me || node.failed === true) continue;
      if (shard && (myShard === undefined || t.shardOfNode.get(node.id) !== myShard)) continue;
      frame ??= encode(shard ? 'SPUBLISH' : 'PUBLISH', channel, message);
      this.send(`${node.host}:${node.port}`, node.host, node.port, frame);
    }
  }

  /** A new topology: connections to nodes no longer in it are closed. */
  topologyApplied(): void {
    const t = this.host.topology();
    const keep = new Set<string>();
    if (t !== null) for (const n of t.doc.nodes) keep.add(`${n.host}:${n.port}`);
    for (const [address, peer] of this.peers) {
      if (keep.has(address)) continue;
      peer.socket?.destroy();
      this.peers.delete(address);
    }
  }

  close(): void {
    for (const peer of this.peers.values()) peer.socket?.destroy();
    this.peers.clear();
  }

  private send(address: string, host: string, port: number, frame: Buffer): void {
    let peer = this.peers.get(address);
    if (peer === undefined) this.peers.set(address, (peer = { address, socket: null, corked: false, failedAt: -Infinity }));
    if (peer.socket === null) {
      if (performance.now() - peer.failedAt < RECONNECT_MS) {
        this.drop();
        return;
      }
      this.connect(peer, host, port);
    }
    const socket = peer.socket!;
    if (socket.writableLength + frame.length > PEER_BUFFER) {
      this.drop();
      return;
    }
    if (!peer.corked) {
      peer.corked = true;
      socket.cork();
      if (this.corked.length === 0) setImmediate(this.uncorkAll);
      this.corked.push(peer);
    }
    socket.write(frame);
  }

  private readonly uncorkAll = (): void => {
    for (const peer of this.corked) {
      peer.corked = false;
      peer.socket?.uncork();
    }
    this.corked.length = 0;
  };

  private connect(peer: Peer, host: string, port: number): void {
    const socket = dialLink(host, port, this.host.security());
    peer.socket = socket;
    let failed = false;
    socket.on('data', (chunk: Buffer) => {
      // Replies are receiver counts; an error (a refused password) is worth a line, once.
      if (!failed && chunk[0] === 45 /* '-' */) {
        const line = chunk.toString('latin1', 0, Math.min(chunk.length, 120)).split('\r\n')[0];
        if (authNotNeeded(line)) return;
        failed = true;
        this.host.log(`pub/sub bus: ${peer.address} answered ${line}`);
      }
    });
    const gone = (): void => {
      if (peer.socket !== socket) return;
      peer.socket = null;
      peer.failedAt = performance.now();
      socket.destroy();
    };
    socket.on('error', gone);
    socket.on('close', gone);
  }

  private drop(): void {
    this.dropped++;
    const now = performance.now();
    if (now - this.lastDropLog > 10_000) {
      this.lastDropLog = now;
      this.host.log(`pub/sub bus: a peer is unreachable or not reading; ${this.dropped} messages dropped so far`);
    }
  }
}

function encode(sub: string, channel: Buffer, message: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`*4\r\n$6\r\nCORRAL\r\n$${sub.length}\r\n${sub}\r\n$${channel.length}\r\n`, 'latin1'),
    channel,
    Buffer.from(`\r\n$${message.length}\r\n`, 'latin1'),
    message,
    CRLF,
  ]);
}

const CRLF = Buffer.from('\r\n');
