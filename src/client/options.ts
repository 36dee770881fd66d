// Client options: what createClient accepts, the defaults, and the backoff rule for retries
// (exponential with full jitter). Timers, clock and randomness are injectable so tests can drive
// retries and timeouts without waiting on wall-clock time.

import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { Clock } from '../util/clock.js';
import type { NearCacheOptions } from './near-options.js';
import { parseAddress, type NodeAddress } from './topology.js';

export interface RetryOptions {
  /** Retries after the first try for connection errors, TRYAGAIN and CLUSTERDOWN (default 3). */
  attempts?: number;
  /** Backoff base: retry n waits random(0, min(maxDelayMs, baseDelayMs * 2^n)) (default 50). */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ClientOptions {
  /** Seed nodes, 'host:port'. Any one of them is enough to discover the cluster. */
  nodes: string[];
  username?: string;
  password?: string;
  /**
   * Connect over TLS: true to verify nodes against the system's CAs, or Node's tls.connect
   * options (`ca`, `cert`, `key` for tls-auth-clients, `rejectUnauthorized`...). Host names are
   * checked as tls.connect does, unless `checkServerIdentity` says otherwise.
   */
  tls?: boolean | TlsConnectionOptions;
  /** Per-command timeout, ms, from the call to the reply, retries included (default 5000). */
  commandTimeout?: number;
  /** Per-connection connect timeout, ms (default 5000). */
  connectTimeout?: number;
  /** MOVED/ASK redirects followed per command (default 5). */
  maxRedirects?: number;
  retry?: RetryOptions;
  /** Commands that may wait for a connection or a topology (default 10000). */
  offlineQueueLimit?: number;
  /**
   * Where read-only commands with a key go (read-only as the server's command table flags them:
   * GET, MGET, HGETALL, ZRANGE...; writes, keyless commands and corral's CACHE.* always go to the
   * slot's primary). Each mode's promise, per key:
   *
   * - 'primary' (default): every command on the slot's primary. A read sees every write
   *   acknowledged before it was issued, by this client or any other (Redis Cluster's semantics).
   * - 'replica': reads go round-robin to the replicas of the slot's shard as CLUSTER SLOTS lists
   *   them; to the primary when the shard has none, or none reachable (a replica whose connection
   *   failed is skipped for a while). A replica is asynchronous: with `readYourWrites` off a read
   *   may miss recent writes (also this client's own) and two reads may see time go backwards
   *   (from two replicas at different offsets). With `readYourWrites` on (the default), a read
   *   sees at least every write this client had seen acknowledged on that shard before issuing
   *   the read (never older than its own writes); writes by other clients may still be missing.
   *   A replica answering LOADING (in a full copy) gets the read re-sent to the primary.
   * - 'nearest': reads go to the node of the shard (primary included) with the lowest round trip,
   *   measured by one PING per connection per second (queueing behind pipelined commands counts:
   *   a busy node looks far); the primary until measured. The same promises as 'replica'.
   *
   * A replica is sent READONLY once per connection, before its first read. No mode changes what
   * happens to writes or retries.
   */
  readFrom?: 'primary' | 'replica' | 'nearest';
  /**
   * With readFrom 'primary': read the keys the nodes report hot (CORRAL HOTKEYS, polled every
   * second) as readFrom 'replica' or 'nearest' would, every other key from its primary
   * (hot-reads.ts). A flash sale's hot key spreads over its shard's nodes; the promises are
   * readFrom 'replica''s, for those keys only (readYourWrites applies).
   */
  hotReadsFrom?: 'replica' | 'nearest';
  /** With hotReadsFrom: the lowest rate a node reports (operations per second) that makes a key hot (default 1000). */
  hotReadsMinRate?: number;
  /**
   * Read-your-writes across replicas (default true when readFrom is not 'primary'; ignored with
   * 'primary', where it always holds). After a turn that wrote to a primary, `CORRAL OFFSET` is
   * pipelined behind the writes, and the highest offset seen per shard is the client's session
   * token. A read sent to a replica of that shard is preceded, in the same write, by
   * `CORRAL WAITOFFSET <token> <ryWaitMs>` unless that replica already answered an offset at
   * least as high. If the replica does not get there in time (STALE), the read's reply from it is
   * dropped and the read re-sent to the primary. Until the offset for a write the caller has seen
   * acknowledged is known, that shard's reads go to its primary. Servers without CORRAL OFFSET
   * (Redis): reads of a shard this client wrote to go to its primary from then on.
   *
   * Failover: when the topology shows a different primary for a shard, its token is reset (old
   * offsets are not used: PSYNC2 keeps them comparable, but the writes behind them may have been
   * lost) and re-seeded with the new primary's CORRAL OFFSET, its reads going to the new primary
   * until that answers; so reads from its replicas see at least what the new primary had when
   * the client switched to it. A write acknowledged by the old primary and lost in the failover
   * is not seen anywhere, primary reads included.
   *
   * Scope: writes the caller saw acknowledged (their promise resolved) before issuing the read;
   * a read issued in the same turn as a write, without awaiting it, is not ordered after it.
   */
  readYourWrites?: boolean;
  /**
   * How long a replica may wait, ms, to reach the session token before answering STALE (the
   * read then goes to the primary). Default 50. Reads behind the wait on the same replica
   * connection wait with it; keep it well under commandTimeout.
   */
  ryWaitMs?: number;
  /**
   * Follow topology changes as they happen (default true): one extra connection, to any node
   * (re-made to another node, with backoff, when it drops), sends `CORRAL WATCHTOPOLOGY` and
   * refreshes the slot map (CLUSTER SLOTS, single-flight) whenever a frame carries an epoch
   * higher than the last one seen, its first frame included (which closes the gap between
   * discovery and subscription at the cost of one CLUSTER SLOTS). Without it the client still
   * follows a failover, later: on MOVED, a lost connection, CLUSTERDOWN or READONLY. A server
   * that does not know the command (Redis Cluster) means no subscription, silently. Only in
   * cluster mode.
   */
  topologyPush?: boolean;
  /**
   * When the commands collected from the current turn are written. 'immediate' (default):
   * setImmediate, after every I/O callback of this loop iteration, so the callers woken by all
   * of the iteration's reads share one write per node. 'microtask': as soon as the current
   * synchronous code and the promise continuations queued before the flush have run (smaller
   * batches). Measured with bench/client-bench.ts against a 3-node Redis Cluster on 2 cores,
   * 'immediate' was faster at every concurrency tried (GET: 1.16x at 1 caller, 2x at 20,
   * 1.2x at 200).
   */
  flush?: 'microtask' | 'immediate';
  /**
   * An in-process cache of GET replies kept coherent by CLIENT TRACKING (near-cache.ts, and
   * docs/cache.md "Near-cache"): `{ maxBytes, keys: 'hot' | 'all' | (key) => boolean, ttl }`.
   * Off by default (no extra work per command then).
   */
  nearCache?: NearCacheOptions;
  /** For tests. */
  clock?: Clock;
  timers?: Timers;
  random?: () => number;
}

export interface Resolved {
  seeds: NodeAddress[];
  username?: string;
  password?: string;
  tls?: TlsConnectionOptions;
  commandTimeout: number;
  connectTimeout: number;
  maxRedirects: number;
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  offlineQueueLimit: number;
  readFrom: 'primary' | 'replica' | 'nearest';
  /** Replica reads for hot keys only (readFrom 'primary'), or null. */
  hotReadsFrom: 'replica' | 'nearest' | null;
  hotReadsMinRate: number;
  readYourWrites: boolean;
  ryWaitMs: number;
  topologyPush: boolean;
  flush: 'microtask' | 'immediate';
  nearCache: NearCacheOptions | null;
  clock: Clock;
  timers: Timers;
  random: () => number;
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

function nonNegative(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !(v >= 0)) throw new TypeError(`${name} must be a non-negative number`);
  return v;
}

export function resolveOptions(o: ClientOptions): Resolved {
  if (!Array.isArray(o.nodes) || o.nodes.length === 0) throw new TypeError('nodes: at least one "host:port" is required');
  const readFrom = o.readFrom ?? 'primary';
  if (readFrom !== 'primary' && readFrom !== 'replica' && readFrom !== 'nearest') {
    throw new TypeError(`readFrom must be 'primary', 'replica' or 'nearest'`);
  }
  const hotReadsFrom = o.hotReadsFrom ?? null;
  if (hotReadsFrom !== null && hotReadsFrom !== 'replica' && hotReadsFrom !== 'nearest') throw new TypeError(`hotReadsFrom must be 'replica' or 'nearest'`);
  if (hotReadsFrom !== null && readFrom !== 'primary') throw new TypeError(`hotReadsFrom applies with readFrom 'primary' only (readFrom '${readFrom}' reads every key from replicas)`);
  for (const name of ['readYourWrites', 'topologyPush'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean') throw new TypeError(`${name} must be a boolean`);
  }
  return {
    seeds: o.nodes.map(parseAddress),
    username: o.username,
    password: o.password,
    tls: o.tls === true ? {} : o.tls === false ? undefined : o.tls,
    commandTimeout: nonNegative('commandTimeout', o.commandTimeout, 5000),
    connectTimeout: nonNegative('connectTimeout', o.connectTimeout, 5000),
    maxRedirects: nonNegative('maxRedirects', o.maxRedirects, 5),
    attempts: nonNegative('retry.attempts', o.retry?.attempts, 3),
    baseDelayMs: nonNegative('retry.baseDelayMs', o.retry?.baseDelayMs, 50),
    maxDelayMs: nonNegative('retry.maxDelayMs', o.retry?.maxDelayMs, 2000),
    offlineQueueLimit: nonNegative('offlineQueueLimit', o.offlineQueueLimit, 10000),
    readFrom,
    hotReadsFrom,
    hotReadsMinRate: nonNegative('hotReadsMinRate', o.hotReadsMinRate, 1000),
    readYourWrites: (readFrom !== 'primary' || hotReadsFrom !== null) && o.readYourWrites !== false,
    ryWaitMs: Math.floor(nonNegative('ryWaitMs', o.ryWaitMs, 50)),
    topologyPush: o.topologyPush !== false,
    flush: o.flush ?? 'immediate',
    nearCache: o.nearCache ?? null,
    clock: o.clock ?? { now: Date.now },
    timers: o.timers ?? defaultTimers,
    random: o.random ?? Math.random,
  };
}

/** Full-jitter exponential backoff: uniform in [0, min(max, base * 2^attempt)). */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
  return Math.floor(random() * cap);
}
