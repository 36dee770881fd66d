// Black-box tests of primary -> replica replication between in-process nodes over real sockets:
// REPLICAOF, the full copy (every type, TTLs, while writes continue), the stream, partial resync
// from the backlog, WAIT, ROLE and INFO replication, read-only replicas, expiry as deletion, and
// REPLICAOF NO ONE.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCorral, RawConnection, type StartedCorral } from '../support/servers.js';
import { encodeCommand, parseReply, type ReplyValue } from '../../src/protocol/reply-parser.js';
import { readRdbFile, type RdbFile } from '../../src/store/rdb-file.js';
import { TYPE_HASH } from '../../src/store/entry.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function infoField(info: ReplyValue, name: string): string | undefined {
  const text = typeof info === 'string' ? info : (info as { verbatim: string }).verbatim;
  const m = new RegExp(`^${name}:(.*)\\r$`, 'm').exec(text);
  return m?.[1];
}

async function info(c: RawConnection, field: string): Promise<string | undefined> {
  return infoField(await c.call('INFO', 'replication'), field);
}

/** Every key of every database with its CORRAL DUMP payload (corral's format: stale time and encoding) and PTTL-derived absolute expiry. */
async function snapshot(c: RawConnection): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let db = 0; db < 3; db++) {
    await c.call('SELECT', db);
    let cursor = '0';
    do {
      const r = (await c.call('SCAN', cursor, 'COUNT', 1000)) as [string, string[]];
      cursor = r[0];
      for (const k of r[1]) {
        const dump = await c.call('CORRAL', 'DUMP', k); // corral's format: stale time and encoding included
        const at = await c.call('PEXPIRETIME', k);
        out.set(`${db}:${k}`, `${JSON.stringify(dump)} ${at}`);
      }
    } while (cursor !== '0');
  }
  await c.call('SELECT', 0);
  return out;
}

async function pair(config: Record<string, string> = {}): Promise<{ p: StartedCorral; r: StartedCorral; pc: RawConnection; rc: RawConnection; close(): Promise<void> }> {
  const p = await startCorral(config);
  const r = await startCorral(config);
  const pc = await RawConnection.connect(p.port);
  const rc = await RawConnection.connect(r.port);
  return {
    p,
    r,
    pc,
    rc,
    close: async () => {
      pc.close();
      rc.close();
      await r.close();
      await p.close();
    },
  };
}

async function fill(c: RawConnection, prefix: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await c.call('SET', `${prefix}:s:${i}`, `v${i}`);
    if (i % 10 === 0) {
      await c.call('HSET', `${prefix}:h:${i}`, 'a', '1', 'b', String(i));
      await c.call('RPUSH', `${prefix}:l:${i}`, 'x', 'y', String(i));
      await c.call('SADD', `${prefix}:set:${i}`, 'm1', 'm2', String(i));
      await c.call('ZADD', `${prefix}:z:${i}`, '1.5', 'a', '-inf', 'b', String(i), 'c');
      await c.call('SET', `${prefix}:ttl:${i}`, 'x', 'PX', 600_000);
      await c.call('HSET', `${prefix}:httl:${i}`, 'f', 'v');
      await c.call('PEXPIRE', `${prefix}:httl:${i}`, 900_000);
    }
  }
}

