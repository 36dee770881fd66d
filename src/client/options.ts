// Client options: what createClient accepts, the defaults, and the backoff rule for retries
// (exponential with full jitter). Timers, clock and randomness are injectable so tests can drive
// retries and timeouts without waiting on wall-clock time.

import type { Clock } from '../util/clock.js';
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
  /** Per-command timeout, ms, from the call to the reply, retries included (default 5000). */
  commandTimeout?: number;
  /** Per-connection connect timeout, ms (default 5000). */
  connectTimeout?: number;
  /** MOVED/ASK redirects followed per command (default 5). */
  maxRedirects?: number;
  retry?: RetryOptions;
  /** Commands that may wait for a connection or a topology (default 10000). */
  offlineQueueLimit?: number;
  /** Reads go to primaries; the only mode so far (replica reads are not implemented). */
  readFrom?: 'primary';
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
  /** For tests. */
  clock?: Clock;
  timers?: Timers;
  random?: () => number;
}

export interface Resolved {
  seeds: NodeAddress[];
  username?: string;
  password?: string;
  commandTimeout: number;
  connectTimeout: number;
  maxRedirects: number;
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  offlineQueueLimit: number;
  flush: 'microtask' | 'immediate';
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
  if (o.readFrom !== undefined && o.readFrom !== 'primary') throw new TypeError(`readFrom: only 'primary' is supported`);
  return {
    seeds: o.nodes.map(parseAddress),
    username: o.username,
    password: o.password,
    commandTimeout: nonNegative('commandTimeout', o.commandTimeout, 5000),
    connectTimeout: nonNegative('connectTimeout', o.connectTimeout, 5000),
    maxRedirects: nonNegative('maxRedirects', o.maxRedirects, 5),
    attempts: nonNegative('retry.attempts', o.retry?.attempts, 3),
    baseDelayMs: nonNegative('retry.baseDelayMs', o.retry?.baseDelayMs, 50),
    maxDelayMs: nonNegative('retry.maxDelayMs', o.retry?.maxDelayMs, 2000),
    offlineQueueLimit: nonNegative('offlineQueueLimit', o.offlineQueueLimit, 10000),
    flush: o.flush ?? 'immediate',
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
