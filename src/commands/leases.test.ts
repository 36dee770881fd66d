// Unit tests of the lease commands (docs/leases.md) on a Store with a ManualClock: who wins a
// miss, who waits, stale values and their single refresher, tokens voided by writes (the
// stale-set race), lease expiry when a holder dies, and argument errors.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { leaseCommands } from './leases.js';
import { stringCommands } from './strings.js';
import { keyCommands } from './keys.js';
import { hashCommands } from './hashes.js';
import { commandHarness } from '../../test/support/command-harness.js';

function harness() {
  return commandHarness([...leaseCommands, ...stringCommands, ...keyCommands, ...hashCommands]);
}

type Row = [{ simple: string }, string | null, string | null, number];

describe('CACHE.GET on a miss', () => {
  test('exactly one caller wins the lease; the others wait for its remaining time', () => {
    const { run, clock } = harness();
    const [status, value, token, ms] = run('CACHE.GET', 'k', '5000') as Row;
    assert.deepEqual([status, value, ms], [{ simple: 'MISS_WON' }, null, 5000]);
    assert.match(token!, /^\d+$/);
    clock.advance(1200);
    assert.deepEqual(run('CACHE.GET', 'k', '5000'), [{ simple: 'MISS_WAIT' }, null, null, 3800]);
    assert.deepEqual(run('CACHE.GET', 'k', '100'), [{ simple: 'MISS_WAIT' }, null, null, 3800]);
    assert.equal(run('CACHE.SET', 'k', 'v', token!, '60000'), 1);
    assert.equal(run('CACHE.GET', 'k', '5000'), 'v', 'a fresh hit is the bare value, as GET');
    assert.equal(run('CACHE.SET', 'k', 'w', token!, '60000'), 0, 'a lease is used once');
  });

  test('a lease whose holder died expires, and the next caller wins a new one', () => {
    const { run, clock } = harness();
    const first = (run('CACHE.GET', 'k', '1000') as Row)[2]!;
    clock.advance(1000);
    const [status, , second] = run('CACHE.GET', 'k', '1000') as Row;
    assert.deepEqual(status, { simple: 'MISS_WON' });
    assert.notEqual(second, first);
    assert.equal(run('CACHE.SET', 'k', 'late', first, '1000'), 0, 'the dead holder cannot set');
    assert.equal(run('CACHE.SET', 'k', 'v', second!, '1000'), 1);
  });
});

describe('the stale-set race', () => {
  test('an invalidation during a slow load voids its lease: the old value is never written', () => {
    const { run } = harness();
    const token = (run('CACHE.GET', 'price', '5000') as Row)[2]!;
    // ... the loader reads the old row; meanwhile the row changes and the app invalidates.
    assert.equal(run('CACHE.INVALIDATE', 'price'), 0);
    assert.equal(run('CACHE.SET', 'price', 'old', token, '60000'), 0);
    assert.equal(run('GET', 'price'), null);
    const [status, , fresh] = run('CACHE.GET', 'price', '5000') as Row;
    assert.deepEqual(status, { simple: 'MISS_WON' });
    assert.equal(run('CACHE.SET', 'price', 'new', fresh!, '60000'), 1);
    assert.equal(run('GET', 'price'), 'new');
  });

  test('any other write to the key voids the lease too: DEL, SET, EXPIRE, FLUSHALL', () => {
    const { run } = harness();
    for (const write of [['DEL', 'k'], ['SET', 'k', 'x'], ['FLUSHALL']]) {
      run('DEL', 'k');
      const token = (run('CACHE.GET', 'k', '5000') as Row)[2]!;
      run(...write);
      assert.equal(run('CACHE.SET', 'k', 'old', token, '1000'), 0, write.join(' '));
    }
    run('SET', 'k', 'v');
    const token = run('CACHE.LEASE', 'k', '5000') as string;
    run('EXPIRE', 'k', '100');
    assert.equal(run('CACHE.SET', 'k', 'old', token, '1000'), 0, 'EXPIRE');
  });
});

