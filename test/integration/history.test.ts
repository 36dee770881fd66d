// The failover history checker (test/support/history.ts) on hand-written histories: a clean
// failover, a lost plain write (counted, not failing), a lost WAIT write, corrupt values, failed
// writes that survive, two primaries interleaving (and the tolerance), a clean handover, lease
// windows, stale/future reads, malformed histories, and the summary text.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkHistory, lostWrites, overlappingLeases, overlappingPrimaries, staleReads, summary, HistoryError,
  type Op, type ReadOp, type WriteOp,
} from '../support/history.js';

const A = '127.0.0.1:7000';
const B = '127.0.0.1:7001';

/** A write: `value` is "client-n"; ok and WAIT-acknowledged unless o says otherwise. */
function w(key: string, value: string, start: number, node: string, o: Partial<WriteOp> = {}): WriteOp {
  return { kind: 'write', client: value.split('-')[0], key, value, start, end: start + 1, outcome: 'ok', acked: 'wait', node, slot: 1, ...o };
}

function r(key: string, value: string | null, start: number, node = A): ReadOp {
  return { kind: 'read', key, value, start, end: start + 1, node };
}

const final = (entries: Record<string, string | null>) => new Map(Object.entries(entries));

describe('lostWrites', () => {
  test('a clean failover: A acks, A dies (unknown, fail), B acks; nothing lost', () => {
    const h: Op[] = [
      w('k1', 'c1-1', 0, A), w('k1', 'c1-2', 2, A),
      w('k2', 'c2-1', 1, A, { acked: 'plain' }),
      w('k1', 'c1-3', 4, A, { outcome: 'unknown', end: 104 }), // the timeout that started it
      w('k1', 'c1-4', 110, B, { outcome: 'fail' }), // CLUSTERDOWN during the election
      w('k1', 'c1-5', 200, B), w('k1', 'c1-6', 202, B),
      w('k2', 'c2-2', 201, B, { outcome: 'unknown' }),
      r('k1', 'c1-6', 210, B), r('k2', 'c2-2', 211, B),
    ];
    const check = checkHistory(h, final({ k1: 'c1-6', k2: 'c2-2' }));
    assert.deepEqual(check.failures, []);
    assert.equal(check.ok, true);
    assert.deepEqual(check.ops, { writes: 8, ok: 5, okWait: 4, okPlain: 1, fail: 1, unknown: 2, reads: 2 });
    const { findings, ...counts } = check.lost;
    assert.deepEqual(counts, { keys: 2, ackedWait: 4, ackedPlain: 1, lostWait: 0, lostPlain: 0, corrupt: 0, failedSurvived: 0, unknownSurvived: 1 });
    assert.deepEqual(findings, []);
    assert.equal(check.primaries.multiNodeSlots, 1);
    assert.deepEqual(check.primaries.interleavings, []);
    assert.match(summary(check), /verdict: OK$/);
  });

  test('the final value may be an unknown-outcome write newer than the last acked one, or an older WAIT write after a lost unknown', () => {
    const h = [w('k', 'c1-1', 0, A), w('k', 'c1-2', 2, A, { outcome: 'unknown' })];
    assert.equal(lostWrites(h, final({ k: 'c1-2' })).unknownSurvived, 1);
    assert.equal(lostWrites(h, final({ k: 'c1-1' })).lostWait, 0);
  });

  test('a lost plain write (SET ok, WAIT 0) is counted and reported, not failed', () => {
    const h = [w('k', 'c1-1', 0, A), w('k', 'c1-2', 2, A), w('k', 'c1-3', 4, A, { acked: 'plain' }), w('j', 'c2-1', 1, A)];
    const check = checkHistory(h, final({ k: 'c1-2', j: 'c2-1' }));
    assert.equal(check.lost.lostPlain, 1);
    assert.equal(check.lost.lostWait, 0);
    assert.deepEqual(check.lost.findings, [{ key: 'k', final: 'c1-2', lostWait: [], lostPlain: ['c1-3'], corrupt: false, failedSurvived: false }]);
    assert.equal(check.ok, true);
    const text = summary(check);
    assert.match(text, /plain-acked 1 of 1/);
    assert.match(text, /"k": final "c1-2"; lost plain "c1-3"/);
    assert.match(text, /verdict: OK$/);
  });

  test('a lost WAIT write is flagged, and so is every newer acked write', () => {
    const h = [w('k', 'c1-1', 0, A), w('k', 'c1-2', 2, A), w('k', 'c1-3', 4, A, { acked: 'plain' })];
    const check = checkHistory(h, final({ k: 'c1-1' }));
    assert.equal(check.ok, false);
    assert.deepEqual(check.lost.findings[0].lostWait, ['c1-2']);
    assert.deepEqual(check.lost.findings[0].lostPlain, ['c1-3']);
    assert.deepEqual(check.failures, ['1 WAIT-acknowledged writes lost']);
    assert.match(summary(check), /verdict: FAIL \(1 WAIT-acknowledged writes lost\)/);
    const gone = lostWrites(h, final({ k: null }));
    assert.equal(gone.lostWait, 2, 'the key vanished: both WAIT writes lost');
  });

  test('a corrupt final value (never written to the key) is flagged, also on a key nobody wrote', () => {
    const h = [w('k', 'c1-1', 0, A), w('j', 'c2-1', 0, A)];
    const check = checkHistory(h, final({ k: 'c2-1', j: 'c2-1', other: 'x', empty: null }));
    assert.equal(check.lost.corrupt, 2);
    assert.deepEqual(check.lost.findings.map((f) => [f.key, f.corrupt]), [['k', true], ['other', true]]);
    assert.deepEqual(check.failures, ['2 keys with a final value never written']);
  });

  test('a write that failed must not be the final value', () => {
    const h = [w('k', 'c1-1', 0, A), w('k', 'c1-2', 2, A, { outcome: 'fail' })];
    const check = checkHistory(h, final({ k: 'c1-2' }));
    assert.equal(check.lost.failedSurvived, 1);
    assert.equal(check.ok, false);
  });

  test('a malformed history is a HistoryError: two writers, a repeated value, an unread key', () => {
    assert.throws(() => lostWrites([w('k', 'c1-1', 0, A), w('k', 'c2-1', 2, A)], final({ k: null })), HistoryError);
    assert.throws(() => lostWrites([w('k', 'c1-1', 0, A), w('k', 'c1-1', 2, A)], final({ k: null })), HistoryError);
    assert.throws(() => lostWrites([w('k', 'c1-1', 0, A)], final({})), /no entry for written key "k"/);
  });

  test('write order is start time, not position in the history', () => {
    const h = [w('k', 'c1-2', 2, A), w('k', 'c1-1', 0, A)];
    assert.equal(lostWrites(h, final({ k: 'c1-2' })).lostWait, 0);
    assert.equal(lostWrites(h, final({ k: 'c1-1' })).lostWait, 1);
  });
});

