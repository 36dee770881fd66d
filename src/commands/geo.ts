// GEO commands as Redis 7.0.15's geo.c runs them: GEOADD GEODIST GEOHASH GEOPOS, GEORADIUS and
// GEORADIUSBYMEMBER (and their _RO forms), GEOSEARCH and GEOSEARCHSTORE. Positions live in
// ordinary sorted sets, scored by their 52-bit geohash (geohash.ts holds the math), so ZRANGE,
// ZSCORE, TYPE and DUMP of a geo key are a sorted set's.
//
// As in Redis:
// - GEOADD is ZADD: the positions become scores and ZADD itself runs on the rewritten arguments
//   (its replies, events and errors), and the call replicates as that ZADD;
// - searches (georadiusGeneric) look the source up and type-check it first, then parse the centre
//   and shape, then the options in order (the first bad one replies); a missing source replies
//   an empty array (or, storing, deletes the destination and replies 0) only after all that;
// - candidates come from the centre cell and its 8 neighbours, ordered by distance as Redis orders
//   them, equal distances included (geo-search.ts);
// - STORE / STOREDIST / GEOSEARCHSTORE write the destination as ZUNIONSTORE does (storeItems).

import type { CommandContext } from './context.js';
import { CMD_DENYOOM, CMD_MOVABLE_KEYS, CMD_READONLY, CMD_WRITE, type CommandDef } from './table.js';
import { ERR_NOT_FLOAT, ERR_NOT_INTEGER, ERR_SYNTAX } from './errors.js';
import { optIs } from './strings.js';
import { zaddCommand } from './zsets.js';
import { storeItems } from './zset-algebra.js';
import type { CommandArgs } from '../protocol/request-parser.js';
import { TYPE_ZSET } from '../store/entry.js';
import { parseDouble, type SortedSet, type ZItem } from '../store/sorted-set.js';
import {
  CIRCULAR_TYPE,
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  RECTANGLE_TYPE,
  decodeScore,
  decodedXY,
  distanceText,
  fixedText,
  geoDistance,
  geohashString,
  humanText,
  scoreTextOf,
  type GeoShape,
} from './geohash.js';
import { pointsInShape, sortByDistance } from './geo-search.js';

const ERR_UNIT = 'ERR unsupported unit provided. please use M, KM, FT, MI';
const ERR_DECODE_MEMBER = 'ERR could not decode requested zset member';

// ---- argument helpers --------------------------------------------------------------------------

/** Argument i as a double by string2d (getDoubleFromObject), or undefined. */
function doubleArg(c: CommandContext, i: number): number | undefined {
  return parseDouble(c.str(i), true);
}

/**
 * extractLongLatOrReply: longitude at i, latitude at i + 1, into decodedXY-like `out`; false after
 * replying an error.
 */
function longLatOrReply(c: CommandContext, i: number, out: Float64Array): boolean {
  const lon = doubleArg(c, i);
  if (lon === undefined) {
    c.w.error(ERR_NOT_FLOAT);
    return false;
  }
  const lat = doubleArg(c, i + 1);
  if (lat === undefined) {
    c.w.error(ERR_NOT_FLOAT);
    return false;
  }
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    c.w.error(`ERR invalid longitude,latitude pair ${fixedText(lon, 6)},${fixedText(lat, 6)}`);
    return false;
  }
  out[0] = lon;
  out[1] = lat;
  return true;
}

/** extractUnitOrReply: metres per unit, or -1 after replying the error. */
function unitOrReply(c: CommandContext, i: number): number {
  if (optIs(c, i, 'm')) return 1;
  if (optIs(c, i, 'km')) return 1000;
  if (optIs(c, i, 'ft')) return 0.3048;
  if (optIs(c, i, 'mi')) return 1609.34;
  c.w.error(ERR_UNIT);
  return -1;
}

/** extractDistanceOrReply: `radius unit` at i into the shape; false after replying. */
function radiusOrReply(c: CommandContext, i: number, shape: GeoShape): boolean {
  const radius = doubleArg(c, i);
  if (radius === undefined) {
    c.w.error('ERR need numeric radius');
    return false;
  }
  if (radius < 0) {
    c.w.error('ERR radius cannot be negative');
    return false;
  }
  shape.radius = radius;
  const conversion = unitOrReply(c, i + 1);
  if (conversion < 0) return false;
  shape.conversion = conversion;
  return true;
}

