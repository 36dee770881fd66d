// Byte-for-byte comparison with a real redis-server 7.0.15, in RESP2 and RESP3, of the GEO
// commands: GEOADD (NX XX CH, errors), GEOPOS GEOHASH GEODIST, GEORADIUS[_RO],
// GEORADIUSBYMEMBER[_RO], GEOSEARCH and GEOSEARCHSTORE with every option (WITHDIST WITHHASH
// WITHCOORD, COUNT [ANY], ASC/DESC, STORE/STOREDIST, BYRADIUS/BYBOX, FROMMEMBER/FROMLONLAT), the
// errors in Redis's order, WRONGTYPE and missing keys, the stored destinations (scores, encodings,
// overwritten types and TTLs), positions at the poles and the antimeridian, random points and
// searches (fast-check), keyspace events, the replication stream (GEOADD as ZADD), and CROSSSLOT in
// cluster mode.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { keyspaceEventsOf, sameOnBoth, splitCommands as split, type Cmd } from '../support/compare.js';
import { startOneNodeClusters } from '../support/one-node-clusters.js';
import { replicatedWhile } from '../support/sync-reader.js';

let corral: StartedCorral;
let redis: Started;

before(async () => {
  corral = await startCorral();
  redis = await startRedis();
});

after(async () => {
  await corral?.close();
  await redis?.close();
});

const same = (cmds: Cmd[]): Promise<void> => sameOnBoth(corral.port, redis.port, cmds);

const SICILY = `
  GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
  GEOADD Sicily 12.758489 38.788135 edge1 17.241510 38.788135 edge2 13.583333 37.316667 Agrigento
  GEOADD Sicily 15.087269 37.502669 twin 15.087269 37.502669 atwin
  SET str v
`;

describe('GEOADD GEOPOS GEOHASH GEODIST match redis 7.0', () => {
  test('adds, options, scores and positions', async () => {
    await same(split(`
      ${SICILY}
      ZRANGE Sicily 0 -1 WITHSCORES
      TYPE Sicily
      OBJECT ENCODING Sicily
      GEOADD Sicily NX 1 1 Palermo 2 2 new
      GEOADD Sicily XX 1 1 Palermo 3 3 other
      GEOADD Sicily CH 1 1 Palermo 4 4 other2
      GEOADD Sicily xx ch nx 1 1 a
      GEOADD Sicily ch ch ch
      GEOADD Sicily ch ch
      GEOADD Sicily 1 2 a 3
      GEOADD Sicily GT 1 2 a
      GEOADD Sicily 1 2
      GEOADD Sicily x 2 a
      GEOADD Sicily 1 x a
      GEOADD Sicily 1 nan a
      GEOADD Sicily 1 2 a 200 100 b
      GEOADD Sicily 1 2 a -180.0000001 -85.051128781 b
      GEOADD Sicily 1 2 a 1e300 0 b
      GEOADD Sicily inf 0 b
      GEOADD Sicily 0 -inf b
      GEOADD Sicily 0x10 0 hex
      GEOADD Sicily 180 85.05112878 ne -180 -85.05112878 sw 180 -85.05112878 se -180 85.05112878 nw 0 0 zero
      GEOADD Sicily -0 -0 negzero
      ZRANGE Sicily 0 -1 WITHSCORES
      GEOPOS Sicily Palermo Catania nope ne sw se nw zero negzero hex
      GEOPOS Sicily
      GEOPOS nokey a b
      GEOPOS str a
      GEOHASH Sicily Palermo Catania nope ne sw se nw zero negzero
      GEOHASH Sicily
      GEOHASH nokey a
      GEOHASH str a
      GEOADD str 1 1 a
      GEOADD str 1 100 a
    `));
  });

  test('GEODIST: units, missing members and keys, errors', async () => {
    await same(split(`
      ${SICILY}
      GEODIST Sicily Palermo Catania
      GEODIST Sicily Palermo Catania m
      GEODIST Sicily Palermo Catania KM
      GEODIST Sicily Palermo Catania mi
      GEODIST Sicily Palermo Catania Ft
      GEODIST Sicily Catania twin
      GEODIST Sicily Palermo Palermo km
      GEODIST Sicily Palermo nope
      GEODIST Sicily nope Palermo
      GEODIST nokey a b
      GEODIST nokey a b yd
      GEODIST Sicily Palermo Catania yd
      GEODIST Sicily Palermo Catania km extra
      GEODIST str a b
      GEODIST str a b km
      GEOADD far 180 0 a -180 0 b 0 85 n 0 -85 s 90 0 e -90 0 w
      GEODIST far a b
      GEODIST far n s
      GEODIST far e w km
      GEODIST far n s mi
    `));
  });

  test('scores that are not geohashes decode as redis decodes them', async () => {
    await same(split(`
      ZADD z 0 zero -1 neg 1.5 frac 1e300 huge -1e300 nhuge 4503599627370496 p52 9007199254740992 p53 inf pinf -inf ninf
      GEOPOS z zero neg frac huge nhuge p52 p53 pinf ninf
      GEOHASH z zero neg frac huge nhuge p52 p53 pinf ninf
      GEODIST z zero p52
      GEORADIUS z 0 0 50000 km WITHHASH WITHCOORD ASC
      GEOSEARCH z FROMMEMBER huge BYRADIUS 1 km WITHHASH
    `));
  });
});

