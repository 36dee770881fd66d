// Byte-for-byte comparison of corral's SORT and SORT_RO with a real redis-server 7.0, in RESP2
// and RESP3: every option, LIMIT arithmetic, score parsing, BY/GET with strings and hash fields,
// STORE, errors in Redis's order, lists, sets (only where Redis's order is deterministic: intsets,
// sorted results, STORE), sorted sets (BY nosort, LIMIT, the skiplist conversion), and cluster
// mode's refusals and CROSSSLOT against a one-node Redis Cluster.
//
// ALPHA compares with strcoll, so redis-server's reply depends on its locale (it calls
// setlocale(LC_COLLATE, "")). corral compares bytes, as Redis does under C or C.UTF-8; the
// servers started here get LC_ALL=C so the comparison does not depend on the host's locale.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, startRedis, transcripts, type Started, type StartedCorral } from '../support/servers.js';
import { parseReply, type ReplyValue } from '../../src/protocol/reply-parser.js';
import { flushAll, sameOnBoth, type Cmd } from '../support/compare.js';
import { startOneNodeClusters, type OneNodeClusters } from '../support/one-node-clusters.js';

process.env.LC_ALL = 'C';

let corral: StartedCorral;
let redis: Started;

before(async () => {
  [corral, redis] = await Promise.all([startCorral(), startRedis()]);
});

after(async () => {
  await Promise.all([corral?.close(), redis?.close()]);
});

const same = (cmds: Cmd[]): Promise<void> => sameOnBoth(corral.port, redis.port, cmds);
const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
const bin = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Parsed RESP2 replies of cmds on both servers, for order-free comparison. */
async function both(cmds: Cmd[]): Promise<[ReplyValue[], ReplyValue[]]> {
  await flushAll([corral.port, redis.port]);
  const [ours, theirs] = await transcripts(corral.port, redis.port, cmds, []);
  const parse = (bufs: Buffer[]) => bufs.map((b) => parseReply(b)![0]);
  return [parse(ours), parse(theirs)];
}

const LIMITS: Array<[string, string]> = [
  ['0', '3'], ['1', '2'], ['-1', '2'], ['0', '0'], ['0', '-1'], ['2', '-5'], ['5', '1'], ['6', '1'], ['5', '10'], ['100', '1'],
  ['-100', '-100'], ['3', '0'], ['9223372036854775807', '9223372036854775807'], ['-9223372036854775808', '3'], ['1', '9223372036854775807'],
];

