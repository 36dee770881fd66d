// The geohash math of the GEO commands (geo.ts), ported from Redis 7.0.15's geohash.c and
// geohash_helper.c so that scores, search areas, distances and their text are Redis's bit for bit.
//
// A position is stored as a sorted-set score: a 52-bit geohash (step 26) where longitude in
// [-180, 180] and latitude in [-85.05112878, 85.05112878] (the EPSG:900913 limits) are each cut
// into 2^26 cells and their cell numbers interleaved, latitude in the even bits, longitude in the
// odd ones. Decoding gives the centre of the cell.
//
// A search (GEORADIUS, GEOSEARCH) covers its shape with the cell that holds the centre plus its 8
// neighbours, at a step chosen from the radius so the 9 cells cover the shape; each cell is a
// score range [min, max) of the sorted set, and every point in it is checked against the shape
// (geohashCalculateAreasByShapeWGS84 and geoWithinShape).
//
// Numbers: cell bits up to 64 bits are bigints in the once-per-query area math; decoding a score
// (once per candidate point) works on two 32-bit halves. sin/cos/asin are rounded as glibc's
// (geo-math.ts), not V8's, so distances are Redis's to the last bit.

import { formatLongDouble, longDoubleOf } from '../util/long-double.js';
import { asinRounded, cosRounded, sinRounded } from './geo-math.js';

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;

/** Redis's D_R (M_PI / 180.0), for deg_rad and rad_deg. */
const D_R = Math.PI / 180.0;
/** Earth's quadratic mean radius for WGS-84, in metres. */
const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;

const TWO_32 = 4294967296;
const TWO_63 = 9223372036854775808;
const TWO_64 = 18446744073709551616;
const EVEN_BITS = 0x5555555555555555n;
const ODD_BITS = 0xaaaaaaaaaaaaaaaan;

export const CIRCULAR_TYPE = 1;
export const RECTANGLE_TYPE = 2;

/** A geohash cell: its interleaved bits and its step (bits per coordinate). */
export interface GeoHashBits {
  bits: bigint;
  step: number;
}

export interface GeoHashArea {
  longMin: number;
  longMax: number;
  latMin: number;
  latMax: number;
}

/** A search shape (Redis's GeoShape): centre, unit conversion and radius or box. */
export interface GeoShape {
  type: number;
  /** The centre: longitude, latitude. */
  lon: number;
  lat: number;
  /** Metres per unit (1 for m, 1000 for km...). */
  conversion: number;
  radius: number;
  width: number;
  height: number;
}

/** The centre cell and its 8 neighbours (zeroed ones, step 0, are not searched). */
export interface GeoHashRadius {
  hash: GeoHashBits;
  /** In Redis's search order: north, south, east, west, north-east, north-west, south-east, south-west. */
  neighbors: GeoHashBits[];
}

// ---- interleaving ------------------------------------------------------------------------------

/** The low 16 bits of v moved to the even bit positions of a 32-bit value. */
function spread16(v: number): number {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v;
}

/** The even bits of a 32-bit value packed into its low 16 bits (spread16 undone). */
function compact16(v: number): number {
  v &= 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  v = (v | (v >>> 8)) & 0x0000ffff;
  return v;
}

