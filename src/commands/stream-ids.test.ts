// Unit tests for stream ID parsing (Redis's string2ull and streamGenericParseIDOrReply rules),
// incr/decr at the edges, and the lag helpers over hand-built counters.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  INVALID_ENTRIES_READ,
  STREAM_ID_MAX,
  parseStreamId,
  parseUnsigned64,
  streamDecrID,
  streamEstimateDistanceFromFirstEverEntry,
  streamIncrID,
  streamParseID,
  streamRangeHasTombstones,
  type StreamCounters,
} from './stream-ids.js';
import { streamId } from '../store/stream-image.js';

const U64_MAX = (1n << 64n) - 1n;

describe('parseUnsigned64 (string2ull)', () => {
  test('accepts what string2ll or strtoull accept, whole', () => {
    assert.equal(parseUnsigned64('0'), 0n);
    assert.equal(parseUnsigned64('18446744073709551615'), U64_MAX);
    assert.equal(parseUnsigned64('007'), 7n);
    assert.equal(parseUnsigned64(' 5'), 5n);
    assert.equal(parseUnsigned64('+5'), 5n);
    assert.equal(parseUnsigned64('-0'), 0n);
  });
  test('refuses negatives, overflow, junk and empty', () => {
    assert.equal(parseUnsigned64('-1'), null);
    assert.equal(parseUnsigned64('18446744073709551616'), null);
    assert.equal(parseUnsigned64('1x'), null);
    assert.equal(parseUnsigned64('5 '), null);
    assert.equal(parseUnsigned64(''), null);
    assert.equal(parseUnsigned64('0x1'), null);
  });
  test('strtoull wraps a negative too large for string2ll', () => {
    assert.equal(parseUnsigned64('-9223372036854775809'), (1n << 64n) - 9223372036854775809n);
  });
});

describe('parseStreamId', () => {
  test('- and + unless strict; a bare ms takes missingSeq', () => {
    assert.deepEqual(parseStreamId('-', 0n, false, false), { id: 0n, seqGiven: true });
    assert.deepEqual(parseStreamId('+', 0n, false, false), { id: STREAM_ID_MAX, seqGiven: true });
    assert.equal(parseStreamId('-', 0n, true, false), null);
    assert.equal(parseStreamId('+', 0n, true, false), null);
    assert.deepEqual(parseStreamId('5', U64_MAX, false, false), { id: streamId(5n, U64_MAX), seqGiven: true });
  });
  test('ms-* only when allowed', () => {
    assert.deepEqual(parseStreamId('5-*', 0n, true, true), { id: streamId(5n, 0n), seqGiven: false });
    assert.equal(parseStreamId('5-*', 0n, true, false), null);
    assert.equal(parseStreamId('*', 0n, true, true), null);
  });
  test('bad forms and long arguments are refused', () => {
    assert.equal(parseStreamId('1-2-3', 0n, false, false), null);
    assert.equal(parseStreamId('1-', 0n, false, false), null);
    assert.equal(parseStreamId('-1', 0n, false, false), null);
    assert.equal(parseStreamId('1'.repeat(128), 0n, false, false), null);
    assert.equal(streamParseID('1-1\0garbage'), streamId(1n, 1n));
  });
});

test('incr and decr stop at the ends', () => {
  assert.equal(streamIncrID(streamId(1n, U64_MAX)), streamId(2n, 0n));
  assert.equal(streamIncrID(STREAM_ID_MAX), null);
  assert.equal(streamDecrID(streamId(2n, 0n)), streamId(1n, U64_MAX));
  assert.equal(streamDecrID(0n), null);
});

describe('lag helpers', () => {
  const counters = (o: Partial<StreamCounters> & { first?: bigint }): StreamCounters => ({
    length: o.length ?? 3,
    lastId: o.lastId ?? 30n,
    maxDeletedId: o.maxDeletedId ?? 0n,
    entriesAdded: o.entriesAdded ?? 5,
    firstId: () => o.first ?? 10n,
  });

  test('streamEstimateDistanceFromFirstEverEntry', () => {
    assert.equal(streamEstimateDistanceFromFirstEverEntry(counters({ entriesAdded: 0 }), 99n), 0);
    assert.equal(streamEstimateDistanceFromFirstEverEntry(counters({}), 30n), 5);
    assert.equal(streamEstimateDistanceFromFirstEverEntry(counters({}), 31n), INVALID_ENTRIES_READ);
    assert.equal(streamEstimateDistanceFromFirstEverEntry(counters({}), 5n), 2);
    assert.equal(streamEstimateDistanceFromFirstEverEntry(counters({}), 10n), 3);
    assert.equal(streamEstimateDistanceFromFirstEverEntry(counters({}), 20n), INVALID_ENTRIES_READ);
    assert.equal(streamEstimateDistanceFromFirstEverEntry(counters({ maxDeletedId: 15n }), 5n), INVALID_ENTRIES_READ);
    assert.equal(streamEstimateDistanceFromFirstEverEntry(counters({ maxDeletedId: 5n }), 5n), 2);
    assert.equal(streamEstimateDistanceFromFirstEverEntry(counters({ length: 0 }), 7n), 5);
  });

  test('streamRangeHasTombstones', () => {
    assert.equal(streamRangeHasTombstones(counters({}), null, null), false);
    assert.equal(streamRangeHasTombstones(counters({ maxDeletedId: 15n }), null, null), true);
    assert.equal(streamRangeHasTombstones(counters({ maxDeletedId: 15n }), 16n, null), false);
    assert.equal(streamRangeHasTombstones(counters({ maxDeletedId: 5n }), null, null), false);
    assert.equal(streamRangeHasTombstones(counters({ maxDeletedId: 15n, length: 0 }), null, null), false);
  });
});
