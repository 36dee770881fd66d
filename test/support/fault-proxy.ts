// Test support: FaultProxy, a TCP proxy on 127.0.0.1 that forwards every accepted connection to
// one target and injects network faults on command, for replication and failover tests over real
// sockets. It owns the fault model (what a partition, a refused port, latency, a cut and a
// one-way link look like to both peers) and the byte and connection counters. Every control takes
// effect at once on the connections already open and on the ones accepted later.
//
// Fault model, chosen to look like packet loss rather than like a crash:
// - blackhole(): bytes in both directions are read and thrown away; nobody is told. Peers see
//   their requests time out, never a close or a reset. A connection accepted during a blackhole
//   is not connected to the target until heal() (its SYN would have been lost too).
// - oneWay(dir): the same, for one direction only.
// - heal(): back to forwarding. Bytes dropped during the fault are LOST, not delivered late: a
//   partition here loses packets. Unlike kernel TCP, which would retransmit them, the byte stream
//   of a connection that lost bytes now has a gap (for RESP: replies no longer match requests),
//   so a client must discard such a connection (as it would after a timeout) or the test can call
//   heal({ resetDamaged: true }) to reset exactly the connections that lost bytes. heal() also
//   ends refuse() (listening again on the same port), oneWay() and delay().
// - A close (FIN) or reset (RST) from a peer is not dropped during a fault but held and delivered
//   at heal(), as TCP retransmission would, so no half-dead connection outlives the test.
// - refuse(): the listener closes (new connections get ECONNREFUSED) and every open connection is
//   reset on both sides (ECONNRESET).
// - cutConnections(): every open connection is reset on both sides; new ones are accepted.
// - delay(ms): each chunk is delivered no earlier than ms after it arrived, in each direction
//   (a request/reply round trip gains at least 2*ms); order is kept.

import net from 'node:net';
import { performance } from 'node:perf_hooks';

/** A direction of traffic: 'to-target' is client -> target, 'to-client' is target -> client. */
export type Direction = 'to-target' | 'to-client';

export interface FaultProxyOptions {
  /** Where accepted connections are forwarded. */
  target: { host: string; port: number };
  /** Port to listen on at 127.0.0.1; 0 (the default) picks a free one. */
  listenPort?: number;
}

/** A snapshot of the proxy's counters since start(). */
export interface FaultProxyCounters {
  /** Connections accepted. */
  connections: number;
  /** Connections not yet closed on both sides. */
  open: number;
  /** Bytes delivered client -> target. */
  bytesToTarget: number;
  /** Bytes delivered target -> client. */
  bytesToClient: number;
  /** Bytes dropped client -> target (blackhole, oneWay, or still queued when a connection was reset). */
  droppedToTarget: number;
  /** Bytes dropped target -> client. */
  droppedToClient: number;
}

/** The faults in force. */
export interface FaultState {
  refused: boolean;
  blackholed: boolean;
  /** The direction dropped by oneWay(), or null. */
  dropping: Direction | null;
  delayMs: number;
}

type Item = { at: number; data: Buffer } | { at: number; signal: 'end' | 'reset' };