test('replication: full copy of every type with TTLs, then the stream; ROLE, INFO, WAIT, read-only replica', async () => {
  const t = await pair();
  try {
    // The id a primary reports before its first replica is the history that replica follows
    // (the control plane matches replicas to it).
    const idBefore = await info(t.pc, 'master_replid');
    await fill(t.pc, 'a', 500);
    await t.pc.call('SELECT', 2);
    await t.pc.call('SET', 'in-db-2', 'yes');
    await t.pc.call('SELECT', 0);
    assert.deepEqual(await t.rc.call('REPLICAOF', '127.0.0.1', t.p.port), { simple: 'OK' });
    await until('link up', async () => (await info(t.rc, 'master_link_status')) === 'up');
    // Writes after the copy arrive through the stream.
    await t.pc.call('SET', 'after', '1');
    await t.pc.call('INCRBY', 'counter', 5);
    await t.pc.call('LPUSH', 'a:l:0', 'pushed');
    await t.pc.call('DEL', 'a:s:1');
    assert.equal(await t.pc.call('WAIT', 1, 2000), 1);
    assert.deepEqual(await snapshot(t.rc), await snapshot(t.pc));
    // ROLE and INFO on both sides.
    const roleP = (await t.pc.call('ROLE')) as ReplyValue[];
    assert.equal(roleP[0], 'master');
    assert.equal(typeof roleP[1], 'number');
    assert.equal((roleP[2] as ReplyValue[]).length, 1);
    const roleR = (await t.rc.call('ROLE')) as ReplyValue[];
    assert.deepEqual(roleR.slice(0, 4), ['slave', '127.0.0.1', t.p.port, 'connected']);
    assert.equal(await info(t.pc, 'connected_slaves'), '1');
    assert.match((await info(t.pc, 'slave0'))!, new RegExp(`^ip=127\\.0\\.0\\.1,port=${t.r.port},state=online,offset=\\d+,lag=\\d+$`));
    assert.equal(await info(t.rc, 'role'), 'slave');
    assert.equal(await info(t.rc, 'master_port'), String(t.p.port));
    assert.equal(await info(t.rc, 'master_repl_offset'), await info(t.pc, 'master_repl_offset'));
    assert.equal(await info(t.rc, 'master_replid'), await info(t.pc, 'master_replid'));
    assert.equal(await info(t.pc, 'master_replid'), idBefore);
    // A replica is read-only, as Redis.
    assert.deepEqual(await t.rc.call('SET', 'x', '1'), { error: "READONLY You can't write against a read only replica." });
    assert.equal(await t.rc.call('GET', 'after'), '1');
  } finally {
    await t.close();
  }
});

test('replication: a full copy taken while writes continue ends identical to the primary', async () => {
  const t = await pair();
  try {
    await fill(t.pc, 'b', 3000);
    // Bulk: enough keys that the copy spans many event-loop turns.
    for (let j = 0; j < 40; j++) {
      const args: string[] = [];
      for (let i = 0; i < 1000; i++) args.push(`b:bulk:${j}:${i}`, 'x'.repeat(50));
      await t.pc.call('MSET', ...args);
    }
    let stop = false;
    const writer = (async () => {
      const c = await RawConnection.connect(t.p.port);
      let i = 0;
      while (!stop) {
        const k = i % 400;
        await c.call('INCR', `b:ctr:${k}`);
        await c.call('RPUSH', `b:l:${(k % 30) * 10}`, String(i));
        await c.call('HINCRBY', `b:h:${(k % 30) * 10}`, 'n', 1);
        // Values of a few KB: the stream buffered during the copy spans several drain steps.
        await c.call('SET', `b:s:${k}`, `w${i}`.padEnd(4000, '.'), 'EX', 100);
        if (i % 7 === 0) await c.call('DEL', `b:s:${(k * 3) % 3000}`);
        if (i % 11 === 0) await c.call('SPOP', `b:set:${(k % 30) * 10}`);
        i++;
      }
      c.close();
      return i;
    })();
    await sleep(20);
    await t.rc.call('REPLICAOF', '127.0.0.1', t.p.port);
    await until('link up', async () => (await info(t.rc, 'master_link_status')) === 'up');
    await sleep(100);
    stop = true;
    const writes = await writer;
    assert.ok(writes > 20, `writes during the copy: ${writes}`);
    assert.equal(await t.pc.call('WAIT', 1, 5000), 1);
    assert.deepEqual(await snapshot(t.rc), await snapshot(t.pc));
  } finally {
    await t.close();
  }
});

