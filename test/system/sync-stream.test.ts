// SYNC and the replicas that are not corral's (server/replica-rdb.ts), against a real
// redis-server 7.0.15: SYNC's `$<len>` RDB file (read back by corral's own reader, accepted by
// redis-check-rdb, loaded by a redis-server into the same DEBUG DIGEST), the replication stream
// after it (the same commands as redis-server's for writes both propagate as they are), the file
// consistent with the stream offset under concurrent writes, the SYNC connection as a replica in
// INFO and ROLE that WAIT does not count, `redis-cli --rdb` / `--functions-rdb` / `--replica`,
// PSYNC without `capa corral-load` (+FULLRESYNC then the file), and a redis-server replicating
// from corral.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RawConnection, startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { SyncReader } from '../support/sync-reader.js';
import { readRdbFile, type RdbFile } from '../../src/store/rdb-file.js';
import { TYPE_HASH, TYPE_LIST, TYPE_SET, TYPE_STRING, TYPE_ZSET } from '../../src/store/entry.js';
import type { HashValue } from '../../src/store/hash-value.js';
import type { Deque } from '../../src/store/deque.js';
import type { SortedSet } from '../../src/store/sorted-set.js';
import type { DumpableSet, DumpedValue } from '../../src/store/dump.js';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let corral: StartedCorral;
let redis: Started;
let dir: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-sync-'));
  // Redis writes SYNC's file to its dir (a disk-based copy for a replica without capa eof).
  [corral, redis] = await Promise.all([
    startCorral({ 'enable-debug-command': 'yes', 'maxmemory-policy': 'noeviction' }),
    startRedis(['--dir', dir, '--enable-debug-command', 'yes']),
  ]);
  for (const port of [corral.port, redis.port]) {
    const c = await RawConnection.connect(port);
    // As the Tcl suite's attach_to_replication_stream: no PING in the streams read here.
    await c.call('CONFIG', 'SET', 'repl-ping-replica-period', '3600');
    c.close();
  }
});

