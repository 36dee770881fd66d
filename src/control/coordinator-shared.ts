// What both Coordinator backends (local-coordinator.ts, etcd-coordinator.ts) and the local
// coordinator's server share: the typed CoordinatorError every call rejects with, the member
// record's validator and its canonical JSON, and the TCP (or TLS) reachability check that their
// probe() starts with.

import type net from 'node:net';
import type tls from 'node:tls';
import { LINK_READY, dialLink } from '../util/link-security.js';
import type { MemberRecord } from './coordinator.js';

export type CoordinatorErrorCode =
  /** The coordinator could not be reached, or the connection broke with the call in flight. */
  | 'E_COORDINATOR_UNAVAILABLE'
  /** No answer within the call's deadline. */
  | 'E_COORDINATOR_TIMEOUT'
  /** The coordinator answered something this client does not understand, or an error. */
  | 'E_COORDINATOR_REPLY'
  /** The lease named in the call no longer exists at the coordinator. */
  | 'E_LEASE_LOST'
  /** The Coordinator was closed. */
  | 'E_COORDINATOR_CLOSED';

export class CoordinatorError extends Error {
  constructor(
    readonly code: CoordinatorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CoordinatorError';
  }
}

/** Validates an untrusted value (parsed JSON, or its text) as a member record; null if invalid. */
export function memberFromJson(input: unknown): MemberRecord | null {
  let v = input;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return null;
    }
  }
  const o = v as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) return null;
  if (typeof o.id !== 'string' || o.id === '' || typeof o.host !== 'string' || o.host === '' || typeof o.runId !== 'string') return null;
  if (!Number.isInteger(o.port) || (o.port as number) < 1 || (o.port as number) > 65535) return null;
  const m: MemberRecord = { id: o.id, host: o.host, port: o.port as number, runId: o.runId };
  if (typeof o.since === 'number' && Number.isFinite(o.since)) m.since = o.since;
  return m;
}

/** The JSON a member is stored as (fixed field order, so equal records have equal text). */
export function memberJson(m: MemberRecord): string {
  return JSON.stringify(m.since === undefined ? { id: m.id, host: m.host, port: m.port, runId: m.runId } : { id: m.id, host: m.host, port: m.port, runId: m.runId, since: m.since });
}

/**
 * TCP connect (and the TLS handshake, with tlsOptions): 'refused' on ECONNREFUSED, 'unreachable'
 * on timeout or another error.
 */
export function tcpReach(host: string, port: number, timeoutMs: number, tlsOptions?: tls.ConnectionOptions): Promise<net.Socket | 'refused' | 'unreachable'> {
  return new Promise((resolve) => {
    const socket = dialLink(host, port, tlsOptions === undefined ? undefined : { tls: tlsOptions });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('unreachable');
    }, timeoutMs);
    socket.once(LINK_READY, () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(err.code === 'ECONNREFUSED' ? 'refused' : 'unreachable');
    });
  });
}