/** One direction of one connection: a FIFO of chunks and close signals, released by time. */
class Lane {
  private queue: Item[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastAt = 0;
  private paused = false;
  /** A FIN or RST from the source has been queued; nothing follows it. */
  closedAtSource = false;

  constructor(
    private readonly link: Link,
    readonly dir: Direction,
  ) {}

  private get src(): net.Socket | null {
    return this.dir === 'to-target' ? this.link.client : this.link.upstream;
  }

  private get dst(): net.Socket | null {
    return this.dir === 'to-target' ? this.link.upstream : this.link.client;
  }

  /** Bytes read from the source. */
  push(data: Buffer): void {
    if (this.link.proxy.blocks(this.dir)) return this.drop(data.length);
    this.enqueue({ at: this.nextAt(), data });
  }

  /** The source sent FIN ('end') or went away abruptly ('reset'). */
  signal(signal: 'end' | 'reset'): void {
    if (this.closedAtSource) return;
    this.closedAtSource = true;
    this.enqueue({ at: this.nextAt(), signal });
  }

  /** Releases what is due; called on a timer, and by the proxy when faults change. */
  pump(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const p = this.link.proxy;
    while (this.queue.length > 0) {
      const head = this.queue[0];
      const now = performance.now();
      if (head.at > now) {
        // Timers may fire a little early: re-arm rather than deliver before the delay.
        this.timer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(head.at - now)));
        return;
      }
      const dst = this.dst;
      if ('data' in head) {
        this.queue.shift();
        if (p.blocks(this.dir) || dst === null || dst.destroyed) {
          this.drop(head.data.length);
          continue;
        }
        p.counted(this.dir, head.data.length);
        if (!dst.write(head.data)) this.backpressure(dst);
        continue;
      }
      // A close signal waits out a fault (and a not yet connected target) instead of being lost.
      if (p.blocks(this.dir) || dst === null) return;
      this.queue.shift();
      if (dst.destroyed) continue;
      if (head.signal === 'end') dst.end();
      else dst.resetAndDestroy();
    }
  }

  /** Drops everything queued (the connection is being reset). */
  discard(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const item of this.queue) if ('data' in item) this.drop(item.data.length);
    this.queue = [];
  }

  private nextAt(): number {
    this.lastAt = Math.max(performance.now() + this.link.proxy.state.delayMs, this.lastAt);
    return this.lastAt;
  }

  private enqueue(item: Item): void {
    this.queue.push(item);
    if (this.queue.length === 1) this.pump();
  }

  private drop(n: number): void {
    this.link.damaged ||= n > 0;
    this.link.proxy.counted(this.dir, n, true);
  }

  private backpressure(dst: net.Socket): void {
    const src = this.src;
    if (this.paused || src === null) return;
    this.paused = true;
    src.pause();
    dst.once('drain', () => {
      this.paused = false;
      src.resume();
    });
  }
}

/** One proxied connection: the accepted client socket and, once connected, the upstream one. */
class Link {
  upstream: net.Socket | null = null;
  /** Bytes were dropped on this connection (its streams have a gap). */
  damaged = false;
  readonly toTarget = new Lane(this, 'to-target');
  readonly toClient = new Lane(this, 'to-client');

  constructor(
    readonly proxy: FaultProxy,
    readonly client: net.Socket,
  ) {
    client.on('data', (d: Buffer) => this.toTarget.push(d));
    client.on('end', () => this.toTarget.signal('end'));
    client.on('close', () => {
      this.toTarget.signal('reset'); // no-op after a clean 'end'
      this.forgetIfDone();
    });
    client.on('error', () => {});
  }

  /** Opens the upstream connection unless one exists or the client is gone. */
  connect(target: { host: string; port: number }): void {
    if (this.upstream !== null || this.client.destroyed) return;
    const up = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    this.upstream = up;
    up.setNoDelay(true);
    up.on('data', (d: Buffer) => this.toClient.push(d));
    up.on('end', () => this.toClient.signal('end'));
    up.on('close', () => {
      this.toClient.signal('reset');
      this.forgetIfDone();
    });
    up.on('error', () => {});
    this.toTarget.pump();
  }

  /** Re-examines both lanes after the faults changed. */
  pump(): void {
    this.toTarget.pump();
    this.toClient.pump();
  }

  private forgetIfDone(): void {
    if (this.client.destroyed && (this.upstream === null || this.upstream.destroyed)) this.proxy.forget(this);
  }

  /** Resets both sides now, dropping anything queued. */
  reset(): void {
    this.toTarget.discard();
    this.toClient.discard();
    this.toTarget.closedAtSource = this.toClient.closedAtSource = true;
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (this.upstream !== null && !this.upstream.destroyed) this.upstream.resetAndDestroy();
    this.proxy.forget(this);
  }
}

