// What the node sends its clients: replies and pub/sub frames queued during an event-loop turn
// and written at its end, one write per connection (as Redis writes in beforeSleep), and what
// keeps a client that does not read from holding unbounded memory.
//
// Replies are not written as soon as a read is processed: the connection's bytes are set aside
// and every connection served in this turn is written at its end (setImmediate runs after all
// the turn's I/O callbacks). A client reading replies is then woken once per turn for all of
// them, rather than once per write while the node is still reading its neighbours; on a loaded
// node that halves the kernel's wakeup work. Pub/sub frames for a client (server/pubsub.ts) join
// its queue in order: after what it was sent before, before what it is sent later.
//
// Unless turns serve one connection each. Deferring to the turn's end costs a setImmediate a
// turn (its object, two calls into C++ to hold the loop, a callback from C++ with its async
// context): ~3 µs a turn in a profile at one request per turn, a fifth of the node's user time,
// for nothing when there is no neighbour to wait for (clients sending one request at a time, or
// a cluster client's one connection per node). So after SINGLE_TURNS_TO_DIRECT turns in a row
// that each wrote to one connection, a reply goes out as soon as its read is processed. Every
// READS_PER_PROBE such reads, one setImmediate counts the reads of its turn; two or more turn
// the deferral back on. A client with anything queued (pub/sub frames, a close) keeps the
// deferred path, so its bytes stay in order.

import type { ReplyWriter } from '../protocol/reply-writer.js';
import type { Client } from './client.js';

/**
 * With no output limit configured (client-output-buffer-limit normal 0), a client whose unread
 * replies pass this stops being read until its socket drains, so its memory stays bounded. With a
 * limit (corral's default is 256 MB), the client is disconnected past it instead, as Redis does.
 */
const PAUSE_READ_AT = 1024 * 1024;

/** Turns in a row that each wrote to one connection before replies are written directly. */
const SINGLE_TURNS_TO_DIRECT = 8;
/** Direct reads between two probes of whether a turn still serves one connection. */
const READS_PER_PROBE = 32;

export class ClientOutput {
  /** client-output-buffer-limit's normal hard limit (0: none). */
  limit = 0;
  /**
   * Connections with bytes to write at the end of this turn: the first `queued` entries. The
   * array is reused and never shortened: `length = 0` is a call into V8's runtime on every turn
   * (JSArray::SetLength, ~0.4 µs a turn in a profile at one request per turn).
   */
  private readonly queue: (Client | null)[] = [];
  private queued = 0;
  /** Every write since the writer's markBatch() was taken by the kernel at once (see flush). */
  private batchTaken = true;
  /** Whether replies are written as soon as their read is processed (see the top of the file). */
  private direct = false;
  /** Turns in a row whose flush wrote to one connection. */
  private singleTurns = 0;
  /** Direct reads since the last probe, and the reads counted by the pending probe (-1: none). */
  private directReads = 0;
  private probeReads = -1;

  constructor(
    private readonly writer: ReplyWriter,
    private readonly stats: { netOutputBytes: number },
    /** Ends a client that asked to close once its replies are written (QUIT, a protocol error). */
    private readonly closeAfterReply: (client: Client) => void,
  ) {}

  /** Takes the replies the writer holds for `client` (its read was processed) and queues them. */
  queueReplies(client: Client): void {
    if (this.direct) this.countDirectRead();
    // Replies the writer spilled (large output, reply-writer.ts) go out now, each as it is, after
    // what the client was queued before: no copy of them into one buffer.
    const spilled = this.writer.takeSpilled();
    if (spilled !== null && !client.closed) {
      if (client.pendingWrite !== null || client.pushes !== null) this.write(client, this.takePending(client)!);
      for (const chunk of spilled) this.write(client, chunk);
    }
    const out = this.writer.take();
    if (this.direct && this.queued === 0 && client.pendingWrite === null && client.pushes === null && !client.closeAfterReply) {
      if (out !== null && !client.closed && this.write(client, out)) this.writer.reuseTaken();
      return;
    }
    if (out !== null) {
      // A second read of the same client in one turn (or pub/sub messages for it came first):
      // what it was sent earlier goes first.
      if (client.pendingWrite !== null || client.pushes !== null) this.write(client, this.takePending(client)!);
      client.pendingWrite = out;
    }
    if (client.pendingWrite === null && !client.closeAfterReply) return;
    this.enqueue(client);
  }