test('replication: a replica that reconnects resumes from the backlog (partial resync)', async () => {
  const t = await pair();
  try {
    await fill(t.pc, 'c', 200);
    await t.rc.call('REPLICAOF', '127.0.0.1', t.p.port);
    await until('link up', async () => (await info(t.rc, 'master_link_status')) === 'up');
    // Drop the replica's connection from the primary's side.
    const list = (await t.pc.call('CLIENT', 'LIST')) as string;
    const text = typeof list === 'string' ? list : (list as { verbatim: string }).verbatim;
    const line = text.split('\n').find((l) => l.includes('cmd=psync') || l.includes('cmd=replconf'));
    assert.ok(line, `replica connection in CLIENT LIST: ${text}`);
    const id = /id=(\d+)/.exec(line!)![1];
    await t.pc.call('SET', 'during', '1');
    await t.pc.call('CLIENT', 'KILL', 'ID', id);
    await t.pc.call('SET', 'after-kill', '2');
    await until('link up again', async () => (await t.rc.call('GET', 'after-kill')) === '2');
    const link = t.r.node.replication.link!;
    assert.equal(link.fullSyncs, 1, 'one full copy only');
    assert.ok(link.partialSyncs >= 1, 'resumed from the backlog');
    assert.deepEqual(await snapshot(t.rc), await snapshot(t.pc));
  } finally {
    await t.close();
  }
});

test('replication: expiry on the primary reaches the replica as a deletion; the replica never expires on its own', async () => {
  const t = await pair();
  try {
    await t.rc.call('REPLICAOF', '127.0.0.1', t.p.port);
    await until('link up', async () => (await info(t.rc, 'master_link_status')) === 'up');
    // The replica applies the primary's stream with expiry switched off, and in replica mode
    // hides keys whose TTL passed (reads) without deleting them.
    await t.pc.call('SET', 'short', 'v', 'PX', 50);
    assert.equal(await t.pc.call('WAIT', 1, 2000), 1);
    assert.equal(await t.rc.call('GET', 'short'), 'v');
    // Stop the primary's active expiry from reaching it first: the replica alone must not delete.
    await sleep(120);
    assert.equal(await t.rc.call('GET', 'short'), null, 'hidden once its TTL passed');
    // The primary deletes it (lazily here) and the DEL reaches the replica.
    assert.equal(await t.pc.call('GET', 'short'), null);
    assert.equal(await t.pc.call('WAIT', 1, 2000), 1);
    assert.equal(await t.rc.call('DBSIZE'), 0);
  } finally {
    await t.close();
  }
});

test('replication: REPLICAOF NO ONE promotes the replica with its data; WAIT answers at once without replicas', async () => {
  const t = await pair();
  try {
    await fill(t.pc, 'd', 100);
    await t.rc.call('REPLICAOF', '127.0.0.1', t.p.port);
    await until('link up', async () => (await info(t.rc, 'master_link_status')) === 'up');
    assert.equal(await t.pc.call('WAIT', 1, 2000), 1);
    assert.deepEqual(await t.rc.call('REPLICAOF', 'NO', 'ONE'), { simple: 'OK' });
    assert.equal(await info(t.rc, 'role'), 'master');
    assert.deepEqual(await t.rc.call('SET', 'now-writable', '1'), { simple: 'OK' });
    assert.equal(await t.rc.call('GET', 'd:s:5'), 'v5');
    assert.equal(await t.rc.call('WAIT', 0, 0), 0);
    assert.equal(await t.rc.call('WAIT', 1, 50), 0);
    // The old id continues as replid2 (PSYNC2): the old primary could resume from it.
    assert.equal(await info(t.rc, 'master_replid2'), await info(t.pc, 'master_replid'));
    assert.deepEqual(await t.rc.call('REPLICAOF', '127.0.0.1', 'notaport'), { error: 'ERR Invalid master port' });
  } finally {
    await t.close();
  }
});

test('replication: WAIT blocks until the replica acknowledges; commands pipelined after it wait too', async () => {
  const t = await pair();
  try {
    await t.rc.call('REPLICAOF', '127.0.0.1', t.p.port);
    await until('link up', async () => (await info(t.rc, 'master_link_status')) === 'up');
    const raw = await t.pc.sendRaw('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$4\r\n1000\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n', 3);
    assert.equal(raw.toString(), '+OK\r\n:1\r\n$1\r\nv\r\n');
    // Two replicas wanted, one present: WAIT returns 1 at its timeout.
    const started = Date.now();
    assert.equal(await t.pc.call('WAIT', 2, 150), 1);
    assert.ok(Date.now() - started >= 140);
    assert.deepEqual(await t.pc.call('WAIT', 'x', 1), { error: 'ERR value is not an integer or out of range' });
    assert.deepEqual(await t.pc.call('WAIT', 1, -1), { error: 'ERR timeout is negative' });
  } finally {
    await t.close();
  }
});