describe('searches match redis 7.0', () => {
  test('GEORADIUS and GEORADIUS_RO: options, orders, counts', async () => {
    await same(split(`
      ${SICILY}
      GEORADIUS Sicily 15 37 200 km
      GEORADIUS Sicily 15 37 200 km WITHDIST
      GEORADIUS Sicily 15 37 200 km WITHCOORD
      GEORADIUS Sicily 15 37 200 km WITHHASH
      GEORADIUS Sicily 15 37 200 km WITHCOORD WITHHASH WITHDIST
      GEORADIUS Sicily 15 37 200 km withdist asc
      GEORADIUS Sicily 15 37 200 km withdist desc
      GEORADIUS Sicily 15 37 200 km COUNT 1
      GEORADIUS Sicily 15 37 200 km COUNT 2 DESC
      GEORADIUS Sicily 15 37 200 km COUNT 3 ASC WITHDIST
      GEORADIUS Sicily 15 37 200 km COUNT 2 ANY
      GEORADIUS Sicily 15 37 200 km COUNT 2 ANY ASC
      GEORADIUS Sicily 15 37 200 km ANY COUNT 10 DESC
      GEORADIUS Sicily 15 37 200 km COUNT 100
      GEORADIUS Sicily 15 37 200 km ASC DESC
      GEORADIUS Sicily 15 37 200 km COUNT 1 COUNT 3
      GEORADIUS Sicily 15 37 200000 m
      GEORADIUS Sicily 15 37 124.274 mi WITHDIST
      GEORADIUS Sicily 15 37 656168 ft WITHDIST
      GEORADIUS Sicily 15 37 0 km
      GEORADIUS Sicily 15.087269 37.502669 0 km
      GEORADIUS Sicily 15 37 1 km
      GEORADIUS Sicily 15 37 100000 km
      GEORADIUS Sicily 15 37 inf km
      GEORADIUS Sicily 15 37 1e300 km
      GEORADIUS_RO Sicily 15 37 200 km WITHDIST WITHCOORD ASC COUNT 2
      GEORADIUS nokey 15 37 200 km
      GEORADIUS_RO nokey 15 37 200 km WITHDIST
    `));
  });

  test('GEORADIUSBYMEMBER and its _RO form', async () => {
    await same(split(`
      ${SICILY}
      GEORADIUSBYMEMBER Sicily Agrigento 100 km
      GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST ASC
      GEORADIUSBYMEMBER Sicily Catania 0 m WITHDIST
      GEORADIUSBYMEMBER Sicily Catania 1 m ASC
      GEORADIUSBYMEMBER Sicily Catania 1 m DESC
      GEORADIUSBYMEMBER Sicily Catania 100 km COUNT 2
      GEORADIUSBYMEMBER Sicily Catania 100 km COUNT 2 DESC WITHHASH
      GEORADIUSBYMEMBER_RO Sicily Catania 100 km WITHCOORD
      GEORADIUSBYMEMBER Sicily nope 100 km
      GEORADIUSBYMEMBER Sicily nope x km
      GEORADIUSBYMEMBER nokey nope x yd
      GEORADIUSBYMEMBER nokey nope x yd WITHDIST
      GEORADIUSBYMEMBER nokey nope x yd bad
      GEORADIUSBYMEMBER nokey nope 1 km STORE d
      GEORADIUSBYMEMBER_RO nokey nope 1 km STORE d
      GEORADIUSBYMEMBER str nope 1 km
      GEORADIUSBYMEMBER_RO str nope 1 km
    `));
  });

  test('GEOSEARCH: FROMMEMBER / FROMLONLAT, BYRADIUS / BYBOX, options', async () => {
    await same(split(`
      ${SICILY}
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC
      GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHCOORD WITHDIST WITHHASH
      GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km DESC COUNT 2
      GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km COUNT 2 ANY
      GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 100 km
      GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 200 50 km WITHDIST
      GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 50 200 km WITHDIST
      GEOSEARCH Sicily FROMMEMBER Catania BYBOX 0 0 km WITHDIST ASC
      GEOSEARCH Sicily BYBOX 400 400 km FROMLONLAT 15 37
      GEOSEARCH Sicily FROMMEMBER Palermo FROMMEMBER Catania BYRADIUS 1 m
      GEOSEARCH Sicily FROMLONLAT 15 37 FROMLONLAT 13 38 BYRADIUS 1 km
      GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 1 km
      GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 15 37 BYRADIUS 1 km
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km BYRADIUS 200 km
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km BYBOX 1 1 km
      GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 km BYRADIUS 1 km
      GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 km BYBOX 400 400 km
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE d
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200
      GEOSEARCH Sicily FROMLONLAT 15 BYRADIUS 200 km
      GEOSEARCH Sicily FROMMEMBER nope BYRADIUS 200 km
      GEOSEARCH Sicily FROMMEMBER nope BYRADIUS x km
      GEOSEARCH Sicily BYRADIUS x km FROMMEMBER nope
      GEOSEARCH Sicily BYRADIUS 200 km ASC COUNT 1
      geosearch Sicily FROMLONLAT 15 37 ASC COUNT 1 WITHDIST
      GEOSEARCH Sicily FROMLONLAT 200 37 BYRADIUS 1 km
      GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km
      GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 -1 km
      GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x 1 km
      GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 x km
      GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 yd
      GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS -1 km
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km ANY
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT 0
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT -1
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT 1.5
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km WITHDIST bad
      GEOSEARCH nokey FROMMEMBER nope BYBOX 1 1 km
      GEOSEARCH nokey FROMMEMBER nope BYBOX x 1 km
      GEOSEARCH nokey FROMMEMBER nope BYBOX 1 1 km ANY
      GEOSEARCH nokey FROMLONLAT 1 1 ASC
      GEOSEARCH str FROMMEMBER nope BYBOX 1 1 km
      GEOSEARCH str bad
    `));
  });

  test('errors of GEORADIUS in order, STORE conflicts', async () => {
    await same(split(`
      ${SICILY}
      GEORADIUS Sicily x 37 200 km
      GEORADIUS Sicily 15 x 200 km
      GEORADIUS Sicily 15 91 200 km
      GEORADIUS Sicily 181 37 200 km
      GEORADIUS Sicily 15 37 x km
      GEORADIUS Sicily 15 37 -5 km
      GEORADIUS Sicily 15 37 5 yd
      GEORADIUS Sicily 15 37 5 KM bad
      GEORADIUS Sicily 15 37 5 km COUNT x
      GEORADIUS Sicily 15 37 5 km COUNT 0
      GEORADIUS Sicily 15 37 5 km COUNT
      GEORADIUS Sicily 15 37 5 km ANY
      GEORADIUS Sicily 15 37 5 km STORE
      GEORADIUS Sicily 15 37 5 km STORE d WITHDIST
      GEORADIUS Sicily 15 37 5 km WITHHASH STOREDIST d
      GEORADIUS Sicily 15 37 5 km WITHCOORD STORE d COUNT x
      GEORADIUS Sicily 15 37 5 km FROMLONLAT 1 1
      GEORADIUS Sicily 15 37 5 km BYRADIUS 1 km
      GEORADIUS_RO Sicily 15 37 5 km STORE d
      GEORADIUS_RO Sicily 15 37 5 km STOREDIST d
      GEORADIUS str 15 37 5 km
      GEORADIUS str x 37 5 km
      GEORADIUS_RO str 15 37 5 km
      GEORADIUS nokey x 37 5 km
      GEORADIUS nokey 15 37 5 km STORE d WITHDIST
      GEORADIUS nokey 15 37 5 km ANY
      GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST
      GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE e
      GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST e
      GEOSEARCHSTORE d str FROMLONLAT 15 37 BYRADIUS 200 km
      GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 ASC COUNT 1
      GEOSEARCHSTORE d Sicily BYRADIUS 200 km ASC COUNT 1
      geoSearchStore d Sicily BYRADIUS 200 km ASC
    `));
  });

  test('STORE, STOREDIST and GEOSEARCHSTORE: destinations, encodings, types and TTLs', async () => {
    await same(split(`
      ${SICILY}
      GEORADIUS Sicily 15 37 200 km STORE d
      ZRANGE d 0 -1 WITHSCORES
      OBJECT ENCODING d
      GEORADIUS Sicily 15 37 200 km STOREDIST d
      ZRANGE d 0 -1 WITHSCORES
      GEORADIUS Sicily 15 37 200 km STORE d STOREDIST e
      EXISTS d e
      ZRANGE e 0 -1 WITHSCORES
      GEORADIUS Sicily 15 37 200 km STOREDIST e STORE d COUNT 2 DESC
      ZRANGE d 0 -1 WITHSCORES
      GEORADIUS Sicily 15 37 200 km STORE d COUNT 1 ANY
      ZRANGE d 0 -1 WITHSCORES
      GEORADIUS Sicily 15 37 200 mi STOREDIST d
      ZRANGE d 0 -1 WITHSCORES
      GEORADIUS Sicily 15 37 1 km STORE d
      EXISTS d
      GEORADIUS Sicily 15 37 1 km STORE d
      SET d x
      EXPIRE d 100
      GEORADIUS Sicily 15 37 200 km STORE d
      TYPE d
      TTL d
      GEORADIUSBYMEMBER Sicily Palermo 100 km STORE d
      ZRANGE d 0 -1 WITHSCORES
      GEORADIUSBYMEMBER Sicily Palermo 100 km STOREDIST d ASC
      ZRANGE d 0 -1 WITHSCORES
      GEORADIUSBYMEMBER Sicily nope 100 km STORE d
      GEORADIUS nokey 15 37 200 km STORE d
      EXISTS d
      GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYBOX 400 400 km
      ZRANGE d 0 -1 WITHSCORES
      GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYBOX 400 400 km STOREDIST COUNT 3
      ZRANGE d 0 -1 WITHSCORES
      GEOSEARCHSTORE d Sicily FROMMEMBER Palermo BYRADIUS 10 km STOREDIST
      ZRANGE d 0 -1 WITHSCORES
      GEOSEARCHSTORE Sicily Sicily FROMMEMBER Palermo BYRADIUS 100 km
      ZRANGE Sicily 0 -1 WITHSCORES
      GEOSEARCHSTORE d Sicily FROMLONLAT 0 0 BYRADIUS 10 km
      EXISTS d
      GEOSEARCHSTORE str Sicily FROMLONLAT 15 37 BYRADIUS 10 km
      EXISTS str
      SET str v
      GEOSEARCHSTORE str nokey FROMLONLAT 15 37 BYRADIUS 10 km
      EXISTS str
    `));
  });

  test('many points: skiplist sources and destinations, ties at equal distances, COUNT with pqsort', async () => {
    const cmds: Cmd[] = [];
    const add: Cmd = ['GEOADD', 'big'];
    for (let i = 0; i < 300; i++) {
      // Some points share positions, so several are at the same distance from any centre.
      const lon = (-10 + ((i * 7) % 40) * 0.5).toFixed(1);
      const lat = (30 + ((i * 13) % 30) * 0.25).toFixed(2);
      add.push(lon, lat, `p${i}`);
    }
    cmds.push(add, ['OBJECT', 'ENCODING', 'big'], ['ZCARD', 'big']);
    for (const count of ['1', '5', '7', '40', '41', '150', '1000']) {
      cmds.push(['GEORADIUS', 'big', '0', '35', '800', 'km', 'COUNT', count, 'WITHDIST']);
      cmds.push(['GEORADIUS', 'big', '0', '35', '800', 'km', 'COUNT', count, 'DESC']);
      cmds.push(['GEOSEARCH', 'big', 'FROMLONLAT', '-5', '33', 'BYBOX', '1500', '900', 'km', 'COUNT', count, 'ASC']);
      cmds.push(['GEOSEARCH', 'big', 'FROMLONLAT', '-5', '33', 'BYBOX', '1500', '900', 'km', 'COUNT', count, 'ANY']);
      cmds.push(['GEOSEARCHSTORE', 'dst', 'big', 'FROMMEMBER', 'p3', 'BYRADIUS', '500', 'km', 'COUNT', count]);
      cmds.push(['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'], ['OBJECT', 'ENCODING', 'dst']);
    }
    cmds.push(['GEORADIUS', 'big', '0', '35', '2000', 'km']);
    cmds.push(['GEORADIUS', 'big', '0', '35', '2000', 'km', 'ASC', 'WITHDIST', 'WITHHASH', 'WITHCOORD']);
    cmds.push(['GEORADIUS', 'big', '0', '35', '2000', 'km', 'STORE', 'all'], ['ZRANGE', 'all', '0', '-1', 'WITHSCORES'], ['OBJECT', 'ENCODING', 'all']);
    cmds.push(['GEORADIUSBYMEMBER', 'big', 'p0', '300', 'km', 'DESC', 'WITHDIST']);
    await same(cmds);
  });

  // A known difference (docs/compatibility.md): glibc's cos and asin are not always the nearest
  // double (here cos of p146's latitude is one ulp off), corral's are, so this STOREDIST score
  // differs in its last digits. Kept as a todo: it passes once the math is glibc's own.
  test('STOREDIST scores to the last bit where glibc misrounds', { todo: 'glibc libm rounding' }, async () => {
    const cmds: Cmd[] = [['GEOADD', 'big', '0.5', '32.25', 'p3', '1.0', '32.00', 'p146'], ['GEODIST', 'big', 'p3', 'p146', 'km']];
    cmds.push(['GEOSEARCHSTORE', 'dst', 'big', 'FROMMEMBER', 'p3', 'BYRADIUS', '500', 'km', 'STOREDIST'], ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES']);
    await same(cmds);
  });

  test('the poles and the antimeridian', async () => {
    await same(split(`
      GEOADD w 179.99 0 e1 -179.99 0 w1 179.5 10 e2 -179.5 -10 w2 180 0 edge -180 0 edge2
      GEOADD w 0 85.05 n1 120 85 n2 -60 84.9 n3 0 -85.05 s1 179 -85.05112878 s2
      GEORADIUS w 180 0 100 km WITHDIST ASC
      GEORADIUS w -180 0 100 km WITHDIST ASC
      GEORADIUS w 180 0 2000 km WITHDIST ASC
      GEOSEARCH w FROMLONLAT 180 0 BYBOX 3000 3000 km ASC WITHDIST
      GEOSEARCH w FROMLONLAT -179.9 5 BYBOX 1000 3000 km ASC WITHDIST
      GEOSEARCH w FROMMEMBER e1 BYRADIUS 50 km WITHCOORD
      GEORADIUS w 0 85.05112878 1000 km WITHDIST ASC
      GEORADIUS w 0 85.05112878 10000 km WITHDIST ASC
      GEORADIUS w 0 -85.05112878 500 km WITHDIST ASC
      GEOSEARCH w FROMLONLAT 60 85 BYBOX 10000 500 km WITHDIST ASC
      GEOSEARCH w FROMLONLAT 0 0 BYRADIUS 20000 km ASC WITHDIST
      GEOSEARCH w FROMLONLAT 0 0 BYBOX 40000 20000 km DESC
      GEOPOS w e1 w1 edge edge2 n1 s2
      GEOHASH w e1 w1 edge edge2 n1 s2
      GEODIST w e1 w1
      GEODIST w edge edge2
      GEODIST w n1 s1 km
    `));
  });
});

const PER_KM: Record<string, number> = { m: 1000, km: 1, mi: 0.621371, ft: 3280.84 };

describe('random points and searches agree', () => {
  test('random positions: scores, GEOPOS, GEOHASH, GEODIST', async () => {
    const lon = fc.double({ min: -180, max: 180, noNaN: true, noDefaultInfinity: true });
    const lat = fc.double({ min: -85.05112878, max: 85.05112878, noNaN: true, noDefaultInfinity: true });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(lon, lat), { minLength: 2, maxLength: 12 }), async (points) => {
        const add: Cmd = ['GEOADD', 'k'];
        points.forEach(([x, y], i) => add.push(String(x), String(y), `m${i}`));
        const names = points.map((_, i) => `m${i}`);
        const cmds: Cmd[] = [add, ['ZRANGE', 'k', '0', '-1', 'WITHSCORES'], ['GEOPOS', 'k', ...names], ['GEOHASH', 'k', ...names]];
        for (let i = 1; i < names.length; i++) cmds.push(['GEODIST', 'k', 'm0', names[i], 'km']);
        await same(cmds);
      }),
      { numRuns: 25 },
    );
  });

  test('random searches over random points (regions of the globe, all options)', async () => {
    const region = fc.record({ lon: fc.double({ min: -180, max: 180, noNaN: true }), lat: fc.double({ min: -84, max: 84, noNaN: true }) });
    const unit = fc.constantFrom('m', 'km', 'mi', 'ft');
    await fc.assert(
      fc.asyncProperty(
        region,
        fc.array(fc.tuple(fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: -5, max: 5, noNaN: true })), { minLength: 1, maxLength: 40 }),
        fc.array(
          fc.record({
            radius: fc.constantFrom('0', '1', '50', '120', '300.5', '700', '5000', '20000'),
            unit,
            box: fc.boolean(),
            order: fc.constantFrom('', 'ASC', 'DESC'),
            count: fc.constantFrom('', '1', '3', '10', '50'),
            any: fc.boolean(),
            // STOREDIST's full-precision distances are compared by the fixed tests only: a random
            // one may hit a glibc misrounding (see the todo test above).
            store: fc.constantFrom('', 'STORE'),
            from: fc.nat(),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        async (centre, offsets, searches) => {
          const add: Cmd = ['GEOADD', 'k'];
          const clampLon = (x: number): number => (x > 180 ? x - 360 : x < -180 ? x + 360 : x);
          offsets.forEach(([dx, dy], i) => add.push(String(clampLon(centre.lon + dx)), String(Math.max(-85, Math.min(85, centre.lat + dy))), `m${i % 30}`));
          const cmds: Cmd[] = [add];
          for (const s of searches) {
            // The radius given in km, written in the search's unit.
            const r = String(Number(s.radius) * PER_KM[s.unit]);
            const opts: string[] = [];
            if (s.order !== '') opts.push(s.order);
            if (s.count !== '') opts.push('COUNT', s.count, ...(s.any ? ['ANY'] : []));
            const member = `m${s.from % offsets.length % 30}`;
            const shape = s.box ? ['BYBOX', r, String(Number(r) / 2 || 0), s.unit] : ['BYRADIUS', r, s.unit];
            if (s.store === '') {
              cmds.push(['GEOSEARCH', 'k', 'FROMMEMBER', member, ...shape, ...opts, 'WITHDIST', 'WITHHASH', 'WITHCOORD']);
              cmds.push(['GEORADIUS', 'k', String(centre.lon), String(centre.lat), r, s.unit, ...opts, 'WITHDIST']);
            } else {
              cmds.push(['GEORADIUSBYMEMBER', 'k', member, r, s.unit, ...opts, s.store, 'dst'], ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES']);
              cmds.push(['GEOSEARCHSTORE', 'dst', 'k', 'FROMLONLAT', String(centre.lon), String(centre.lat), ...shape, ...opts]);
              cmds.push(['ZRANGE', 'dst', '0', '-1', 'WITHSCORES']);
            }
          }
          await same(cmds);
        },
      ),
      { numRuns: 40 },
    );
  });
});