/** interleave64: x's bits (32 of them) in the even positions, y's in the odd ones. */
function interleave64(x: number, y: number): bigint {
  const lo = (spread16(x) | (spread16(y) << 1)) >>> 0;
  const hi = (spread16(x >>> 16) | (spread16(y >>> 16) << 1)) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** deinterleave64 of a 64-bit value given as halves: the even bits (first) and odd bits, 32 each. */
let evenOut = 0;
let oddOut = 0;
function deinterleave64(hi: number, lo: number): void {
  evenOut = (compact16(lo) | (compact16(hi) << 16)) >>> 0;
  oddOut = (compact16(lo >>> 1) | (compact16(hi >>> 1) << 16)) >>> 0;
}

// ---- encoding ----------------------------------------------------------------------------------

/**
 * geohashEncode: the cell of (longitude, latitude) at `step` within the given ranges, or null
 * when the point is outside Redis's limits or the ranges. Each offset in [0, 1] becomes a cell
 * number by truncation (the upper limit itself gives 2^step, one past the last cell, as in C).
 */
export function geohashEncode(
  longMin: number,
  longMax: number,
  latMin: number,
  latMax: number,
  longitude: number,
  latitude: number,
  step: number,
): GeoHashBits | null {
  if (step > 32 || step === 0) return null;
  if (longitude > GEO_LONG_MAX || longitude < GEO_LONG_MIN || latitude > GEO_LAT_MAX || latitude < GEO_LAT_MIN) return null;
  if (latitude < latMin || latitude > latMax || longitude < longMin || longitude > longMax) return null;
  let latOffset = (latitude - latMin) / (latMax - latMin);
  let longOffset = (longitude - longMin) / (longMax - longMin);
  latOffset *= 2 ** step;
  longOffset *= 2 ** step;
  return { bits: interleave64(Math.trunc(latOffset) >>> 0, Math.trunc(longOffset) >>> 0), step };
}

/** geohashEncodeWGS84: within Redis's limits. */
export function geohashEncodeWGS84(longitude: number, latitude: number, step: number): GeoHashBits | null {
  return geohashEncode(GEO_LONG_MIN, GEO_LONG_MAX, GEO_LAT_MIN, GEO_LAT_MAX, longitude, latitude, step);
}

/** geohashAlign52Bits: the cell's bits as the high bits of a 52-bit score. */
export function align52Bits(hash: GeoHashBits): bigint {
  return BigInt.asUintN(64, hash.bits << BigInt(52 - hash.step * 2));
}

/** The score GEOADD stores for a valid position, as ZADD's argument (sdsfromlonglong). */
export function scoreTextOf(longitude: number, latitude: number): string {
  return align52Bits(geohashEncodeWGS84(longitude, latitude, GEO_STEP_MAX)!).toString();
}

// ---- decoding ----------------------------------------------------------------------------------

/**
 * geohashDecode within Redis's limits: the cell's bounds, or null for a zeroed cell. The cell
 * numbers are the low 32 bits of each coordinate's bits (uint32 arithmetic, as C's).
 */
export function geohashDecode(hash: GeoHashBits): GeoHashArea | null {
  if (hash.bits === 0n && hash.step === 0) return null;
  const bits = BigInt.asUintN(64, hash.bits);
  deinterleave64(Number(bits >> 32n), Number(bits & 0xffffffffn));
  return cellBounds(evenOut, oddOut, hash.step);
}

function cellBounds(ilato: number, ilono: number, step: number): GeoHashArea {
  const latScale = GEO_LAT_MAX - GEO_LAT_MIN;
  const longScale = GEO_LONG_MAX - GEO_LONG_MIN;
  const cells = 2 ** step;
  return {
    latMin: GEO_LAT_MIN + ((ilato * 1.0) / cells) * latScale,
    latMax: GEO_LAT_MIN + ((((ilato + 1) >>> 0) * 1.0) / cells) * latScale,
    longMin: GEO_LONG_MIN + ((ilono * 1.0) / cells) * longScale,
    longMax: GEO_LONG_MIN + ((((ilono + 1) >>> 0) * 1.0) / cells) * longScale,
  };
}

/** Where decodeScore writes: longitude, latitude. */
export const decodedXY = new Float64Array(2);

/**
 * decodeGeohash (geohashDecodeToLongLatWGS84 at step 26): the centre of the cell of a score,
 * clamped to the limits, into decodedXY. Any score decodes: it is first made a uint64 as C's
 * (uint64_t) cast does on x86-64 (truncation; negative values wrap; 2^64 and more give 0).
 */
export function decodeScore(score: number): void {
  let hi: number;
  let lo: number;
  if (score >= 0 || Number.isNaN(score)) {
    if (!(score < TWO_64)) {
      // NaN: cvttsd2si's "integer indefinite" 2^63; 2^64 and more: that xor 2^63, 0.
      hi = Number.isNaN(score) ? 0x80000000 : 0;
      lo = 0;
    } else {
      const t = Math.trunc(score);
      hi = Math.floor(t / TWO_32);
      lo = t - hi * TWO_32;
    }
  } else if (score > -TWO_63) {
    // Two's complement of the truncated magnitude.
    const t = Math.trunc(-score);
    const mhi = Math.floor(t / TWO_32);
    const mlo = t - mhi * TWO_32;
    lo = (~mlo + 1) >>> 0;
    hi = (~mhi + (lo === 0 ? 1 : 0)) >>> 0;
  } else {
    hi = 0x80000000;
    lo = 0;
  }
  deinterleave64(hi, lo);
  const cells = 2 ** GEO_STEP_MAX;
  const latScale = GEO_LAT_MAX - GEO_LAT_MIN;
  const longScale = GEO_LONG_MAX - GEO_LONG_MIN;
  const ilato = evenOut;
  const ilono = oddOut;
  const latMin = GEO_LAT_MIN + ((ilato * 1.0) / cells) * latScale;
  const latMax = GEO_LAT_MIN + ((((ilato + 1) >>> 0) * 1.0) / cells) * latScale;
  const longMin = GEO_LONG_MIN + ((ilono * 1.0) / cells) * longScale;
  const longMax = GEO_LONG_MIN + ((((ilono + 1) >>> 0) * 1.0) / cells) * longScale;
  let x = (longMin + longMax) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  let y = (latMin + latMax) / 2;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  decodedXY[0] = x;
  decodedXY[1] = y;
}

const GEOALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/**
 * GEOHASH's 11-character string of a score: the decoded position re-encoded over the standard
 * ranges (latitude -90..90, not Redis's -85..85), 52 bits as 10 base-32 characters and a last
 * '0' (the API has always replied 11).
 */
export function geohashString(score: number): string {
  decodeScore(score);
  const hash = geohashEncode(-180, 180, -90, 90, decodedXY[0], decodedXY[1], GEO_STEP_MAX);
  const bits = hash === null ? 0n : hash.bits;
  let out = '';
  for (let i = 0; i < 10; i++) out += GEOALPHABET[Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn)];
  return out + '0';
}

