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
import { pqsort } from './pqsort.js';

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
