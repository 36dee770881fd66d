// Clients blocked on keys (BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP,
// XREAD, XREADGROUP) and serving them, as Redis 7.0's blocked.c does.
//
// A blocked client is listed under each of its keys, in the order clients blocked. A write to a
// key someone waits on marks it ready (the store's key-modified hook); after the command that
// wrote it (a whole MULTI/EXEC or script) the node calls serveReady(), which takes the ready keys
// in the order they became ready and, for each key still holding a list or sorted set, serves its
// waiters first come first served until the value runs out: the pop runs as the waiter, its reply
// goes to the waiter, and it is replicated as the plain pop Redis propagates (LPOP key, LMOVE ...,
// ZPOPMIN key [count]). A served BLMOVE's push can make another key ready: the loop goes on until
// no key is ready. Only then do the served clients run what they pipelined behind their blocking
// command (Redis does that in beforeSleep), so serving never nests inside serving.
//
// A waiter whose timeout passes gets a null array; CLIENT UNBLOCK answers it as a timeout or with
// -UNBLOCKED; a node that turns replica drops its waiters with -UNBLOCKED (their command is a
// write it can no longer do); a topology that moves a waiter's slot elsewhere redirects it.
//
// Stream waiters (serveClientsBlockedOnStreamKey) differ: a write to their key does not consume
// anything, so one XADD serves every waiter whose ID is below the new last ID, and a waiter not
// served (nothing new for it, the key gone or of another type) keeps waiting. Their serve
// callback decides (StreamServeFn); XREADGROUP's answers with an error when its stream or group
// is gone, as Redis 7.0 does.

import type { CommandContext } from '../commands/context.js';
import type { CommandArgs } from '../protocol/request-parser.js';
import type { ReplyWriter } from '../protocol/reply-writer.js';
import type { Store } from '../store/store.js';
import { TYPE_LIST, TYPE_STREAM, TYPE_ZSET } from '../store/entry.js';
import type { Client } from './client.js';

/**
 * Serves a waiter from a key that holds a non-empty value of its kind: pops and replies as the
 * waiter (the context is set up as its command's), and returns the words to replicate the pop as,
 * or null when nothing changed (a BLMOVE whose destination holds another type: WRONGTYPE).
 */
export type ServeFn = (c: CommandContext, key: string, waiter: Waiter) => string[] | null;

/**
 * Serves a stream waiter after `key` was written (it may be missing now, or hold another type):
 * replies as the waiter and returns true, or writes nothing and returns false to keep it
 * waiting. The context is set up as the waiter's command's; words it asks to replicate
 * (c.replicate) are propagated after it.
 */
export type StreamServeFn = (c: CommandContext, key: string, waiter: Waiter) => boolean;

export interface Waiter {
  readonly client: Client;
  /** The type whose data it waits for: TYPE_LIST, TYPE_ZSET or TYPE_STREAM. */
  readonly kind: typeof TYPE_LIST | typeof TYPE_ZSET | typeof TYPE_STREAM;
  /** The blocking command's name, lowercase. */
  readonly name: string;
  /** Its arguments, copied. */
  readonly args: CommandArgs;
  readonly db: number;
  /** The keys waited on, deduplicated, in the command's order. */
  readonly keys: string[];
  /** Pops from the head (LEFT, MIN) or the tail (RIGHT, MAX). */
  readonly front: boolean;
  /** How many to pop ([B]LMPOP, BZMPOP), or -1 for the single-element replies. */
  readonly count: number;
  /** BLMOVE / BRPOPLPUSH: the destination, and whether it is pushed at its head. */
  readonly target: string | null;
  readonly toFront: boolean;
  readonly serve: ServeFn;
  /** Stream waiters: the ID per key (in `keys` order) past which entries are new to it. */
  readonly streamIds?: bigint[];
  /** Stream waiters: how it is served (instead of serve). */
  readonly streamServe?: StreamServeFn;
  /** Stream waiters: what the blocking command needs to answer later (its COUNT, group...). */
  readonly streamState?: unknown;
  timer: NodeJS.Timeout | null;
}

/** What the registry needs of the node. */
export interface BlockingHost {
  readonly store: Store;
  readonly ctx: CommandContext;
  readonly writer: ReplyWriter;
  /** Queues the writer's replies for a client (written at the end of the turn). */
  queueReplies(client: Client): void;
  /** Runs what a client sent while it was blocked. */
  runPending(client: Client): void;
  /**
   * Around serving a waiter, as around a command it runs (tracking: the invalidations its own
   * write causes for it come after its reply, not before).
   */
  beforeServe(client: Client): void;
  afterServe(client: Client): void;
  /** Replicates a write made outside a command's call (a served waiter's pop). */
  propagate(db: number, words: string[]): void;
  /** Replicates several, wrapped in MULTI/EXEC (Redis's propagatePendingCommands). */
  propagateTransaction(db: number, commands: string[][]): void;
  /**
   * A served waiter's reply (collected in the writer) is an error: counted in the error stats
   * and as a failed call of its command, as Redis's updateStatsOnUnblock does.
   */
  servedError(name: string): void;
  /** The error that sends a client elsewhere for a key (MOVED, CLUSTERDOWN), or null if served here. */
  redirectFor(key: string): string | null;
  closeAfterReply(client: Client): void;
}