test('keyspace events match redis 7.0 (GEOADD as zadd, the STORE forms)', async () => {
  const cmds = split(`
    GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
    GEOADD g 13.361389 38.115556 Palermo
    GEOADD g XX 1 1 nope
    GEOADD g CH 1 1 Palermo
    GEOADD g 200 1 bad
    GEORADIUS g 15 37 200 km STORE d
    GEORADIUS g 15 37 200 km STOREDIST d
    GEORADIUSBYMEMBER g Palermo 1 km STORE e
    GEORADIUS g 0 0 1 km STORE d
    GEORADIUS g 0 0 1 km STORE d
    GEOSEARCHSTORE s g FROMLONLAT 15 37 BYRADIUS 200 km
    GEOSEARCHSTORE s g FROMLONLAT 0 0 BYRADIUS 1 km
    GEOSEARCHSTORE s nokey FROMLONLAT 0 0 BYRADIUS 1 km
    GEORADIUS nokey 0 0 1 km STORE e
    GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km
    GEOPOS g Palermo
    GEODIST g Palermo Catania
  `);
  assert.deepEqual(await keyspaceEventsOf(corral.port, cmds), await keyspaceEventsOf(redis.port, cmds));
});


test('replication stream matches redis 7.0: GEOADD as ZADD, searches that store as sent, nothing for reads', async () => {
  const writes = split(`
    GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
    GEOADD g NX CH 13.361389 38.115556 Palermo 1 1 other
    GEOADD g XX 2 2 nope
    GEOADD g 200 1 bad
    GEORADIUS g 15 37 200 km STORE d
    GEORADIUS g 0 0 1 km STORE d
    GEORADIUS g 0 0 1 km STORE d
    GEORADIUSBYMEMBER g Palermo 200 km STOREDIST e COUNT 1
    GEOSEARCHSTORE s g FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
    GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km
    GEORADIUS_RO g 15 37 200 km
    GEORADIUS g 15 37 200 km
    SET last 1
  `);
  const streams: string[][][] = [];
  for (const port of [corral.port, redis.port]) {
    streams.push(await replicatedWhile(port, async (c) => {
      for (const cmd of writes) await c.call(...cmd);
    }));
  }
  assert.deepEqual(streams[0], streams[1]);
  assert.ok(streams[1].some((cmd) => cmd[0] === 'zadd'));
});

