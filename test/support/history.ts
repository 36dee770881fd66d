// Test support: the history checker for failover runs, a Jepsen-style register checker simplified
// for a cache. It owns the operation record that test clients append to (WriteOp, ReadOp), the
// checks run on a finished history (lostWrites, overlappingPrimaries, overlappingLeases,
// staleReads, all of them through checkHistory) and summary(), the text used in assertion messages
// and in benchmark reports. It only reads histories: recording them is the test's job.
//
// Rules a history must follow (the checks throw HistoryError when they are broken, as a bug in
// the test rather than in corral):
// - Each key is written by one client, with values unique for that key and issued in order
//   (e.g. key k gets "c1-1", "c1-2"...). A key's write order is the order of the writes' start
//   times (ties: order in the history), so a writer may pipeline but must record start when it
//   sends.
// - Times are milliseconds from ONE clock for the whole history, leaseWindow included. In one
//   process use performance.now() (monotonic); when several processes on one machine record into
//   one history, use Date.now() (shared wall clock; a clock step during the run can fake or hide
//   an interleaving, which toleranceMs absorbs if small). The checks only compare times with each
//   other, never with the current time.
// - outcome 'ok': the node replied success. 'fail': the node replied an error, so the write did
//   NOT happen (READONLY, MOVED, CLUSTERDOWN...). 'unknown': no reply (timeout, connection lost):
//   it may or may not have happened. acked 'wait' means SET replied OK and a following WAIT 1
//   confirmed a replica had it; a SET whose WAIT returned 0 is outcome 'ok', acked 'plain'.
// - Reads are recorded only when they got a reply. The final state is read after the cluster
//   healed and must hold every written key (null for a missing key). Keys must not expire or be
//   evicted during the run, or their loss is reported as lost writes.

/** Milliseconds from the history's single clock (see the header). */
export type Millis = number;
export type Outcome = 'ok' | 'fail' | 'unknown';

export interface WriteOp {
  kind: 'write';
  /** The writing client; one per key. */
  client: string;
  key: string;
  /** Unique among the key's writes. */
  value: string;
  start: Millis;
  end: Millis;
  outcome: Outcome;
  /** 'wait': WAIT 1 confirmed a replica had it (meaningful with outcome 'ok'). */
  acked: 'plain' | 'wait';
  /** "host:port" of the node that replied (or was sent the write). */
  node: string;
  slot: number;
  /** The primary lease the acknowledging node held for the slot, in the history's clock. */
  leaseWindow?: readonly [Millis, Millis];
}

export interface ReadOp {
  kind: 'read';
  client?: string;
  key: string;
  value: string | null;
  start: Millis;
  end: Millis;
  node: string;
}

export type Op = WriteOp | ReadOp;
export type History = readonly Op[];

/** A history that breaks the rules in the header: a bug in the test. */
export class HistoryError extends Error {
  override name = 'HistoryError';
}

// ---- lost writes ---------------------------------------------------------------------------

/** One key with something to report. */
export interface KeyLoss {
  key: string;
  final: string | null;
  /** Writes acknowledged 'ok' with WAIT that are newer than the final value (must be none). */
  lostWait: string[];
  /** Writes acknowledged 'ok' without WAIT that are newer than the final value (tolerated). */
  lostPlain: string[];
  /** The final value was never written to this key (must not happen). */
  corrupt: boolean;
  /** The final value is that of a write that failed (must not happen). */
  failedSurvived: boolean;
}

export interface LostWritesReport {
  /** Keys written. */
  keys: number;
  /** Writes acknowledged 'ok' with WAIT. */
  ackedWait: number;
  /** Writes acknowledged 'ok' without WAIT. */
  ackedPlain: number;
  /** Must be 0: an acknowledged, replicated write was lost. */
  lostWait: number;
  /** Tolerated (asynchronous replication): counted and reported. */
  lostPlain: number;
  /** Must be 0: keys whose final value was never written to them. */
  corrupt: number;
  /** Must be 0: keys whose final value is a write that failed. */
  failedSurvived: number;
  /** Informational: keys whose final value is a write of unknown outcome. */
  unknownSurvived: number;
  /** The keys with losses, corruption or a surviving failed write, in key order. */
  findings: KeyLoss[];
}

