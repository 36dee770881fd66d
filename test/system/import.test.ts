// `corral import` against a real redis-server 7.0.15: strings, hashes, lists, sets and zsets in
// both of Redis's encodings each, binary keys and values, keys with TTLs, a stream with a
// consumer group, a stream whose recorded length lies (Redis keeps it, corral refuses it:
// counted failed) and a key in another database, copied into a 3-shard corral cluster; every key compared by content and TTL with its source. Then: a second run skips what
// exists, --replace overwrites it, --match picks keys, --rate paces, a dead node's keys count as
// failed, --to imports into a standalone node (source db and ACL user, target password), a
// target out of memory stops the copy, a cluster source is scanned on every primary, and the
// CLI binary end to end (progress lines, the final count, exit code).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createClient, type CorralClient } from '../../src/index.js';
import { importKeys, formatKey, type ImportOptions, type ImportResult } from '../../src/cli/import.js';
import { parseSourceUrl } from '../../src/cli/import-source.js';
import { RawConnection, startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { startCorralCluster, type CorralCluster } from '../support/corral-cluster.js';
import { CORRAL_MAIN } from '../support/corral-up.js';
import { crc64Into } from '../../src/util/crc64.js';

let redis: Started;
let cluster: CorralCluster;
let src: CorralClient;
let dst: CorralClient;
let source: string;
let entry: string;
/** Every db-0 key of the source except the refused stream, as Buffers. */
const keys: Buffer[] = [];

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Deterministic pseudo-random bytes. */
function noise(n: number, seed: number): Buffer {
  let x = seed >>> 0 || 1;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function fill(c: CorralClient): Promise<void> {
  const put = async (key: Buffer, ...cmd: Array<string | Buffer | number>): Promise<void> => {
    keys.push(key);
    await c.send(String(cmd[0]), key, ...cmd.slice(1));
  };
  const ops: Array<Promise<void>> = [];
  for (let i = 0; i < 300; i++) ops.push(put(b(`str:${i}`), 'SET', i % 3 === 0 ? String(i * 1000) : `value-${i}-${'x'.repeat(i % 50)}`));
  for (let i = 0; i < 20; i++) ops.push(put(noise(8 + i, i + 1), 'SET', noise(40 + i * 10, i + 100)));
  ops.push(put(b('str:empty'), 'SET', ''));
  ops.push(put(b('str:big'), 'SET', noise(200_000, 7)));
  ops.push(put(b('{tag}:a'), 'SET', 'tagged'));
  for (let i = 0; i < 10; i++) ops.push(put(b(`blob:${i}`), 'SET', noise(30_000, i + 50)));
  for (let i = 0; i < 50; i++) ops.push(put(b(`h:${i}`), 'HSET', 'f1', `v${i}`, noise(5, i + 3), noise(12, i + 4), 'n', i));
  ops.push(put(b('h:big'), 'HSET', ...Array.from({ length: 300 }, (_, i) => [`field${i}`, noise(i % 70, i + 9)]).flat()));
  for (let i = 0; i < 50; i++) ops.push(put(b(`l:${i}`), 'RPUSH', 'a', noise(9, i + 5), String(i), 'z'));
  ops.push(put(b('l:big'), 'RPUSH', ...Array.from({ length: 2000 }, (_, i) => (i % 2 === 0 ? String(i) : noise(30, i)))));
  for (let i = 0; i < 30; i++) ops.push(put(b(`s:int:${i}`), 'SADD', 1, 2, 3, i + 10, -5));
  for (let i = 0; i < 30; i++) ops.push(put(b(`s:str:${i}`), 'SADD', 'a', 'b', noise(7, i + 11)));
  ops.push(put(b('s:big'), 'SADD', ...Array.from({ length: 500 }, (_, i) => `member-${i}`)));
  for (let i = 0; i < 30; i++) ops.push(put(b(`z:${i}`), 'ZADD', 1, 'one', 2.5, 'two', -3e-7, noise(6, i + 13)));
  ops.push(put(b('z:big'), 'ZADD', ...Array.from({ length: 400 }, (_, i) => [i % 7 === 0 ? '-inf' : String(i / 3), `m${i}`]).flat()));
  await Promise.all(ops);
  // TTLs: strings with EX, a hash and a list with PEXPIRE, a binary key with one.
  for (let i = 0; i < 40; i++) await put(b(`ttl:${i}`), 'SET', `t${i}`, 'EX', 3600 + i);
  await c.send('PEXPIRE', 'h:big', 5_000_000);
  await c.send('PEXPIRE', 'l:3', 7_000_000);
  await c.send('PEXPIRE', noise(8, 1), 9_000_000);
  await put(b('stream:1'), 'XADD', '1-1', 'f', 'v');
  await c.send('XADD', 'stream:1', '2-0', 'g', 'w', 'h', 'x');
  await c.send('XGROUP', 'CREATE', 'stream:1', 'readers', '0');
  await c.send('XREADGROUP', 'GROUP', 'readers', 'alice', 'COUNT', '1', 'STREAMS', 'stream:1', '>');
  // A one-entry stream whose payload says it holds 5: redis-server takes it (sanitize-dump-payload
  // is off by default), corral's RESTORE refuses it (Bad data format).
  await c.send('XADD', 'stream:bad', '1-1', 'f', 'v');
  const dump = (await c.sendBuffer('DUMP', 'stream:bad')) as Buffer;
  // The body ends: length, last ID (ms, seq), first ID, max deleted ID, entries added, groups.
  const lengthAt = dump.length - 10 - 9;
  assert.equal(dump[lengthAt], 1);
  dump[lengthAt] = 5;
  crc64Into(dump, 0, dump.length - 8, dump, dump.length - 8);
  assert.equal(await c.send('RESTORE', 'stream:bad', 0, dump, 'REPLACE'), 'OK');
}

/** A key's type and content, comparable across servers (sets and hashes sorted). */
async function content(c: CorralClient, key: Buffer): Promise<unknown> {
  const type = String(await c.send('TYPE', key));
  const sorted = (v: unknown): Buffer[] => (v as Buffer[]).slice().sort(Buffer.compare);
  switch (type) {
    case 'string':
      return [type, await c.sendBuffer('GET', key)];
    case 'hash': {
      const flat = (await c.sendBuffer('HGETALL', key)) as Buffer[];
      const pairs: Buffer[] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push(Buffer.concat([flat[i], b('\0=\0'), flat[i + 1]]));
      return [type, sorted(pairs)];
    }
    case 'list':
      return [type, await c.sendBuffer('LRANGE', key, 0, -1)];
    case 'set':
      return [type, sorted(await c.sendBuffer('SMEMBERS', key))];
    case 'zset':
      return [type, await c.sendBuffer('ZRANGE', key, 0, -1, 'WITHSCORES')];
    case 'stream':
      return [type, await c.sendBuffer('XRANGE', key, '-', '+'), await c.sendBuffer('XINFO', 'STREAM', key, 'FULL')];
    default:
      return [type];
  }
}

/** Every key: same content on the target; a TTL on the target iff the source has one. */
async function checkAll(list: Buffer[], from: CorralClient, to: CorralClient): Promise<void> {
  for (const key of list) {
    const [want, got] = await Promise.all([content(from, key), content(to, key)]);
    assert.deepEqual(got, want, `content of ${formatKey(key)}`);
    const [ttlSrc, ttlDst] = (await Promise.all([from.send('PTTL', key), to.send('PTTL', key)])) as [number, number];
    if (ttlSrc === -1) assert.equal(ttlDst, -1, `${formatKey(key)} is persistent`);
    else assert.ok(ttlDst > 0 && ttlDst <= ttlSrc + 1000 && ttlDst > ttlSrc - 60_000, `${formatKey(key)}: ttl ${ttlDst} vs ${ttlSrc}`);
  }
}

/** Sends one command to each port (raw, no routing); the replies. */
async function each(ports: number[], ...args: Array<string | number>): Promise<unknown[]> {
  return Promise.all(
    ports.map(async (port) => {
      const c = await RawConnection.connect(port);
      try {
        return await c.call(...args);
      } finally {
        c.close();
      }
    }),
  );
}

const run = (o: Partial<ImportOptions>): Promise<ImportResult> => importKeys({ source, cluster: entry, batch: 37, count: 50, ...o });

function cli(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CORRAL_MAIN, 'import', ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
      resolve({ code, out: stdout + stderr });
    });
  });
}