export class Blocking {
  /** "db\0key" -> the clients waiting on it, oldest first. */
  private readonly waiting = new Map<string, Waiter[]>();
  private readonly byClient = new Map<Client, Waiter>();
  /** Keys written since the last serveReady(), in order, without repeats. */
  private ready: string[] = [];
  private readonly readySet = new Set<string>();
  /** Served clients whose pipelined commands run once serving is over. */
  private readonly toResume: Client[] = [];
  private serving = false;
  /** Tells the node to install or drop the store's key-modified hook. */
  onActiveChange: (() => void) | null = null;

  constructor(private readonly host: BlockingHost) {}

  /** Some client waits on keys (the store's key-modified hook must run). */
  get active(): boolean {
    return this.byClient.size !== 0;
  }

  get blockedCount(): number {
    return this.byClient.size;
  }

  /** Keys some client waits on (INFO's total_blocking_keys, Redis 7.2). */
  get keyCount(): number {
    return this.waiting.size;
  }

  get hasReady(): boolean {
    return this.ready.length !== 0;
  }

  isWaiting(client: Client): boolean {
    return this.byClient.has(client);
  }

  /** Blocks the client on its keys until one has data, timeoutMs passes (0: never) or it is unblocked. */
  block(w: Waiter, timeoutMs: number): void {
    const wasActive = this.active;
    this.byClient.set(w.client, w);
    for (const key of w.keys) {
      const id = `${w.db}\0${key}`;
      const list = this.waiting.get(id);
      if (list === undefined) this.waiting.set(id, [w]);
      else list.push(w);
    }
    w.client.blocked = true;
    if (timeoutMs > 0) w.timer = setTimeout(() => this.timedOut(w), timeoutMs);
    if (!wasActive) this.onActiveChange?.();
  }

  /** The store's key-modified hook: a key some client may wait on was written. */
  keyModified(db: number, key: string): void {
    const id = `${db}\0${key}`;
    if (!this.waiting.has(id) || this.readySet.has(id)) return;
    this.readySet.add(id);
    this.ready.push(id);
  }

  /** SWAPDB swapped databases a and b: keys waited on there that now hold something are ready. */
  databasesSwapped(a: number, b: number): void {
    for (const id of this.waiting.keys()) {
      const sep = id.indexOf('\0');
      const db = Number(id.slice(0, sep));
      if (db !== a && db !== b) continue;
      const key = id.slice(sep + 1);
      // Held at all (even past its TTL: serving looks it up, which expires it then, after the
      // SWAPDB is replicated, as Redis's scanDatabaseForReadyKeys then handleClientsBlockedOnKeys).
      // Stream waiters too when the key went (XREADGROUP's answer an error, as Redis's
      // scanDatabaseForDeletedStreams has them do).
      if (this.host.store.dbs[db].heldState(key) !== 0 || this.waiting.get(id)!.some((w) => w.kind === TYPE_STREAM)) this.keyModified(db, key);
    }
  }

  /** Serves the waiters of every ready key, then lets the served clients go on. */
  serveReady(): void {
    if (this.serving) return;
    this.serving = true;
    try {
      while (this.ready.length !== 0) {
        const batch = this.ready;
        this.ready = [];
        for (const id of batch) {
          this.readySet.delete(id);
          this.serveKey(id);
        }
      }
    } finally {
      this.serving = false;
    }
    this.resumeServed();
  }

  private serveKey(id: string): void {
    const list = this.waiting.get(id);
    if (list === undefined) return;
    const sep = id.indexOf('\0');
    const db = Number(id.slice(0, sep));
    const key = id.slice(sep + 1);
    const keyspace = this.host.store.dbs[db];
    // Waiters in arrival order; serving one removes it from the list, so walk a copy.
    for (const w of list.slice()) {
      if (this.byClient.get(w.client) !== w) continue;
      if (w.kind === TYPE_STREAM) {
        this.serveStreamWaiter(w, key);
        continue;
      }
      const e = keyspace.lookupWrite(key);
      if (e === undefined) continue;
      const kind = e.type;
      if (kind !== TYPE_LIST && kind !== TYPE_ZSET) continue;
      if (w.kind !== kind) continue;
      this.serveOne(w, key);
    }
  }