describe('SORT on lists, byte for byte with redis 7.0', () => {
  test('numeric and ALPHA order, ASC/DESC, LIMIT arithmetic', () =>
    same([
      ['RPUSH', 'l', '3', '1', '2', '10', '-5', '1.5'], ['SORT', 'l'], ['SORT', 'l', 'DESC'], ['SORT', 'l', 'ALPHA'], ['SORT', 'l', 'alpha', 'desc'],
      ['SORT', 'l', 'DESC', 'ASC'], ['SORT', 'l', 'asc', 'desc'], ['SORT', 'l', 'ALPHA', 'ALPHA'], ['SORT_RO', 'l'], ['SORT_RO', 'l', 'DESC', 'ALPHA'],
      ...LIMITS.map(([a, b]): Cmd => ['SORT', 'l', 'LIMIT', a, b]),
      ...LIMITS.map(([a, b]): Cmd => ['SORT', 'l', 'DESC', 'LIMIT', a, b]),
      ['SORT', 'l', 'LIMIT', '0', '2', 'LIMIT', '3', '2'], ['LRANGE', 'l', '0', '-1'], ['TYPE', 'l'],
      ['SORT', 'nokey'], ['SORT', 'nokey', 'LIMIT', '0', '5'], ['SORT', 'nokey', 'LIMIT', '3', '5', 'GET', '#'], ['SORT_RO', 'nokey', 'DESC', 'ALPHA'],
      ['SORT', 'nokey', 'BY', 'nosort', 'LIMIT', '1', '1'],
    ]));

  // Redis 7.0 never clears errno before strtod: once a score overflows or underflows (ERANGE),
  // every later SORT of a non-integer element fails too, until something else sets errno (a new
  // connection does). corral does not copy that, so the ERANGE cases come last in a connection.
  test('scores parsed as strtod: white space, hex, infinities, empty, ties broken by bytes', () =>
    same([
      ['RPUSH', 'n', '1.0', '01', '1', ' 1', '0x1', '1e0', '', '+.5', '-inf', 'inf', 'Infinity', '0X1P-3', '1.', '.5e1', '0e-500', '2.2250738585072014e-308'],
      ['SORT', 'n'], ['SORT', 'n', 'DESC'], ['SORT', 'n', 'LIMIT', '2', '5'],
      ['RPUSH', 'h', '0x1p-1074', '0x1.8p1', '0x.8', '-0x10', '0x1fffffffffffff8p-4', '0x1p1023', '0x1.fffffffffffff8p0'], ['SORT', 'h'],
      ['RPUSH', 'nul', bin('12\0x'), bin('\0zz'), '3'], ['SORT', 'nul'],
      ...['nan', '12 ', '0x', '.', '-', ' ', '1e', '1_0', 'infinit', '0x1p', 'abc', '1e400', '-1e400', '1e-400', '1e-310', '4.9406564584124654e-324', '0x1p1024', '0x1p-1075', '0x3p-1075']
        .flatMap((v, i): Cmd[] => [['RPUSH', `bad${i}`, '1', v, '2'], ['SORT', `bad${i}`], ['SORT', `bad${i}`, 'ALPHA'], ['SORT', `bad${i}`, 'BY', 'nosort']]),
    ]));

  test('option errors in Redis order, then WRONGTYPE, then scores', () =>
    same([
      ['RPUSH', 'l', '2', '1'], ['SORT', 'l', 'FOO'], ['SORT', 'l', 'LIMIT', '0'], ['SORT', 'l', 'LIMIT'], ['SORT', 'l', 'LIMIT', 'x', '1'],
      ['SORT', 'l', 'LIMIT', '0', 'x'], ['SORT', 'l', 'LIMIT', '1.5', '1'], ['SORT', 'l', 'LIMIT', '0', '9223372036854775808'], ['SORT', 'l', 'BY'],
      ['SORT', 'l', 'GET'], ['SORT', 'l', 'STORE'], ['SORT_RO', 'l', 'STORE', 'd'], ['SORT', 'l', 'FOO', 'LIMIT', 'x', '1'],
      ['SORT', 'l', 'LIMIT', 'x', '1', 'FOO'], ['SORT', 'l', 'ASC', 'ALPHA', 'BYE'], ['SORT'], ['SORT_RO'], ['EXISTS', 'd'],
      ['SET', 's', 'v'], ['SORT', 's'], ['SORT', 's', 'FOO'], ['SORT', 's', 'LIMIT', 'x', '1'], ['SORT', 's', 'STORE', 'd'], ['SORT_RO', 's'],
      ['HSET', 'hash', 'f', 'v'], ['SORT', 'hash', 'BY', 'nosort'], ['EXISTS', 'd'],
      ['RPUSH', 'bad', '1', 'x'], ['SORT', 'bad', 'FOO'], ['SORT', 'bad', 'LIMIT', '0', '1'], ['SORT', 'bad', 'STORE', 'd'], ['EXISTS', 'd'],
      ['SORT', 'l', bin('ALPHA\0x')], ['SORT', 'l', bin('desc\0'), bin('LIMIT\0?'), '0', '1'], ['SORT', 'l', bin('STORE\0z'), 'd2'], ['LRANGE', 'd2', '0', '-1'],
      ['SORT', 'l', 'ALPH'], ['SORT', 'l', bin('\0')], ['SORT', 'l', bin('BY\0'), 'nosort', 'DESC'], ['SORT', 'l', 'ALPHAS'],
    ]));

  test('BY nosort keeps list order; DESC walks it backwards; LIMIT reads the range', () =>
    same([
      ['RPUSH', 'l', 'c', 'a', 'b', 'e', 'd'], ['SORT', 'l', 'BY', 'nosort'], ['SORT', 'l', 'BY', 'nosort', 'DESC'], ['SORT', 'l', 'BY', ''],
      ...LIMITS.map(([a, b]): Cmd => ['SORT', 'l', 'BY', 'nosort', 'LIMIT', a, b]),
      ...LIMITS.map(([a, b]): Cmd => ['SORT', 'l', 'BY', 'nosort', 'DESC', 'LIMIT', a, b]),
      ['SORT', 'l', 'BY', 'nosort', 'ALPHA'], ['SORT', 'l', 'BY', 'nosort', 'BY', 'w_*'], ['SORT', 'l', 'BY', 'w_*', 'BY', 'nosort', 'DESC'],
      ['SORT', 'l', 'BY', bin('w_\0*')], ['SORT', 'l', 'BY', 'nosort', 'GET', '#', 'GET', 'x_*'],
    ]));
});

