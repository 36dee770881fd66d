// resolveCall: call options over the cache's defaults, field by field, with validation.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveCall } from './options.js';

test('options: call fields override the defaults one by one; waitPoll merges per field; undefined takes the default', () => {
  const defaults = { ttl: 2000, grace: 1000, jitter: 0.2, tags: ['a'], waitPoll: { minDelay: 7, timeout: 900 } };
  const base = resolveCall(defaults, undefined, true);
  assert.equal(base.ttl, 2000);
  assert.equal(base.grace, 1000);
  assert.equal(base.jitter, 0.2);
  assert.deepEqual(base.tags, ['a']);
  assert.equal(base.waitMin, 7);
  assert.equal(base.waitMax, 50);
  assert.equal(base.waitTimeout, 900);
  assert.equal(base.negativeTtl, 2000);
  const o = resolveCall(defaults, { ttl: 30_000, grace: undefined, tags: [], version: 3, waitPoll: { maxDelay: 80 } }, true);
  assert.equal(o.ttl, 30_000);
  assert.equal(o.grace, 1000, 'undefined: the default');
  assert.equal(o.jitter, 0.2);
  assert.deepEqual(o.tags, []);
  assert.equal(o.version, '3');
  assert.equal(o.waitMin, 7);
  assert.equal(o.waitMax, 80);
  assert.equal(o.waitTimeout, 900);
  assert.equal(o.negativeTtl, 5000);
  assert.equal(o.leaseMs, 5000);
  assert.equal(o.beta, 1);
  assert.equal(o.staleOnError, true);
  assert.equal(resolveCall(defaults, { staleOnError: false }, true).staleOnError, false);
  assert.equal(resolveCall({}, { waitPoll: { minDelay: 100 } }, false).waitMax, 100, 'maxDelay at least minDelay');
});

test('options: validation of merged values', () => {
  assert.throws(() => resolveCall({}, undefined, true), /ttl is required/);
  assert.equal(Number.isNaN(resolveCall({}, undefined, false).ttl), true);
  assert.throws(() => resolveCall({ ttl: 1 }, { jitter: 1 }, true), /jitter/);
  assert.throws(() => resolveCall({ ttl: 1 }, { leaseMs: 0 }, true), TypeError);
  assert.throws(() => resolveCall({ ttl: 1 }, { grace: -1 }, true), TypeError);
  assert.throws(() => resolveCall({ ttl: 1 }, { tags: [''] }, true), /non-empty/);
  assert.throws(() => resolveCall({ ttl: 1 }, { ttl: null as unknown as number }, true), TypeError);
});
