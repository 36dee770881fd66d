// The history the resharding checker records: writes and reads of registers, increments of
// counters, the errors the workload got, and the report of a phase.

import type { KillWindow } from './reshard-kills.js';

export type Outcome = 'ok' | 'unknown';

export interface Write {
  value: string;
  start: number;
  end: number;
  outcome: Outcome;
  /** SET ... PX: the expiry asked for (ms). */
  px?: number;
  /** The absolute expiry, when not [start + px, end + px] (a rebased value keeps its write's). */
  expiresAt?: readonly [number, number];
}

/** A register: one writer, unique values. A pair is two keys written by MSET and read by MGET. */
export interface Register {
  name: string;
  keys: string[];
  slot: number;
  ttl: boolean;
  writes: Write[];
  index: Map<string, number>;
}

export interface Read {
  reg: Register;
  values: Array<string | null>;
  start: number;
  end: number;
  client: string;
}

export interface Incr {
  start: number;
  end: number;
  outcome: Outcome;
  /** The replies (one per key); empty when unknown. */
  replies: number[];
  /** The raw client's: the port that answered, and the redirects and retries on the way. */
  node?: number;
  path?: string;
}

/** A counter: INCR on one key, or MULTI INCR INCR EXEC on a hash-tagged pair. */
export interface Counter {
  keys: string[];
  slot: number;
  ops: Incr[];
  /** ops already checked by a verify. */
  checked: number;
  /** The value the last verify found; what was counted since: acknowledged, unknown, at risk, in flight at a kill. */
  base: number;
  acked: number;
  unknown: number;
  risky: number;
  doubled: number;
  kills: Set<KillWindow>;
}

export interface WorkloadError {
  /** When the command was sent, and when it failed. */
  start: number;
  at: number;
  task: string;
  op: string;
  key: string;
  message: string;
  /** Explained by a kill: a non-idempotent command in flight on the killed primary's connection. */
  byKill?: string;
}

export interface PhaseReport {
  label: string;
  ops: Record<string, number>;
  reads: number;
  keys: number;
  /** Must be empty: the first finding of each key (up to 10 keys). */
  wrong: string[];
  wrongCount: number;
  wrongKeys: number;
  /** For the first keys found wrong: the slot, and when the write that went missing was acknowledged. */
  evidence: Array<{ key: string; slot: number; at: number }>;
  /** Documented losses within a kill window: counted, reported. */
  tolerated: string[];
  toleratedCount: number;
  /** Errors the workload got in this phase (all of them). */
  errors: WorkloadError[];
  /** Of which not explained by a kill (must be none). */
  unexplainedErrors: WorkloadError[];
  ttlDrift: { max: number; keys: number };
  text: string;
}