describe('BY and GET patterns', () => {
  const setup: Cmd[] = [
    ['RPUSH', 'ids', '1', '2', '3', '4', '5'], ['MSET', 'w_1', '40', 'w_2', '10', 'w_3', '30', 'w_5', '10', 'o_1', 'x', 'o_2', '3'],
    ['HSET', 'h_1', 'f', '3', 'g', 'b'], ['HSET', 'h_2', 'f', '1', 'g', 'a'], ['HSET', 'h_3', 'f', '2'], ['HSET', 'h_4', 'f', '-1', 'g', 'c'],
    ['RPUSH', 'w_4', 'list'], ['SET', 'h_5', 'string'], ['SET', 'h_1->', '7'], ['SET', 'p1s', 'one'], ['SET', 'p2s', 'two'], ['SET', '1', 'self'],
  ];
  test('BY weights from strings and hash fields, missing and mistyped ones', () =>
    same([
      ...setup, ['SORT', 'ids', 'BY', 'w_*'], ['SORT', 'ids', 'BY', 'w_*', 'DESC'], ['SORT', 'ids', 'BY', 'w_*', 'LIMIT', '1', '3'],
      ['SORT', 'ids', 'BY', 'w_*', 'ALPHA'], ['SORT', 'ids', 'BY', 'w_*', 'ALPHA', 'DESC'], ['SORT', 'ids', 'BY', 'h_*->f'],
      ['SORT', 'ids', 'BY', 'h_*->f', 'DESC', 'LIMIT', '0', '2'], ['SORT', 'ids', 'BY', 'h_*->g', 'ALPHA'], ['SORT', 'ids', 'BY', 'h_*->nofield'],
      ['SORT', 'ids', 'BY', 'h_*->'], ['SORT', 'ids', 'BY', 'nosuch_*'], ['SORT', 'ids', 'BY', 'nosuch_*', 'DESC'], ['SORT', 'ids', 'BY', 'o_*'],
      ['SORT', 'ids', 'BY', 'h_*->g'], ['SORT', 'ids', 'BY', '*'], ['SORT', 'ids', 'BY', 'p*s', 'ALPHA'], ['SORT', 'ids', 'BY', 'w_*', 'BY', 'h_*->f'],
      ['SORT_RO', 'ids', 'BY', 'h_*->f', 'GET', '#'], ['SORT', 'ids', 'BY', 'h_*->f', 'STORE', 'dst'], ['LRANGE', 'dst', '0', '-1'],
    ]));

  test('GET #, strings, hash fields, missing values, patterns without *', () =>
    same([
      ...setup, ['SORT', 'ids', 'GET', '#'], ['SORT', 'ids', 'GET', 'w_*'], ['SORT', 'ids', 'GET', '#', 'GET', 'w_*', 'GET', 'h_*->f', 'GET', 'h_*->g'],
      ['SORT', 'ids', 'GET', 'nostar'], ['SORT', 'ids', 'GET', 'h_*->'], ['SORT', 'ids', 'GET', '*'], ['SORT', 'ids', 'GET', '*->f'],
      ['SORT', 'ids', 'GET', 'w_*_*'], ['SORT', 'ids', 'GET', '##'], ['SORT', 'ids', 'GET', bin('#\0x')], ['SORT', 'ids', 'GET', bin('w_\0*')],
      ['SORT', 'ids', 'GET', bin('h_*->\0f')], ['SORT', 'ids', 'GET', bin('h_*\0->f')], ['SORT', 'ids', 'BY', 'w_*', 'GET', '#', 'GET', 'w_*', 'LIMIT', '1', '2'],
      ['SORT', 'ids', 'DESC', 'LIMIT', '0', '2', 'GET', 'h_*->f'], ['SORT', 'ids', 'LIMIT', '0', '0', 'GET', '#'], ['SORT', 'ids', 'BY', 'nosort', 'GET', 'p*s'],
      ['SORT', 'nokey', 'GET', '#'],
    ]));

  // Equal ALPHA weights: a full sort is glibc's stable merge sort, BY with LIMIT is Redis's pqsort.
  const letters = range(60, (i) => `e${String(i).padStart(2, '0')}`);
  const ties: Cmd[] = [
    ['RPUSH', 't', ...letters.slice().reverse()], ...letters.map((e, i): Cmd => ['SET', `wt_${e}`, `w${i % 4}`]),
    ['RPUSH', 'u', 'd', 'b', 'a', 'f', 'c', 'e'], ['MSET', 'wu_a', 'x', 'wu_b', 'x', 'wu_c', 'y', 'wu_d', 'x'],
  ];
  test('equal ALPHA weights keep Redis order, sorted fully or partially (pqsort)', () =>
    same([
      ...ties,
      ['SORT', 't', 'BY', 'wt_*', 'ALPHA'], ['SORT', 't', 'BY', 'wt_*', 'ALPHA', 'DESC'], ['SORT', 't', 'BY', 'wt_*', 'ALPHA', 'LIMIT', '0', '10'],
      ['SORT', 't', 'BY', 'wt_*', 'ALPHA', 'LIMIT', '17', '9'], ['SORT', 't', 'BY', 'wt_*', 'ALPHA', 'DESC', 'LIMIT', '40', '30'],
      ['SORT', 't', 'BY', 'wt_*', 'ALPHA', 'LIMIT', '0', '0'], ['SORT', 't', 'BY', 'wt_*', 'ALPHA', 'LIMIT', '59', '1'], ['SORT', 't', 'BY', 'nowt_*', 'ALPHA', 'LIMIT', '3', '20'],
      ['SORT', 't', 'BY', 'wt_*', 'ALPHA', 'LIMIT', '5', '5', 'STORE', 'd'], ['LRANGE', 'd', '0', '-1'],
      ...range(7, String).map((i): Cmd => ['SORT', 'u', 'BY', 'wu_*', 'ALPHA', 'LIMIT', i, '2']), ['SORT', 'u', 'BY', 'wu_*', 'ALPHA'],
      ['SORT', 'u', 'BY', 'wu_*', 'ALPHA', 'DESC', 'LIMIT', '1', '3'], ['SORT', 'u', 'BY', 'wu_*', 'LIMIT', '1', '3'],
    ]));

  test('ALPHA compares bytes, up to a NUL unless storing', () =>
    same([
      ['RPUSH', 'a', 'b', 'B', bin('\xe9'), 'e', 'a', 'A', '', bin('a\0c'), bin('a\0b'), bin('\xff'), bin('a\0')], ['SORT', 'a', 'ALPHA'],
      ['SORT', 'a', 'ALPHA', 'DESC'], ['SORT', 'a', 'ALPHA', 'STORE', 'd'], ['LRANGE', 'd', '0', '-1'], ['SORT', 'a', 'ALPHA', 'DESC', 'STORE', 'd'],
      ['LRANGE', 'd', '0', '-1'], ['RPUSH', 'k', '1', '2', '3'], ['SET', 'wk_1', bin('x\0b')], ['SET', 'wk_2', bin('x\0a')], ['SET', 'wk_3', 'x'],
      ['SORT', 'k', 'BY', 'wk_*', 'ALPHA'], ['SORT', 'k', 'BY', 'wk_*', 'ALPHA', 'STORE', 'd'], ['LRANGE', 'd', '0', '-1'],
    ]));
});

