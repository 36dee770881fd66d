// Unit tests for geo.ts, geohash.ts and geo-sort.ts: the geohash encoding and decoding, distances,
// the text of coordinates and distances, search areas at the poles and the antimeridian, the
// partial sort, and the commands' replies, errors and side effects on a Store with a ManualClock.
// Values marked "redis" are redis-server 7.0.15's replies (its documentation's examples).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { geoCommands } from './geo.js';
import { zsetCommands } from './zsets.js';
import { stringCommands } from './strings.js';
import { keyCommands } from './keys.js';
import { Command } from './table.js';
import {
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  decodeScore,
  decodedXY,
  distanceText,
  estimateStepsByRadius,
  fixedText,
  geoDistance,
  geohashString,
  humanText,
  scoreTextOf,
} from './geohash.js';
import { sortByDistance } from './geo-search.js';
import { pqsort } from './pqsort.js';
import { asinRounded, cosRounded, sinRounded } from './geo-math.js';
import { argsFrom, commandHarness } from '../../test/support/command-harness.js';
import { assertMatchesRedis } from '../../test/support/redis-meta-check.js';

function harness() {
  return commandHarness([...stringCommands, ...keyCommands, ...zsetCommands, ...geoCommands], 2);
}

const WRONGTYPE = { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' };
const SYNTAX = { error: 'ERR syntax error' };

describe('geohash encoding', () => {
  test('scores of known places (redis)', () => {
    assert.equal(scoreTextOf(13.361389, 38.115556), '3479099956230698');
    assert.equal(scoreTextOf(15.087269, 37.502669), '3479447370796909');
  });

  test('decoding gives the centre of the cell, within half a cell of the position', () => {
    const cellLon = 360 / 2 ** 26;
    const cellLat = (GEO_LAT_MAX - GEO_LAT_MIN) / 2 ** 26;
    fc.assert(
      fc.property(fc.double({ min: -180, max: 180, noNaN: true }), fc.double({ min: GEO_LAT_MIN, max: GEO_LAT_MAX, noNaN: true }), (lon, lat) => {
        const score = Number(scoreTextOf(lon, lat));
        decodeScore(score);
        // A longitude that rounds to 180 (one past the last cell) sets bit 53, and a double that
        // large drops bit 0, the latitude's lowest bit: the stored cell is then one below in
        // latitude (a carry stops at the longitude's zero bit 0), so its centre can be 1.5 cells
        // away. redis-server 7.0.15 gives the same (GEOADD g 179.99999999999997 0.7128789198188674
        // then GEOPOS: 180, 0.71287638509770801).
        const latCells = score >= 2 ** 53 ? 1.5 : 1;
        assert.ok(Math.abs(decodedXY[0] - lon) <= cellLon, `lon ${lon} -> ${decodedXY[0]}`);
        assert.ok(Math.abs(decodedXY[1] - lat) <= latCells * cellLat, `lat ${lat} -> ${decodedXY[1]}`);
      }),
      { examples: [[179.99999999999997, 0.7128789198188674]] },
    );
  });

  test('the limits themselves: one past the last cell, decoded back inside the limits', () => {
    for (const [lon, lat] of [[180, GEO_LAT_MAX], [-180, GEO_LAT_MIN], [180, 0], [0, GEO_LAT_MAX]]) {
      decodeScore(Number(scoreTextOf(lon, lat)));
      assert.ok(decodedXY[0] >= -180 && decodedXY[0] <= 180, `${lon},${lat}`);
      assert.ok(decodedXY[1] >= GEO_LAT_MIN && decodedXY[1] <= GEO_LAT_MAX, `${lon},${lat}`);
    }
    // lon 180 sets bit 53: past 2^53 the score is the nearest double, as strtod gives ZADD.
    assert.ok(Number(scoreTextOf(180, 0)) >= 2 ** 53);
  });

  test('GEOHASH strings (redis)', () => {
    assert.equal(geohashString(3479099956230698), 'sqc8b49rny0');
    assert.equal(geohashString(3479447370796909), 'sqdtr74hyu0');
  });

  test('any score decodes (negative, huge, fractional) to a position inside the limits', () => {
    for (const s of [-1, -1.5, 0.5, 1e300, -1e300, 2 ** 63, 2 ** 64, Infinity, -Infinity]) {
      decodeScore(s);
      assert.ok(Math.abs(decodedXY[0]) <= 180 && Math.abs(decodedXY[1]) <= GEO_LAT_MAX, String(s));
    }
    decodeScore(0);
    // redis: GEOPOS of a member scored 0 is -179.99999731779098511, -85.05112751263942528.
    assert.deepEqual([humanText(decodedXY[0]), humanText(decodedXY[1])], ['-179.99999731779098511', '-85.05112751263942528']);
  });
});

describe('distances and their text', () => {
  test('haversine distance (redis: GEODIST Palermo Catania is 166274.1516 m)', () => {
    decodeScore(3479099956230698);
    const [lon1, lat1] = decodedXY;
    decodeScore(3479447370796909);
    assert.equal(distanceText(geoDistance(lon1, lat1, decodedXY[0], decodedXY[1])), '166274.1516');
    assert.equal(geoDistance(10, 20, 10, 20), 0);
    // Same longitude: along the meridian.
    assert.equal(geoDistance(0, 0, 0, 1), 6372797.560856 * (Math.PI / 180));
    // Across the antimeridian the short way.
    assert.ok(geoDistance(179.9, 0, -179.9, 0) < 23000);
  });

  test('fixed-point distance text rounds half to even and pads', () => {
    assert.equal(distanceText(0), '0.0000');
    assert.equal(distanceText(1.5), '1.5000');
    assert.equal(distanceText(0.00004), '0.0000');
    assert.equal(distanceText(0.00006), '0.0001');
    assert.equal(distanceText(0.0001), '0.0001');
    assert.equal(distanceText(12345.67891), '12345.6789');
    assert.equal(distanceText(NaN), '-922337203685477.5808');
  });

  test('%f and %.17Lf texts are exact', () => {
    assert.equal(fixedText(200, 6), '200.000000');
    assert.equal(fixedText(-180.0000001, 6), '-180.000000');
    // Exact ties round to even, as glibc's printf.
    assert.equal(fixedText(0.125, 2), '0.12');
    assert.equal(fixedText(0.375, 2), '0.38');
    assert.equal(fixedText(-0, 6), '-0.000000');
    assert.equal(fixedText(1e20, 6), '100000000000000000000.000000');
    assert.equal(fixedText(Infinity, 6), 'inf');
    decodeScore(3479099956230698);
    assert.equal(humanText(decodedXY[0]), '13.36138933897018433');
    assert.equal(humanText(decodedXY[1]), '38.11555639549629859');
    assert.equal(humanText(-0), '0');
    assert.equal(humanText(180), '180');
  });

  test('search steps: wider cells for larger radii and near the poles', () => {
    assert.equal(estimateStepsByRadius(0, 0), 26);
    assert.ok(estimateStepsByRadius(1000, 0) > estimateStepsByRadius(100000, 0));
    assert.equal(estimateStepsByRadius(1000, 70), estimateStepsByRadius(1000, 0) - 1);
    assert.equal(estimateStepsByRadius(1000, -85), estimateStepsByRadius(1000, 0) - 2);
    assert.equal(estimateStepsByRadius(1e9, 0), 1);
  });
});

describe('sin, cos and asin rounded to the nearest double', () => {
  test('known values (checked at 60 digits): cos of 31.99999916826298119 degrees, sin near ties', () => {
    // Exactly 0.84804810384902512581...: the nearest double prints as ...0252 (glibc gives ...0251).
    assert.equal(cosRounded(31.99999916826298119 * (Math.PI / 180)), 0.8480481038490252);
    // glibc misses the nearest double here (it gives its neighbour).
    assert.equal(sinRounded(-0.3961442611026755), -0.3858640857231804);
    assert.equal(sinRounded(0), 0);
    assert.equal(cosRounded(0), 1);
    assert.equal(asinRounded(0), 0);
    assert.equal(asinRounded(1), Math.PI / 2);
  });

  test('within an ulp of V8\'s, odd and even, sin^2 + cos^2 = 1, asin inverts sin', () => {
    fc.assert(
      fc.property(fc.double({ min: -4, max: 4, noNaN: true }), (x) => {
        const s = sinRounded(x);
        const c = cosRounded(x);
        assert.ok(Math.abs(s - Math.sin(x)) <= Math.abs(Math.sin(x)) * 2.3e-16 + 1e-300, `sin ${x}`);
        assert.ok(Math.abs(c - Math.cos(x)) <= Math.abs(Math.cos(x)) * 2.3e-16 + 1e-300, `cos ${x}`);
        assert.equal(sinRounded(-x), -s);
        assert.equal(cosRounded(-x), c);
        assert.ok(Math.abs(s * s + c * c - 1) < 1e-15);
        const a = Math.abs(x) / 4;
        assert.ok(Math.abs(asinRounded(a) - Math.asin(a)) <= Math.asin(a) * 2.3e-16);
      }),
    );
  });
});

describe('ordering by distance', () => {
  test('pqsort puts the wanted ranks in order, as a full sort does', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 200 }), fc.nat(), fc.boolean(), (dists, k, desc) => {
        const keep = 1 + (k % dists.length);
        const points = dists.map((dist, i) => ({ dist, i }));
        sortByDistance(points, keep, desc);
        const sorted = [...dists].sort((a, b) => (desc ? b - a : a - b));
        assert.deepEqual(points.slice(0, keep).map((p) => p.dist), sorted.slice(0, keep));
        assert.equal(points.length, dists.length);
      }),
    );
  });

  test('a full sort is stable; pqsort of a short run is an insertion sort (stable)', () => {
    const points = [3, 1, 3, 1, 2].map((dist, i) => ({ dist, i }));
    sortByDistance(points, 5, false);
    assert.deepEqual(points.map((p) => p.i), [1, 3, 4, 0, 2]);
    const few = [2, 1, 1].map((dist, i) => ({ dist, i }));
    pqsort(few, 0, 3, (a, b) => a.dist - b.dist, 0, 0);
    assert.deepEqual(few.map((p) => p.i), [1, 2, 0]);
  });
});

