// One client connection's state: its socket and request parser, selected database, protocol
// version, name, authentication, transaction (MULTI queue and WATCHed keys) and the figures
// CLIENT LIST reports.

import type { Socket } from 'node:net';
import type { ClientLike } from '../commands/context.js';
import type { Command } from '../commands/table.js';
import { RequestParser, type CommandArgs, type ParserLimits } from '../protocol/request-parser.js';
export { copyArgs } from '../protocol/request-parser.js';
import type { RespVersion } from '../protocol/reply-writer.js';
import type { DirectWriter } from './socket-writer.js';
import type { Subscriptions } from './pubsub.js';
import type { TrackingState } from './tracking.js';
import { UNRESTRICTED_USER } from './acl/unrestricted.js';
import { REDIS_CATALOG } from './acl/catalog.js';
import { userHasFullReadAccess } from './acl/check.js';
import { callOf } from './acl/enforce.js';
import type { AclUser } from './acl/user.js';

/**
 * A command queued by MULTI. Its arguments live, copied out of the read buffer, in the
 * transaction's QueuedArgs; `args` gives them as CommandArgs (built on each read: EXEC, cluster
 * routing and CLIENT LIST read each queued command once).
 */
export class QueuedCommand {
  constructor(
    readonly cmd: Command,
    private readonly store: QueuedArgs,
    private readonly at: number,
  ) {}

  get args(): CommandArgs {
    return this.store.argsAt(this.at);
  }
}

/** What a queued command costs beyond its bytes and offsets: its QueuedCommand and queue slot. */
const QUEUED_RECORD_BYTES = 48;
/** Offsets are Int32: a transaction's queued bytes stay below 2 GB whatever the limit. */
const MAX_QUEUED_BYTES = 2 ** 31 - 1;

/**
 * The arguments of a transaction's queued commands, packed: their bytes in one growing Buffer,
 * and per command its argument count then each argument's start and end in one growing
 * Int32Array. A queued `SET key value` then costs its bytes plus about 80 bytes, where a Buffer
 * and two arrays of its own cost about 360 (1,000,000 queued SETs: ~100 MB instead of ~370 MB).
 * `memory` is what the queue holds, counted against client-query-buffer-limit (dispatch.ts).
 */
export class QueuedArgs {
  private bytes: Buffer = Buffer.allocUnsafe(1024);
  private byteLen = 0;
  private offsets = new Int32Array(64);
  private offsetLen = 0;
  private count = 0;

  get memory(): number {
    return this.bytes.length + this.offsets.byteLength + this.count * QUEUED_RECORD_BYTES;
  }

  /** What adding `args` would bring `memory` to, at least (before any growth slack). */
  memoryWith(args: CommandArgs): number {
    let n = 0;
    for (let i = 0; i < args.argc; i++) n += args.end[i] - args.start[i];
    return this.memory + Math.max(0, this.byteLen + n - this.bytes.length) + 4 * (1 + 2 * args.argc) + QUEUED_RECORD_BYTES;
  }

  /** Copies a command's arguments in; returns where they are (for argsAt), or -1 past 2 GB. */
  add(args: CommandArgs): number {
    let n = 0;
    for (let i = 0; i < args.argc; i++) n += args.end[i] - args.start[i];
    if (this.byteLen + n > MAX_QUEUED_BYTES) return -1;
    if (this.byteLen + n > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.min(MAX_QUEUED_BYTES, Math.max(this.byteLen + n, this.bytes.length * 2)));
      this.bytes.copy(grown, 0, 0, this.byteLen);
      this.bytes = grown;
    }
    const need = this.offsetLen + 1 + 2 * args.argc;
    if (need > this.offsets.length) {
      const grown = new Int32Array(Math.max(need, this.offsets.length * 2));
      grown.set(this.offsets.subarray(0, this.offsetLen));
      this.offsets = grown;
    }
    const at = this.offsetLen;
    const o = this.offsets;
    o[at] = args.argc;
    let k = at + 1;
    let pos = this.byteLen;
    for (let i = 0; i < args.argc; i++) {
      o[k++] = pos;
      pos += args.buf.copy(this.bytes, pos, args.start[i], args.end[i]);
      o[k++] = pos;
    }
    this.byteLen = pos;
    this.offsetLen = k;
    this.count++;
    return at;
  }

  /** The arguments stored at `at`, as CommandArgs over a view of just their bytes. */
  argsAt(at: number): CommandArgs {
    const o = this.offsets;
    const argc = o[at];
    const first = o[at + 1];
    const start: number[] = new Array(argc);
    const end: number[] = new Array(argc);
    for (let i = 0; i < argc; i++) {
      start[i] = o[at + 1 + 2 * i] - first;
      end[i] = o[at + 2 + 2 * i] - first;
    }
    return { buf: this.bytes.subarray(first, first + end[argc - 1]), argc, start, end };
  }
}

/** CLIENT REPLY's modes: replies on, off, to be skipped for the next command, skipped for this one. */
export const REPLY_ON = 0;
export const REPLY_OFF = 1;
export const REPLY_SKIP_NEXT = 2;
export const REPLY_SKIP = 3;

export class Client implements ClientLike {
  db = 0;
  resp: RespVersion = 2;
  name = '';
  authenticated: boolean;
  /** The ACL user the client runs as (the node sets its default user on connect; internal clients run unrestricted). */
  user: AclUser = UNRESTRICTED_USER;

