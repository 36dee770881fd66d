// Unit tests for the per-command latency histograms: hdr_histogram's bucket layout (2
// significant figures, 1 ns to 1 s), Redis's percentile rounding and INFO field format, and
// LATENCY HISTOGRAM's cumulative power-of-two buckets, as exact tables.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from '../commands/table.js';
import {
  HISTOGRAM_COUNTS_LEN,
  countsIndex,
  cumulativeDistribution,
  highestEquivalent,
  lowestEquivalent,
  percentilesField,
  recordLatency,
  totalCount,
  trimmedDouble,
  valueAtIndex,
  valueAtPercentile,
} from './latency-histogram.js';

function histogramOf(microsList: Array<[number, number]>): Float64Array {
  const cmd = new Command({ name: 'x', arity: 1, flags: 0 });
  for (const [micros, times] of microsList) for (let i = 0; i < times; i++) recordLatency(cmd, micros);
  return cmd.latencyCounts!;
}

test('counts index: one slot per value below 256, then 128 slots per power of two', () => {
  const table: Array<[number, number]> = [
    [0, 0],
    [1, 1],
    [255, 255],
    [256, 256],
    [257, 256],
    [258, 257],
    [511, 383],
    [512, 384],
    [1000, 506],
    [1023, 511],
    [1024, 512],
    [1_000_000_000, 3054],
  ];
  for (const [value, index] of table) assert.equal(countsIndex(value), index, `value ${value}`);
  assert.equal(HISTOGRAM_COUNTS_LEN, 3072);
  assert.ok(countsIndex(1_000_000_000) < HISTOGRAM_COUNTS_LEN);
});

test('value at index is the lowest value of its slot (the inverse of countsIndex)', () => {
  const table: Array<[number, number]> = [
    [0, 0],
    [255, 255],
    [256, 256],
    [257, 258],
    [506, 1000],
    [511, 1020],
    [512, 1024],
    [3071, 1069547520],
  ];
  for (const [index, value] of table) assert.equal(valueAtIndex(index), value, `index ${index}`);
  for (let v = 1; v < 5_000_000; v = Math.ceil(v * 1.37)) assert.equal(valueAtIndex(countsIndex(v)), lowestEquivalent(v), `value ${v}`);
});

test('equivalent ranges: hdr rounding as Redis shows it (25.087, 61.183, 92.159 us)', () => {
  const table: Array<[number, number, number]> = [
    // value ns, lowest, highest
    [1, 1, 1],
    [1000, 1000, 1003],
    [1003, 1000, 1003],
    [5000, 4992, 5023],
    [25000, 24960, 25087],
    [61000, 60928, 61183],
    [92000, 91648, 92159],
    [1_000_000_000, 998244352, 1002438655],
  ];
  for (const [v, lo, hi] of table) {
    assert.equal(lowestEquivalent(v), lo, `lowest ${v}`);
    assert.equal(highestEquivalent(v), hi, `highest ${v}`);
  }
});

test('recording clamps to [1 ns, 1 s] and converts microseconds to nanoseconds', () => {
  const counts = histogramOf([
    [1, 2],
    [0, 1],
    [0.0001, 1],
    [5e6, 1],
    [0.7505, 1],
  ]);
  assert.equal(totalCount(counts), 6);
  assert.equal(counts[countsIndex(1000)], 2);
  assert.equal(counts[countsIndex(1)], 2);
  assert.equal(counts[countsIndex(1_000_000_000)], 1);
  assert.equal(counts[countsIndex(750)], 1);
});

test('percentiles: count rounded half up, highest equivalent value (lowest for p0)', () => {
  const counts = histogramOf([
    [1, 99],
    [5, 1],
  ]);
  const table: Array<[number, number]> = [
    [0, 1000],
    [50, 1003],
    [99, 1003],
    [99.4, 1003],
    [99.5, 5023],
    [99.9, 5023],
    [100, 5023],
    [150, 5023],
  ];
  for (const [p, ns] of table) assert.equal(valueAtPercentile(counts, p), ns, `p${p}`);
  assert.equal(percentilesField(counts, [50, 99, 99.9]), 'p50=1.003,p99=1.003,p99.9=5.023');
  assert.equal(percentilesField(counts, [0, 50, 100]), 'p0=1.000,p50=1.003,p100=5.023');
  assert.equal(percentilesField(counts, []), '');
  assert.equal(percentilesField(histogramOf([[61, 1]]), [50]), 'p50=61.183');
});

test('percentile names and config values print as %f trimmed (trimDoubleString)', () => {
  const table: Array<[number, string]> = [
    [50, '50'],
    [99, '99'],
    [99.9, '99.9'],
    [0, '0'],
    [100, '100'],
    [0.5, '0.5'],
    [99.99, '99.99'],
    [10, '10'],
    [12.3456789, '12.345679'],
  ];
  for (const [n, s] of table) assert.equal(trimmedDouble(n), s);
});

test('LATENCY HISTOGRAM buckets: powers of two from 1 us, the slot high in whole us, cumulative', () => {
  const table: Array<[Array<[number, number]>, number[]]> = [
    [[[1, 3]], [1, 3]],
    [[[61, 1]], [66, 1]],
    [
      [
        [1, 99],
        [5, 1],
      ],
      [1, 99, 8, 100],
    ],
    [
      [
        [0.5, 1],
        [1.5, 2],
        [3, 4],
        [20, 1],
        [700, 1],
      ],
      [1, 1, 2, 3, 4, 7, 33, 8, 1056, 9],
    ],
    [[[2e6, 1]], [1073741, 1]],
  ];
  for (const [values, expected] of table) assert.deepEqual(cumulativeDistribution(histogramOf(values)), expected, JSON.stringify(values));
  assert.deepEqual(cumulativeDistribution(new Float64Array(HISTOGRAM_COUNTS_LEN)), []);
});