test('pattern lookups count as keyspace hits and misses as in Redis', async () => {
  const [ours, theirs] = await both([
    ['RPUSH', 'l', '3', '1', '2'], ['MSET', 'w_1', '1', 'w_2', 'x'], ['HSET', 'h_1', 'f', '1'], ['CONFIG', 'RESETSTAT'],
    ['SORT', 'l', 'BY', 'w_*', 'GET', '#', 'GET', 'h_*->f', 'GET', 'nostar', 'LIMIT', '0', '2'], ['SORT', 'l', 'BY', 'nosort', 'GET', 'w_*'],
    ['SORT', 'l', 'BY', 'h_*->f', 'ALPHA', 'STORE', 'd'], ['SORT', 'nokey'], ['SORT', 'l', 'BY', 'w_*'], ['INFO', 'stats'],
  ]);
  const counts = (info: ReplyValue) => String(info).split('\r\n').filter((l) => /^keyspace_(hits|misses):/.test(l));
  assert.deepEqual(counts(ours[9]), counts(theirs[9]));
  assert.equal(counts(ours[9]).length, 2);
});

describe('STORE', () => {
  test('replaces the destination with a list, deletes it when empty, replies the count', () =>
    same([
      ['RPUSH', 'l', '3', '1', '2'], ['SORT', 'l', 'STORE', 'd'], ['LRANGE', 'd', '0', '-1'], ['TYPE', 'd'], ['OBJECT', 'ENCODING', 'd'],
      ['SET', 'd', 'x', 'EX', '100'], ['SORT', 'l', 'DESC', 'STORE', 'd'], ['TTL', 'd'], ['LRANGE', 'd', '0', '-1'],
      ['SADD', 'd', 'm'], ['SORT', 'l', 'LIMIT', '1', '1', 'STORE', 'd'], ['TYPE', 'd'], ['LRANGE', 'd', '0', '-1'],
      ['SORT', 'l', 'LIMIT', '0', '0', 'STORE', 'd'], ['EXISTS', 'd'], ['SORT', 'nokey', 'STORE', 'd'], ['EXISTS', 'd'],
      ['SORT', 'l', 'STORE', 'd1', 'STORE', 'd2'], ['EXISTS', 'd1', 'd2'], ['LRANGE', 'd2', '0', '-1'], ['SORT', 'l', 'STORE', 'l'], ['LRANGE', 'l', '0', '-1'],
      ['SET', 'w_1', '9'], ['SORT', 'l', 'GET', 'w_*', 'GET', '#', 'STORE', 'g'], ['LRANGE', 'g', '0', '-1'], ['SORT', 'l', 'GET', 'nostar', 'STORE', 'g'],
      ['LRANGE', 'g', '0', '-1'], ['RPUSH', 'bad', 'x'], ['SET', 'keep', 'v'], ['SORT', 'bad', 'STORE', 'keep'], ['GET', 'keep'],
      ['SORT', 'l', 'store', 'ALPHA', 'BY', 'nosort', 'STORE', 'e'], ['LRANGE', 'e', '0', '-1'], ['RPUSH', 'big', ...range(200, (i) => String(200 - i))],
      ['SORT', 'big', 'STORE', 'bigd'], ['LLEN', 'bigd'], ['LRANGE', 'bigd', '95', '104'], ['OBJECT', 'ENCODING', 'bigd'],
    ]));
});