/**
 * For each key, the final value must be some write to that key not older than the newest write
 * acknowledged 'ok' with WAIT. Acknowledged writes newer than the final value are lost: with WAIT
 * they fail the check, plain ones are counted. A final value never written is corrupt.
 */
export function lostWrites(history: History, finalState: ReadonlyMap<string, string | null>): LostWritesReport {
  const byKey = writesByKey(history);
  const r: LostWritesReport = {
    keys: byKey.size, ackedWait: 0, ackedPlain: 0, lostWait: 0, lostPlain: 0, corrupt: 0, failedSurvived: 0, unknownSurvived: 0, findings: [],
  };
  for (const [key, value] of finalState) {
    if (!byKey.has(key) && value !== null) {
      r.corrupt++;
      r.findings.push({ key, final: value, lostWait: [], lostPlain: [], corrupt: true, failedSurvived: false });
    }
  }
  for (const [key, writes] of byKey) {
    for (const w of writes) {
      if (w.outcome === 'ok' && w.acked === 'wait') r.ackedWait++;
      else if (w.outcome === 'ok') r.ackedPlain++;
    }
    if (!finalState.has(key)) throw new HistoryError(`final state has no entry for written key ${JSON.stringify(key)}`);
    const final = finalState.get(key) ?? null;
    const at = final === null ? -1 : writes.findIndex((w) => w.value === final);
    const finding: KeyLoss = { key, final, lostWait: [], lostPlain: [], corrupt: at === -1 && final !== null, failedSurvived: false };
    if (finding.corrupt) r.corrupt++;
    else {
      finding.failedSurvived = at >= 0 && writes[at].outcome === 'fail';
      if (finding.failedSurvived) r.failedSurvived++;
      if (at >= 0 && writes[at].outcome === 'unknown') r.unknownSurvived++;
      for (const w of writes.slice(at + 1)) {
        if (w.outcome !== 'ok') continue;
        (w.acked === 'wait' ? finding.lostWait : finding.lostPlain).push(w.value);
      }
      r.lostWait += finding.lostWait.length;
      r.lostPlain += finding.lostPlain.length;
    }
    if (finding.corrupt || finding.failedSurvived || finding.lostWait.length + finding.lostPlain.length > 0) r.findings.push(finding);
  }
  r.findings.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return r;
}

// ---- two primaries -------------------------------------------------------------------------

/** A node's acknowledgements for one slot: how many and the span of their [start, end]. */
export interface NodeAcks { node: string; acks: number; first: Millis; last: Millis }

/** Two nodes accepting writes for one slot at once: `inner` acked between two acks of `outer`. */
export interface Interleaving {
  slot: number;
  outer: string;
  inner: string;
  /** The tightest witness: before.end < between.start and between.end < after.start. */
  before: WriteOp; between: WriteOp; after: WriteOp;
  /** How many of inner's acks for the slot fall between two of outer's. */
  count: number;
}

export interface PrimaryOverlapReport {
  /** Per slot with 'ok' writes, the nodes that acknowledged them, ordered by first ack. */
  slots: Array<{ slot: number; nodes: NodeAcks[] }>;
  /** Slots acknowledged by more than one node (a failover, clean or not). */
  multiNodeSlots: number;
  /** Must be empty. One entry per slot and ordered pair of nodes. */
  interleavings: Interleaving[];
}

export interface OverlapOptions {
  /** Gaps up to this many ms do not count as "before"/"after" (clock error). Default 0. */
  toleranceMs?: number;
}

/**
 * From the writes acknowledged 'ok': per slot, a node B whose ack falls strictly between two acks
 * of another node A (A's ack ended before B's started, and B's ended before A's next started) means
 * A and B both accepted writes as primary at once. A clean handover (A's acks, then only B's) is
 * not flagged. A legitimate failback (A, then B, then A again after B was demoted) is flagged too:
 * check such runs phase by phase.
 */
