// The search of GEORADIUS / GEOSEARCH and the order of its results, as Redis 7.0.15's geo.c and
// pqsort.c do them.
//
// Gathering (membersOfAllNeighbors): the centre cell and its 8 neighbours (geohash.ts's
// areasByShape) are searched in Redis's order, each as the score range of the cell walked in
// (score, member) order, and every point is tested against the shape; COUNT ... ANY stops as soon
// as it has enough.
//
// Ordering by distance, so that points at equal distances come out in Redis's order too:
// - all results kept: glibc's qsort, which (glibc 2.36, Debian 12's) is a stable merge sort, so
//   any stable sort (Array.prototype.sort) gives the same order;
// - COUNT keeping fewer than found: Redis's pqsort (Bentley & McIlroy's quicksort that skips
//   partitions outside the wanted ranks), ported step by step over array indices.

import type { SortedSet, ZItem } from '../store/sorted-set.js';
import { align52Bits, areasByShape, decodeScore, decodedXY, distanceIfWithin, OUTSIDE, type GeoHashBits, type GeoShape } from './geohash.js';

/** One search result (Redis's geoPoint). */
export interface GeoPoint {
  lon: number;
  lat: number;
  dist: number;
  score: number;
  member: string;
}

/**
 * geoGetPointsInRange: appends the points of zs with min <= score < max that lie in the shape,
 * stopping once `limit` (0: none) points are gathered.
 */
function pointsInRange(zs: SortedSet, min: number, max: number, shape: GeoShape, out: GeoPoint[], limit: number): void {
  const lo = zs.rankOfScore(min, false);
  const hi = zs.rankOfScore(max, false);
  if (lo >= hi) return;
  const items: ZItem[] = zs.slice(lo, hi - 1);
  for (let k = 0; k < items.length; k++) {
    const item = items[k];
    decodeScore(item.score);
    const lon = decodedXY[0];
    const lat = decodedXY[1];
    const dist = distanceIfWithin(shape, lon, lat);
    if (dist !== OUTSIDE) out.push({ lon, lat, dist, score: item.score, member: item.member });
    if (out.length > 0 && limit !== 0 && out.length >= limit) break;
  }
}

/**
 * membersOfAllNeighbors: the points of the centre cell and its neighbours, skipping zeroed cells
 * and a cell equal to the one searched just before it (huge radii make neighbours coincide).
 */
export function pointsInShape(zs: SortedSet, shape: GeoShape, limit: number): GeoPoint[] {
  const areas = areasByShape(shape);
  const cells: GeoHashBits[] = [areas.hash, ...areas.neighbors];
  const out: GeoPoint[] = [];
  let lastProcessed = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell.bits === 0n && cell.step === 0) continue;
    if (lastProcessed !== 0 && cell.bits === cells[lastProcessed].bits && cell.step === cells[lastProcessed].step) continue;
    if (out.length > 0 && limit !== 0 && out.length >= limit) break;
    // scoresOfGeoHashBox: every score whose high 2 * step bits are the cell's.
    const min = Number(align52Bits(cell));
    const max = Number(align52Bits({ bits: BigInt.asUintN(64, cell.bits + 1n), step: cell.step }));
    pointsInRange(zs, min, max, shape, out, limit);
    lastProcessed = i;
  }
  return out;
}

/** The fields the comparison reads. */
export interface Distanced {
  dist: number;
}

/** sort_gp_asc (sort_gp_desc is its negation). */
function compareAsc(a: Distanced, b: Distanced): number {
  if (a.dist > b.dist) return 1;
  if (a.dist === b.dist) return 0;
  return -1;
}

function compareDesc(a: Distanced, b: Distanced): number {
  return -compareAsc(a, b);
}

/** Orders points by distance; only the first `keep` need be right (the rest is as pqsort leaves it). */
export function sortByDistance<T extends Distanced>(points: T[], keep: number, desc: boolean): void {
  const cmp = desc ? compareDesc : compareAsc;
  if (keep === points.length) points.sort(cmp);
  else pqsort(points, 0, points.length, cmp, 0, keep - 1);
}

function swap<T>(a: T[], i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** vecswap: swaps the n elements from i with the n from j, pairwise. */
function swapRuns<T>(a: T[], i: number, j: number, n: number): void {
  for (let k = 0; k < n; k++) swap(a, i + k, j + k);
}

/** med3: the index of the median of three. */
function median3<T>(a: T[], i: number, j: number, k: number, cmp: (x: T, y: T) => number): number {
  return cmp(a[i], a[j]) < 0
    ? cmp(a[j], a[k]) < 0
      ? j
      : cmp(a[i], a[k]) < 0
        ? k
        : i
    : cmp(a[j], a[k]) > 0
      ? j
      : cmp(a[i], a[k]) < 0
        ? i
        : k;
}

/**
 * _pqsort over a[base, base + n), keeping ranks lrange..rrange (absolute indices) right. A part
 * of the array is sorted further unless both ends of the wanted range lie before it or both
 * after it (Redis's pointer test, in element units).
 */
export function pqsort<T>(a: T[], base: number, n: number, cmp: (x: T, y: T) => number, lrange: number, rrange: number): void {
  for (;;) {
    if (n < 7) {
      for (let pm = base + 1; pm < base + n; pm++) {
        for (let pl = pm; pl > base && cmp(a[pl - 1], a[pl]) > 0; pl--) swap(a, pl, pl - 1);
      }
      return;
    }
    let pm = base + Math.floor(n / 2);
    if (n > 7) {
      let pl = base;
      let pn = base + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        pl = median3(a, pl, pl + d, pl + 2 * d, cmp);
        pm = median3(a, pm - d, pm, pm + d, cmp);
        pn = median3(a, pn - 2 * d, pn - d, pn, cmp);
      }
      pm = median3(a, pl, pm, pn, cmp);
    }
    swap(a, base, pm);
    let pa = base + 1;
    let pb = pa;
    let pc = base + n - 1;
    let pd = pc;
    for (;;) {
      let r: number;
      while (pb <= pc && (r = cmp(a[pb], a[base])) <= 0) {
        if (r === 0) {
          swap(a, pa, pb);
          pa++;
        }
        pb++;
      }
      while (pb <= pc && (r = cmp(a[pc], a[base])) >= 0) {
        if (r === 0) {
          swap(a, pc, pd);
          pd--;
        }
        pc--;
      }
      if (pb > pc) break;
      swap(a, pb, pc);
      pb++;
      pc--;
    }
    const pn = base + n;
    let r = Math.min(pa - base, pb - pa);
    swapRuns(a, base, pb - r, r);
    r = Math.min(pd - pc, pn - pd - 1);
    swapRuns(a, pb, pn - r, r);
    r = pb - pa;
    if (r > 1 && wanted(base, r, lrange, rrange)) pqsort(a, base, r, cmp, lrange, rrange);
    r = pd - pc;
    if (r <= 1) return;
    base = pn - r;
    n = r;
    if (!wanted(base, n, lrange, rrange)) return;
  }
}

/** Whether the part [base, base + n) may hold a wanted rank (Redis's test, in element units). */
function wanted(base: number, n: number, lrange: number, rrange: number): boolean {
  return !((lrange < base && rrange < base) || (lrange >= base + n && rrange >= base + n));
}