  /**
   * Closes the client once what it was sent is written, at this turn's end (after queueReplies:
   * a reply written directly left nothing queued that would close it).
   */
  closeAfterWrite(client: Client): void {
    client.closeAfterReply = true;
    if (!client.closed) this.enqueue(client);
  }

  /** Queues a pub/sub frame for a client other than the one running a command. */
  deliver(client: Client, frame: Buffer): void {
    if (client.closed) return;
    (client.pushes ??= []).push(frame);
    client.pushBytes += frame.length;
    this.enqueue(client);
  }

  /** Sends what is queued for a client and the writer's replies at once (before raw bytes follow them: PSYNC). */
  writeNow(client: Client): void {
    const out = this.writer.take();
    const pending = this.takePending(client);
    if (pending !== null) this.write(client, pending);
    if (out !== null) this.write(client, Buffer.from(out));
  }

  /** Writes bytes to the client; returns whether the kernel took all of them synchronously. */
  write(client: Client, out: Buffer): boolean {
    const socket = client.socket;
    this.stats.netOutputBytes += out.length;
    const direct = client.directWriter;
    const tookAll = direct !== null ? direct.write(out) : (socket.write(out), socket.writableLength === 0);
    if (!tookAll) this.batchTaken = false;
    if (!tookAll && this.limit === 0 && !client.paused && client.pendingOutput > PAUSE_READ_AT) {
      client.paused = true;
      socket.pause();
    }
    return tookAll;
  }

  /** The client's socket drained: read it again if it was paused for its output. */
  drained(client: Client): void {
    if (client.paused) {
      client.paused = false;
      client.socket.resume();
    }
  }

  /** A client's replies and pub/sub frames queued this turn, in order, as one buffer (or null). */
  private takePending(client: Client): Buffer | null {
    const replies = client.pendingWrite;
    const pushes = client.pushes;
    client.pendingWrite = null;
    if (pushes === null) return replies;
    client.pushes = null;
    client.pushBytes = 0;
    if (replies === null && pushes.length === 1) return pushes[0];
    return Buffer.concat(replies === null ? pushes : [replies, ...pushes]);
  }

  private enqueue(client: Client): void {
    if (client.flushQueued) return;
    client.flushQueued = true;
    if (this.queued === 0) {
      this.writer.markBatch();
      this.batchTaken = true;
      setImmediate(this.flushBound);
    }
    if (this.queued === this.queue.length) this.queue.push(client);
    else this.queue[this.queued] = client;
    this.queued++;
  }

  private countDirectRead(): void {
    if (this.probeReads >= 0) this.probeReads++;
    else if (++this.directReads >= READS_PER_PROBE) {
      this.directReads = 0;
      this.probeReads = 1;
      setImmediate(this.probeBound);
    }
  }

  private readonly probeBound = (): void => this.probe();

  /** At the end of a turn a direct read started: more reads in that turn turn deferral back on. */
  private probe(): void {
    if (this.probeReads >= 2) {
      this.direct = false;
      this.singleTurns = 0;
    }
    this.probeReads = -1;
  }

  private readonly flushBound = (): void => this.flush();

  /** Writes every queued connection's bytes; ends the sockets that asked to close. */
  private flush(): void {
    const queue = this.queue;
    // `queued` is read on every pass: a client queued while this runs is written in this pass.
    for (let i = 0; i < this.queued; i++) {
      const client = queue[i]!;
      queue[i] = null;
      client.flushQueued = false;
      const out = this.takePending(client);
      if (out !== null && !client.closed) this.write(client, out);
      if (client.closeAfterReply && !client.closed) this.closeAfterReply(client);
    }
    if (!this.direct) {
      if (this.queued !== 1) this.singleTurns = 0;
      else if (++this.singleTurns >= SINGLE_TURNS_TO_DIRECT) {
        this.direct = true;
        this.directReads = 0;
      }
    }
    this.queued = 0;
    // The kernel took every byte written since markBatch() synchronously (spilled replies and a
    // second read's replies written before this flush included): the slab bytes can be reused.
    if (this.batchTaken) this.writer.reuseBatch();
  }
}