// ---- distances ---------------------------------------------------------------------------------

function degRad(ang: number): number {
  return ang * D_R;
}

function radDeg(ang: number): number {
  return ang / D_R;
}

/** geohashGetLatDistance: the distance along a meridian. */
export function latDistance(lat1d: number, lat2d: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat2d) - degRad(lat1d));
}

/** geohashGetDistance: the haversine great-circle distance in metres. */
export function geoDistance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lon1r = degRad(lon1d);
  const lon2r = degRad(lon2d);
  const v = sinRounded((lon2r - lon1r) / 2);
  // Same longitude: the distance is along the meridian.
  if (v === 0.0) return latDistance(lat1d, lat2d);
  const lat1r = degRad(lat1d);
  const lat2r = degRad(lat2d);
  const u = sinRounded((lat2r - lat1r) / 2);
  const a = u * u + cosRounded(lat1r) * cosRounded(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * asinRounded(Math.sqrt(a));
}

/** distanceIfWithin's answer for a point outside the shape (distances are never negative). */
export const OUTSIDE = -1;

/**
 * Distance from the shape's centre when the point is inside the shape (geoWithinShape's test),
 * else OUTSIDE. As in C, a NaN distance (nearly antipodal points) is not "greater" than the
 * radius, so it counts as inside.
 */
