// Per-command latency histograms, as Redis 7.0's (server.c updateCommandLatencyHistogram,
// INFO latencystats, latency.c fillCommandCDF): an HDR histogram per command of its durations
// in nanoseconds, 1 ns to 1 s, 2 significant figures, with hdr_histogram's own bucket layout,
// so percentiles and LATENCY HISTOGRAM's buckets come out as Redis rounds them.
//
// The layout (deps/hdr_histogram, lowest value 1, unit magnitude 0): 256 sub-buckets per power
// of two, of which the lower half overlaps the previous bucket, so from 256 on each power of two
// [2^k, 2^(k+1)) is split into 128 slots of width 2^(k-7), and values below 256 have a slot each.
// A value's slot is found with one Math.clz32 and a shift (countsIndex); 23 buckets cover 1e9,
// so a histogram is 3072 counts, allocated on a command's first recorded call.
//
// The counts live on the Command (latencyCounts) so that recording, on the hot path, is a null
// check, a clamp, a clz32 and an array increment: no allocation per command.

import type { Command } from '../commands/table.js';

/** hdr_histogram's sub_bucket_half_count_magnitude for 2 significant figures. */
const HALF_MAGNITUDE = 7;
const HALF_COUNT = 1 << HALF_MAGNITUDE;
/** sub_bucket_mask (sub_bucket_count - 1, unit magnitude 0). */
const SUB_BUCKET_MASK = 2 * HALF_COUNT - 1;
/** Redis's LATENCY_HISTOGRAM_MIN_VALUE and LATENCY_HISTOGRAM_MAX_VALUE, in nanoseconds. */
export const HISTOGRAM_MIN_NS = 1;
export const HISTOGRAM_MAX_NS = 1_000_000_000;
/** counts_len: (bucket_count + 1) * sub_bucket_half_count, 23 buckets to cover 1e9. */
export const HISTOGRAM_COUNTS_LEN = 24 * HALF_COUNT;

/** The bucket (power of two above the sub-bucket range) a value in [0, 2^31) falls in. */
function bucketOf(value: number): number {
  // 64 - clz64(value | mask) - unit_magnitude - (half_magnitude + 1), on 32 bits.
  return 32 - Math.clz32(value | SUB_BUCKET_MASK) - (HALF_MAGNITUDE + 1);
}

/** counts_index_for: the slot a value (an integer in [0, 2^31)) is counted in. */
export function countsIndex(value: number): number {
  const bucket = bucketOf(value);
  return ((bucket + 1) << HALF_MAGNITUDE) + (value >>> bucket) - HALF_COUNT;
}

/** hdr_value_at_index: the lowest value of a slot. */
export function valueAtIndex(index: number): number {
  let bucket = (index >> HALF_MAGNITUDE) - 1;
  let sub = (index & (HALF_COUNT - 1)) + HALF_COUNT;
  if (bucket < 0) {
    sub -= HALF_COUNT;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}

/** lowest_equivalent_value: the lowest value counted in the same slot as `value`. */
export function lowestEquivalent(value: number): number {
  const bucket = bucketOf(value);
  return (value >>> bucket) * 2 ** bucket;
}

/** highest_equivalent_value: the highest value counted in the same slot as `value`. */
export function highestEquivalent(value: number): number {
  return lowestEquivalent(value) + 2 ** bucketOf(value) - 1;
}

/**
 * Counts one call of `cmd` that took `micros` microseconds (Redis clamps to [1 ns, 1 s]). The
 * only allocation is the command's counts, once, on its first recorded call.
 */
export function recordLatency(cmd: Command, micros: number): void {
  let counts = cmd.latencyCounts;
  if (counts === null) counts = cmd.latencyCounts = new Float64Array(HISTOGRAM_COUNTS_LEN);
  const ns = micros >= 1e6 ? HISTOGRAM_MAX_NS : micros >= 0.001 ? (micros * 1000) | 0 : HISTOGRAM_MIN_NS;
  const bucket = 32 - Math.clz32(ns | SUB_BUCKET_MASK) - (HALF_MAGNITUDE + 1);
  counts[((bucket + 1) << HALF_MAGNITUDE) + (ns >>> bucket) - HALF_COUNT]++;
}

/** total_count: how many values a histogram holds. */
export function totalCount(counts: Float64Array): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  return total;
}

/**
 * hdr_value_at_percentile, in nanoseconds: the highest value of the slot where the count
 * reaches `percentile` of the total (rounded half up, at least 1); for percentile 0, that
 * slot's lowest value.
 */
export function valueAtPercentile(counts: Float64Array, percentile: number, total = totalCount(counts)): number {
  const requested = percentile < 100 ? percentile : 100;
  let countAt = Math.trunc((requested / 100) * total + 0.5);
  if (countAt < 1) countAt = 1;
  let value = 0;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    cumulative += counts[i];
    if (cumulative >= countAt) {
      value = valueAtIndex(i);
      break;
    }
  }
  return percentile === 0 ? lowestEquivalent(value) : highestEquivalent(value);
}

/**
 * C's "%f" then Redis's trimDoubleString: 50 -> "50", 99.9 -> "99.9", 0.5 -> "0.5". How Redis
 * names a percentile in INFO (p99.9) and shows latency-tracking-info-percentiles.
 */
export function trimmedDouble(n: number): string {
  let s = n.toFixed(6);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

/**
 * One INFO latencystats line's value (after `latency_percentiles_usec_<cmd>:`): p<percentile>=
 * <microseconds, %.3f> for each configured percentile, comma-separated.
 */
export function percentilesField(counts: Float64Array, percentiles: readonly number[]): string {
  const total = totalCount(counts);
  let out = '';
  for (let j = 0; j < percentiles.length; j++) {
    if (j !== 0) out += ',';
    out += `p${trimmedDouble(percentiles[j])}=${(valueAtPercentile(counts, percentiles[j], total) / 1000).toFixed(3)}`;
  }
  return out;
}

/**
 * LATENCY HISTOGRAM's histogram_usec, as Redis's fillCommandCDF: hdr's logarithmic iterator
 * from 1024 ns in powers of two; at each reporting level, the highest value (in whole
 * microseconds) of the slot the iterator stands on and the cumulative count so far, listed
 * only when the count grew. Flat [usec, cumulative, usec, cumulative, ...].
 */
export function cumulativeDistribution(counts: Float64Array): number[] {
  const total = totalCount(counts);
  const out: number[] = [];
  const len = counts.length;
  let index = -1;
  let cumulative = 0;
  let value = 0;
  let highest = 0;
  let level = 1024;
  let levelLowest = lowestEquivalent(level);
  let previous = 0;
  // log_iter_next: go on while counts remain, or while the next slot lies past the next level.
  while (cumulative < total || (index < len && valueAtIndex(index + 1) > levelLowest)) {
    for (;;) {
      if (value >= levelLowest) {
        level *= 2;
        levelLowest = lowestEquivalent(level);
        break;
      }
      index++;
      if (index >= len) break;
      cumulative += counts[index];
      value = valueAtIndex(index);
      highest = highestEquivalent(value);
    }
    if (cumulative > previous) out.push(Math.floor(highest / 1000), cumulative);
    previous = cumulative;
    if (index >= len) break;
  }
  return out;
}
