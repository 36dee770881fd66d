// Byte-for-byte comparison of corral's client-side caching support (CLIENT TRACKING, CACHING,
// GETREDIR, TRACKINGINFO, invalidation pushes and the __redis__:invalidate channel) with a real
// redis-server 7.0.15: scripts of steps on two connections, run on both servers. Client ids
// differ between the servers: `$ID0` / `$ID1` in a command stand for the connections' ids, and
// those ids are written back as `$ID0` / `$ID1` in what is compared.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { runSteps, type Step } from '../support/step-script.js';

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

async function same(resp: [number, number], steps: Step[]): Promise<void> {
  const o = { resp, flush: true, ids: true, leftovers: true };
  assert.deepEqual(await runSteps(corral.port, steps, o), await runSteps(redis.port, steps, o));
}

describe('client tracking, byte for byte with redis 7.0', () => {
  test('RESP3 default mode: a read key is invalidated once; own writes; NOLOOP', () =>
    same(
      [3, 3],
      [
        [0, ['CLIENT', 'TRACKING', 'ON'], 1],
        [0, ['GET', 'k'], 1],
        [0, ['MGET', 'a', 'b'], 1],
        [1, ['SET', 'k', 'v'], 1, 0],
        [1, ['SET', 'k', 'w'], 1], // forgotten after one invalidation
        [0, ['GET', 'k'], 1],
        [0, ['SET', 'k', 'mine'], 2], // the reply, then its own invalidation
        [1, ['MSET', 'a', '1', 'b', '2'], 2, 0],
        [0, ['CLIENT', 'TRACKING', 'ON', 'NOLOOP'], 1],
        [0, ['GET', 'k'], 1],
        [0, ['SET', 'k', 'quiet'], 1],
        [0, ['GET', 'k'], 1],
        [1, ['FLUSHALL'], 1, 0],
        [0, ['CLIENT', 'TRACKINGINFO'], 1],
        [0, ['CLIENT', 'GETREDIR'], 1],
        [0, ['CLIENT', 'TRACKING', 'OFF'], 1],
        [0, ['CLIENT', 'TRACKINGINFO'], 1],
      ],
    ));

  test('a flush by the tracking client itself, and HSET/INCR/EXPIRE as changes', () =>
    same(
      [3, 3],
      [
        [0, ['CLIENT', 'TRACKING', 'ON'], 1],
        [0, ['HGET', 'h', 'f'], 1],
        [0, ['GET', 'n'], 1],
        [1, ['HSET', 'h', 'f', 'v'], 1, 0],
        [1, ['INCR', 'n'], 1, 0],
        [0, ['GET', 'n'], 1],
        [1, ['EXPIRE', 'n', '100'], 1, 0],
        [0, ['FLUSHDB'], 2],
      ],
    ));

  test('RESP2 with REDIRECT to a subscriber of __redis__:invalidate; a broken redirect', () =>
    same(
      [2, 2],
      [
        [1, ['SUBSCRIBE', '__redis__:invalidate'], 1],
        [0, ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '$ID1'], 1],
        [0, ['GET', 'k'], 1],
        [0, ['SET', 'k', 'v'], 1],
        [0, ['PING'], 1, 1], // the invalidation reached the subscriber
        [0, ['CLIENT', 'GETREDIR'], 1],
        [0, ['CLIENT', 'TRACKINGINFO'], 1],
        [0, ['FLUSHALL'], 1, 1],
      ],
    ));

  test('RESP3 redirect target and RESP2 tracking client without redirect', () =>
    same(
      [2, 3],
      [
        [0, ['CLIENT', 'TRACKING', 'ON'], 1],
        [0, ['GET', 'k'], 1],
        [1, ['SET', 'k', 'v'], 1], // RESP2 and no redirect: nothing is sent
        [0, ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '$ID1'], 1],
        [0, ['GET', 'k'], 1],
        [0, ['SET', 'k', 'w'], 1],
        [0, ['PING'], 1, 1],
      ],
    ));

  test('BCAST with prefixes: one message per prefix per turn; NOLOOP filters own keys', () =>
    same(
      [3, 3],
      [
        [0, ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'b:', 'PREFIX', 'a:'], 1],
        [1, ['MSET', 'a:2', 'x', 'a:1', 'y', 'b:1', 'z', 'c:1', 'w'], 1, 0],
        [0, ['CLIENT', 'TRACKINGINFO'], 1],
        [0, ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'a'], 1],
        [0, ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'x', 'PREFIX', 'xy'], 1],
        [0, ['CLIENT', 'TRACKING', 'OFF'], 1],
        [0, ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'NOLOOP'], 1],
        [0, ['SET', 'mine', '1'], 1],
        [1, ['SET', 'theirs', '1'], 1, 0],
        [0, ['CLIENT', 'TRACKINGINFO'], 1],
      ],
    ));

  test('OPTIN and OPTOUT with CLIENT CACHING', () =>
    same(
      [3, 3],
      [
        [0, ['CLIENT', 'TRACKING', 'ON', 'OPTIN'], 1],
        [0, ['GET', 'a'], 1],
        [0, ['CLIENT', 'CACHING', 'YES'], 1],
        [0, ['CLIENT', 'TRACKINGINFO'], 1],
        [0, ['GET', 'b'], 1],
        [0, ['GET', 'c'], 1],
        [1, ['MSET', 'a', '1', 'b', '2', 'c', '3'], 1, 0],
        [0, ['CLIENT', 'CACHING', 'NO'], 1],
        [0, ['CLIENT', 'TRACKING', 'ON', 'OPTOUT'], 1],
        [0, ['CLIENT', 'TRACKING', 'OFF'], 1],
        [0, ['CLIENT', 'TRACKING', 'ON', 'OPTOUT'], 1],
        [0, ['CLIENT', 'CACHING', 'NO'], 1],
        [0, ['GET', 'a'], 1],
        [0, ['GET', 'b'], 1],
        [1, ['MSET', 'a', '1', 'b', '2'], 1, 0],
      ],
    ));

  test('errors', () =>
    same(
      [3, 3],
      [
        [0, ['CLIENT', 'TRACKING', 'maybe'], 1],
        [0, ['CLIENT', 'TRACKING', 'ON', 'BOGUS'], 1],
        [0, ['CLIENT', 'TRACKING', 'ON', 'PREFIX', 'a'], 1],
        [0, ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'OPTIN'], 1],
        [0, ['CLIENT', 'TRACKING', 'ON', 'OPTIN', 'OPTOUT'], 1],
        [0, ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', 'x'], 1],
        [0, ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '999999'], 1],
        [0, ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '$ID1', 'REDIRECT', '$ID1'], 1],
        [0, ['CLIENT', 'TRACKING', 'ON', 'REDIRECT'], 1],
        [0, ['CLIENT', 'TRACKING'], 1],
        [0, ['CLIENT', 'CACHING', 'YES'], 1],
        [0, ['CLIENT', 'TRACKING', 'ON'], 1],
        [0, ['CLIENT', 'CACHING', 'YES'], 1],
        [0, ['CLIENT', 'CACHING', 'NO'], 1],
        [0, ['CLIENT', 'CACHING', 'maybe'], 1],
        [0, ['CLIENT', 'TRACKING', 'ON', 'BCAST'], 1],
        [0, ['CLIENT', 'TRACKING', 'OFF'], 1],
        [0, ['CLIENT', 'TRACKING', 'ON', 'OPTIN'], 1],
        [0, ['CLIENT', 'TRACKING', 'ON', 'OPTOUT'], 1],
      ],
    ));
});
