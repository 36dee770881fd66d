// The byte throttle's arithmetic, on explicit times.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteThrottle } from './byte-throttle.js';

test('no limit: always allows', () => {
  const t = new ByteThrottle();
  t.spend(1e12);
  assert.equal(t.allows(0), true);
});

test('a rate lets through about rate bytes per second, in steps', () => {
  const t = new ByteThrottle();
  t.rate = 1024 * 1024; // 1 MiB/s: burst 64 KiB
  let sent = 0;
  // Simulate 1 s of 1 ms ticks, each step writing 16 KiB when allowed.
  const start = 1e6;
  t.allows(start);
  for (let ms = 1; ms <= 1000; ms++) {
    if (t.allows(start + ms)) {
      t.spend(16 * 1024);
      sent += 16 * 1024;
    }
  }
  assert.ok(sent >= 1024 * 1024 - 16 * 1024 && sent <= 1024 * 1024 + 80 * 1024, `sent ${sent}`);
});

test('a debt is paid back before the next step', () => {
  const t = new ByteThrottle();
  t.rate = 1000; // 1000 B/s, burst 64 KiB
  t.allows(0);
  t.spend(70_000);
  assert.equal(t.allows(1000), false, 'still ~69 KB in debt after 1 s');
  assert.equal(t.allows(80_000), true);
});

test('rejects a negative rate', () => {
  assert.throws(() => {
    new ByteThrottle().rate = -1;
  }, RangeError);
});

test('waitMs: 0 while bytes are left, else the time the refill takes to pay the debt back', () => {
  const t = new ByteThrottle();
  assert.equal(t.waitMs(0), 0, 'no limit: never waits');
  t.rate = 1000 * 1000; // 1 MB/s: 1,000 bytes a millisecond
  const start = 1e6;
  t.allows(start);
  assert.equal(t.waitMs(start), 0);
  t.spend(200 * 1000); // 64 KiB of burst at most, so ~135,000 bytes owed
  const wait = t.waitMs(start);
  assert.ok(wait > 130 && wait < 140, `wait ${wait}`);
  assert.equal(t.allows(start + wait - 1), false);
  assert.equal(t.allows(start + wait + 0.01), true);
});