  /** ClientLike.fullKeyAccess: SORT's BY and GET need a user that may read every key. */
  fullKeyAccess(commandName: string, args: CommandArgs): boolean {
    if (this.user.unrestricted) return true;
    const entry = REDIS_CATALOG.lookup(commandName);
    return entry !== undefined && userHasFullReadAccess(this.user, entry, false, callOf(args));
  }
  readonly parser: RequestParser;
  /** Commands queued since MULTI, or null outside a transaction. */
  multi: QueuedCommand[] | null = null;
  /** The queued commands' arguments (null until MULTI queues one). */
  multiArgs: QueuedArgs | null = null;
  /** A queued command was refused: EXEC will abort. */
  multiDirty = false;
  /** Flags of the queued commands, or'ed (EXEC is refused under OOM if any may add memory). */
  multiFlags = 0;
  /** The union of the queued commands' flags inverted: a bit set when some command lacks it (Redis's cmd_inv_flags). */
  multiInvFlags = 0;
  /** WATCHed keys as "db\0key" -> expired-at-watch-time, or null. */
  watched: Map<string, boolean> | null = null;
  /** A WATCHed key changed: EXEC will fail. */
  watchDirty = false;
  /** CLIENT REPLY (REPLY_ON, REPLY_OFF, REPLY_SKIP_NEXT, REPLY_SKIP). */
  replyMode = REPLY_ON;
  closeAfterReply = false;
  closed = false;
  readonly createdAt: number;
  lastInteraction: number;
  lastCommand = 'NULL';
  readonly addr: string;
  readonly laddr: string;
  /** Reading is paused because replies are not being read fast enough. */
  paused = false;
  /** Replies taken from the writer, to be written at the end of this event-loop turn. */
  pendingWrite: Buffer | null = null;
  /** The client is in the node's end-of-turn write queue. */
  flushQueued = false;
  /** Waiting for WAIT/WAITOFFSET: its next commands run when it is unblocked. */
  blocked = false;
  /** Attached as a replica (PSYNC): its socket carries the replication stream. */
  replica = false;
  /** CORRAL EXPORT: its socket carries this slot's export stream (-1: none). */
  exportSlot = -1;
  /** REPLCONF listening-port. */
  replicaListeningPort = 0;
  /** REPLCONF capa corral-load: a corral replica that takes its full copy in CORRAL LOAD form. */
  replicaBulkLoad = false;
  /** REPLCONF rdb-only / rdb-filter-only: REPLICA_* bits of server/replica-rdb.ts (Redis's slave_req). */
  replicaReq = 0;
  /** READONLY (cluster mode): read commands for a replica's slots are served here. */
  readonlyMode = false;
  /** CLIENT TRACKING's options (server/tracking.ts), null while tracking is off. */
  tracking: TrackingState | null = null;
  /** Pub/sub subscriptions (server/pubsub.ts), null while there are none. */
  subs: Subscriptions | null = null;
  /** Pub/sub frames for this client queued in this event-loop turn (node.deliver), and their bytes. */
  pushes: Buffer[] | null = null;
  pushBytes = 0;
  /** The client a script's commands run as (Redis's CLIENT_SCRIPT). */
  inScript = false;
  /** Writes straight to the socket's handle, or null to use socket.write. */
  directWriter: DirectWriter | null = null;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    /** proto-max-bulk-len and client-query-buffer-limit when the client connected. */
    readonly limits: ParserLimits,
    requiresAuth: boolean,
    now: number,
  ) {
    this.parser = new RequestParser(limits);
    this.authenticated = !requiresAuth;
    this.parser.unauthenticated = requiresAuth;
    this.createdAt = now;
    this.lastInteraction = now;
    this.addr = formatAddress(socket.remoteAddress, socket.remotePort);
    this.laddr = formatAddress(socket.localAddress, socket.localPort);
  }

  setAuthenticated(yes: boolean): void {
    this.authenticated = yes;
    this.parser.unauthenticated = !yes;
  }

  /** Reply bytes written but not yet taken by the kernel. */
  get pendingOutput(): number {
    const queued = (this.pendingWrite !== null ? this.pendingWrite.length : 0) + this.pushBytes;
    return queued + (this.directWriter !== null ? this.directWriter.pendingBytes : this.socket.writableLength);
  }

  /** In Redis's subscriber context: only (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET run (RESP2). */
  get inSubscriberContext(): boolean {
    return this.resp === 2 && this.subs !== null && this.subs.total !== 0;
  }

  /**
   * Queues a command inside MULTI, copying its arguments. Returns false, queueing nothing, when
   * the queue's memory would pass client-query-buffer-limit (the caller discards the transaction).
   */
  queueCommand(cmd: Command, args: CommandArgs): boolean {
    const store = (this.multiArgs ??= new QueuedArgs());
    if (store.memoryWith(args) > this.limits.maxQueryBuffer) return false;
    const at = store.add(args);
    if (at < 0) return false;
    this.multi!.push(new QueuedCommand(cmd, store, at));
    return true;
  }

  resetTransaction(): void {
    this.multi = null;
    this.multiArgs = null;
    this.multiDirty = false;
    this.multiFlags = 0;
    this.multiInvFlags = 0;
  }
}

/** A peer's address as CLIENT LIST's addr shows it. */
export function formatAddress(host: string | undefined, port: number | undefined): string {
  if (host === undefined) return '?:0';
  if (host.startsWith('::ffff:')) host = host.slice(7);
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const NO_SOCKET = { remoteAddress: undefined, remotePort: undefined, localAddress: undefined, localPort: undefined } as unknown as Socket;

/** A client of the node's own, without a socket: runs a stream's commands (replication, slot imports). */
export function internalClient(name: string): Client {
  const c = new Client(0, NO_SOCKET, { maxBulkLength: 1 << 30, maxQueryBuffer: 2 ** 40 }, false, Date.now());
  c.name = name;
  return c;
}
