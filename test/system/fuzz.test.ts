// System test: the structure-aware RESP fuzzer (bench/fuzz.ts runFuzz) against a corral node in a
// child process (150,000 frames) and against a 3-node corral cluster of child processes (50,000
// frames), fixed seeds: no node may die or stop answering PING, write an exception to its
// output, or grow past the RSS bound, and the witness client's SET/GET round trips must all be
// answered exactly right while the fuzz connections run. Frame counts, not times, are asserted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz, type FuzzResult } from '../../bench/fuzz.js';

function assertSurvived(r: FuzzResult, frames: number): void {
  const detail = JSON.stringify({ ...r, lastFrames: undefined });
  assert.deepEqual(r.crashes, [], detail);
  assert.deepEqual(r.exceptions, [], detail);
  assert.deepEqual(r.witnessFailures, [], detail);
  assert.equal(r.stalls, 0, detail);
  assert.equal(r.frames, frames, detail);
  assert.ok(r.witnessChecks > 0, detail);
  assert.ok(r.reconnects > 0, `protocol errors must have closed some connections: ${detail}`);
  assert.ok(r.peakRssMb > 0 && r.peakRssMb <= r.rssBoundMb, detail);
  assert.equal(r.ok, true, detail);
}

test('fuzz: a single corral node survives 150,000 fuzzed frames over 16 connections', { timeout: 120_000 }, async () => {
  const r = await runFuzz({ frames: 150_000, connections: 16, seed: 20261205n, rssBoundMb: 512, log: () => undefined });
  assertSurvived(r, 150_000);
});

test('fuzz: a 3-node corral cluster survives 50,000 fuzzed frames over 12 connections', { timeout: 120_000 }, async () => {
  const r = await runFuzz({ frames: 50_000, connections: 12, seed: 7n, cluster: true, rssBoundMb: 512, log: () => undefined });
  assertSurvived(r, 50_000);
});
