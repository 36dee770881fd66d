// Test support: the coherence checker for near-cache runs (test/system/near-cache.test.ts).
// Processes with near-caches read (GET) and write (INCR) overlapping keys and record every
// operation: key, start and end times (ms on the machine's monotonic clock, which the processes
// of one machine share: machine-clock.ts), and the value read or written. INCR
// makes each key's values increase in the order the node applied the writes, from any writer.
//
// The rule checked: a read must not return a value older than the last write acknowledged
// before the read began, beyond the near-cache's staleness bound. For a read R of key k that
// returned v, the writes of k acknowledged before R started (end < R.start) with a value > v are
// the writes R missed; R is late by R.start - (the earliest end among them): how long after the
// first missed write was acknowledged the read began. R is a violation if it is late by more
// than boundMs. A read of a value no write produced, or of a write that began only after the read
// ended, is a violation whatever the bound (a value from nowhere or from the future). Two writes
// of a key acknowledged with the same value are a 'duplicate' violation: a write was lost (the
// counter went back), which is the server's failure, not the near-cache's, and leaves the
// history unable to judge reads of that key.

export interface NearOp {
  kind: 'read' | 'write';
  key: string;
  /** ms on the shared clock: when the command was issued, and when its reply arrived. */
  start: number;
  end: number;
  /** The value read (0 for a missing key) or written (INCR's reply). */
  value: number;
  /** Which process (for messages). */
  proc: number;
}

export interface NearViolation {
  /** The read judged (for 'duplicate': the second write). */
  read: NearOp;
  /** The first missed write (or, for 'impossible', the write of the value read, if any). */
  write: NearOp | null;
  kind: 'stale' | 'impossible' | 'duplicate';
  lateMs: number;
}

export interface NearCheck {
  reads: number;
  writes: number;
  /** Reads that missed an acknowledged write (within the bound or not). */
  staleReads: number;
  /** The largest lateness seen, ms (0 when no read was stale). */
  maxLateMs: number;
  violations: NearViolation[];
}

export function checkNearHistory(ops: readonly NearOp[], boundMs: number): NearCheck {
  const byKey = new Map<string, { reads: NearOp[]; writes: NearOp[] }>();
  for (const op of ops) {
    let g = byKey.get(op.key);
    if (g === undefined) byKey.set(op.key, (g = { reads: [], writes: [] }));
    (op.kind === 'read' ? g.reads : g.writes).push(op);
  }
  const out: NearCheck = { reads: 0, writes: 0, staleReads: 0, maxLateMs: 0, violations: [] };
  for (const { reads, writes } of byKey.values()) {
    out.reads += reads.length;
    out.writes += writes.length;
    const byValue = new Map<number, NearOp>();
    for (const w of writes) {
      const twin = byValue.get(w.value);
      if (twin !== undefined) out.violations.push({ read: w, write: twin, kind: 'duplicate', lateMs: 0 });
      byValue.set(w.value, w);
    }
    for (const r of reads) {
      if (r.value !== 0) {
        const w = byValue.get(r.value);
        if (w === undefined || w.start > r.end) {
          out.violations.push({ read: r, write: w ?? null, kind: 'impossible', lateMs: 0 });
          continue;
        }
      }
      let first: NearOp | null = null;
      for (const w of writes) if (w.end < r.start && w.value > r.value && (first === null || w.end < first.end)) first = w;
      if (first === null) continue;
      const late = r.start - first.end;
      out.staleReads++;
      if (late > out.maxLateMs) out.maxLateMs = late;
      if (late > boundMs) out.violations.push({ read: r, write: first, kind: 'stale', lateMs: late });
    }
  }
  return out;
}

/** A violation in a line, for assertion messages. */
export function describeViolation(v: NearViolation): string {
  const r = v.read;
  if (v.kind === 'duplicate') return `duplicate: ${r.key}=${r.value} written by p${r.proc} at ${r.start.toFixed(2)} and by p${v.write!.proc} at ${v.write!.start.toFixed(2)} (a write was lost)`;
  const w = v.write;
  const wr = w === null ? 'no such write' : `write ${w.value} by p${w.proc} [${w.start.toFixed(2)}, ${w.end.toFixed(2)}]`;
  return `${v.kind}: p${r.proc} read ${r.key}=${r.value} [${r.start.toFixed(2)}, ${r.end.toFixed(2)}], ${wr}, late ${v.lateMs.toFixed(2)} ms`;
}