after(async () => {
  await Promise.all([corral?.close(), redis?.close()]);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A key's value in a comparable form. */
function plain(v: DumpedValue): unknown {
  switch (v.type) {
    case TYPE_STRING:
      return v.value;
    case TYPE_LIST: {
      const d = v.value as Deque;
      return Array.from({ length: d.length }, (_, i) => d.get(i));
    }
    case TYPE_SET:
      return [...(v.value as DumpableSet).members()].sort();
    case TYPE_ZSET:
      return (v.value as SortedSet).toArray().map((it) => [it.member, it.score]);
    case TYPE_HASH:
      return [...(v.value as HashValue).entries()].sort();
  }
  return null;
}

function keysOf(file: RdbFile): Map<string, [unknown, boolean]> {
  return new Map(file.keys.map((k) => [`${k.db}:${k.key}`, [plain(k.value), k.expireAt !== 0] as [unknown, boolean]]));
}

/** The same commands on both servers. */
async function both(cmds: Array<Array<string | number | Buffer>>): Promise<void> {
  for (const port of [corral.port, redis.port]) {
    const c = await RawConnection.connect(port);
    for (const cmd of cmds) await c.call(...cmd);
    c.close();
  }
}

const DATASET: Array<Array<string | number>> = [
  ['FLUSHALL'],
  ['SET', 's', 'hello'],
  ['SET', 'n', '12345'],
  ['SET', 'long', 'x'.repeat(300)],
  ['SET', 'ttl', 'v', 'PX', 100_000],
  ['HSET', 'h', 'f', 'v', 'g', '2'],
  ['RPUSH', 'l', 'a', 'b', '3'],
  ['SADD', 'si', '1', '2', '3'],
  ['SADD', 'ss', 'a', 'b'],
  ['ZADD', 'z', '1.5', 'm', '-2', 'n'],
  ['SELECT', 5],
  ['SET', 'in5', 'five'],
  ['SELECT', 0],
  ['FUNCTION', 'FLUSH'],
  ['FUNCTION', 'LOAD', "#!lua name=synclib\nredis.register_function('f1', function() return 1 end)"],
];

test('SYNC: the RDB file holds the dataset as redis-server\'s does, then the same stream as redis-server\'s', async () => {
  await both(DATASET);
  const [c, r] = await Promise.all([SyncReader.open(corral.port), SyncReader.open(redis.port)]);
  try {
    const [cf, rf] = [readRdbFile(await c.rdb()), readRdbFile(await r.rdb())];
    assert.deepEqual(keysOf(cf), keysOf(rf));
    assert.equal(cf.keys.length, 10);
    assert.deepEqual(cf.functions, rf.functions);
    assert.deepEqual(cf.sizes, rf.sizes);
    assert.deepEqual([...cf.aux.keys()], [...rf.aux.keys()]);
    assert.equal(cf.aux.get('redis-ver'), '7.0.15');

    // Writes that both propagate as they are.
    const writes: Array<Array<string | number>> = [
      ['SET', 'a', '1'],
      ['INCR', 'a'],
      ['SET', 'b', 'v', 'EX', 100],
      ['MULTI'], ['SET', 'c', '1'], ['INCR', 'c'], ['GET', 'c'], ['EXEC'],
      ['MULTI'], ['SET', 'single', '1'], ['EXEC'],
      ['MULTI'], ['GET', 'a'], ['EXEC'],
      ['SELECT', 2], ['SET', 'd', '1'], ['SELECT', 0],
      ['LPUSH', 'q', 'x', 'y'], ['LPOP', 'q'], ['DEL', 'a', 'nosuch'], ['DEL', 'nosuch'],
      ['PUBLISH', 'ch', 'm'], ['HSET', 'h', 'f', 'w'], ['ZINCRBY', 'z', 2, 'm'], ['SREM', 'ss', 'a'],
      ['APPEND', 's', '!'], ['FLUSHDB'], ['SET', 'last', '1'],
    ];
    await both(writes);
    const want = [
      ['select', '0'],
      ['set', 'a', '1'],
      ['incr', 'a'],
      ['set', 'b', 'v', 'PXAT', '*'],
      ['multi'], ['set', 'c', '1'], ['incr', 'c'], ['exec'],
      ['set', 'single', '1'],
      ['select', '2'], ['set', 'd', '1'], ['select', '0'],
      ['lpush', 'q', 'x', 'y'], ['lpop', 'q'], ['del', 'a', 'nosuch'],
      ['publish', 'ch', 'm'], ['hset', 'h', 'f', 'w'], ['zincrby', 'z', '2', 'm'], ['srem', 'ss', 'a'],
      ['append', 's', '!'], ['flushdb'], ['set', 'last', '1'],
    ];
    const mask = (cmds: string[][]): string[][] => cmds.map((cmd) => cmd.map((w) => (/^\d{13}$/.test(w) ? '*' : w)));
    const [cs, rs] = [mask(await c.commands(want.length)), mask(await r.commands(want.length))];
    assert.deepEqual(rs, want);
    assert.deepEqual(cs, rs);
    await sleep(100);
    assert.equal(c.pending.length, 0, c.pending.toString('latin1'));
  } finally {
    c.close();
    r.close();
  }
});

test('SYNC: writes Redis replicates rewritten (relative TTLs, GETEX, GETDEL, SPOP, RESTORE, INCRBYFLOAT) give the same stream as redis-server\'s', async () => {
  await both([['FLUSHALL']]);
  const dumper = await RawConnection.connect(redis.port);
  await dumper.call('SET', 'dumped', 'bar');
  const raw = await dumper.callRaw('DUMP', 'dumped');
  await dumper.call('DEL', 'dumped');
  dumper.close();
  const payload = raw.subarray(raw.indexOf('\r\n') + 2, raw.length - 2);
  const [c, r] = await Promise.all([SyncReader.open(corral.port), SyncReader.open(redis.port)]);
  try {
    await Promise.all([c.rdb(), r.rdb()]);
    const future = Date.now() + 100_000;
    const past = Date.now() - 100_000;
    const members = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    await both([
      ['SET', 'f1', 'bar', 'EX', 200], ['SET', 'f1', 'bar', 'PX', 100000], ['SET', 'f1', 'bar', 'EXAT', Math.floor(future / 1000)],
      ['SET', 'f1', 'bar', 'PXAT', future], ['SETEX', 'f1', 100, 'bar'], ['PSETEX', 'f1', 100000, 'bar'], ['SET', 'f1', 'baz', 'KEEPTTL'],
      ['SET', 'f2', 'bar'], ['EXPIRE', 'f2', 100], ['PEXPIRE', 'f2', 100000], ['EXPIREAT', 'f2', Math.floor(future / 1000)],
      ['PEXPIREAT', 'f2', future], ['PEXPIREAT', 'f2', future, 'GT'], ['EXPIREAT', 'f2', Math.floor(past / 1000)],
      ['SET', 'f4', 'bar'], ['GETEX', 'f4', 'EX', 200], ['GETEX', 'f4', 'PXAT', future], ['GETEX', 'f4'], ['GETEX', 'f4', 'PERSIST'],
      ['GETEX', 'f4', 'PERSIST'], ['GETEX', 'f4', 'PXAT', past], ['GETEX', 'nosuch', 'EX', 10],
      ['SET', 'f5', 'v'], ['GETDEL', 'f5'], ['GETDEL', 'f5'], ['INCRBYFLOAT', 'fl', '1.5'], ['HINCRBYFLOAT', 'hf', 'x', '2.25'],
      ['SADD', 's1', 'a'], ['SPOP', 's1'], ['SADD', 's2', ...members], ['SPOP', 's2'], ['SPOP', 's2', 2], ['SPOP', 's2', 0],
      ['SPOP', 's2', 100], ['SADD', 's3', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], ['SPOP', 's3', 8],
      ['RESTORE', 'r1', 100000, payload], ['RESTORE', 'r1', 0, payload, 'REPLACE'], ['RESTORE', 'r2', future, payload, 'ABSTTL'],
      ['RESTORE', 'r2', past, payload, 'ABSTTL', 'REPLACE'], ['RESTORE', 'r3', past, payload, 'ABSTTL'],
      ['SET', 'last', '1'],
    ]);
    // Times and SPOP's random members differ between the servers.
    const mask = (cmds: string[][]): string[][] =>
      cmds.map((cmd) => cmd.map((w, i) => (/^\d{13}$/.test(w) || (cmd[0].toLowerCase() === 'srem' && i === 2) ? '*' : w)));
    const n = 48;
    const [cs, rs] = [mask(await c.commands(n)), mask(await r.commands(n))];
    assert.deepEqual(cs, rs);
    assert.deepEqual(rs.at(-1), ['set', 'last', '1']);
    await sleep(100);
    assert.equal(c.pending.length, 0, c.pending.toString('latin1'));
  } finally {
    c.close();
    r.close();
  }
});

test('SYNC: the file and the stream after it add up under concurrent writes (the file is of the stream\'s offset)', async () => {
  const w = await RawConnection.connect(corral.port);
  try {
    await w.call('DEL', 'counter');
    const n = 3000;
    const pipeline = Buffer.from('*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n'.repeat(n));
    const done = w.sendRaw(pipeline, n, 20_000);
    await sleep(1);
    const s = await SyncReader.open(corral.port);
    const file = readRdbFile(await s.rdb());
    await done;
    const start = Number(file.keys.find((k) => k.key === 'counter')?.value.value ?? 0);
    let incrs = 0;
    while (start + incrs < n) {
      const cmd = await s.command();
      if (cmd[0] === 'incr') incrs++;
      else assert.equal(cmd[0], 'select');
    }
    assert.equal(start + incrs, n);
    assert.equal(await w.call('GET', 'counter'), String(n));
    s.close();
  } finally {
    w.close();
  }
});

/** INFO replication's lines about replicas. */
async function replicaLines(c: RawConnection): Promise<string[]> {
  const info = String(await c.call('INFO', 'replication'));
  return info.split('\r\n').filter((l) => /^(connected_slaves|slave\d)/.test(l));
}

test('SYNC: the connection is an online replica in INFO and ROLE, as with redis-server; WAIT does not count it', async () => {
  for (const port of [corral.port, redis.port]) {
    const c = await RawConnection.connect(port);
    const s = await SyncReader.open(port);
    try {
      await s.rdb();
      assert.deepEqual(
        (await replicaLines(c)).map((l) => l.replace(/lag=\d+/, 'lag=*')),
        ['connected_slaves:1', 'slave0:ip=127.0.0.1,port=0,state=online,offset=0,lag=*'],
        `port ${port === corral.port ? 'corral' : 'redis'}`,
      );
      assert.deepEqual(((await c.call('ROLE')) as unknown[])[2], [['127.0.0.1', '0', '0']]);
      await c.call('SET', 'w', '1');
      const started = Date.now();
      assert.equal(await c.call('WAIT', 1, 100), 0);
      assert.ok(Date.now() - started >= 90);
      assert.deepEqual((await s.commands(3)).slice(1), [['set', 'w', '1'], ['replconf', 'GETACK', '*']]);
    } finally {
      s.close();
    }
    for (let i = 0; i < 50 && (await replicaLines(c))[0] !== 'connected_slaves:0'; i++) await sleep(20);
    assert.deepEqual(await replicaLines(c), ['connected_slaves:0']);
    c.close();
  }
});

async function tool(cmd: string, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(cmd, args, { timeout: 10_000 });
}

test('redis-cli --rdb, --functions-rdb and --replica against corral; redis-check-rdb and redis-server read the file', async () => {
  await both(DATASET);
  const file = path.join(dir, 'corral.rdb');
  const out = await tool('redis-cli', '-p', String(corral.port), '--rdb', file);
  assert.match(out.stderr, /Transfer finished with success/);
  const check = await tool('redis-check-rdb', file);
  assert.match(check.stdout, /RDB looks OK/);
  assert.match(check.stdout, /10 keys read/);

  // A redis-server started on the file holds what corral holds: the same DEBUG DIGEST.
  const loaded = await startRedis(['--dir', dir, '--dbfilename', 'corral.rdb', '--enable-debug-command', 'yes']);
  const [c, r] = await Promise.all([RawConnection.connect(corral.port), RawConnection.connect(loaded.port)]);
  try {
    assert.deepEqual(await r.call('DEBUG', 'DIGEST'), await c.call('DEBUG', 'DIGEST'));
    assert.deepEqual(await r.call('FUNCTION', 'LIST'), await c.call('FUNCTION', 'LIST'));
    assert.ok(Number(await r.call('PTTL', 'ttl')) > 90_000);
  } finally {
    c.close();
    r.close();
    await loaded.close();
  }

  const fnFile = path.join(dir, 'functions.rdb');
  await tool('redis-cli', '-p', String(corral.port), '--functions-rdb', fnFile);
  const fns = readRdbFile(fs.readFileSync(fnFile));
  assert.equal(fns.keys.length, 0);
  assert.equal(fns.functions.length, 1);

  // --replica: an empty file (rdb-filter-only ""), then the commands as they come.
  const replica = run('redis-cli', ['-p', String(corral.port), '--replica'], { timeout: 1500 }).catch((e: { stdout: string }) => e);
  await sleep(400);
  const w = await RawConnection.connect(corral.port);
  await w.call('SET', 'seen', 'by-replica');
  w.close();
  const got = (await replica) as { stdout: string };
  assert.match(got.stdout, /"SELECT","0"\n"SET","seen","by-replica"/);
});

test('PSYNC without capa corral-load: +FULLRESYNC, then the RDB file of that offset; rdb-only closes after it', async () => {
  const s = await SyncReader.open(corral.port, [['REPLCONF', 'capa', 'eof', 'capa', 'psync2']], 'PSYNC ? -1');
  const full = (await s.line()).split(' ');
  assert.equal(full[0], '+FULLRESYNC');
  const file = readRdbFile(await s.rdb());
  assert.equal(file.aux.get('repl-id'), full[1]);
  assert.equal(file.aux.get('repl-offset'), full[2]);
  s.close();

  const once = await SyncReader.open(corral.port, [['REPLCONF', 'rdb-only', '1']]);
  readRdbFile(await once.rdb());
  for (let i = 0; i < 100 && !once.closed; i++) await sleep(10);
  assert.ok(once.closed, 'an rdb-only replica is disconnected after its file');
});

test('a redis-server replicates from corral: the file, then the stream (writes that propagate as commands)', async () => {
  await both(DATASET);
  const replica = await startRedis(['--replicaof', '127.0.0.1', String(corral.port)]);
  const r = await RawConnection.connect(replica.port);
  const c = await RawConnection.connect(corral.port);
  try {
    for (let i = 0; i < 100 && !String(await r.call('INFO', 'replication')).includes('master_link_status:up'); i++) await sleep(50);
    await c.call('SET', 'after', 'sync');
    await c.call('HSET', 'h', 'new', '1');
    for (let i = 0; i < 100 && (await r.call('GET', 'after')) === null; i++) await sleep(20);
    assert.equal(await r.call('GET', 'after'), 'sync');
    assert.equal(await r.call('HGET', 'h', 'new'), '1');
    assert.deepEqual(await r.call('LRANGE', 'l', 0, -1), ['a', 'b', '3']);
    assert.equal(await r.call('DBSIZE'), await c.call('DBSIZE'));
    // It acknowledges: WAIT counts it.
    assert.equal(await c.call('WAIT', 1, 2000), 1);
  } finally {
    r.close();
    c.close();
    await replica.close();
  }
});
