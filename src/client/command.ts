// One command in flight: the record that travels from the caller through the offline queue, a
// node's write buffer and its FIFO of pending replies (and, on MOVED/ASK/retry, to another
// node's), until it is settled. Also the reply transforms typed methods ask for.
//
// No per-command closure: the promise executor is one module-level function that takes its
// target from a module variable (`binding`), set just before `new Promise` runs it
// synchronously. The record itself is not pooled: after a timeout it stays in a FIFO until its
// late reply arrives, and after a redirect it moves between FIFOs, so knowing when it is free
// again would cost more bookkeeping than the young-generation allocation it would save.

import { BulkMode } from '../protocol/reply-decoder.js';

export type Arg = string | Buffer | number;

/** How a command's reply is shaped for the caller (a small int, switched on; no closures). */
export const enum Reply {
  /** As decoded: strings (or Buffers), numbers, arrays, null. */
  Raw = 0,
  /** HGETALL / CONFIG GET: a flat [k, v, ...] array (RESP2) or a Map (RESP3) → plain object. */
  Object = 1,
  /** 'OK' → true, null → false (SET ... IFEQ / NX). */
  OkBool = 2,
  /** 1 → true, 0 → false. */
  IntBool = 3,
  /** Internal command whose reply is dropped (ASKING). */
  Discard = 4,
  /** A SettlingCommand: the record turns its reply (or failure) into the caller's value. */
  Settle = 5,
}

/** Lifecycle of a record. */
export const enum State {
  /** Not settled: queued, written, or waiting for a retry. */
  Pending = 0,
  /** Settled (resolved, rejected or timed out): a reply still owed to it is read and dropped. */
  Done = 1,
  /**
   * A record the client writes for itself (CORRAL OFFSET, CORRAL WAITOFFSET, PING, READONLY:
   * see replica-reads.ts): never settled, never timed out or retried; its reply goes to the
   * replica-read router (by `ctl`).
   */
  Control = 2,
}

/**
 * How the router treats a command (set on its first dispatch when replica reads are on; stays
 * Unknown otherwise). Read-only is decided by the server's own command table (router.ts).
 */
export const enum Access {
  Unknown = 0,
  /** Read-only: may go to a replica (currently routed to the primary). */
  Read = 1,
  /** Read-only, sent to a replica: LOADING or a STALE guard sends it to the primary. */
  ReplicaRead = 2,
  /** Read-only, pinned to the primary (after LOADING or STALE from a replica). */
  PrimaryRead = 3,
  /** Anything else, with read-your-writes on: a CORRAL OFFSET follows it on its connection. */
  Write = 4,
  /** Anything else, read-your-writes off. */
  Other = 5,
}

/** What a Control record is (Command.ctl). */
export const enum Ctl {
  None = 0,
  /** CORRAL OFFSET after a turn's writes on a primary's connection. */
  Offset = 1,
  /** CORRAL WAITOFFSET before reads on a replica's connection (a guard). */
  Wait = 2,
  /** A guard that answered STALE (or an error): the reads behind it are re-sent to the primary. */
  WaitStale = 3,
  /** PING measuring a connection's round trip (readFrom 'nearest'). */
  Ping = 4,
  /** READONLY, once per connection before its first replica read. */
  ReadOnly = 5,
  /** Near-cache (near-cache.ts): CLIENT TRACKING ON REDIRECT <id> OPTIN on a data connection. */
  NearTracking = 6,
  /** Near-cache: CLIENT CACHING YES before a cacheable GET. */
  NearCaching = 7,
  /** Near-cache: PTTL after a cacheable GET (its reply stores the entry). */
  NearTtl = 8,
}

export class Command {
  resolve: (v: unknown) => void = noop;
  reject: (e: Error) => void = noop;
  state: State = State.Pending;
  /** Redirects (MOVED/ASK) followed so far. */
  redirects = 0;
  /** Retries (connection errors, TRYAGAIN, CLUSTERDOWN) used so far. */
  attempts = 0;
  /** Absolute time (client clock, ms) after which the command fails with TimeoutError. */
  deadline = 0;
  /** Send ASKING before the command (set for one send after an ASK redirect). */
  asking = false;
  /** Set for internal commands (topology discovery): never retried or redirected. */
  internal = false;
  /** Routing class for replica reads (Access); Unknown unless readFrom is not 'primary'. */
  access: Access = Access.Unknown;
  /** For a read sent to a replica: the CORRAL WAITOFFSET record written before it, if any. */
  guard: Command | null = null;
  /** For State.Control records: what the record is. */
  ctl: Ctl = Ctl.None;

  constructor(
    /** Command name first. Kept for redirects and retries, which re-encode it. */
    readonly args: Arg[],
    /** Hash slot of the routing key, or -1 for keyless commands. */
    public slot: number,
    readonly reply: Reply,
    readonly mode: BulkMode,
  ) {}
}