export function distanceIfWithin(shape: GeoShape, lon: number, lat: number): number {
  if (shape.type === CIRCULAR_TYPE) {
    const d = geoDistance(shape.lon, shape.lat, lon, lat);
    return d > shape.radius * shape.conversion ? OUTSIDE : d;
  }
  // geohashGetDistanceIfInRectangle: the cheap latitude test first.
  const widthM = shape.width * shape.conversion;
  const heightM = shape.height * shape.conversion;
  if (latDistance(lat, shape.lat) > heightM / 2) return OUTSIDE;
  if (geoDistance(lon, lat, shape.lon, lat) > widthM / 2) return OUTSIDE;
  return geoDistance(shape.lon, shape.lat, lon, lat);
}

// ---- search areas ------------------------------------------------------------------------------

/** geohashEstimateStepsByRadius: the step whose cells are about as wide as the search. */
export function estimateStepsByRadius(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2; // Make sure the range is included in most of the base cases.
  // Wider cells towards the poles.
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/**
 * geohashBoundingBox: [minLon, minLat, maxLon, maxLat] of the shape. The longitude span is wider
 * at the edge nearer the pole, so it is taken there.
 */
export function boundingBox(shape: GeoShape): [number, number, number, number] {
  const circular = shape.type === CIRCULAR_TYPE;
  const height = shape.conversion * (circular ? shape.radius : shape.height / 2);
  const width = shape.conversion * (circular ? shape.radius : shape.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const longDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / cosRounded(degRad(shape.lat + latDelta)));
  const longDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / cosRounded(degRad(shape.lat - latDelta)));
  const southern = shape.lat < 0;
  return [
    southern ? shape.lon - longDeltaBottom : shape.lon - longDeltaTop,
    shape.lat - latDelta,
    southern ? shape.lon + longDeltaBottom : shape.lon + longDeltaTop,
    shape.lat + latDelta,
  ];
}

/** geohash_move_x / geohash_move_y: the cell d (+1 or -1) cells east or north, wrapping. */
function moved(hash: GeoHashBits, dx: number, dy: number): GeoHashBits {
  let bits = hash.bits;
  const shift = BigInt(64 - hash.step * 2);
  if (dx !== 0) {
    let x = bits & ODD_BITS;
    const y = bits & EVEN_BITS;
    const zz = EVEN_BITS >> shift;
    if (dx > 0) x = x + (zz + 1n);
    else x = (x | zz) - (zz + 1n);
    x &= ODD_BITS >> shift;
    bits = x | y;
  }
  if (dy !== 0) {
    const x = bits & ODD_BITS;
    let y = bits & EVEN_BITS;
    const zz = ODD_BITS >> shift;
    if (dy > 0) y = y + (zz + 1n);
    else y = (y | zz) - (zz + 1n);
    y &= EVEN_BITS >> shift;
    bits = x | y;
  }
  return { bits, step: hash.step };
}

const NORTH = 0;
const SOUTH = 1;
const EAST = 2;
const WEST = 3;
const NORTH_EAST = 4;
const NORTH_WEST = 5;
const SOUTH_EAST = 6;
const SOUTH_WEST = 7;

/** geohashNeighbors, in GeoHashRadius.neighbors order. */
function neighborsOf(hash: GeoHashBits): GeoHashBits[] {
  const n: GeoHashBits[] = [];
  n[NORTH] = moved(hash, 0, 1);
  n[SOUTH] = moved(hash, 0, -1);
  n[EAST] = moved(hash, 1, 0);
  n[WEST] = moved(hash, -1, 0);
  n[NORTH_EAST] = moved(hash, 1, 1);
  n[NORTH_WEST] = moved(hash, -1, 1);
  n[SOUTH_EAST] = moved(hash, 1, -1);
  n[SOUTH_WEST] = moved(hash, -1, -1);
  return n;
}

const ZERO_CELL: GeoHashBits = { bits: 0n, step: 0 };

/**
 * geohashCalculateAreasByShapeWGS84: the centre cell and neighbours to search. The step comes
 * from the radius (a box's half diagonal); one step coarser when a neighbour does not reach the
 * bounding box's edge; then neighbours wholly beyond the bounding box are dropped.
 */
