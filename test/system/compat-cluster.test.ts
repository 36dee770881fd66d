// Cluster mode byte for byte against a real redis-server in cluster mode: a one-node Redis
// Cluster holding all 16384 slots beside a one-node corral cluster. Errors (CROSSSLOT, SELECT,
// argument errors), CLUSTER KEYSLOT/COUNTKEYSINSLOT/GETKEYSINSLOT/INFO, and CLUSTER SLOTS and
// SHARDS once the node's id and port are put in place of Redis's.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sameOnBoth, showBytes, type Cmd } from '../support/compare.js';
import { startOneNodeClusters, type OneNodeClusters } from '../support/one-node-clusters.js';
import { transcripts } from '../support/servers.js';

let redisPort = 0;
let corralPort = 0;
let clusters: OneNodeClusters;

before(async () => {
  clusters = await startOneNodeClusters('compat-cluster');
  redisPort = clusters.redisPort;
  corralPort = clusters.corralPort;
});

after(async () => {
  await clusters?.close();
});

test('multi-key and transaction errors, SELECT, READONLY/ASKING, argument errors', async () => {
  const cmds: Cmd[] = [
    ['MGET', 'a', 'b'],
    ['MGET', '{a}1', '{a}2'],
    ['MSET', 'a', '1', 'b', '2'],
    ['MSET', '{a}1', '1', '{a}2', '2'],
    ['MSETNX', 'x', '1', 'y', '2'],
    ['DEL', 'a', 'b'],
    ['EXISTS', 'a', 'b'],
    ['UNLINK', 'a', 'b'],
    ['TOUCH', 'a', 'b'],
    ['RENAME', 'a', 'b'],
    ['RENAME', '{a}1', '{a}3'],
    ['COPY', 'a', 'b'],
    ['SMOVE', 'a', 'b', 'm'],
    ['SINTERSTORE', 'd', 'a', 'b'],
    ['SUNION', 'a', 'b'],
    ['LMOVE', 'a', 'b', 'LEFT', 'RIGHT'],
    ['RPOPLPUSH', '{l}a', '{l}b'],
    ['SELECT', '1'],
    ['SELECT', '0'],
    ['SELECT', 'x'],
    ['READONLY'],
    ['READWRITE'],
    ['ASKING'],
    ['READONLY', 'x'],
    ['ASKING', 'x'],
    ['MULTI'],
    ['SET', 'a', '1'],
    ['SET', 'b', '1'],
    ['EXEC'],
    ['MULTI'],
    ['MGET', 'a', 'b'],
    ['EXEC'],
    ['MULTI'],
    ['SET', '{t}a', '1'],
    ['GET', '{t}b'],
    ['EXEC'],
    ['EXISTS', 'a', '{t}a'],
    ['CLUSTER'],
    ['CLUSTER', 'nosuch'],
    ['CLUSTER', 'KEYSLOT'],
    ['CLUSTER', 'MYID', 'x'],
  ];
  await sameOnBoth(corralPort, redisPort, cmds);
});

test('CLUSTER KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT and INFO', async () => {
  const keys = ['', 'foo', '{user1000}.following', 'foo{}{bar}', 'foo{{bar}}zap', 'foo{bar}{zap}', '{}', '}{', '\u00ff\u0000x'];
  const cmds: Cmd[] = keys.map((k) => ['CLUSTER', 'KEYSLOT', Buffer.from(k, 'latin1')]);
  cmds.push(
    ['SET', '{s}1', 'a'],
    ['SET', '{s}2', 'b'],
    ['SET', 'tmp', 'c', 'PX', '100000'],
    ['CLUSTER', 'COUNTKEYSINSLOT', '3300'],
    ['CLUSTER', 'COUNTKEYSINSLOT', '16383'],
    ['CLUSTER', 'COUNTKEYSINSLOT', '16384'],
    ['CLUSTER', 'COUNTKEYSINSLOT', '-1'],
    ['CLUSTER', 'COUNTKEYSINSLOT', 'x'],
    ['CLUSTER', 'GETKEYSINSLOT', '0', '5'],
    ['CLUSTER', 'GETKEYSINSLOT', '16384', '5'],
    ['CLUSTER', 'GETKEYSINSLOT', '1', '-1'],
    ['CLUSTER', 'GETKEYSINSLOT', 'x', '1'],
    ['CLUSTER', 'GETKEYSINSLOT', '1', 'x'],
    ['CLUSTER', 'INFO'],
    ['INFO', 'cluster'],
  );
  await sameOnBoth(corralPort, redisPort, cmds);
  // Keys in one slot, compared as sets (Redis walks its own order).
  const [ours, theirs] = await transcripts(corralPort, redisPort, [['SET', '{g}1', '1'], ['SET', '{g}2', '2'], ['CLUSTER', 'KEYSLOT', 'g']]);
  const slot = String(ours[2]).slice(1).trim();
  assert.equal(String(ours[2]), String(theirs[2]));
  const [k1, k2] = await transcripts(corralPort, redisPort, [['CLUSTER', 'GETKEYSINSLOT', slot, '10']]);
  assert.equal(k1[0].length, k2[0].length);
});

test('CLUSTER SLOTS and SHARDS have Redis`s bytes once the node id and port are swapped in', async () => {
  const ids = await transcripts(corralPort, redisPort, [['CLUSTER', 'MYID']]);
  const ourId = String(ids[0][0]).split('\r\n')[1];
  const theirId = String(ids[1][0]).split('\r\n')[1];
  assert.equal(ourId.length, 40);
  for (const resp of [2, 3]) {
    const setup: Cmd[] = [['HELLO', String(resp)]];
    const [ours, theirs] = await transcripts(corralPort, redisPort, [['CLUSTER', 'SLOTS'], ['CLUSTER', 'SHARDS']], setup);
    for (let i = 0; i < 2; i++) {
      const normalized = Buffer.from(ours[i].toString('latin1').replaceAll(ourId, theirId).replaceAll(`:${corralPort}\r\n`, `:${redisPort}\r\n`), 'latin1');
      // A lone Redis node that never met a peer does not know its own address and reports "".
      const redisWithIp = Buffer.from(theirs[i].toString('latin1').replaceAll('$0\r\n\r\n', '$9\r\n127.0.0.1\r\n'), 'latin1');
      assert.equal(showBytes(normalized), showBytes(redisWithIp), `RESP${resp} #${i}`);
    }
  }
});

test('CLUSTER NODES has the same fields as Redis`s line for myself', async () => {
  const [ours, theirs] = await transcripts(corralPort, redisPort, [['CLUSTER', 'NODES']]);
  const fields = (b: Buffer): string[] => b.toString('latin1').split('\r\n')[1].trim().split(' ');
  const a = fields(ours[0]);
  const b = fields(theirs[0]);
  assert.equal(a.length, b.length);
  assert.deepEqual([a[2], a[3], a[7], a[8]], [b[2], b[3], b[7], b[8]]);
  assert.match(a[1], new RegExp(`^127\\.0\\.0\\.1:${corralPort}@\\d+$`));
});