function noop(): void {}

/**
 * A record that settles itself (a Command subclass created with Reply.Settle), for a layer above
 * the client that would otherwise chain its own promise on the client's: the cache-aside SDK's
 * hit path (src/cache/read.ts) returns the client's promise as its own, so a hit costs no
 * promise, reaction or closure beyond the client's. In the reply's turn the core resolves the
 * promise with settle(reply); where it would reject, with settleError(error) instead. What they
 * return may be a promise (adopted, so a rejected one rejects the caller's). Error replies go
 * through the core first (redirects and retries are followed), so settle() never sees a
 * RespError. If either throws, the promise rejects with what it threw. (An interface, not a
 * base class: one constructor less per record.)
 */
export interface SettlingCommand extends Command {
  readonly reply: Reply.Settle;
  settle(reply: unknown): unknown;
  settleError(error: Error): unknown;
}

/** The core's resolve for a SettlingCommand (state already Done). */
export function settleReply(cmd: SettlingCommand, v: unknown): void {
  try {
    cmd.resolve(cmd.settle(v));
  } catch (e) {
    cmd.reject(e as Error);
  }
}

/** The core's reject for a SettlingCommand (state already Done). */
export function settleFailure(cmd: SettlingCommand, err: Error): void {
  try {
    cmd.resolve(cmd.settleError(err));
  } catch (e) {
    cmd.reject(e as Error);
  }
}

let binding: Command | null = null;

function executor(resolve: (v: unknown) => void, reject: (e: Error) => void): void {
  const c = binding!;
  c.resolve = resolve;
  c.reject = reject;
}

/** The promise a caller awaits for `cmd` (resolve/reject are stored on the record). */
export function promiseOf(cmd: Command): Promise<unknown> {
  binding = cmd;
  const p = new Promise<unknown>(executor);
  binding = null;
  return p;
}

/** The reply shaped as cmd.reply asks. */
export function shape(kind: Reply, v: unknown): unknown {
  switch (kind) {
    case Reply.Raw:
      return v;
    case Reply.Object: {
      const out: Record<string, unknown> = {};
      if (v instanceof Map) {
        for (const [k, x] of v) out[String(k)] = x;
      } else if (Array.isArray(v)) {
        for (let i = 0; i + 1 < v.length; i += 2) out[String(v[i])] = v[i + 1];
      }
      return out;
    }
    case Reply.OkBool:
      return v !== null;
    case Reply.IntBool:
      return v === 1 || v === true;
    default:
      return v;
  }
}

/** The shared record written (for its reply to be dropped) before a command sent after ASK. */
export const ASKING = new Command(['ASKING'], -1, Reply.Discard, BulkMode.Latin1);
ASKING.state = State.Done;

/** A Control record (see State.Control). */
export function controlRecord(args: Arg[], ctl: Ctl): Command {
  const c = new Command(args, -1, Reply.Discard, BulkMode.Latin1);
  c.state = State.Control;
  c.internal = true;
  c.ctl = ctl;
  return c;
}

/**
 * Shared Control records: their replies need no per-command state (the connection they arrive
 * on says whose offset, round trip or READONLY it is), so one record serves every connection.
 */
export const OFFSET_PROBE = controlRecord(['CORRAL', 'OFFSET'], Ctl.Offset);
export const PING_PROBE = controlRecord(['PING'], Ctl.Ping);
export const READONLY = controlRecord(['READONLY'], Ctl.ReadOnly);

/**
 * Commands whose second run has the effect and reply of the first: reads, and writes that set
 * a state rather than change it relative to the current one. A command that may already have
 * reached a node when its connection died is re-sent only if it is one of these; INCR, LPUSH,
 * APPEND or SET ... GET could otherwise run twice, so they fail with ConnectionError instead.
 */
const RESENDABLE = new Set(
  (
    'get mget exists ttl pttl expiretime pexpiretime type strlen getrange substr hget hmget hgetall hexists hlen ' +
    'hkeys hvals hstrlen scard smembers sismember smismember zscore zmscore zrank zrevrank zrange zcard zcount ' +
    'lrange llen lindex ping echo dbsize keys scan cluster command info ' +
    'set mset del unlink expire pexpire expireat pexpireat persist hset hmset hdel sadd srem zrem'
  ).split(' '),
);

export function safeToResend(args: readonly Arg[]): boolean {
  const name = String(args[0]).toLowerCase();
  if (!RESENDABLE.has(name)) return false;
  if (name !== 'set') return true;
  for (let i = 3; i < args.length; i++) if (String(args[i]).toLowerCase() === 'get') return false;
  return true;
}