describe('SORT on sets and sorted sets', () => {
  test('intsets iterate in numeric order; BY nosort STORE on a set sorts ALPHA', () =>
    same([
      ['SADD', 'si', '5', '3', '10', '-1', '20'], ['SORT', 'si'], ['SORT', 'si', 'DESC', 'LIMIT', '1', '2'], ['SORT', 'si', 'ALPHA'],
      ['SORT', 'si', 'BY', 'nosort'], ['SORT', 'si', 'BY', 'nosort', 'DESC'], ['SORT', 'si', 'BY', 'nosort', 'LIMIT', '1', '2'],
      ['SORT', 'si', 'BY', 'nosort', 'DESC', 'LIMIT', '3', '5'], ['SORT', 'si', 'BY', 'nosort', 'STORE', 'd'], ['LRANGE', 'd', '0', '-1'],
      ['SORT', 'si', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '3', 'STORE', 'd'], ['LRANGE', 'd', '0', '-1'], ['SORT', 'si', 'BY', 'nosort', 'GET', 'x_*'],
      ['SADD', 'sh', 'c', 'a', 'b', '10', '2', 'B'], ['SORT', 'sh', 'ALPHA'], ['SORT', 'sh', 'ALPHA', 'DESC', 'LIMIT', '1', '3'], ['SORT', 'sh'],
      ['SORT', 'sh', 'BY', 'nosort', 'STORE', 'd'], ['LRANGE', 'd', '0', '-1'], ['SORT', 'sh', 'BY', 'nosort', 'DESC', 'STORE', 'd'], ['LRANGE', 'd', '0', '-1'],
      ['MSET', 'w_a', '3', 'w_b', '1', 'w_c', '2', 'w_10', '6', 'w_2', '5', 'w_B', '4'], ['SORT', 'sh', 'BY', 'w_*', 'GET', '#', 'GET', 'w_*'],
      ['SORT', 'sh', 'BY', 'w_*', 'DESC', 'LIMIT', '2', '2'], ['SADD', 'sn', '1.5', '-2', '0x10', 'inf'], ['SORT', 'sn'], ['SORT', 'sn', 'STORE', 'd'], ['LRANGE', 'd', '0', '-1'],
    ]));

  test('a hashtable set BY nosort without STORE replies its members in some order', async () => {
    const members = range(20, (i) => `m${i}`);
    const [ours, theirs] = await both([['SADD', 'h', ...members], ['SORT', 'h', 'BY', 'nosort'], ['SORT', 'h', 'BY', 'nosort', 'LIMIT', '5', '3']]);
    assert.deepEqual([...(ours[1] as string[])].sort(), [...(theirs[1] as string[])].sort());
    assert.equal((ours[2] as string[]).length, (theirs[2] as string[]).length);
  });

  test('sorted sets: BY nosort keeps score order and honours LIMIT by rank; SORT makes a skiplist', () =>
    same([
      ['ZADD', 'z', '3', 'c', '1', 'a', '2', 'b', '5', 'e', '4', 'd'], ['OBJECT', 'ENCODING', 'z'], ['SORT', 'z', 'BY', 'nosort'], ['OBJECT', 'ENCODING', 'z'],
      ['SORT', 'z', 'BY', 'nosort', 'DESC'], ...LIMITS.map(([a, b]): Cmd => ['SORT', 'z', 'BY', 'nosort', 'LIMIT', a, b]),
      ...LIMITS.map(([a, b]): Cmd => ['SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', a, b]), ['SORT', 'z', 'ALPHA', 'DESC'], ['SORT', 'z'],
      ['SORT', 'z', 'BY', 'nosort', 'GET', '#', 'GET', 'w_*'], ['SORT', 'z', 'BY', 'nosort', 'LIMIT', '1', '3', 'STORE', 'd'], ['LRANGE', 'd', '0', '-1'],
      ['ZADD', 'zr', '1', 'x'], ['SORT_RO', 'zr', 'BY', 'nosort'], ['OBJECT', 'ENCODING', 'zr'], ['ZADD', 'zn', '3', '10', '2', '-1', '1', '7'], ['SORT', 'zn'],
      ['SORT', 'zn', 'DESC', 'LIMIT', '0', '2'], ['ZADD', 'zb', ...range(600, (i) => (i % 2 === 0 ? String(i % 7) : `m${String(i >> 1).padStart(3, '0')}`))],
      ['OBJECT', 'ENCODING', 'zb'], ['SORT', 'zb', 'BY', 'nosort', 'LIMIT', '100', '12'], ['SORT', 'zb', 'BY', 'nosort', 'DESC', 'LIMIT', '37', '9'],
      ['SORT', 'zb', 'ALPHA', 'LIMIT', '250', '10'],
    ]));
});