export function overlappingPrimaries(history: History, options: OverlapOptions = {}): PrimaryOverlapReport {
  const tol = options.toleranceMs ?? 0;
  const report: PrimaryOverlapReport = { slots: [], multiNodeSlots: 0, interleavings: [] };
  for (const [slot, writes] of okWritesBySlot(history)) {
    const byNode = groupBy(writes, (w) => w.node);
    const nodes = [...byNode].map(([node, ws]): NodeAcks => ({
      node, acks: ws.length, first: ws.reduce((m, w) => Math.min(m, w.start), Infinity), last: ws.reduce((m, w) => Math.max(m, w.end), -Infinity),
    }));
    nodes.sort((a, b) => a.first - b.first);
    report.slots.push({ slot, nodes });
    if (nodes.length < 2) continue;
    report.multiNodeSlots++;
    const sorted = new Map([...byNode].map(([n, ws]) => [n, { byEnd: [...ws].sort((a, b) => a.end - b.end), byStart: [...ws].sort((a, b) => a.start - b.start) }]));
    const found = new Map<string, Interleaving>();
    for (const b of writes) {
      for (const [outer, s] of sorted) {
        if (outer === b.node) continue;
        const i = partitionPoint(s.byEnd, (w) => w.end < b.start - tol) - 1; // outer's last ack before b
        const j = partitionPoint(s.byStart, (w) => w.start <= b.end + tol); // outer's first ack after b
        if (i < 0 || j >= s.byStart.length) continue;
        const id = `${outer}\n${b.node}`;
        const prev = found.get(id);
        const cand: Interleaving = { slot, outer, inner: b.node, before: s.byEnd[i], between: b, after: s.byStart[j], count: (prev?.count ?? 0) + 1 };
        if (prev === undefined || span(cand) < span(prev)) found.set(id, cand);
        else prev.count++;
      }
    }
    report.interleavings.push(...found.values());
  }
  report.slots.sort((a, b) => a.slot - b.slot);
  return report;
}

/** Two nodes whose lease windows for one slot overlap. */
export interface LeaseOverlap {
  slot: number;
  nodes: [string, string];
  /** First and last instant both held a lease, and the total overlap. */
  from: Millis; to: Millis; overlapMs: number;
  /** A write of each node whose windows overlap. */
  witnesses: [WriteOp, WriteOp];
}

export interface LeaseOverlapReport {
  /** 'ok' writes that carry a leaseWindow, and those that do not (not checked). */
  windows: number;
  withoutWindow: number;
  /** Must be empty: two nodes held the slot's primary lease at the same time. */
  overlaps: LeaseOverlap[];
  /** Must be empty: 'ok' writes whose [start, end] lies wholly outside their own lease window. */
  outsideWindow: WriteOp[];
}

/**
 * The lease variant: two different nodes' lease windows for one slot must not overlap at all (by
 * more than toleranceMs), whether or not their acks interleave, and each ack must overlap its own
 * window. Only 'ok' writes with a leaseWindow are considered.
 */
export function overlappingLeases(history: History, options: OverlapOptions = {}): LeaseOverlapReport {
  const tol = options.toleranceMs ?? 0;
  const report: LeaseOverlapReport = { windows: 0, withoutWindow: 0, overlaps: [], outsideWindow: [] };
  for (const [slot, writes] of okWritesBySlot(history)) {
    const leased = writes.filter((w) => w.leaseWindow !== undefined);
    report.windows += leased.length;
    report.withoutWindow += writes.length - leased.length;
    for (const w of leased) {
      const [from, to] = w.leaseWindow!;
      if (w.end < from - tol || w.start > to + tol) report.outsideWindow.push(w);
    }
    const merged = [...groupBy(leased, (w) => w.node)].map(([node, ws]) => ({ node, spans: mergeWindows(ws) }));
    for (let x = 0; x < merged.length; x++) {
      for (let y = x + 1; y < merged.length; y++) {
        let found: LeaseOverlap | null = null;
        for (const a of merged[x].spans) {
          for (const b of merged[y].spans) {
            const from = Math.max(a.from, b.from);
            const to = Math.min(a.to, b.to);
            if (to - from <= tol) continue;
            if (found === null) found = { slot, nodes: [merged[x].node, merged[y].node], from, to, overlapMs: 0, witnesses: [a.op, b.op] };
            found.from = Math.min(found.from, from);
            found.to = Math.max(found.to, to);
            found.overlapMs += to - from;
          }
        }
        if (found !== null) report.overlaps.push(found);
      }
    }
  }
  report.overlaps.sort((a, b) => a.slot - b.slot || a.from - b.from);
  return report;
}

