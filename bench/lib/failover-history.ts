// bench/lib/failover-history.ts — counting the acknowledged writes lost in one kill with
// test/support/history.ts (lostWrites, countOps, summary), from the loss writers' records
// (failover-writers.ts) and the values read back after recovery.
//
// Mapping to history.ts's WriteOp: every write goes to a fresh key (one writer, one value per
// key), so each key is its own register and any acknowledged write whose key does not hold its
// value after recovery counts as lost; writing on to the same keys after the failover would hide
// the loss of the writes before it behind newer values. outcome 'ok' when SET replied OK, else
// 'unknown' (a timeout or lost connection may have run, and the client's internal retries mean a
// final error reply does not prove the first attempt failed); acked 'wait' when WAIT 1 confirmed a
// replica (and the client did not redirect/retry/refresh meanwhile), else 'plain'. node: where
// the client routed the slot when the reply came. Times: ms relative to the kill, one clock
// (performance.now() of this process).
//
// The plain loops and the WAIT loops are checked separately (each with the final state of its
// own keys): lost/kill "plain" is the plain loops' OK-acked writes lost, "WAIT" the WAIT loops'
// WAIT-acked writes lost; the WAIT loops' writes acked only by OK are counted apart.

import { countOps, lostWrites, summary, type WriteOp } from '../../test/support/history.js';
import type { WriteRecord } from './failover-writers.js';

export interface LossCounts {
  /** Plain loops: writes acked by OK, and how many of those are gone after recovery. */
  plainAcked: number;
  plainLost: number;
  /** WAIT loops: writes acked by WAIT >= 1, and how many of those are gone. */
  waitAcked: number;
  waitLost: number;
  /** WAIT loops: SET replied OK but WAIT did not confirm a replica (or was not trusted). */
  waitOkOnly: number;
  waitOkOnlyLost: number;
  /** WAIT loops: the pair was in flight across a redirect/retry/refresh, so WAIT was not trusted. */
  waitUntrusted: number;
  /** Writes without a reply (timeout, connection lost) whose value is there anyway (not a loss). */
  unknownSurvived: number;
  /** Must be 0: keys holding a value never written to them. */
  corrupt: number;
  /** history.ts's summary() of the kill's history (counts, findings, verdict). */
  text: string;
}

export function toHistory(records: readonly WriteRecord[], slot: number): WriteOp[] {
  return records.map((r) => ({
    kind: 'write',
    client: r.key.split(':').slice(-2, -1)[0] ?? 'writer',
    key: r.key,
    value: r.value,
    start: r.start,
    end: r.end,
    outcome: r.ok ? 'ok' : 'unknown',
    acked: r.waitAcked ? 'wait' : 'plain',
    node: r.node,
    slot,
  }));
}

function finalOf(records: readonly WriteRecord[], final: ReadonlyMap<string, string | null>): Map<string, string | null> {
  return new Map(records.map((r) => [r.key, final.get(r.key) ?? null]));
}

/** Counts lost acknowledged writes, plain and WAIT (see the file comment). */
export function countLost(records: readonly WriteRecord[], final: ReadonlyMap<string, string | null>, slot: number): LossCounts {
  const plain = records.filter((r) => r.kind === 'plain');
  const wait = records.filter((r) => r.kind === 'wait');
  const p = lostWrites(toHistory(plain, slot), finalOf(plain, final));
  const w = lostWrites(toHistory(wait, slot), finalOf(wait, final));
  const all = toHistory(records, slot);
  return {
    plainAcked: p.ackedPlain,
    plainLost: p.lostPlain,
    waitAcked: w.ackedWait,
    waitLost: w.lostWait,
    waitOkOnly: w.ackedPlain,
    waitOkOnlyLost: w.lostPlain,
    waitUntrusted: wait.filter((r) => r.ok && !r.waitTrusted).length,
    unknownSurvived: p.unknownSurvived + w.unknownSurvived,
    corrupt: p.corrupt + w.corrupt,
    text: summary({ ops: countOps(all), lost: lostWrites(all, finalOf(records, final)) }, { maxDetails: 3 }),
  };
}