before(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startCorralCluster(3)]);
  source = `redis://127.0.0.1:${redis.port}`;
  entry = `127.0.0.1:${cluster.ports[0]}`;
  src = createClient({ nodes: [`127.0.0.1:${redis.port}`] });
  dst = createClient({ nodes: [entry] });
  await fill(src);
  // A key in db 1 (not copied from the default db 0).
  const db1 = await RawConnection.connect(redis.port);
  await db1.call('SELECT', 1);
  await db1.call('SET', 'only-in-db1', 'one');
  db1.close();
});

after(async () => {
  src?.close();
  dst?.close();
  await Promise.all([redis?.close(), cluster?.close()]);
});

test('source addresses', () => {
  assert.deepEqual(parseSourceUrl('redis://127.0.0.1:6379'), { host: '127.0.0.1', port: 6379, db: 0 });
  assert.deepEqual(parseSourceUrl('redis://u%40x:p%3Ass@h:1/3'), { host: 'h', port: 1, db: 3, username: 'u@x', password: 'p:ss' });
  assert.deepEqual(parseSourceUrl('redis://:secret@h'), { host: 'h', port: 6379, db: 0, password: 'secret' });
  assert.deepEqual(parseSourceUrl('h:7'), { host: 'h', port: 7, db: 0 });
  assert.throws(() => parseSourceUrl('rediss://h:1'), /TLS/);
  assert.throws(() => parseSourceUrl('redis://h:1/x'), /database number/);
  assert.throws(() => parseSourceUrl('http://h:1'), /redis:\/\//);
});

test('copies every key into a 3-shard cluster: content and TTLs; the lying stream fails', { timeout: 120_000 }, async () => {
  const starts: number[] = [];
  const r = await run({ onStart: (s) => starts.push(s.total, s.targets.length) });
  assert.deepEqual(starts, [keys.length + 1, 3]);
  assert.equal(r.total, keys.length + 1);
  assert.equal(r.copied, keys.length);
  assert.equal(r.skipped, 0);
  assert.equal(r.failed, 1);
  assert.equal(r.failures[0].key.toString(), 'stream:bad');
  assert.match(r.failures[0].reason, /Bad data format/);
  assert.ok(r.bytes > 200_000, `bytes ${r.bytes}`);
  // The keys really are spread over the shards.
  const sizes = (await each(cluster.ports, 'DBSIZE')) as number[];
  assert.equal(sizes.reduce((a, x) => a + x, 0), keys.length);
  for (const n of sizes) assert.ok(n > keys.length / 6, `a shard holds ${n} keys`);
  await checkAll(keys, src, dst);
  assert.equal(await dst.send('EXISTS', 'only-in-db1'), 0);
});

test('a second run skips existing keys; --replace overwrites them', { timeout: 120_000 }, async () => {
  const again = await run({});
  assert.deepEqual([again.copied, again.skipped, again.skippedExisting, again.failed], [0, keys.length, keys.length, 1]);
  await src.send('SET', 'str:1', 'changed at the source');
  await src.send('SADD', 's:big', 'one more');
  const replaced = await run({ replace: true });
  assert.deepEqual([replaced.copied, replaced.skipped, replaced.failed], [keys.length, 0, 1]);
  assert.equal(await dst.get('str:1'), 'changed at the source');
  assert.equal(await dst.send('SISMEMBER', 's:big', 'one more'), 1);
  await checkAll(keys, src, dst);
});

test('--match copies only the matching keys', { timeout: 60_000 }, async () => {
  await each(cluster.ports, 'FLUSHALL');
  const r = await run({ match: 'z:*' });
  const zkeys = keys.filter((k) => k.toString('latin1').startsWith('z:'));
  assert.deepEqual([r.copied, r.skipped, r.failed], [zkeys.length, 0, 0]);
  assert.equal(((await each(cluster.ports, 'DBSIZE')) as number[]).reduce((a, x) => a + x, 0), zkeys.length);
  await checkAll(zkeys, src, dst);
});

test('--rate paces the bytes read', { timeout: 60_000 }, async () => {
  // 10 keys of 30 kB, one per batch, at 100 kB/s: each batch waits for the one before it to be
  // paid for (a quarter second of unused budget carries over): about 2.7 s.
  const t0 = Date.now();
  const r = await run({ match: 'blob:*', rate: 100_000, batch: 1 });
  const ms = Date.now() - t0;
  assert.equal(r.copied, 10);
  assert.ok(r.bytes >= 300_000);
  assert.ok(ms >= 2300 && ms < 15_000, `took ${ms} ms`);
});

test("an unreachable node's keys count as failed, the others are copied", { timeout: 120_000 }, async () => {
  const other = await startCorralCluster(3);
  try {
    const dead = other.shards[2].primary;
    await other.nodes[dead].close();
    const r = await importKeys({ source, cluster: `127.0.0.1:${other.ports[0]}`, match: 'str:*', batch: 100 });
    const n = keys.filter((k) => k.toString('latin1').startsWith('str:')).length;
    assert.equal(r.copied + r.failed, n);
    assert.ok(r.copied > n / 3 && r.failed > n / 6, `copied ${r.copied}, failed ${r.failed}`);
    assert.match(r.failures[0].reason, /ECONNREFUSED|connect|closed/i);
    assert.equal(r.stopped, null);
  } finally {
    await other.close();
  }
});

test('--to a standalone node: a source db and ACL user; the target password; wrong-mode targets refused', { timeout: 60_000 }, async () => {
  const node: StartedCorral = await startCorral({ requirepass: 'target-pw' });
  try {
    await src.send('ACL', 'SETUSER', 'importer', 'on', '>p@ss:w', '~*', '+@all');
    const r = await importKeys({ source: `redis://importer:${encodeURIComponent('p@ss:w')}@127.0.0.1:${redis.port}/1`, to: `127.0.0.1:${node.port}`, password: 'target-pw' });
    assert.deepEqual([r.total, r.copied, r.skipped, r.failed], [1, 1, 0, 0]);
    const c = createClient({ nodes: [`127.0.0.1:${node.port}`], password: 'target-pw' });
    assert.equal(await c.get('only-in-db1'), 'one');
    c.close();
    await assert.rejects(importKeys({ source, to: entry }), /is a cluster node: give --cluster/);
    await assert.rejects(importKeys({ source, cluster: `127.0.0.1:${node.port}`, password: 'target-pw' }), /not in cluster mode: give --to/);
    await assert.rejects(importKeys({ source: `redis://importer:wrong@127.0.0.1:${redis.port}`, to: `127.0.0.1:${node.port}`, password: 'target-pw' }), /WRONGPASS|invalid/);
  } finally {
    await node.close();
  }
});

test('a target that refuses every key (out of memory) stops the copy after 5 whole batches', { timeout: 60_000 }, async () => {
  const node = await startCorral({ maxmemory: '1kb', 'maxmemory-policy': 'noeviction' });
  try {
    const r = await importKeys({ source, to: `127.0.0.1:${node.port}`, match: 'str:*', batch: 10 });
    assert.match(r.stopped ?? '', /^stopped: every key of the last 5 batches failed on the target \(OOM /);
    assert.ok(r.failed >= 50 && r.failed + r.copied < 300, `copied ${r.copied}, failed ${r.failed}`);
    assert.equal(r.failures.length, 1);
    assert.equal(r.failures[0].count, r.failed);
  } finally {
    await node.close();
  }
});

test('a cluster source is scanned on every primary', { timeout: 60_000 }, async () => {
  // The corral cluster holds the z:* keys (the --match test); copy them into a standalone node.
  const node = await startCorral();
  try {
    const starts: string[][] = [];
    const r = await importKeys({ source: `redis://${entry}`, to: `127.0.0.1:${node.port}`, match: 'z:*', onStart: (s) => starts.push(s.sources) });
    assert.equal(starts[0].length, 3);
    const zkeys = keys.filter((k) => k.toString('latin1').startsWith('z:'));
    assert.deepEqual([r.copied, r.skipped, r.failed], [zkeys.length, 0, 0]);
    const c = createClient({ nodes: [`127.0.0.1:${node.port}`] });
    await checkAll(zkeys, src, c);
    c.close();
  } finally {
    await node.close();
  }
});

test('the CLI: progress lines, the final count, exit 1 on a failed key and 0 without', { timeout: 120_000 }, async () => {
  const bad = await cli([source, '--cluster', entry, '--replace', '--batch', '100']);
  assert.equal(bad.code, 1, bad.out);
  assert.match(bad.out, new RegExp(`^importing ${keys.length + 1} keys from 127\\.0\\.0\\.1:${redis.port} into `, 'm'));
  assert.match(bad.out, /^note: db 1 holds 1 keys, not copied/m);
  assert.match(bad.out, new RegExp(`^${keys.length + 1}/${keys.length + 1} keys, \\d+ keys/s`, 'm'));
  assert.match(bad.out, new RegExp(`^copied ${keys.length}, skipped 0, failed 1 \\(`, 'm'));
  assert.match(bad.out, /^ {2}failed: stream:bad: ERR Bad data format$/m);
  const good = await cli([source, '--cluster', entry, '--match', 'h:*', '--rate', '50mb']);
  assert.equal(good.code, 0, good.out);
  assert.match(good.out, /^copied 0, skipped 51, failed 0 \(/m);
  assert.match(good.out, /^ {2}skipped: 51 already on the target \(--replace overwrites them\)$/m);
  const refused = await cli([source, '--cluster', '127.0.0.1:1']);
  assert.equal(refused.code, 1);
  assert.match(refused.out, /^corral: cannot reach the target 127\.0\.0\.1:1/m);
});