/** A fault-injecting TCP proxy in front of one target. See the header comment for the model. */
export class FaultProxy {
  /** The faults in force (read-only from outside; use the methods to change them). */
  readonly state: FaultState = { refused: false, blackholed: false, dropping: null, delayMs: 0 };
  private readonly links = new Set<Link>();
  private readonly totals = { connections: 0, bytesToTarget: 0, bytesToClient: 0, droppedToTarget: 0, droppedToClient: 0 };
  private server: net.Server | null = null;
  private closed = false;

  private constructor(
    readonly target: { host: string; port: number },
    private listenPort: number,
  ) {}

  /** Starts listening on 127.0.0.1 (listenPort, or a free port) and forwarding to target. */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy({ ...options.target }, options.listenPort ?? 0);
    await proxy.listen();
    return proxy;
  }

  /** The port the proxy listens on (kept across refuse()/heal()). */
  get port(): number {
    return this.listenPort;
  }

  /** "127.0.0.1:port", the address clients should use instead of the target's. */
  get address(): string {
    return `127.0.0.1:${this.listenPort}`;
  }

  /** Drops all traffic both ways, silently, on open and new connections (a partition). */
  blackhole(): void {
    this.state.blackholed = true;
  }

  /**
   * Drops traffic in one direction only, on open and new connections; replaces an earlier
   * oneWay() (the other direction flows again). A blackhole() still drops both until heal().
   */
  oneWay(drop: Direction): void {
    this.state.dropping = drop;
    for (const link of this.links) link.pump(); // the other direction may have been unblocked
  }

  /**
   * Adds ms of latency to each direction for bytes arriving from now on (0 removes it; bytes
   * already queued keep their delivery time, and order is always kept).
   */
  delay(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`delay must be >= 0, got ${ms}`);
    this.state.delayMs = ms;
  }

  /** Closes the listener (new connections: ECONNREFUSED) and resets every open connection. */
  async refuse(): Promise<void> {
    this.state.refused = true;
    this.cutConnections();
    await this.stopListening();
  }

  /** Resets every open connection on both sides (ECONNRESET); new connections are accepted. */
  cutConnections(): void {
    for (const link of [...this.links]) link.reset();
  }

  /**
   * Ends every fault: forwarding both ways with no delay, listening again if refused. Bytes
   * dropped meanwhile are not delivered (see the header); held FIN/RST are. With resetDamaged,
   * connections that lost bytes are reset instead of resuming with a gap in their stream.
   * After refuse(), rejects (EADDRINUSE) if another socket took the port meanwhile.
   */
  async heal(options: { resetDamaged?: boolean } = {}): Promise<void> {
    this.state.blackholed = false;
    this.state.dropping = null;
    this.state.delayMs = 0;
    for (const link of [...this.links]) {
      if (options.resetDamaged === true && link.damaged) {
        link.reset();
        continue;
      }
      link.connect(this.target);
      link.pump();
    }
    if (this.state.refused) {
      this.state.refused = false;
      await this.listen();
    }
  }

  /** A snapshot of the counters. */
  counters(): FaultProxyCounters {
    return { ...this.totals, open: this.links.size };
  }

  /** Stops listening and resets every connection. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.cutConnections();
    await this.stopListening();
  }

  /** @internal Whether traffic in this direction is being dropped now. */
  blocks(dir: Direction): boolean {
    return this.state.blackholed || this.state.dropping === dir;
  }

  /** @internal Counts bytes delivered or dropped. */
  counted(dir: Direction, n: number, dropped = false): void {
    if (dir === 'to-target') this.totals[dropped ? 'droppedToTarget' : 'bytesToTarget'] += n;
    else this.totals[dropped ? 'droppedToClient' : 'bytesToClient'] += n;
  }

  /** @internal A connection has finished. */
  forget(link: Link): void {
    this.links.delete(link);
  }

  private listen(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => {
        server.off('error', reject);
        server.on('error', () => {});
        this.listenPort = (server.address() as net.AddressInfo).port;
        this.server = server;
        resolve();
      });
    });
  }

  private stopListening(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    if (this.closed || this.state.refused) {
      socket.resetAndDestroy();
      return;
    }
    this.totals.connections++;
    const link = new Link(this, socket);
    this.links.add(link);
    if (!this.state.blackholed) link.connect(this.target);
  }
}