// ---- reads ---------------------------------------------------------------------------------

export interface StaleReadsReport {
  reads: number;
  /** Informational: reads older than a write acknowledged before the read began... */
  stale: number;
  /** ...of which the newer write had been confirmed by WAIT. */
  staleAfterWait: number;
  /** Must be 0: a value never written to the key. */
  corrupt: number;
  /** Must be 0: a value whose write started after the read ended. */
  future: number;
  /** Must be 0: the value of a write that failed. */
  failedVisible: number;
  /** Up to 10 offending reads (corrupt, future, failed first, then stale). */
  examples: Array<{ read: ReadOp; problem: 'corrupt' | 'future' | 'failed' | 'stale' }>;
}

/**
 * Reads against the key's writes. A read is stale when some write acknowledged 'ok' before the
 * read began is newer than the value read; with asynchronous replication and replica reads that
 * is allowed, so stale reads are counted, not failed. Corrupt, future and failed values are not.
 */
export function staleReads(history: History): StaleReadsReport {
  // Per key: each value's position in write order, and over the 'ok' writes sorted by end, the
  // newest position (any ack, WAIT only) among those that ended by then. O(log n) per read.
  const index = new Map(
    [...writesByKey(history)].map(([key, writes]) => {
      const at = new Map(writes.map((w, i) => [w.value, i]));
      const byEnd = writes.filter((w) => w.outcome === 'ok').sort((x, y) => x.end - y.end);
      const newest: number[] = [];
      const newestWait: number[] = [];
      byEnd.forEach((w, i) => {
        newest.push(Math.max(newest[i - 1] ?? -1, at.get(w.value)!));
        newestWait.push(Math.max(newestWait[i - 1] ?? -1, w.acked === 'wait' ? at.get(w.value)! : -1));
      });
      return [key, { writes, at, byEnd, newest, newestWait }] as const;
    }),
  );
  const r: StaleReadsReport = { reads: 0, stale: 0, staleAfterWait: 0, corrupt: 0, future: 0, failedVisible: 0, examples: [] };
  const stale: ReadOp[] = [];
  for (const op of history) {
    if (op.kind !== 'read') continue;
    r.reads++;
    const k = index.get(op.key);
    const at = op.value === null ? -1 : (k?.at.get(op.value) ?? null);
    const bad = (problem: 'corrupt' | 'future' | 'failed') => {
      r[problem === 'failed' ? 'failedVisible' : problem]++;
      if (r.examples.length < 10) r.examples.push({ read: op, problem });
    };
    if (at === null) {
      bad('corrupt');
      continue;
    }
    if (k === undefined) continue; // null from a key never written
    if (at >= 0 && k.writes[at].start > op.end) bad('future');
    if (at >= 0 && k.writes[at].outcome === 'fail') bad('failed');
    const n = partitionPoint(k.byEnd, (w) => w.end < op.start);
    if (n > 0 && k.newest[n - 1] > at) {
      r.stale++;
      if (k.newestWait[n - 1] > at) r.staleAfterWait++;
      stale.push(op);
    }
  }
  for (const read of stale.slice(0, 10 - r.examples.length)) r.examples.push({ read, problem: 'stale' });
  return r;
}

// ---- all checks and the summary -------------------------------------------------------------

/** Writes by outcome (ok split by acknowledgement), and reads. */
export interface OpCounts { writes: number; ok: number; okWait: number; okPlain: number; fail: number; unknown: number; reads: number }

/** Counts the operations of a history. */
export function countOps(history: History): OpCounts {
  const c: OpCounts = { writes: 0, ok: 0, okWait: 0, okPlain: 0, fail: 0, unknown: 0, reads: 0 };
  for (const op of history) {
    if (op.kind === 'read') {
      c.reads++;
      continue;
    }
    c.writes++;
    c[op.outcome]++;
    if (op.outcome === 'ok' && op.acked === 'wait') c.okWait++;
    else if (op.outcome === 'ok') c.okPlain++;
  }
  return c;
}