describe('command metadata', () => {
  test('arity, flags and key positions match redis 7.0', () => {
    assertMatchesRedis(geoCommands);
  });

  test('key finders of GEORADIUS / GEORADIUSBYMEMBER are georadiusGetKeys: the last STORE / STOREDIST key', () => {
    const calls: Array<[string[], number[]]> = [
      [['georadius', 'k', '1', '2', '3', 'km'], [1]],
      [['georadius', 'k', '1', '2', '3', 'km', 'STORE', 'd'], [1, 7]],
      [['georadius', 'k', '1', '2', '3', 'km', 'storedist', 'd', 'COUNT', '1'], [1, 7]],
      [['georadius', 'k', '1', '2', '3', 'km', 'STORE', 'd', 'STOREDIST', 'e'], [1, 9]],
      [['georadius', 'k', '1', '2', '3', 'km', 'STORE'], [1]],
      [['georadiusbymember', 'k', 'm', '3', 'km', 'STORE', 'd'], [1, 6]],
      [['georadiusbymember', 'k', 'm', '3', 'km', 'ASC'], [1]],
    ];
    for (const [argv, expected] of calls) {
      const def = geoCommands.find((d) => d.name === argv[0])!;
      const out: number[] = [];
      const n = new Command(def).keyPositions(argv.length, out, argsFrom(argv));
      assert.deepEqual(out.slice(0, n), expected, argv.join(' '));
    }
  });
});