describe('overlappingPrimaries', () => {
  test('two primaries interleaving on one slot are flagged with the tightest witness', () => {
    const h = [
      w('a', 'c1-1', 0, A), w('a', 'c1-2', 10, A),
      w('b', 'c2-1', 12, B), // B promoted while A still accepts
      w('a', 'c1-3', 20, A), w('a', 'c1-4', 30, A),
    ];
    const rep = overlappingPrimaries(h);
    assert.equal(rep.interleavings.length, 1);
    const i = rep.interleavings[0];
    assert.deepEqual([i.slot, i.outer, i.inner, i.count], [1, A, B, 1]);
    assert.deepEqual([i.before.value, i.between.value, i.after.value], ['c1-2', 'c2-1', 'c1-3']);
    assert.deepEqual(rep.slots, [{ slot: 1, nodes: [{ node: A, acks: 4, first: 0, last: 31 }, { node: B, acks: 1, first: 12, last: 13 }] }]);
    const check = checkHistory(h, final({ a: 'c1-4', b: 'c2-1' }));
    assert.deepEqual(check.failures, ['1 interleaved primaries (slot, node pair)']);
    assert.match(summary(check), /slot 1: 127\.0\.0\.1:7000 acked "c1-2" \[10\.0, 11\.0\], then 127\.0\.0\.1:7001 acked "c2-1"/);
  });

  test('both directions: A inside B and B inside A are two findings', () => {
    const h = [w('a', 'c1-1', 0, A), w('b', 'c2-1', 2, B), w('a', 'c1-2', 4, A), w('b', 'c2-2', 6, B)];
    const rep = overlappingPrimaries(h);
    assert.deepEqual(rep.interleavings.map((i) => `${i.outer}>${i.inner}`).sort(), [`${A}>${B}`, `${B}>${A}`]);
  });

  test('a clean handover A then B is not flagged, even with acks overlapping in time at the switch', () => {
    const h = [
      w('a', 'c1-1', 0, A), w('a', 'c1-2', 2, A),
      w('a', 'c1-3', 4, A, { end: 9 }), // slow ack from A...
      w('b', 'c2-1', 5, B), // ...while B's first ack comes back: order unknown
      w('a', 'c1-4', 20, B), w('b', 'c2-2', 22, B),
    ];
    const rep = overlappingPrimaries(h);
    assert.equal(rep.multiNodeSlots, 1);
    assert.deepEqual(rep.interleavings, []);
    // A's only ack before B's overlaps it in time, so it may have come after B's: B then A, not A-B-A.
    const ambiguous = [w('a', 'c1-1', 3, A, { end: 9 }), w('b', 'c2-1', 5, B), w('a', 'c1-2', 20, A)];
    assert.deepEqual(overlappingPrimaries(ambiguous).interleavings, []);
  });

  test('interleaving on different slots is not two primaries; failed and unknown writes do not count', () => {
    const other = [w('a', 'c1-1', 0, A), w('b', 'c2-1', 2, B, { slot: 2 }), w('a', 'c1-2', 4, A)];
    assert.deepEqual(overlappingPrimaries(other).interleavings, []);
    const unacked = [w('a', 'c1-1', 0, A), w('b', 'c2-1', 2, B, { outcome: 'unknown' }), w('c', 'c3-1', 3, B, { outcome: 'fail' }), w('a', 'c1-2', 4, A)];
    assert.deepEqual(overlappingPrimaries(unacked).interleavings, []);
  });

  test('toleranceMs ignores gaps no larger than the tolerance', () => {
    const h = [w('a', 'c1-1', 0, A), w('b', 'c2-1', 2, B), w('a', 'c1-2', 4, A)]; // gaps of 1 ms
    assert.equal(overlappingPrimaries(h, { toleranceMs: 0.5 }).interleavings.length, 1);
    assert.equal(overlappingPrimaries(h, { toleranceMs: 1 }).interleavings.length, 0);
  });
});