export function areasByShape(shape: GeoShape): GeoHashRadius {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(shape);
  const radiusMeters =
    (shape.type === CIRCULAR_TYPE
      ? shape.radius
      : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2))) * shape.conversion;
  let steps = estimateStepsByRadius(radiusMeters, shape.lat);
  let hash = geohashEncodeWGS84(shape.lon, shape.lat, steps)!;
  let neighbors = neighborsOf(hash);
  let area = geohashDecode(hash)!;

  const north = geohashDecode(neighbors[NORTH])!;
  const south = geohashDecode(neighbors[SOUTH])!;
  const east = geohashDecode(neighbors[EAST])!;
  const west = geohashDecode(neighbors[WEST])!;
  const decreaseStep = north.latMax < maxLat || south.latMin > minLat || east.longMax < maxLon || west.longMin > minLon;
  if (steps > 1 && decreaseStep) {
    steps--;
    hash = geohashEncodeWGS84(shape.lon, shape.lat, steps)!;
    neighbors = neighborsOf(hash);
    area = geohashDecode(hash)!;
  }

  if (steps >= 2) {
    if (area.latMin < minLat) {
      neighbors[SOUTH] = neighbors[SOUTH_WEST] = neighbors[SOUTH_EAST] = ZERO_CELL;
    }
    if (area.latMax > maxLat) {
      neighbors[NORTH] = neighbors[NORTH_EAST] = neighbors[NORTH_WEST] = ZERO_CELL;
    }
    if (area.longMin < minLon) {
      neighbors[WEST] = neighbors[SOUTH_WEST] = neighbors[NORTH_WEST] = ZERO_CELL;
    }
    if (area.longMax > maxLon) {
      neighbors[EAST] = neighbors[SOUTH_EAST] = neighbors[NORTH_EAST] = ZERO_CELL;
    }
  }
  return { hash, neighbors };
}

// ---- text --------------------------------------------------------------------------------------

/**
 * addReplyHumanLongDouble's text (ld2string LD_STR_HUMAN): "%.17Lf" of the double, trailing
 * zeros trimmed; GEOPOS and WITHCOORD reply coordinates so.
 */
export function humanText(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  return formatLongDouble(longDoubleOf(d));
}

/** printf("%.<digits>f", d): the exact value rounded half to even (glibc's %f). */
export function fixedText(d: number, digits: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  const { neg, m, e } = longDoubleOf(d);
  const scaled = m * 10n ** BigInt(digits);
  let q: bigint;
  if (e >= 0) q = scaled << BigInt(e);
  else {
    const sh = BigInt(-e);
    q = scaled >> sh;
    const rest = scaled - (q << sh);
    const half = 1n << (sh - 1n);
    if (rest > half || (rest === half && (q & 1n) === 1n)) q++;
  }
  let s = q.toString();
  if (s.length <= digits) s = '0'.repeat(digits + 1 - s.length) + s;
  return (neg ? '-' : '') + s.slice(0, s.length - digits) + '.' + s.slice(s.length - digits);
}

/**
 * fixedpoint_d2string(d, 4), GEODIST and WITHDIST's text: llrint(d * 10^4) (ties to even) with
 * the point put back in.
 */
export function distanceText(d: number): string {
  if (d === 0) return '0.0000';
  const scaled = d * 10000;
  // llrint of NaN or of a value past a long long: LLONG_MIN, printed as its magnitude.
  if (!(Math.abs(scaled) < 2 ** 63)) return '-922337203685477.5808';
  let r = Math.floor(scaled);
  const frac = scaled - r;
  if (frac > 0.5 || (frac === 0.5 && r % 2 !== 0)) r += 1;
  const neg = r < 0;
  let s = String(neg ? -r : r);
  if (s.length < 5) s = '0'.repeat(5 - s.length) + s;
  return (neg ? '-' : '') + s.slice(0, s.length - 4) + '.' + s.slice(s.length - 4);
}