describe('GEOADD', () => {
  test('adds positions as ZADD would, with NX XX CH', () => {
    const { run, raw, c } = harness();
    assert.equal(run('GEOADD', 'Sicily', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania'), 2);
    assert.equal(run('ZSCORE', 'Sicily', 'Palermo'), '3479099956230698');
    assert.deepEqual(run('TYPE', 'Sicily'), { simple: 'zset' });
    assert.equal(run('GEOADD', 'Sicily', 'NX', '0', '0', 'Palermo'), 0);
    assert.equal(run('ZSCORE', 'Sicily', 'Palermo'), '3479099956230698');
    assert.equal(run('GEOADD', 'Sicily', 'XX', 'CH', '13.361389', '38.115556', 'Palermo', '1', '1', 'x'), 0);
    assert.equal(run('GEOADD', 'Sicily', 'CH', 'XX', '1', '1', 'Palermo'), 1);
    c.replicateAs = null;
    assert.equal(run('GEOADD', 'new', 'XX', '1', '1', 'a'), 0);
    assert.equal(run('EXISTS', 'new'), 0);
    // Replicated as the ZADD it ran.
    assert.deepEqual(c.replicateAs, ['zadd', 'new', 'XX', '3377822707026402', 'a']);
    assert.equal(raw('GEOADD', 'Sicily', 'NX', 'XX', '1', '1', 'a'), '-ERR syntax error\r\n');
    c.replicateAs = null;
  });

  test('errors in Redis order: count, then each position, then the key type', () => {
    const { run } = harness();
    assert.deepEqual(run('GEOADD', 'k', '1', '2', 'a', '3'), SYNTAX);
    assert.deepEqual(run('GEOADD', 'k', 'NX', 'XX', '1', '2', 'a'), SYNTAX);
    assert.deepEqual(run('GEOADD', 'k', 'GT', '1', '2', 'a'), SYNTAX);
    assert.deepEqual(run('GEOADD', 'k', 'x', '2', 'a'), { error: 'ERR value is not a valid float' });
    assert.deepEqual(run('GEOADD', 'k', '1', 'nan', 'a'), { error: 'ERR value is not a valid float' });
    assert.deepEqual(run('GEOADD', 'k', '200', '100', 'a'), { error: 'ERR invalid longitude,latitude pair 200.000000,100.000000' });
    assert.deepEqual(run('GEOADD', 'k', '0', '85.06', 'a'), { error: 'ERR invalid longitude,latitude pair 0.000000,85.060000' });
    assert.deepEqual(run('GEOADD', 'k', '-inf', '0', 'a'), { error: 'ERR invalid longitude,latitude pair -inf,0.000000' });
    assert.equal(run('GEOADD', 'k', '180', '85.05112878', 'pole'), 1);
    // Options only: ZADD's own syntax error.
    assert.deepEqual(run('GEOADD', 'k', 'CH', 'CH', 'CH'), SYNTAX);
    run('SET', 's', 'v');
    assert.deepEqual(run('GEOADD', 's', '1', '2', 'a'), WRONGTYPE);
    assert.deepEqual(run('GEOADD', 's', '1', '200', 'a'), { error: 'ERR invalid longitude,latitude pair 1.000000,200.000000' });
  });
});

describe('GEOPOS GEOHASH GEODIST', () => {
  test('replies and missing members (RESP2 and RESP3)', () => {
    const { run, raw, c } = harness();
    run('GEOADD', 'Sicily', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania');
    assert.deepEqual(run('GEOPOS', 'Sicily', 'Palermo', 'nope'), [['13.36138933897018433', '38.11555639549629859'], null]);
    assert.equal(raw('GEOPOS', 'Sicily', 'nope'), '*1\r\n*-1\r\n');
    assert.deepEqual(run('GEOHASH', 'Sicily', 'Palermo', 'Catania', 'nope'), ['sqc8b49rny0', 'sqdtr74hyu0', null]);
    assert.equal(run('GEODIST', 'Sicily', 'Palermo', 'Catania'), '166274.1516');
    assert.equal(run('GEODIST', 'Sicily', 'Palermo', 'Catania', 'km'), '166.2742');
    assert.equal(run('GEODIST', 'Sicily', 'Palermo', 'Catania', 'MI'), '103.3182');
    assert.equal(run('GEODIST', 'Sicily', 'Palermo', 'nope'), null);
    assert.equal(run('GEODIST', 'nokey', 'a', 'b'), null);
    assert.deepEqual(run('GEODIST', 'Sicily', 'Palermo', 'Catania', 'yd'), { error: 'ERR unsupported unit provided. please use M, KM, FT, MI' });
    assert.deepEqual(run('GEODIST', 'Sicily', 'Palermo', 'Catania', 'km', 'x'), SYNTAX);
    assert.deepEqual(run('GEOPOS', 'nokey', 'a'), [null]);
    c.w.resp = 3;
    assert.equal(raw('GEOPOS', 'Sicily', 'Palermo', 'nope'), '*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n');
    assert.equal(raw('GEODIST', 'Sicily', 'Palermo', 'Catania'), '$11\r\n166274.1516\r\n');
    c.w.resp = 2;
    run('SET', 's', 'v');
    assert.deepEqual(run('GEOPOS', 's', 'a'), WRONGTYPE);
    assert.deepEqual(run('GEOHASH', 's', 'a'), WRONGTYPE);
    assert.deepEqual(run('GEODIST', 's', 'a', 'b'), WRONGTYPE);
    // The unit is checked before the key.
    assert.deepEqual(run('GEODIST', 's', 'a', 'b', 'yd'), { error: 'ERR unsupported unit provided. please use M, KM, FT, MI' });
  });
});

describe('searches', () => {
  function sicily() {
    const h = harness();
    h.run('GEOADD', 'Sicily', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania');
    h.run('GEOADD', 'Sicily', '12.758489', '38.788135', 'edge1', '17.241510', '38.788135', 'edge2');
    return h;
  }

  test('GEORADIUS with WITHDIST WITHCOORD WITHHASH, ASC/DESC and COUNT (redis)', () => {
    const { run } = sicily();
    assert.deepEqual(run('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHDIST'), [['Palermo', '190.4424'], ['Catania', '56.4413']]);
    assert.deepEqual(run('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHDIST', 'ASC'), [['Catania', '56.4413'], ['Palermo', '190.4424']]);
    assert.deepEqual(run('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHHASH', 'COUNT', '1'), [['Catania', 3479447370796909]]);
    assert.deepEqual(run('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHCOORD', 'DESC', 'COUNT', '1'), [
      ['Palermo', ['13.36138933897018433', '38.11555639549629859']],
    ]);
    assert.deepEqual(run('GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'ASC', 'WITHDIST'), [
      ['Catania', '56.4413'],
      ['Palermo', '190.4424'],
      ['edge2', '279.7403'],
      ['edge1', '279.7405'],
    ]);
    assert.deepEqual(run('GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '200', 'km', 'ASC'), ['Palermo', 'edge1', 'Catania']);
    assert.deepEqual(run('GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '0', 'm'), ['Palermo']);
    assert.deepEqual(run('GEORADIUS_RO', 'Sicily', '0', '0', '1', 'm'), []);
  });

  test('the antimeridian and the poles', () => {
    const { run } = harness();
    run('GEOADD', 'w', '179.9', '0', 'east', '-179.9', '0', 'west', '0', '85', 'north', '180', '-85.05112878', 'corner');
    // From -180 both sides of the antimeridian are searched (the neighbour cells wrap around);
    // from 180 itself the centre cell is one past the last, and Redis finds only the east side.
    assert.deepEqual(run('GEOSEARCH', 'w', 'FROMLONLAT', '-180', '0', 'BYBOX', '100', '100', 'km', 'ASC'), ['east', 'west']);
    assert.deepEqual(run('GEORADIUS', 'w', '180', '0', '50', 'km'), ['east']);
    assert.deepEqual(run('GEORADIUS', 'w', '0', '85.05112878', '10', 'km'), ['north']);
    // redis: the corner point is not found from the opposite corner, nor by a search of the globe.
    assert.deepEqual(run('GEORADIUS', 'w', '-180', '-85.05112878', '1', 'km'), []);
    assert.deepEqual(run('GEORADIUS', 'w', '0', '0', '30000', 'km', 'COUNT', '10', 'ANY'), ['north', 'east', 'west']);
    assert.equal((run('GEORADIUS', 'w', '0', '0', '30000', 'km', 'COUNT', '2', 'ANY') as unknown[]).length, 2);
  });

  test('STORE, STOREDIST and GEOSEARCHSTORE write the destination; an empty result deletes it', () => {
    const { run, modified } = sicily();
    assert.equal(run('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'd'), 2);
    assert.deepEqual(run('ZRANGE', 'd', '0', '-1', 'WITHSCORES'), ['Palermo', '3479099956230698', 'Catania', '3479447370796909']);
    assert.equal(run('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STOREDIST', 'd', 'COUNT', '1'), 1);
    assert.deepEqual(run('ZRANGE', 'd', '0', '-1'), ['Catania']);
    assert.equal(Number(run('ZSCORE', 'd', 'Catania')).toFixed(4), '56.4413');
    assert.equal(run('GEOSEARCHSTORE', 'e', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '100', 'km', 'STOREDIST'), 1);
    run('SET', 'str', 'x');
    assert.equal(run('GEOSEARCHSTORE', 'str', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '100', 'km'), 1);
    assert.deepEqual(run('TYPE', 'str'), { simple: 'zset' });
    modified.length = 0;
    assert.equal(run('GEORADIUS', 'Sicily', '0', '0', '1', 'km', 'STORE', 'd'), 0);
    assert.equal(run('EXISTS', 'd'), 0);
    assert.deepEqual(modified, ['0:d']);
    assert.equal(run('GEOSEARCHSTORE', 'e', 'nokey', 'FROMMEMBER', 'x', 'BYBOX', '1', '1', 'km'), 0);
    assert.equal(run('EXISTS', 'e'), 0);
  });

  test('errors, in Redis order', () => {
    const { run } = sicily();
    run('SET', 's', 'v');
    const e = (msg: string) => ({ error: `ERR ${msg}` });
    assert.deepEqual(run('GEORADIUS', 's', 'x', '0', '1', 'km'), WRONGTYPE);
    assert.deepEqual(run('GEOSEARCH', 's', 'FROMLONLAT', 'x'), WRONGTYPE);
    assert.deepEqual(run('GEORADIUS', 'Sicily', '15', '37', 'x', 'km'), e('need numeric radius'));
    assert.deepEqual(run('GEORADIUS', 'Sicily', '15', '37', '-1', 'km'), e('radius cannot be negative'));
    assert.deepEqual(run('GEORADIUS', 'Sicily', '15', '37', '1', 'yd'), e('unsupported unit provided. please use M, KM, FT, MI'));
    assert.deepEqual(run('GEORADIUS', 'Sicily', '15', '95', '1', 'km'), e('invalid longitude,latitude pair 15.000000,95.000000'));
    assert.deepEqual(run('GEORADIUSBYMEMBER', 'Sicily', 'nope', '1', 'km'), e('could not decode requested zset member'));
    assert.deepEqual(run('GEORADIUSBYMEMBER', 'nokey', 'nope', 'x', 'km'), []);
    assert.deepEqual(run('GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'COUNT', '0'), e('COUNT must be > 0'));
    assert.deepEqual(run('GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'COUNT', 'x'), e('value is not an integer or out of range'));
    assert.deepEqual(run('GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'COUNT'), SYNTAX);
    assert.deepEqual(run('GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'ANY'), e('the ANY argument requires COUNT argument'));
    assert.deepEqual(run('GEORADIUS_RO', 'Sicily', '15', '37', '1', 'km', 'STORE', 'd'), SYNTAX);
    assert.deepEqual(
      run('GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'STORE', 'd', 'WITHDIST'),
      e('STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options'),
    );
    assert.deepEqual(
      run('GEOSEARCHSTORE', 'd', 'Sicily', 'FROMLONLAT', '1', '1', 'BYRADIUS', '1', 'km', 'WITHHASH'),
      e('GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options'),
    );
    assert.deepEqual(run('geoSearch', 'Sicily', 'BYRADIUS', '1', 'km', 'ASC'), e('exactly one of FROMMEMBER or FROMLONLAT can be specified for geoSearch'));
    assert.deepEqual(run('GEOSEARCH', 'Sicily', 'FROMLONLAT', '1', '1', 'ASC'), e('exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH'));
    assert.deepEqual(run('GEOSEARCH', 'Sicily', 'FROMLONLAT', '1', '1', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km'), SYNTAX);
    assert.deepEqual(run('GEOSEARCH', 'Sicily', 'FROMLONLAT', '1', '1', 'BYRADIUS', '1', 'km', 'BYBOX', '1', '1', 'km'), SYNTAX);
    assert.deepEqual(run('GEOSEARCH', 'Sicily', 'FROMLONLAT', '1', '1', 'BYBOX', '-1', '1', 'km'), e('height or width cannot be negative'));
    assert.deepEqual(run('GEOSEARCH', 'Sicily', 'FROMLONLAT', '1', '1', 'BYBOX', 'w', '1', 'km'), e('need numeric width'));
    assert.deepEqual(run('GEOSEARCH', 'Sicily', 'FROMLONLAT', '1', '1', 'BYBOX', '1', 'h', 'km'), e('need numeric height'));
    assert.deepEqual(run('GEOSEARCH', 'Sicily', 'FROMMEMBER', 'nope', 'BYBOX', '1', '1', 'km'), e('could not decode requested zset member'));
    assert.deepEqual(run('GEOSEARCH', 'Sicily', 'FROMLONLAT', '1', '1', 'BYRADIUS', '1', 'km', 'STORE', 'd'), SYNTAX);
  });
});

describe('dirty: writes that change the dataset move it, no-ops do not (as Redis propagates them)', () => {
  const cases: Array<{ change: string[]; noop: string[][] }> = [
    { change: ['GEOADD', 'g', '3', '4', 'b'], noop: [['GEOADD', 'g', '1', '2', 'a'], ['GEOADD', 'g', 'XX', '1', '2', 'x'], ['GEOADD', 's', '1', '2', 'a'], ['GEOADD', 'g', '200', '2', 'a']] },
    {
      change: ['GEORADIUS', 'g', '1', '2', '10', 'km', 'STORE', 'd'],
      noop: [['GEORADIUS', 'g', '1', '2', '10', 'km'], ['GEORADIUS', 'g', '50', '2', '10', 'km', 'STORE', 'd'], ['GEORADIUS', 'g', '1', '2', '10', 'km', 'STORE', 'd', 'WITHDIST']],
    },
    { change: ['GEORADIUSBYMEMBER', 'g', 'a', '10', 'km', 'STOREDIST', 'd'], noop: [['GEORADIUSBYMEMBER', 'g', 'nope', '10', 'km', 'STORE', 'd']] },
    {
      change: ['GEOSEARCHSTORE', 'd', 'g', 'FROMMEMBER', 'a', 'BYBOX', '1', '1', 'km'],
      noop: [['GEOSEARCHSTORE', 'd', 'nope', 'FROMMEMBER', 'a', 'BYBOX', '1', '1', 'km'], ['GEOSEARCHSTORE', 'd', 'g', 'FROMLONLAT', '50', '50', 'BYBOX', '1', '1', 'km']],
    },
  ];
  for (const { change, noop } of cases) {
    test(change[0], () => {
      const fresh = () => {
        const h = harness();
        h.run('SET', 's', 'v');
        h.run('GEOADD', 'g', '1', '2', 'a');
        return h;
      };
      const h = fresh();
      const before = h.store.dirty;
      assert.ok(!h.raw(...change).startsWith('-'), change.join(' '));
      assert.ok(h.store.dirty > before, `${change.join(' ')} should move dirty`);
      for (const argv of noop) {
        const g = fresh();
        const at = g.store.dirty;
        g.raw(...argv);
        assert.equal(g.store.dirty, at, `${argv.join(' ')} should not move dirty`);
      }
    });
  }
});