describe('cluster mode, against a one-node Redis Cluster', () => {
  let clusters: OneNodeClusters;
  let clusterRedisPort = 0;
  let clusterCorralPort = 0;

  before(async () => {
    clusters = await startOneNodeClusters('compat-sort');
    clusterRedisPort = clusters.redisPort;
    clusterCorralPort = clusters.corralPort;
  });

  after(async () => {
    await clusters?.close();
  });

  test('BY patterns and every GET refused, STORE in another slot is CROSSSLOT', () =>
    sameOnBoth(clusterCorralPort, clusterRedisPort, [
      ['RPUSH', '{t}l', '3', '1', '2'], ['SORT', '{t}l'], ['SORT', '{t}l', 'BY', 'nosort', 'DESC'], ['SORT', '{t}l', 'BY', 'w_*'],
      ['SORT', '{t}l', 'BY', '{t}w_*'], ['SORT', '{t}l', 'GET', '#'], ['SORT', '{t}l', 'GET', 'x'], ['SORT_RO', '{t}l', 'GET', '#'],
      ['SORT', '{t}l', 'BY', 'w_*', 'GET', '#'], ['SORT', '{t}l', 'GET', '#', 'BY', 'w_*'], ['SORT', '{t}l', 'LIMIT', 'x', '1', 'GET', '#'],
      ['SORT', '{t}l', 'FOO', 'GET', '#'], ['SORT', '{t}l', 'BY', bin('w\0*')], ['SORT', '{t}l', 'STORE', '{t}d'], ['LRANGE', '{t}d', '0', '-1'],
      ['SORT', '{t}l', 'STORE', 'd'], ['SORT', '{t}l', 'BY', 'w_*', 'STORE', 'd'], ['SORT', '{t}l', 'STORE', '{t}d', 'STORE', 'd'],
      ['SORT', '{t}l', 'STORE', 'd', 'STORE', '{t}d'], ['SORT', '{t}l', 'STORE'], ['SORT', '{t}l', 'LIMIT', 'STORE', 'd'], ['SORT', '{t}l', 'GET', 'STORE', 'd'],
      ['SORT_RO', '{t}l', 'STORE', 'd'], ['SORT', 'nokey', 'STORE', 'd'], ['SORT', '{t}l', bin('store\0'), 'd'], ['SORT', '{t}l', bin('get\0x'), 'STORE', 'd'], ['SORT', '{t}l', 'LIMIT', '0', '1', 'ALPHA', 'store', '{t}e'], ['LRANGE', '{t}e', '0', '-1'],
    ]));
});