/** extractBoxOrReply: `width height unit` at i into the shape; false after replying. */
function boxOrReply(c: CommandContext, i: number, shape: GeoShape): boolean {
  const width = doubleArg(c, i);
  if (width === undefined) {
    c.w.error('ERR need numeric width');
    return false;
  }
  const height = doubleArg(c, i + 1);
  if (height === undefined) {
    c.w.error('ERR need numeric height');
    return false;
  }
  if (height < 0 || width < 0) {
    c.w.error('ERR height or width cannot be negative');
    return false;
  }
  shape.width = width;
  shape.height = height;
  const conversion = unitOrReply(c, i + 2);
  if (conversion < 0) return false;
  shape.conversion = conversion;
  return true;
}

/** longLatFromMember: the member's decoded position into shape's centre; false when absent. */
function centreFromMember(zs: SortedSet, member: string, shape: GeoShape): boolean {
  const score = zs.score(member);
  if (score === undefined) return false;
  decodeScore(score);
  shape.lon = decodedXY[0];
  shape.lat = decodedXY[1];
  return true;
}

/** The sorted set at argument i for reading; null after replying WRONGTYPE. */
function readGeoSet(c: CommandContext, i: number): SortedSet | undefined | null {
  const e = c.readTyped(c.str(i), TYPE_ZSET);
  return e == null ? e : (e.value as SortedSet);
}

// ---- GEOADD ------------------------------------------------------------------------------------

const lonLat = new Float64Array(2);

/**
 * GEOADD key [NX|XX] [CH] lon lat member [...]: the options, the argument count, then each
 * position; then ZADD runs on `zadd key [options] score member ...` (replaceClientCommandVector).
 */
function geoaddCommand(c: CommandContext): void {
  const argc = c.argc;
  let xx = false;
  let nx = false;
  let longIdx = 2;
  for (; longIdx < argc; longIdx++) {
    if (optIs(c, longIdx, 'nx')) nx = true;
    else if (optIs(c, longIdx, 'xx')) xx = true;
    else if (!optIs(c, longIdx, 'ch')) break;
  }
  if ((argc - longIdx) % 3 !== 0 || (xx && nx)) return c.w.error(ERR_SYNTAX);
  const elements = (argc - longIdx) / 3;
  const words: string[] = ['zadd'];
  for (let i = 1; i < longIdx; i++) words.push(c.str(i));
  for (let k = 0; k < elements; k++) {
    const at = longIdx + k * 3;
    if (!longLatOrReply(c, at, lonLat)) return;
    words.push(scoreTextOf(lonLat[0], lonLat[1]), c.str(at + 2));
  }
  c.replicateAs = words;
  const saved = c.args;
  c.args = argsOf(words);
  try {
    zaddCommand(c);
  } finally {
    c.args = saved;
  }
}

/** A command vector made from latin1 words. */
function argsOf(words: string[]): CommandArgs {
  const buf = Buffer.from(words.join(''), 'latin1');
  const start: number[] = [];
  const end: number[] = [];
  let at = 0;
  for (const w of words) {
    start.push(at);
    at += w.length;
    end.push(at);
  }
  return { buf, argc: words.length, start, end };
}

// ---- GEOPOS GEOHASH GEODIST --------------------------------------------------------------------

function geoposCommand(c: CommandContext): void {
  const zs = readGeoSet(c, 1);
  if (zs === null) return;
  c.w.array(c.argc - 2);
  for (let j = 2; j < c.argc; j++) {
    const score = zs?.score(c.str(j));
    if (score === undefined) {
      c.w.nullArray();
      continue;
    }
    decodeScore(score);
    c.w.array(2);
    c.w.double(humanText(decodedXY[0]));
    c.w.double(humanText(decodedXY[1]));
  }
}