/** A raw corral replica: the handshake with `capa corral-load`, then every snapshot command up to SYNCEND. */
async function rawSnapshot(port: number): Promise<string[][]> {
  const c = await RawConnection.connect(port);
  try {
    await c.call('PING');
    await c.call('REPLCONF', 'listening-port', 1);
    await c.call('REPLCONF', 'capa', 'eof', 'capa', 'psync2', 'capa', 'corral-load');
    const full = await c.call('PSYNC', '?', -1);
    assert.match((full as { simple: string }).simple, /^FULLRESYNC [0-9a-f]{40} \d+$/);
    const out: string[][] = [];
    for (;;) {
      const cmd = parseReply(await c.readReplies(1))![0] as string[];
      if (cmd[0] === 'CORRAL' && cmd[1] === 'SYNCEND') return out;
      out.push(cmd);
    }
  } finally {
    c.close();
  }
}

/** A replica that is not corral's (no `capa corral-load`): +FULLRESYNC, then an RDB file in a bulk. */
async function rawRdb(port: number): Promise<RdbFile> {
  const c = await RawConnection.connect(port);
  try {
    await c.call('REPLCONF', 'capa', 'eof', 'capa', 'psync2');
    c.socket.write(encodeCommand(['PSYNC', '?', -1]));
    for (let i = 0; i < 200; i++) {
      const at = c.pending.indexOf('\r\n', c.pending.indexOf('\r\n') + 2);
      if (at > 0 && c.pending.length >= at + 2 + Number(c.pending.subarray(c.pending.indexOf('$') + 1, at).toString())) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const b = c.pending;
    const first = b.indexOf('\r\n');
    assert.match(b.subarray(0, first).toString(), /^\+FULLRESYNC [0-9a-f]{40} \d+$/);
    const second = b.indexOf('\r\n', first + 2);
    const len = Number(b.subarray(first + 3, second).toString());
    return readRdbFile(b.subarray(second + 2, second + 2 + len));
  } finally {
    c.close();
  }
}

test('replication: a corral replica gets the size of each database first, plain strings in CORRAL LOAD bulks, any other replica an RDB file', async () => {
  const p = await startCorral({});
  const pc = await RawConnection.connect(p.port);
  try {
    for (let i = 0; i < 150; i++) await pc.call('SET', `s:${i}`, `v${i}`);
    await pc.call('SET', 'ttl', 'x', 'PXAT', 4_000_000_000_000);
    await pc.call('HSET', 'h', 'f', 'v');
    await pc.call('SELECT', 1);
    await pc.call('SET', 'db1', 'one');
    await pc.call('SELECT', 0);

    const bulk = await rawSnapshot(p.port);
    // After the function libraries (FUNCTION RESTORE), the size hints (RDB's RESIZEDB): the
    // replica sizes its key tables before the keys come.
    assert.deepEqual(bulk[0]!.slice(0, 2), ['FUNCTION', 'RESTORE']);
    const firstKey = bulk.findIndex((c, i) => i > 0 && (c[0] !== 'CORRAL' || c[1] !== 'RESERVE'));
    assert.deepEqual(bulk.slice(1, firstKey), [['CORRAL', 'RESERVE', '0', '152'], ['CORRAL', 'RESERVE', '1', '1']]);
    const loaded = new Map<string, [string, string]>(); // key -> [value, expire-at]
    const dbOf = new Map<string, string>();
    for (const cmd of bulk.slice(firstKey).filter((c) => c[0] === 'CORRAL')) {
      assert.equal(cmd[1], 'LOAD');
      assert.equal((cmd.length - 3) % 3, 0, `CORRAL LOAD of ${cmd.length} words`);
      assert.ok((cmd.length - 3) / 3 <= 64, 'at most 64 keys a command');
      for (let i = 3; i < cmd.length; i += 3) {
        loaded.set(cmd[i], [cmd[i + 1], cmd[i + 2]]);
        dbOf.set(cmd[i], cmd[2]);
      }
    }
    assert.equal(loaded.size, 152);
    assert.deepEqual(loaded.get('s:7'), ['v7', '0']);
    assert.deepEqual(loaded.get('ttl'), ['x', '4000000000000']);
    assert.equal(dbOf.get('db1'), '1');
    assert.equal(dbOf.get('s:0'), '0');
    // The hash is not a plain string: it comes as its state, after a SELECT of its database.
    const restore = bulk.findIndex((c) => c[0] === 'RESTORE' && c[1] === 'h');
    assert.ok(restore > 0, JSON.stringify(bulk.map((c) => c[0])));
    assert.deepEqual(bulk.slice(0, restore).filter((c) => c[0] === 'SELECT').at(-1), ['SELECT', '0']);
    assert.ok(!bulk.some((c) => c[0] === 'SET'));

    const rdb = await rawRdb(p.port);
    assert.equal(rdb.keys.length, 153);
    const ttl = rdb.keys.find((k) => k.key === 'ttl')!;
    assert.deepEqual([ttl.value.value, ttl.expireAt], ['x', 4_000_000_000_000]);
    assert.equal(rdb.keys.find((k) => k.key === 'db1')!.db, 1);
    assert.equal(rdb.keys.find((k) => k.key === 'h')!.value.type, TYPE_HASH);
  } finally {
    pc.close();
    await p.close();
  }
});

// The primary copies runs of pipelined requests into the stream in one go (source.ts): the runs
// must be cut, in order, by everything else the stream carries between them.
test('replication: pipelined mixes of writes, SELECT, lazy expiry, MULTI/EXEC and flagged commands reach the replica in order', async () => {
  const t = await pair();
  const c2 = await RawConnection.connect(t.p.port);
  try {
    await t.rc.call('REPLICAOF', '127.0.0.1', t.p.port);
    await until('link up', async () => (await info(t.rc, 'master_link_status')) === 'up');
    for (let i = 0; i < 20; i++) await t.pc.call('SET', `exp:${i}`, 'old', 'PX', 30);
    await sleep(60);
    const batch: Array<Array<string | number>> = [];
    for (let i = 0; i < 20; i++) {
      batch.push(['SET', `p:${i}`, `a${i}`]);
      batch.push(['INCR', `n:${i % 3}`]);
      batch.push(['GET', `exp:${i}`]); // a lazy expiry: DEL in the stream between the runs
      batch.push(['SET', `exp:${i}`, `new${i}`]);
      if (i % 5 === 0) batch.push(['SELECT', 1], ['SET', `db1:${i}`, 'x'], ['APPEND', `db1:${i}`, 'y'], ['SELECT', 0]);
      if (i % 4 === 0) batch.push(['MULTI'], ['SET', `tx:${i}`, '1'], ['INCRBY', `tx:${i}`, 5], ['EXEC']);
      if (i % 6 === 0) batch.push(['EXPIRE', `p:${i}`, 1000], ['SETEX', `ex:${i}`, 500, 'v']);
      batch.push(['RPUSH', 'list', i], ['DEL', `p:${(i + 7) % 20}`]);
    }
    // One write of the whole batch: the node reads it in one (or a few) reads; a second client
    // interleaves its own pipeline.
    const bytes = Buffer.concat(batch.map((c) => encodeCommand(c)));
    const other = Buffer.concat(Array.from({ length: 50 }, (_, i) => encodeCommand(['SET', `o:${i}`, 'z'.repeat(i * 40)])));
    await Promise.all([t.pc.sendRaw(bytes, batch.length), c2.sendRaw(other, 50)]);
    assert.equal(await t.pc.call('WAIT', 1, 2000), 1);
    assert.deepEqual(await snapshot(t.rc), await snapshot(t.pc));
    assert.equal(await info(t.rc, 'master_repl_offset'), await info(t.pc, 'master_repl_offset'));
  } finally {
    c2.close();
    await t.close();
  }
});

test('replication: requests that arrive in pieces, pipelined with an incomplete one, reach the replica byte for byte', async () => {
  const t = await pair();
  try {
    await t.rc.call('REPLICAOF', '127.0.0.1', t.p.port);
    await until('link up', async () => (await info(t.rc, 'master_link_status')) === 'up');
    // A big APPEND sent in two reads (so the primary parses it from its accumulation buffer),
    // the second read also holding the start of the next request: the parser then moves its
    // buffer's bytes, which the stream must have copied first.
    const big = encodeCommand(['APPEND', 'big', 'a'.repeat(200_000)]);
    const next = encodeCommand(['APPEND', 'big', 'tail']);
    const s = t.pc.socket;
    for (let round = 0; round < 3; round++) {
      s.write(big.subarray(0, 70_000));
      await sleep(20);
      s.write(Buffer.concat([big.subarray(70_000), next.subarray(0, 10)]));
      await sleep(20);
      s.write(next.subarray(10));
      await t.pc.readReplies(2);
    }
    assert.equal(await t.pc.call('STRLEN', 'big'), 3 * 200_004);
    assert.equal(await t.pc.call('WAIT', 1, 2000), 1);
    assert.equal(await t.rc.call('STRLEN', 'big'), 3 * 200_004);
    assert.equal(await t.rc.call('GET', 'big'), await t.pc.call('GET', 'big'));
    assert.equal(await info(t.rc, 'master_link_status'), 'up');
  } finally {
    await t.close();
  }
});

test('replication: a replica keeps its primary stream byte for byte in its backlog when reads cut commands', async () => {
  // A scripted primary: the handshake, an empty full copy, then a stream cut so that a command
  // spans two reads and the second read ends inside the next command. The replica parses the
  // second read from its accumulation buffer, which the incomplete command then compacts: the
  // backlog must have been given those bytes first. Promoted, the replica then answers a PSYNC
  // at the stream's first offset with exactly what the primary sent.
  const replid = 'a'.repeat(40);
  const stream = Buffer.concat([
    encodeCommand(['SELECT', '0']),
    encodeCommand(['SET', 'k1', 'one']),
    encodeCommand(['SET', 'k2', 'two-' + 'x'.repeat(100)]),
    encodeCommand(['RPUSH', 'list', 'a', 'b', 'c']),
    encodeCommand(['SET', 'k3', 'three']),
  ]);
  const cuts = [30, 75, 140, stream.length];
  const { createServer } = await import('node:net');
  let fed: Promise<void> | null = null;
  const primary = createServer((sock) => {
    // The replica sends each handshake request after the previous reply: one read each.
    sock.on('data', (d) => {
      const request = d.toString('latin1');
      if (request.includes('PSYNC')) {
        sock.write(`+FULLRESYNC ${replid} 0\r\n`);
        sock.write(encodeCommand(['CORRAL', 'SYNCEND']));
        fed = (async () => {
          let from = 0;
          for (const to of cuts) {
            await sleep(30);
            sock.write(stream.subarray(from, to));
            from = to;
          }
        })();
      } else if (!request.includes('ACK')) sock.write(request.includes('PING') ? '+PONG\r\n' : '+OK\r\n');
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => primary.listen(0, '127.0.0.1', () => r()));
  const r = await startCorral();
  const rc = await RawConnection.connect(r.port);
  try {
    await rc.call('REPLICAOF', '127.0.0.1', (primary.address() as { port: number }).port);
    await until('the stream applied', async () => (await rc.call('GET', 'k3')) === 'three');
    await fed;
    assert.deepEqual(await rc.call('LRANGE', 'list', 0, -1), ['a', 'b', 'c']);
    // Promoted, the replica serves its old primary's id from the backlog (PSYNC2's replid2).
    await rc.call('REPLICAOF', 'NO', 'ONE');
    const sub = await RawConnection.connect(r.port);
    try {
      await sub.call('REPLCONF', 'capa', 'eof', 'capa', 'psync2');
      sub.socket.write(encodeCommand(['PSYNC', replid, 1]));
      const body = (): Buffer => sub.pending.subarray(sub.pending.indexOf('\r\n') + 2);
      await until('the backlog sent', () => sub.pending.indexOf('\r\n') > 0 && body().length >= stream.length, 5000);
      assert.match(sub.pending.subarray(0, sub.pending.indexOf('\r\n')).toString('latin1'), /^\+CONTINUE/);
      assert.equal(body().subarray(0, stream.length).toString('latin1'), stream.toString('latin1'));
    } finally {
      sub.close();
    }
  } finally {
    rc.close();
    await r.close();
    primary.close();
  }
});