/** Any subset of the reports; summary() and failuresOf() render what is there. */
export interface HistoryReports {
  ops?: OpCounts;
  lost?: LostWritesReport;
  primaries?: PrimaryOverlapReport;
  leases?: LeaseOverlapReport;
  stale?: StaleReadsReport;
}

export interface HistoryCheck extends Required<HistoryReports> {
  /** One line per must-be-zero count that is not; empty when ok. */
  failures: string[];
  ok: boolean;
}

/** Runs every check. */
export function checkHistory(history: History, finalState: ReadonlyMap<string, string | null>, options: OverlapOptions = {}): HistoryCheck {
  const reports = {
    ops: countOps(history),
    lost: lostWrites(history, finalState),
    primaries: overlappingPrimaries(history, options),
    leases: overlappingLeases(history, options),
    stale: staleReads(history),
  };
  const failures = failuresOf(reports);
  return { ...reports, failures, ok: failures.length === 0 };
}

/** The must-be-zero counts that are not zero, as short phrases. */
export function failuresOf(r: HistoryReports): string[] {
  const out: string[] = [];
  const must = (n: number, what: string) => void (n > 0 && out.push(`${n} ${what}`));
  if (r.lost !== undefined) {
    must(r.lost.lostWait, 'WAIT-acknowledged writes lost');
    must(r.lost.corrupt, 'keys with a final value never written');
    must(r.lost.failedSurvived, 'keys whose final value is a failed write');
  }
  if (r.primaries !== undefined) must(r.primaries.interleavings.length, 'interleaved primaries (slot, node pair)');
  if (r.leases !== undefined) {
    must(r.leases.overlaps.length, 'overlapping leases (slot, node pair)');
    must(r.leases.outsideWindow.length, 'acks outside their lease window');
  }
  if (r.stale !== undefined) {
    must(r.stale.corrupt, 'reads of values never written');
    must(r.stale.future, 'reads of values written later');
    must(r.stale.failedVisible, 'reads of failed writes');
  }
  return out;
}

/** The reports as text: counts, up to maxDetails findings per check, and a verdict line. */
export function summary(r: HistoryReports, options: { maxDetails?: number } = {}): string {
  const max = options.maxDetails ?? 5;
  const lines: string[] = [];
  const q = (v: string | null) => (v === null ? 'null' : JSON.stringify(v));
  const t = (x: number) => x.toFixed(1);
  const ack = (w: WriteOp) => `${w.node} acked ${q(w.value)} [${t(w.start)}, ${t(w.end)}]`;
  const more = (n: number) => (n > max ? [`  ... and ${n - max} more`] : []);
  const list = (vs: string[]) => vs.slice(0, max).map(q).join(', ') + (vs.length > max ? ` (+${vs.length - max} more)` : '');
  const o = r.ops;
  if (o !== undefined) lines.push(`history: ${o.writes} writes (ok ${o.ok}: WAIT ${o.okWait}, plain ${o.okPlain}; fail ${o.fail}; unknown ${o.unknown}), ${o.reads} reads`);
  if (r.lost !== undefined) {
    const l = r.lost;
    lines.push(
      `lost writes over ${l.keys} keys: WAIT-acked ${l.lostWait} of ${l.ackedWait} (must be 0); plain-acked ${l.lostPlain} of ${l.ackedPlain}; ` +
        `corrupt ${l.corrupt} (must be 0); failed surviving ${l.failedSurvived} (must be 0); unknown surviving ${l.unknownSurvived}`,
    );
    for (const f of l.findings.slice(0, max)) {
      const parts = [`final ${q(f.final)}`];
      if (f.corrupt) parts.push('never written');
      if (f.failedSurvived) parts.push('a failed write');
      if (f.lostWait.length > 0) parts.push(`lost WAIT ${list(f.lostWait)}`);
      if (f.lostPlain.length > 0) parts.push(`lost plain ${list(f.lostPlain)}`);
      lines.push(`  ${q(f.key)}: ${parts.join('; ')}`);
    }
    lines.push(...more(l.findings.length));
  }
  if (r.primaries !== undefined) {
    const p = r.primaries;
    lines.push(`primaries: ${p.slots.length} slots acked, ${p.multiNodeSlots} by more than one node; interleaved ${p.interleavings.length} (must be 0)`);
    for (const i of p.interleavings.slice(0, max)) {
      lines.push(`  slot ${i.slot}: ${ack(i.before)}, then ${ack(i.between)}, then ${ack(i.after)} (${i.count} acks of ${i.inner} inside ${i.outer}'s)`);
    }
    lines.push(...more(p.interleavings.length));
  }
  if (r.leases !== undefined) {
    const l = r.leases;
    if (l.windows === 0) lines.push(`leases: no lease windows recorded`);
    else {
      lines.push(
        `leases: ${l.windows} windows (${l.withoutWindow} ok writes without one); overlapping ${l.overlaps.length} (must be 0); ` +
          `acks outside their window ${l.outsideWindow.length} (must be 0)`,
      );
      for (const o of l.overlaps.slice(0, max)) {
        lines.push(`  slot ${o.slot}: ${o.nodes[0]} and ${o.nodes[1]} both held it within [${t(o.from)}, ${t(o.to)}], ${t(o.overlapMs)} ms in all`);
      }
      lines.push(...more(l.overlaps.length));
    }
  }
  if (r.stale !== undefined) {
    const s = r.stale;
    lines.push(
      `reads: ${s.reads}; stale ${s.stale} (after a WAIT-acked write ${s.staleAfterWait}); corrupt ${s.corrupt} (must be 0); ` +
        `from the future ${s.future} (must be 0); of failed writes ${s.failedVisible} (must be 0)`,
    );
    for (const e of s.examples.filter((x) => x.problem !== 'stale').slice(0, max)) {
      lines.push(`  ${e.problem}: ${q(e.read.key)} = ${q(e.read.value)} from ${e.read.node} [${t(e.read.start)}, ${t(e.read.end)}]`);
    }
  }
  const failures = failuresOf(r);
  lines.push(failures.length === 0 ? 'verdict: OK' : `verdict: FAIL (${failures.join('; ')})`);
  return lines.join('\n');
}