describe('stale values', () => {
  test('past its TTL a value set with GRACE is stale: served to all, refreshed by one', () => {
    const { run, clock } = harness();
    const token = (run('CACHE.GET', 'k', '5000') as Row)[2]!;
    assert.equal(run('CACHE.SET', 'k', 'v1', token, '1000', 'GRACE', '4000'), 1);
    assert.equal(run('CACHE.GET', 'k', '5000'), 'v1');
    assert.equal(run('PTTL', 'k'), 5000);
    clock.advance(1500);
    const [status, value, refresh, left] = run('CACHE.GET', 'k', '5000') as Row;
    assert.deepEqual([status, value, left], [{ simple: 'STALE_WON' }, 'v1', 3500]);
    assert.deepEqual(run('CACHE.GET', 'k', '5000'), [{ simple: 'STALE' }, 'v1', null, 3500]);
    // The stale copy expiring by TTL does not void the refresher's lease.
    clock.advance(3500);
    assert.equal(run('GET', 'k'), null);
    assert.equal(run('CACHE.SET', 'k', 'v2', refresh!, '1000'), 1);
    assert.equal(run('CACHE.GET', 'k', '5000'), 'v2');
  });

  test('CACHE.INVALIDATE with GRACE marks stale now, keeps the value readable, one refresher', () => {
    const { run, clock } = harness();
    run('SET', 'k', 'v1');
    assert.equal(run('CACHE.GET', 'k', '5000'), 'v1');
    assert.equal(run('CACHE.INVALIDATE', 'k', 'GRACE', '2000'), 1);
    const [status, value, token, left] = run('CACHE.GET', 'k', '5000') as Row;
    assert.deepEqual([status, value, left], [{ simple: 'STALE_WON' }, 'v1', 2000]);
    assert.deepEqual((run('CACHE.GET', 'k', '5000') as Row)[0], { simple: 'STALE' });
    clock.advance(2000);
    assert.deepEqual((run('CACHE.GET', 'k', '5000') as Row)[0], { simple: 'MISS_WAIT' }, 'the refresher still holds the lease');
    assert.equal(run('CACHE.SET', 'k', 'v2', token!, '1000'), 1);
  });

  test('a plain SET makes a stale key fresh again', () => {
    const { run, clock } = harness();
    const token = (run('CACHE.GET', 'k', '5000') as Row)[2]!;
    run('CACHE.SET', 'k', 'v1', token, '1000', 'GRACE', '1000');
    clock.advance(1500);
    run('SET', 'k', 'v2');
    assert.equal(run('CACHE.GET', 'k', '5000'), 'v2');
  });
});

describe('CACHE.LEASE (early refresh)', () => {
  test('grants the lease on a fresh key once; the holder refreshes the value', () => {
    const { run } = harness();
    run('SET', 'k', 'v1', 'PX', '10000');
    const token = run('CACHE.LEASE', 'k', '5000') as string;
    assert.match(token, /^\d+$/);
    assert.equal(run('CACHE.LEASE', 'k', '5000'), null);
    assert.equal(run('CACHE.GET', 'k', '5000'), 'v1', 'readers keep getting the value');
    assert.equal(run('CACHE.SET', 'k', 'v2', token, '10000'), 1);
    assert.equal(run('GET', 'k'), 'v2');
  });
});

describe('errors and accounting', () => {
  test('bad numbers, a bad GRACE, a wrong type', () => {
    const { run } = harness();
    const NOT_INT = { error: 'ERR value is not an integer or out of range' };
    assert.deepEqual(run('CACHE.GET', 'k', '0'), NOT_INT);
    assert.deepEqual(run('CACHE.GET', 'k', 'x'), NOT_INT);
    assert.deepEqual(run('CACHE.GET', 'k', '86400001'), NOT_INT);
    assert.deepEqual(run('CACHE.LEASE', 'k', '-1'), NOT_INT);
    assert.deepEqual(run('CACHE.SET', 'k', 'v', '1', '0'), NOT_INT);
    assert.deepEqual(run('CACHE.SET', 'k', 'v', '1', '10', 'GRACE'), { error: 'ERR syntax error' });
    assert.deepEqual(run('CACHE.SET', 'k', 'v', '1', '10', 'GRACE', '-5'), NOT_INT);
    assert.deepEqual(run('CACHE.SET', 'k', 'v', '1', '10', 'NOPE', '5'), { error: 'ERR syntax error' });
    assert.deepEqual(run('CACHE.INVALIDATE', 'k', 'GRACE', 'x'), NOT_INT);
    run('HSET', 'h', 'f', 'v');
    assert.deepEqual(run('CACHE.GET', 'h', '100'), { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' });
    assert.equal(run('CACHE.INVALIDATE', 'h', 'GRACE', '100'), 1, 'a non-string is deleted');
    assert.equal(run('EXISTS', 'h'), 0);
  });

  test('leases are charged to used memory and given back', () => {
    const { run, store, clock } = harness();
    const before = store.usedMemory;
    for (let i = 0; i < 100; i++) run('CACHE.GET', `k${i}`, '1000');
    assert.ok(store.usedMemory > before + 100 * 100);
    clock.advance(1000);
    store.activeExpireCycle(10);
    assert.equal(store.usedMemory, before, 'expired leases swept');
  });
});
