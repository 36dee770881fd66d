// Byte-for-byte comparison of corral's pub/sub with a real redis-server 7.0.15, RESP2 and RESP3:
// scripts of steps on two connections (a subscriber and a publisher), each step a command and
// the number of frames it brings to the connection that reads (the reply, or a message pushed
// to the other connection), run on both servers; plus the commands' metadata.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { runSteps, type Step } from '../support/step-script.js';
import { pubsubCommands } from '../../src/server/commands/pubsub.js';
import { Command, flagNames } from '../../src/commands/table.js';
import { parseReply } from '../../src/protocol/reply-parser.js';

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

async function same(steps: Step[]): Promise<void> {
  for (const resp of [2, 3]) {
    const o = { resp: [resp, resp] as [number, number] };
    assert.deepEqual(await runSteps(corral.port, steps, o), await runSteps(redis.port, steps, o), `RESP${resp}`);
  }
}

describe('pub/sub, byte for byte with redis 7.0', () => {
  test('command metadata matches COMMAND INFO', async () => {
    const r = await RawConnection.connect(redis.port);
    try {
      for (const def of pubsubCommands) {
        const cmd = new Command(def);
        const info = (parseReply(await r.callRaw('COMMAND', 'INFO', def.name))![0] as unknown[])[0] as unknown[];
        assert.deepEqual([cmd.name, cmd.arity, cmd.firstKey, cmd.lastKey, cmd.keyStep], [info[0], info[1], info[3], info[4], info[5]], def.name);
        const flags = (info[2] as Array<string | { simple: string }>).map((f) => (typeof f === 'string' ? f : f.simple)).filter((f) => f !== 'may_replicate');
        assert.deepEqual(flagNames(cmd.flags).sort(), flags.sort(), `flags of ${def.name}`);
      }
    } finally {
      r.close();
    }
  });

  test('subscribe, publish, pattern messages, unsubscribe', () =>
    same([
      [0, ['SUBSCRIBE', 'a', 'b', 'a'], 3],
      [1, ['PUBLISH', 'a', 'hello'], 1, 0],
      [1, ['PUBLISH', 'nobody', 'x'], 1],
      [0, ['PSUBSCRIBE', 'h*', 'x?z'], 2], // (one pattern per message: Redis walks patterns in hash order)
      [1, ['PUBLISH', 'hat', 'm\r\n\0'], 1, 0],
      [1, ['PUBLISH', 'xyz', 'q'], 1, 0],
      [1, ['PUBSUB', 'NUMSUB', 'a', 'b', 'zz'], 1],
      [1, ['PUBSUB', 'NUMPAT'], 1],
      [1, ['PUBSUB', 'CHANNELS', 'b*'], 1],
      [0, ['UNSUBSCRIBE', 'b', 'never'], 2],
      [0, ['PUNSUBSCRIBE', 'h*'], 1],
      [0, ['PUNSUBSCRIBE'], 1],
      [0, ['UNSUBSCRIBE'], 1],
      [0, ['UNSUBSCRIBE'], 1],
      [0, ['PUNSUBSCRIBE'], 1],
      [0, ['GET', 'k'], 1],
    ]));

  test('CLIENT REPLY OFF/SKIP/ON: replies dropped, pub/sub confirmations and messages kept', () =>
    same([
      [0, ['CLIENT', 'REPLY', 'SKIP'], 0],
      [0, ['SET', 'k', 'v'], 0],
      [0, ['GET', 'k'], 1],
      [0, ['CLIENT', 'REPLY', 'OFF'], 0],
      [0, ['GET', 'k'], 0],
      [0, ['CLIENT', 'REPLY', 'SKIP'], 0],
      [0, ['SUBSCRIBE', 'ch'], 1],
      [1, ['PUBLISH', 'ch', 'hi'], 1, 0],
      [0, ['UNSUBSCRIBE', 'ch'], 1],
      [0, ['CLIENT', 'REPLY', 'ON'], 1],
      [0, ['CLIENT', 'REPLY', 'MAYBE'], 1],
      [0, ['CLIENT', 'REPLY'], 1],
      [0, ['GET', 'k'], 1],
    ]));

  test('the RESP2 subscriber context; PING; RESET; QUIT', () =>
    same([
      [0, ['SUBSCRIBE', 'c'], 1],
      [0, ['GET', 'k'], 1],
      [0, ['CLIENT', 'GETNAME'], 1],
      [0, ['PING'], 1],
      [0, ['PING', 'hi'], 1],
      [0, ['PING', 'a', 'b'], 1],
      [0, ['SSUBSCRIBE', 's1'], 1],
      [0, ['SUNSUBSCRIBE'], 1],
      [0, ['SUNSUBSCRIBE'], 1],
      [0, ['MULTI'], 1],
      [0, ['RESET'], 1],
      [0, ['PING'], 1],
      [1, ['PUBLISH', 'c', 'gone'], 1],
    ]));

  test('sharded channels on a standalone node; errors and help', () =>
    same([
      [0, ['SSUBSCRIBE', 's1', 's2'], 2],
      [1, ['SPUBLISH', 's1', 'x'], 1, 0],
      [1, ['PUBLISH', 's1', 'x'], 1],
      [1, ['PUBSUB', 'SHARDNUMSUB', 's1', 's3'], 1],
      [1, ['PUBSUB', 'SHARDCHANNELS', 's2'], 1],
      [1, ['PUBSUB', 'CHANNELS', 'a', 'b'], 1],
      [1, ['PUBSUB', 'NUMPAT', 'x'], 1],
      [1, ['PUBSUB', 'NOPE'], 1],
      [1, ['PUBSUB'], 1],
      [1, ['PUBSUB', 'HELP'], 1],
      [1, ['SUBSCRIBE'], 1],
      [1, ['PUBLISH', 'a'], 1],
      [1, ['SPUBLISH', 'a', 'b', 'c'], 1],
      [0, ['SUNSUBSCRIBE', 's2', 's1'], 2],
    ]));

  test('inside MULTI', () =>
    same([
      [0, ['MULTI'], 1],
      [0, ['SUBSCRIBE', 'm'], 1],
      [0, ['PUBLISH', 'm', 'x'], 1],
      [0, ['EXEC'], 1],
      [0, ['UNSUBSCRIBE'], 1],
    ]));

  test('client-output-buffer-limit: set by class, errors', () =>
    same([
      [0, ['CONFIG', 'SET', 'client-output-buffer-limit', 'foo 1 2 3'], 1],
      [0, ['CONFIG', 'SET', 'client-output-buffer-limit', 'master 1 2 3'], 1],
      [0, ['CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 1 2'], 1],
      [0, ['CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 1mb x 3'], 1],
      [0, ['CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 1mb 2kb 3 replica 5 6 7'], 1],
      [0, ['CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60 slave 256mb 64mb 60'], 1],
    ]));
});