function geohashCommand(c: CommandContext): void {
  const zs = readGeoSet(c, 1);
  if (zs === null) return;
  c.w.array(c.argc - 2);
  for (let j = 2; j < c.argc; j++) {
    const score = zs?.score(c.str(j));
    if (score === undefined) c.w.nil();
    else c.w.bulk(geohashString(score));
  }
}

/** GEODIST key member1 member2 [unit]: the unit, then the key (missing: null), then the members. */
function geodistCommand(c: CommandContext): void {
  let toMeter = 1;
  if (c.argc === 5) {
    toMeter = unitOrReply(c, 4);
    if (toMeter < 0) return;
  } else if (c.argc > 5) {
    return c.w.error(ERR_SYNTAX);
  }
  const zs = readGeoSet(c, 1);
  if (zs === null) return;
  if (zs === undefined) return c.w.nil();
  const s1 = zs.score(c.str(2));
  const s2 = s1 === undefined ? undefined : zs.score(c.str(3));
  if (s1 === undefined || s2 === undefined) return c.w.nil();
  decodeScore(s1);
  const lon1 = decodedXY[0];
  const lat1 = decodedXY[1];
  decodeScore(s2);
  c.w.bulk(distanceText(geoDistance(lon1, lat1, decodedXY[0], decodedXY[1]) / toMeter));
}

// ---- searches ----------------------------------------------------------------------------------

const RADIUS_COORDS = 1;
const RADIUS_MEMBER = 2;
const RADIUS_NOSTORE = 4;
const GEOSEARCH = 8;
const GEOSEARCHSTORE = 16;

const SORT_NONE = 0;
const SORT_ASC = 1;
const SORT_DESC = 2;

/** WITHHASH's integer: (long long)score, x86-64's truncation (out of range: LLONG_MIN). */
function hashInteger(score: number): number | bigint {
  if (score > -(2 ** 63) && score < 2 ** 63) {
    const t = Math.trunc(score);
    return Number.isSafeInteger(t) ? t : BigInt(t);
  }
  return -(2n ** 63n);
}