describe('overlappingLeases', () => {
  test('overlapping lease windows of two nodes on one slot are flagged even without interleaved acks', () => {
    const h = [
      w('a', 'c1-1', 0, A, { leaseWindow: [0, 10] }), w('a', 'c1-2', 8, A, { leaseWindow: [8, 18] }),
      w('b', 'c2-1', 20, B, { leaseWindow: [15, 25] }), // B's lease starts before A's ends
    ];
    assert.deepEqual(overlappingPrimaries(h).interleavings, []);
    const rep = overlappingLeases(h);
    assert.equal(rep.windows, 3);
    assert.equal(rep.overlaps.length, 1);
    const o = rep.overlaps[0];
    assert.deepEqual([o.slot, o.nodes, o.from, o.to, o.overlapMs], [1, [A, B], 15, 18, 3]);
    assert.deepEqual(o.witnesses.map((x) => x.value), ['c1-1', 'c2-1']);
    assert.equal(overlappingLeases(h, { toleranceMs: 3 }).overlaps.length, 0);
  });

  test('back-to-back leases are clean; writes without a window are counted, not checked; acks outside the window are flagged', () => {
    const h = [
      w('a', 'c1-1', 0, A, { leaseWindow: [0, 10] }), w('b', 'c2-1', 12, B, { leaseWindow: [10, 20] }),
      w('c', 'c3-1', 5, B), // no window
    ];
    const rep = overlappingLeases(h);
    assert.deepEqual([rep.windows, rep.withoutWindow, rep.overlaps.length, rep.outsideWindow.length], [2, 1, 0, 0]);
    const late = overlappingLeases([w('a', 'c1-1', 30, A, { leaseWindow: [0, 10] })]);
    assert.deepEqual(late.outsideWindow.map((x) => x.value), ['c1-1']);
  });
});

describe('staleReads', () => {
  test('stale reads are counted; corrupt, future and failed values are flagged', () => {
    const h: Op[] = [
      w('k', 'c1-1', 0, A), w('k', 'c1-2', 10, A, { acked: 'plain' }), w('k', 'c1-3', 20, A), w('k', 'c1-4', 30, A, { outcome: 'fail' }),
      r('k', 'c1-2', 15), // current
      r('k', 'c1-1', 15, B), // stale: c1-2 (plain) acked before the read began
      r('k', 'c1-1', 25, B), // stale after a WAIT write (c1-3)
      { ...r('k', 'c1-3', 19.5), end: 21 }, // concurrent with c1-3's write [20, 21]: fine
      r('k', 'c1-3', 5), // the write of c1-3 started after this read ended
      r('k', 'zz', 40), // never written
      r('k', 'c1-4', 40), // a failed write
    ];
    const s = staleReads(h);
    assert.deepEqual(
      [s.reads, s.stale, s.staleAfterWait, s.corrupt, s.future, s.failedVisible],
      [7, 2, 1, 1, 1, 1],
    );
    assert.deepEqual(s.examples.filter((e) => e.problem !== 'stale').map((e) => [e.problem, e.read.value]).sort(), [['corrupt', 'zz'], ['failed', 'c1-4'], ['future', 'c1-3']]);
    const text = summary({ stale: s });
    assert.match(text, /reads: 7; stale 2 \(after a WAIT-acked write 1\)/);
    assert.match(text, /verdict: FAIL \(1 reads of values never written; 1 reads of values written later; 1 reads of failed writes\)/);
  });
});

describe('summary', () => {
  test('renders every report and caps the details', () => {
    const h: Op[] = [];
    for (let i = 0; i < 8; i++) h.push(w(`k${i}`, `c${i}-1`, 0, A), w(`k${i}`, `c${i}-2`, 2, A, { acked: 'plain' }));
    const fin = final(Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, `c${i}-1`])));
    const text = summary(checkHistory(h, fin), { maxDetails: 3 });
    assert.match(text, /^history: 16 writes \(ok 16: WAIT 8, plain 8; fail 0; unknown 0\), 0 reads$/m);
    assert.match(text, /lost writes over 8 keys: WAIT-acked 0 of 8 \(must be 0\); plain-acked 8 of 8/);
    assert.match(text, /\.\.\. and 5 more/);
    assert.match(text, /^leases: no lease windows recorded$/m);
    assert.match(text, /^verdict: OK$/m);
  });
});
