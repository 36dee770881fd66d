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

import type { ReplyWriter } from '../protocol/reply-writer.js';
import type { Client } from './client.js';

/**
 * With no output limit configured (client-output-buffer-limit normal 0), a client whose unread
 * replies pass this stops being read until its socket drains, so its memory stays bounded. With a
 * limit (corral's default is 256 MB), the client is disconnected past it instead, as Redis does.
 */
const PAUSE_READ_AT = 1024 * 1024;

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

  constructor(
    private readonly writer: ReplyWriter,
    private readonly stats: { netOutputBytes: number },
    /** Ends a client that asked to close once its replies are written (QUIT, a protocol error). */
    private readonly closeAfterReply: (client: Client) => void,
  ) {}

  /** Takes the replies the writer holds for `client` (its read was processed) and queues them. */
  queueReplies(client: Client): void {
    // Replies the writer spilled (large output, reply-writer.ts) go out now, each as it is, after
    // what the client was queued before: no copy of them into one buffer.
    const spilled = this.writer.takeSpilled();
    if (spilled !== null && !client.closed) {
      if (client.pendingWrite !== null || client.pushes !== null) this.write(client, this.takePending(client)!);
      for (const chunk of spilled) this.write(client, chunk);
    }
    const out = this.writer.take();
    if (out !== null) {
      // A second read of the same client in one turn (or pub/sub messages for it came first):
      // what it was sent earlier goes first.
      if (client.pendingWrite !== null || client.pushes !== null) this.write(client, this.takePending(client)!);
      client.pendingWrite = out;
    }
    if (client.pendingWrite === null && !client.closeAfterReply) return;
    this.enqueue(client);
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
    this.queued = 0;
    // The kernel took every byte written since markBatch() synchronously (spilled replies and a
    // second read's replies written before this flush included): the slab bytes can be reused.
    if (this.batchTaken) this.writer.reuseBatch();
  }
}