  /** Offers a stream waiter its key: it is released only if its callback answered it. */
  private serveStreamWaiter(w: Waiter, key: string): void {
    const host = this.host;
    const ctx = host.ctx;
    const client = w.client;
    ctx.args = w.args;
    ctx.client = client;
    ctx.db = host.store.dbs[w.db];
    ctx.name = w.name;
    ctx.replicateAs = null;
    const writer = host.writer;
    writer.begin();
    writer.resp = client.resp;
    host.beforeServe(client);
    const served = w.streamServe!(ctx, key, w);
    host.afterServe(client);
    const words = ctx.replicateAs;
    ctx.replicateAs = null;
    if (words !== null) {
      if (ctx.replicateAlso.length === 0) host.propagate(w.db, words);
      else host.propagateTransaction(w.db, [words, ...ctx.replicateAlso]);
    }
    ctx.replicateAlso.length = 0;
    if (!served) {
      writer.discard();
      return;
    }
    if (writer.pendingBytes > 0 && writer.byteAt(0) === 45 /* '-' */) host.servedError(w.name);
    this.release(w);
    host.queueReplies(client);
    this.toResume.push(client);
  }

  private serveOne(w: Waiter, key: string): void {
    const host = this.host;
    const ctx = host.ctx;
    const client = w.client;
    ctx.args = w.args;
    ctx.client = client;
    ctx.db = host.store.dbs[w.db];
    ctx.name = w.name;
    const writer = host.writer;
    writer.begin();
    writer.resp = client.resp;
    host.beforeServe(client);
    const words = w.serve(ctx, key, w);
    host.afterServe(client);
    if (writer.pendingBytes > 0 && writer.byteAt(0) === 45 /* '-' */) host.servedError(w.name);
    if (words !== null) host.propagate(w.db, words);
    this.release(w);
    host.queueReplies(client);
    this.toResume.push(client);
  }

  /** Runs what the served clients pipelined, now that no serving is in progress. */
  private resumeServed(): void {
    const list = this.toResume;
    while (list.length !== 0) {
      const client = list.shift()!;
      if (!client.closed && !client.blocked) this.host.runPending(client);
    }
  }

  /** Takes a waiter off its keys; the client can run commands again. */
  private release(w: Waiter): void {
    if (this.byClient.get(w.client) !== w) return;
    this.byClient.delete(w.client);
    if (w.timer !== null) clearTimeout(w.timer);
    w.timer = null;
    for (const key of w.keys) {
      const id = `${w.db}\0${key}`;
      const list = this.waiting.get(id);
      if (list === undefined) continue;
      const i = list.indexOf(w);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.waiting.delete(id);
    }
    w.client.blocked = false;
    if (!this.active) this.onActiveChange?.();
  }

  /** Ends a client's wait with a reply (a null array for a timeout, or an error), then runs what it sent meanwhile. */
  private endWith(w: Waiter, error: string | null, close = false): void {
    const writer = this.host.writer;
    writer.begin();
    writer.resp = w.client.resp;
    if (error === null) writer.nullArray();
    else writer.error(error);
    this.release(w);
    this.host.queueReplies(w.client);
    if (close) {
      this.host.closeAfterReply(w.client);
      return;
    }
    this.toResume.push(w.client);
    if (!this.serving) this.resumeServed();
  }

  private timedOut(w: Waiter): void {
    w.timer = null;
    if (this.byClient.get(w.client) === w) this.endWith(w, null);
  }

  /**
   * Ends a wait from inside a command (CLIENT UNBLOCK, REPLICAOF, a topology change): not now,
   * since that command's own reply is being written, but before the next turn's I/O.
   */
  private endLater(w: Waiter, error: string | null, close = false): void {
    setImmediate(() => {
      if (this.byClient.get(w.client) === w) this.endWith(w, error, close);
    });
  }

  /** CLIENT UNBLOCK: whether the client was waiting on keys (it is answered as by a timeout, or with -UNBLOCKED). */
  unblock(client: Client, withError: boolean): boolean {
    const w = this.byClient.get(client);
    if (w === undefined) return false;
    this.endLater(w, withError ? 'UNBLOCKED client unblocked via CLIENT UNBLOCK' : null);
    return true;
  }

  /** The client is gone: it waits no more. */
  clientGone(client: Client): void {
    const w = this.byClient.get(client);
    if (w !== undefined) this.release(w);
  }

  /** The node turned replica: its waiters' commands are writes it can no longer do (Redis disconnects them). */
  roleChanged(): void {
    for (const w of [...this.byClient.values()]) {
      this.endLater(w, 'UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)', true);
    }
  }

  /** A new topology: a waiter whose first key's slot is now served elsewhere (or nowhere) is redirected. */
  topologyChanged(): void {
    for (const w of [...this.byClient.values()]) {
      const error = this.host.redirectFor(w.keys[0]);
      if (error !== null) this.endLater(w, error);
    }
  }
}