/** georadiusGeneric: every search command, the source key at srcIdx. */
function georadiusGeneric(c: CommandContext, srcIdx: number, flags: number): void {
  let storeIdx = 0;
  let storeDist = false;
  const zs = readGeoSet(c, srcIdx);
  if (zs === null) return;

  const shape: GeoShape = { type: 0, lon: 0, lat: 0, conversion: 0, radius: 0, width: 0, height: 0 };
  let baseArgs: number;
  if (flags & RADIUS_COORDS) {
    baseArgs = 6;
    shape.type = CIRCULAR_TYPE;
    if (!longLatOrReply(c, 2, lonLat)) return;
    shape.lon = lonLat[0];
    shape.lat = lonLat[1];
    if (!radiusOrReply(c, baseArgs - 2, shape)) return;
  } else if (flags & RADIUS_MEMBER) {
    baseArgs = 5;
    // Without a source the member and radius are not read: the options decide the reply.
    if (zs !== undefined) {
      shape.type = CIRCULAR_TYPE;
      if (!centreFromMember(zs, c.str(2), shape)) return c.w.error(ERR_DECODE_MEMBER);
      if (!radiusOrReply(c, baseArgs - 2, shape)) return;
    }
  } else {
    baseArgs = 2;
    if (flags & GEOSEARCHSTORE) {
      baseArgs = 3;
      storeIdx = 1;
    }
  }

  let withDist = false;
  let withHash = false;
  let withCoords = false;
  let fromMember = false;
  let fromLoc = false;
  let byRadius = false;
  let byBox = false;
  let sort = SORT_NONE;
  let any = false;
  let count = 0;
  const remaining = c.argc - baseArgs;
  const search = (flags & GEOSEARCH) !== 0;
  const storeAllowed = (flags & RADIUS_NOSTORE) === 0 && !search;
  for (let i = 0; i < remaining; i++) {
    const at = baseArgs + i;
    if (optIs(c, at, 'withdist')) withDist = true;
    else if (optIs(c, at, 'withhash')) withHash = true;
    else if (optIs(c, at, 'withcoord')) withCoords = true;
    else if (optIs(c, at, 'any')) any = true;
    else if (optIs(c, at, 'asc')) sort = SORT_ASC;
    else if (optIs(c, at, 'desc')) sort = SORT_DESC;
    else if (optIs(c, at, 'count') && i + 1 < remaining) {
      const n = c.int(at + 1);
      if (n === undefined) return c.w.error(ERR_NOT_INTEGER);
      if (n <= 0) return c.w.error('ERR COUNT must be > 0');
      count = n;
      i++;
    } else if (optIs(c, at, 'store') && i + 1 < remaining && storeAllowed) {
      storeIdx = at + 1;
      storeDist = false;
      i++;
    } else if (optIs(c, at, 'storedist') && i + 1 < remaining && storeAllowed) {
      storeIdx = at + 1;
      storeDist = true;
      i++;
    } else if (optIs(c, at, 'storedist') && search && (flags & GEOSEARCHSTORE) !== 0) {
      storeDist = true;
    } else if (optIs(c, at, 'frommember') && i + 1 < remaining && search && !fromLoc) {
      // Without a source, parsing goes on and the error (if any) comes when done.
      if (zs !== undefined && !centreFromMember(zs, c.str(at + 1), shape)) return c.w.error(ERR_DECODE_MEMBER);
      fromMember = true;
      i++;
    } else if (optIs(c, at, 'fromlonlat') && i + 2 < remaining && search && !fromMember) {
      if (!longLatOrReply(c, at + 1, lonLat)) return;
      shape.lon = lonLat[0];
      shape.lat = lonLat[1];
      fromLoc = true;
      i += 2;
    } else if (optIs(c, at, 'byradius') && i + 2 < remaining && search && !byBox) {
      if (!radiusOrReply(c, at + 1, shape)) return;
      shape.type = CIRCULAR_TYPE;
      byRadius = true;
      i += 2;
    } else if (optIs(c, at, 'bybox') && i + 3 < remaining && search && !byRadius) {
      if (!boxOrReply(c, at + 1, shape)) return;
      shape.type = RECTANGLE_TYPE;
      byBox = true;
      i += 3;
    } else {
      return c.w.error(ERR_SYNTAX);
    }
  }

  if (storeIdx !== 0 && (withDist || withHash || withCoords)) {
    const what = flags & GEOSEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS';
    return c.w.error(`ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
  }
  if (search && !(fromMember || fromLoc)) {
    return c.w.error(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${c.str(0)}`);
  }
  if (search && !(byRadius || byBox)) {
    return c.w.error(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${c.str(0)}`);
  }
  if (any && count === 0) return c.w.error('ERR the ANY argument requires COUNT argument');

  const event = search ? 'geosearchstore' : 'georadiusstore';
  if (zs === undefined) {
    if (storeIdx !== 0) return storeItems(c, c.str(storeIdx), [], false, event);
    return c.w.array(0);
  }

  // COUNT without an order means the nearest ones (not with ANY: the first found).
  if (count !== 0 && sort === SORT_NONE && !any) sort = SORT_ASC;

  const points = pointsInShape(zs, shape, any ? count : 0);
  if (points.length === 0 && storeIdx === 0) return c.w.array(0);
  const returned = count === 0 || points.length < count ? points.length : count;
  if (sort !== SORT_NONE) sortByDistance(points, returned, sort === SORT_DESC);

  if (storeIdx === 0) {
    const options = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoords ? 1 : 0);
    c.w.array(returned);
    for (let i = 0; i < returned; i++) {
      const p = points[i];
      if (options !== 0) c.w.array(options + 1);
      c.w.bulk(p.member);
      if (withDist) c.w.bulk(distanceText(p.dist / shape.conversion));
      if (withHash) c.w.integer(hashInteger(p.score));
      if (withCoords) {
        c.w.array(2);
        c.w.double(humanText(p.lon));
        c.w.double(humanText(p.lat));
      }
    }
    return;
  }
  const items: ZItem[] = [];
  let longest = 0;
  for (let i = 0; i < returned; i++) {
    const p = points[i];
    items.push({ member: p.member, score: storeDist ? p.dist / shape.conversion : p.score });
    if (p.member.length > longest) longest = p.member.length;
  }
  // Built as a skiplist, then a listpack when small enough (zsetConvertToListpackIfNeeded).
  const limits = c.store.limits;
  storeItems(c, c.str(storeIdx), items, items.length > limits.zsetEntries || longest > limits.zsetValue, event);
}

function georadiusCommand(c: CommandContext): void {
  georadiusGeneric(c, 1, RADIUS_COORDS);
}
function georadiusbymemberCommand(c: CommandContext): void {
  georadiusGeneric(c, 1, RADIUS_MEMBER);
}
function georadiusroCommand(c: CommandContext): void {
  georadiusGeneric(c, 1, RADIUS_COORDS | RADIUS_NOSTORE);
}
function georadiusbymemberroCommand(c: CommandContext): void {
  georadiusGeneric(c, 1, RADIUS_MEMBER | RADIUS_NOSTORE);
}
function geosearchCommand(c: CommandContext): void {
  georadiusGeneric(c, 1, GEOSEARCH);
}
function geosearchstoreCommand(c: CommandContext): void {
  georadiusGeneric(c, 2, GEOSEARCH | GEOSEARCHSTORE);
}

// ---- table -------------------------------------------------------------------------------------

/** The byte at offset k of argument i, ASCII-lowercased. */
function lowerByte(args: CommandArgs, i: number, k: number): number {
  const ch = args.buf[args.start[i] + k];
  return ch >= 65 && ch <= 90 ? ch + 32 : ch;
}

/** Whether argument i is `word` by strcasecmp (lowercase word; a NUL ends the argument). */
function argIs(args: CommandArgs, i: number, word: string): boolean {
  const len = args.end[i] - args.start[i];
  if (len < word.length) return false;
  for (let k = 0; k < word.length; k++) if (lowerByte(args, i, k) !== word.charCodeAt(k)) return false;
  return len === word.length || args.buf[args.start[i] + word.length] === 0;
}

/**
 * georadiusGetKeys, which Redis's cluster routing uses (COMMAND GETKEYS goes by the key specs
 * instead): the source, and the key after the last STORE / STOREDIST from argument 5 on (the
 * option the command itself obeys). From 5 for both commands, so GEORADIUS's radius argument is
 * looked at too, as in Redis.
 */
function georadiusKeys(args: CommandArgs, out: number[]): number {
  out[0] = 1;
  let stored = -1;
  for (let i = 5; i < args.argc; i++) {
    if ((argIs(args, i, 'store') || argIs(args, i, 'storedist')) && i + 1 < args.argc) {
      stored = i + 1;
      i++;
    }
  }
  if (stored < 0) return 1;
  out[1] = stored;
  return 2;
}

const R = CMD_READONLY;
const W = CMD_WRITE | CMD_DENYOOM;
export const geoCommands: CommandDef[] = [
  { name: 'geoadd', arity: -5, flags: W, firstKey: 1, handler: geoaddCommand },
  { name: 'geodist', arity: -4, flags: R, firstKey: 1, handler: geodistCommand },
  { name: 'geohash', arity: -2, flags: R, firstKey: 1, handler: geohashCommand },
  { name: 'geopos', arity: -2, flags: R, firstKey: 1, handler: geoposCommand },
  { name: 'georadius', arity: -6, flags: W | CMD_MOVABLE_KEYS, firstKey: 1, keys: georadiusKeys, handler: georadiusCommand },
  { name: 'georadius_ro', arity: -6, flags: R, firstKey: 1, handler: georadiusroCommand },
  {
    name: 'georadiusbymember',
    arity: -5,
    flags: W | CMD_MOVABLE_KEYS,
    firstKey: 1,
    keys: georadiusKeys,
    handler: georadiusbymemberCommand,
  },
  { name: 'georadiusbymember_ro', arity: -5, flags: R, firstKey: 1, handler: georadiusbymemberroCommand },
  { name: 'geosearch', arity: -7, flags: R, firstKey: 1, handler: geosearchCommand },
  { name: 'geosearchstore', arity: -8, flags: W, firstKey: 1, lastKey: 2, handler: geosearchstoreCommand },
];
