// What the client core (cluster-client.ts) does with an error reply or a lost command: pure
// decisions, no I/O.
//
// Redirects. MOVED and ASK (topology.ts parseRedirect) send the command to another node; the core
// applies them. Anything else a command cannot be redirected by fails it.
//
// Retries. TRYAGAIN, CLUSTERDOWN and READONLY are retried (after the core's backoff, at most
// retry.attempts times, as connection errors are). CLUSTERDOWN (a primary that lost its write
// lease, or paused for a failover) and READONLY (a write that reached a demoted primary) also
// refresh the map: the shard may have a new primary. READONLY outside cluster mode fails. LOADING
// from a replica sends the read to the primary. Internal commands are never retried or redirected.
//
// A command without a reply when its connection died may have run on the node already: it is
// re-sent only if it never could have reached the node (the socket never connected) or running it
// twice is harmless (command.ts safeToResend); INCR and its like fail with ConnectionError instead
// of risking a double increment.

import { Access, safeToResend, type Command } from './command.js';
import { ClusterDownError, ReplyError } from './errors.js';
import { parseRedirect, type NodeAddress } from './topology.js';

/** What to do with a command answered by an error. */
export type ErrorStep =
  /** Re-send it where the redirect says (`to.host` '' means the host of the node that answered). */
  | { kind: 'redirect'; ask: boolean; slot: number; to: NodeAddress }
  /** Retry it after a backoff, failing with `error` if out of attempts; refresh the map first if asked. */
  | { kind: 'retry'; error: Error; refresh: boolean }
  /** A replica read: send it to the primary. */
  | { kind: 'primary' }
  /** Fail it with the error reply. */
  | { kind: 'fail' };

const FAIL: ErrorStep = { kind: 'fail' };
const PRIMARY: ErrorStep = { kind: 'primary' };

/** The step for an error reply `msg` to `cmd`; `cluster`: the client is in cluster mode. */
export function errorStep(msg: string, cmd: Command, cluster: boolean): ErrorStep {
  if (cmd.internal) return FAIL;
  const c = msg.charCodeAt(0);
  if (c === 77 /* M */ || c === 65 /* A */) {
    const r = parseRedirect(msg);
    return r === null ? FAIL : { kind: 'redirect', ask: r.ask, slot: r.slot, to: r.to };
  }
  if (msg.startsWith('TRYAGAIN')) return { kind: 'retry', error: new ReplyError(msg), refresh: false };
  // A fenced or paused primary: a failover may be under way; the refresh finds the new one.
  if (msg.startsWith('CLUSTERDOWN')) return { kind: 'retry', error: new ClusterDownError(msg), refresh: cluster };
  // A write reached a node that is a replica now: it did not run.
  if (msg.startsWith('READONLY') && cluster) return { kind: 'retry', error: new ReplyError(msg), refresh: true };
  // A replica in the middle of a full copy.
  if (msg.startsWith('LOADING') && cmd.access === Access.ReplicaRead) return PRIMARY;
  return FAIL;
}

/** Whether a command left without a reply by a lost connection may be sent again. */
export function mayResend(cmd: Command, everConnected: boolean): boolean {
  return !everConnected || cmd.internal || safeToResend(cmd.args);
}