// ---- helpers -------------------------------------------------------------------------------

/** Each key's writes in write order; enforces one writer and unique values per key. */
function writesByKey(history: History): Map<string, WriteOp[]> {
  const byKey = groupBy(
    history.flatMap((op, i) => (op.kind === 'write' ? [{ w: op, i }] : [])),
    (x) => x.w.key,
  );
  const out = new Map<string, WriteOp[]>();
  for (const [key, list] of byKey) {
    list.sort((a, b) => a.w.start - b.w.start || a.i - b.i);
    const writers = new Set(list.map((x) => x.w.client));
    if (writers.size > 1) throw new HistoryError(`key ${JSON.stringify(key)} has ${writers.size} writers (${[...writers].join(', ')}); one per key`);
    const values = new Set(list.map((x) => x.w.value));
    if (values.size < list.length) throw new HistoryError(`key ${JSON.stringify(key)} was written the same value twice`);
    out.set(key, list.map((x) => x.w));
  }
  return out;
}

function okWritesBySlot(history: History): Map<number, WriteOp[]> {
  return groupBy(history.filter((op): op is WriteOp => op.kind === 'write' && op.outcome === 'ok'), (w) => w.slot);
}

function groupBy<T, K>(items: readonly T[], key: (x: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const x of items) {
    const list = m.get(key(x));
    if (list === undefined) m.set(key(x), [x]);
    else list.push(x);
  }
  return m;
}

/** The number of leading elements of `sorted` for which `pred` holds (pred true, then false). */
function partitionPoint<T>(sorted: readonly T[], pred: (x: T) => boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pred(sorted[mid])) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function span(i: Interleaving): number {
  return i.after.start - i.before.end;
}

/** A node's lease windows merged into disjoint spans, each with one write that carried it. */
function mergeWindows(writes: readonly WriteOp[]): Array<{ from: number; to: number; op: WriteOp }> {
  const ws = [...writes].sort((a, b) => a.leaseWindow![0] - b.leaseWindow![0]);
  const out: Array<{ from: number; to: number; op: WriteOp }> = [];
  for (const w of ws) {
    const [from, to] = w.leaseWindow!;
    const last = out[out.length - 1];
    if (last !== undefined && from <= last.to) last.to = Math.max(last.to, to);
    else out.push({ from, to, op: w });
  }
  return out;
}