test('cluster mode: a STORE destination counts for CROSSSLOT, as on a one-node Redis Cluster', async () => {
  const clusters = await startOneNodeClusters('geo');
  try {
    await sameOnBoth(clusters.corralPort, clusters.redisPort, split(`
      GEOADD {a}g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
      GEORADIUS {a}g 15 37 200 km STORE {a}d
      GEORADIUS {a}g 15 37 200 km STORE {b}d
      GEORADIUS {a}g 15 37 200 km STOREDIST {b}d
      GEORADIUS {a}g 15 37 200 km STORE {a}d STORE {b}d
      GEORADIUS {a}g 15 37 200 km STORE {b}d STORE {a}d
      GEORADIUSBYMEMBER {a}g Palermo 200 km STORE {b}d
      GEORADIUSBYMEMBER {a}g Palermo 200 km STORE {a}d
      GEORADIUS_RO {a}g 15 37 200 km
      GEOSEARCHSTORE {a}d {a}g FROMLONLAT 15 37 BYRADIUS 200 km
      GEOSEARCHSTORE {b}d {a}g FROMLONLAT 15 37 BYRADIUS 200 km
      GEOSEARCH {b}g FROMLONLAT 15 37 BYRADIUS 200 km
      GEOPOS {a}g Palermo
    `));
  } finally {
    await clusters.close();
  }
});
