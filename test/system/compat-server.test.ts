// Byte-for-byte comparison of corral's server-level commands with a real redis-server 7.0, in
// RESP2 and RESP3, for the replies that are deterministic: errors, HELLO, AUTH, CLIENT, COMMAND
// INFO/DOCS, CONFIG GET of shared parameters, INFO layout, OBJECT, MEMORY, SLOWLOG, SHUTDOWN checks.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, startCorral, startRedis, transcripts, type Started, type StartedCorral } from '../support/servers.js';
import { parseReply, type ReplyValue } from '../../src/protocol/reply-parser.js';

type Cmd = Array<string | Buffer | number>;

let corral: StartedCorral;
let redis: Started;
let corralAuth: StartedCorral;
let redisAuth: Started;

before(async () => {
  [corral, redis, corralAuth, redisAuth] = await Promise.all([
    startCorral(),
    startRedis(),
    startCorral({ requirepass: 'secret' }),
    startRedis(['--requirepass', 'secret']),
  ]);
});

after(async () => {
  await Promise.all([corral?.close(), redis?.close(), corralAuth?.close(), redisAuth?.close()]);
});

/** Client ids differ between servers: HELLO's `id` field is compared as a placeholder. */
function show(b: Buffer): string {
  return JSON.stringify(b.toString('latin1').replace(/(\$2\r\nid\r\n):\d+\r\n/g, '$1:ID\r\n'));
}

async function emptyBoth(): Promise<void> {
  const r = await RawConnection.connect(redis.port);
  try {
    await r.call('FLUSHALL');
  } finally {
    r.close();
  }
  corral.node.store.flushAll();
}

/** Runs cmds on both servers in RESP2 and RESP3 (fresh data) and asserts identical bytes. */
async function same(cmds: Cmd[], ports: [number, number] = [corral.port, redis.port], setup: Cmd[] = []): Promise<void> {
  for (const resp of [2, 3]) {
    if (ports[0] === corral.port) await emptyBoth();
    const pre: Cmd[] = resp === 3 ? [...setup, ['HELLO', '3']] : setup;
    const [ours, theirs] = await transcripts(ports[0], ports[1], cmds, pre);
    for (let i = 0; i < cmds.length; i++) {
      assert.equal(show(ours[i]), show(theirs[i]), `RESP${resp} #${i} ${cmds[i].join(' ')}`);
    }
  }
}

async function parsedBoth(cmds: Cmd[]): Promise<[ReplyValue[], ReplyValue[]]> {
  const [ours, theirs] = await transcripts(corral.port, redis.port, cmds, []);
  const parse = (bufs: Buffer[]) => bufs.map((b) => parseReply(b)![0]);
  return [parse(ours), parse(theirs)];
}

describe('connection commands', () => {
  test('PING ECHO SELECT HELLO, and their errors', () =>
    same([
      ['PING'], ['PING', 'x'], ['PING', 'a', 'b'], ['ECHO', 'hi'], ['ECHO'], ['ECHO', Buffer.from([0, 255, 13, 10])],
      ['SELECT', '15'], ['SELECT', '16'], ['SELECT', '-1'], ['SELECT', 'x'], ['SELECT', '0'],
      ['HELLO'], ['HELLO', '2'], ['HELLO', '3'], ['HELLO'], ['HELLO', '4'], ['HELLO', '1'], ['HELLO', 'x'],
      ['HELLO', '99999999999999999999'], ['HELLO', '2', 'FOO'], ['HELLO', '2', 'AUTH', 'a'], ['HELLO', '2', 'SETNAME'],
      ['HELLO', '2', 'SETNAME', 'a b'], ['HELLO', '3', 'SETNAME', 'x', 'SETNAME', 'y'], ['CLIENT', 'GETNAME'],
      ['HELLO', '2', 'AUTH', 'default', 'anything'], ['HELLO', '3', 'AUTH', 'bob', 'pw'], ['HELLO', '2'],
      ['AUTH', 'x'], ['AUTH', 'default', 'x'], ['AUTH', 'bob', 'x'], ['AUTH', 'a', 'b', 'c'], ['AUTH'],
      ['RESET', 'x'], ['SELECT', '3'], ['CLIENT', 'SETNAME', 'n'], ['RESET'], ['CLIENT', 'GETNAME'], ['HELLO'],
    ]));

  test('AUTH and HELLO AUTH with requirepass', () =>
    same(
      [
        ['PING'], ['HELLO'], ['HELLO', '3'], ['HELLO', '3', 'SETNAME', 'a'], ['CLIENT', 'SETNAME', 'a'],
        ['HELLO', '3', 'AUTH', 'default', 'wrong'], ['AUTH', 'wrong'], ['AUTH', 'default', 'wrong'], ['AUTH', 'x', 'y'],
        ['AUTH', 'secret'], ['PING'], ['AUTH', 'wrong'], ['PING'], ['HELLO', '3'], ['RESET'], ['PING'],
        ['HELLO', '3', 'AUTH', 'default', 'secret', 'SETNAME', 'n'], ['CLIENT', 'GETNAME'], ['RESET'],
        ['HELLO', '2', 'AUTH', 'default', 'secret'], ['AUTH', 'default', 'secret'],
      ],
      [corralAuth.port, redisAuth.port],
    ));
});

describe('min-replicas-to-write', () => {
  test('writes and writing scripts refused without enough replicas; reads and no-writes scripts served', () =>
    same([
      ['SET', 'x', '1'],
      ['CONFIG', 'SET', 'min-replicas-to-write', '1'],
      ['SET', 'x', '2'],
      ['GET', 'x'],
      ['MULTI'],
      ['INCR', 'x'],
      ['EXEC'],
      ['EVAL', "return redis.call('get','x')", '1', 'x'],
      ['EVAL', "return redis.call('set','x','3')", '1', 'x'],
      ['EVAL', "#!lua\nreturn redis.call('get','x')", '1', 'x'],
      ['EVAL', "#!lua flags=no-writes\nreturn redis.call('get','x')", '1', 'x'],
      ['CONFIG', 'GET', 'min-slaves-to-write'],
      ['CONFIG', 'GET', 'min-replicas-max-lag'],
      ['CONFIG', 'SET', 'min-replicas-max-lag', '0'],
      ['SET', 'x', '4'],
      ['CONFIG', 'SET', 'min-replicas-max-lag', '10'],
      ['CONFIG', 'SET', 'min-replicas-to-write', '0'],
      ['SET', 'x', '5'],
    ]));
});

describe('CLIENT', () => {
  test('names, errors and the subcommands corral answers', () =>
    same([
      ['CLIENT'], ['CLIENT', 'FOO'], ['CLIENT', 'ID', 'x'], ['CLIENT', 'GETNAME'], ['CLIENT', 'SETNAME'],
      ['CLIENT', 'SETNAME', 'a b'], ['CLIENT', 'SETNAME', 'a\nb'], ['CLIENT', 'SETNAME', Buffer.from([0xe9])],
      ['CLIENT', 'SETNAME', 'conn'], ['CLIENT', 'GETNAME'], ['CLIENT', 'SETNAME', ''], ['CLIENT', 'GETNAME'],
      ['CLIENT', 'GETNAME', 'x'], ['CLIENT', 'INFO', 'x'], ['CLIENT', 'HELP', 'x'],
      ['CLIENT', 'LIST', 'ID', '1', 'x'], ['CLIENT', 'LIST', 'TYPE', 'foo'], ['CLIENT', 'LIST', 'foo'], ['CLIENT', 'LIST', 'ID'],
      ['CLIENT', 'LIST', 'ID', '999999'], ['CLIENT', 'LIST', 'TYPE', 'pubsub'], ['CLIENT', 'LIST', 'TYPE', 'replica'],
      ['CLIENT', 'KILL'], ['CLIENT', 'KILL', '1.2.3.4:5'], ['CLIENT', 'KILL', 'ID', '999999'], ['CLIENT', 'KILL', 'foo', 'bar'],
      ['CLIENT', 'KILL', 'ID', 'x'], ['CLIENT', 'KILL', 'ID', '0'], ['CLIENT', 'KILL', 'a', 'b', 'c'],
      ['CLIENT', 'KILL', 'SKIPME', 'maybe'], ['CLIENT', 'KILL', 'TYPE', 'foo'], ['CLIENT', 'KILL', 'USER', 'nosuch'],
      ['CLIENT', 'KILL', 'MAXAGE', '10'], ['CLIENT', 'KILL', 'ADDR', '1.2.3.4:5'], ['CLIENT', 'KILL', 'LADDR', '1.2.3.4:5'],
      ['CLIENT', 'KILL', 'ID', '1', 'SKIPME'], ['CLIENT', 'KILL', 'TYPE', 'master'],
      ['CLIENT', 'GETREDIR'], ['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'CACHING', 'yes'], ['CLIENT', 'NO-EVICT', 'x'],
      ['CLIENT', 'NO-EVICT', 'on'], ['CLIENT', 'NO-EVICT', 'OFF'], ['CLIENT', 'UNBLOCK', '1'], ['CLIENT', 'UNBLOCK', 'x'],
      ['CLIENT', 'UNBLOCK', 'x', 'foo'], ['CLIENT', 'UNBLOCK', '1', 'error'], ['CLIENT', 'UNBLOCK', '1', '2', '3'],
    ]));

  test('CLIENT LIST and INFO lines have Redis fields in order', async () => {
    const [[ours], [theirs]] = await parsedBoth([['CLIENT', 'INFO']]);
    const keys = (line: ReplyValue) => String(line).trim().split(' ').map((f) => f.slice(0, f.indexOf('=')));
    assert.deepEqual(keys(ours), keys(theirs));
  });
});

/** A COMMAND INFO entry (parsed RESP2) with the subcommands sorted by name (Redis lists them in hash order). */
function sortSubcommands(entry: ReplyValue): unknown[] {
  const e = entry as unknown[];
  const subs = [...(e[9] as unknown[][])].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
  return [...e.slice(0, 9), subs];
}

describe('COMMAND', () => {
  test('INFO and DOCS of every plain command both have: byte for byte', async () => {
    const names = [...corral.node.table.all()].filter((c) => c.subcommands === null).map((c) => c.name);
    const [, theirInfo] = await parsedBoth([['COMMAND', 'INFO', ...names]]);
    const shared = names.filter((_, i) => (theirInfo[0] as ReplyValue[])[i] !== null);
    assert.ok(shared.length > 20, `commands compared: ${shared.join(' ')}`);
    await same([...shared.map((n) => ['COMMAND', 'INFO', n]), ...shared.map((n) => ['COMMAND', 'DOCS', n])]);
  });

  test('containers: the same entries, limited to the subcommands corral has', async () => {
    for (const name of ['config', 'object', 'memory', 'slowlog', 'command', 'client']) {
      const [[ours], [theirs]] = await parsedBoth([['COMMAND', 'INFO', name]]);
      const o = sortSubcommands((ours as ReplyValue[])[0]);
      const t = sortSubcommands((theirs as ReplyValue[])[0]);
      const have = new Set((o[9] as unknown[][]).map((s) => s[0]));
      const theirSubs = t[9] as unknown[][];
      if (name !== 'client') assert.equal(have.size, theirSubs.length, `${name}: every subcommand`);
      t[9] = theirSubs.filter((s) => have.has(s[0]));
      assert.deepEqual(o, t, name);
    }
  });

  test('lookups, errors, GETKEYS, HELP', () =>
    same([
      ['COMMAND', 'HELP'], ['COMMAND', 'COUNT', 'x'], ['COMMAND', 'INFO', 'nosuch', 'get'], ['COMMAND', 'INFO', 'GET'],
      ['COMMAND', 'INFO', 'client|id'], ['COMMAND', 'INFO', 'CONFIG|GET', 'object|freq'], ['COMMAND', 'DOCS', 'nosuch'],
      ['COMMAND', 'DOCS', 'client|setname'], ['COMMAND', 'INFO', 'get|x'], ['COMMAND', 'FOO'],
      ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'xx*'], ['COMMAND', 'LIST', 'FILTERBY', 'foo', 'x'], ['COMMAND', 'LIST', 'foo'],
      ['COMMAND', 'LIST', 'FILTERBY'], ['COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x'], ['COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'nosuch'],
      ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'get'], ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'x', 'y'],
      ['COMMAND', 'GETKEYS'], ['COMMAND', 'GETKEYS', 'get'], ['COMMAND', 'GETKEYS', 'get', 'a'], ['COMMAND', 'GETKEYS', 'nosuch', 'a'],
      ['COMMAND', 'GETKEYS', 'ping', 'x'], ['COMMAND', 'GETKEYS', 'set', 'a'], ['COMMAND', 'GETKEYS', 'client', 'id'],
      ['COMMAND', 'GETKEYS', 'client', 'foo'], ['COMMAND', 'GETKEYS', 'object', 'encoding', 'k'],
      ['COMMAND', 'GETKEYS', 'memory', 'usage', 'k'], ['COMMAND', 'GETKEYSANDFLAGS', 'get', 'a'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'object', 'freq', 'k'],
    ]));
});

describe('CONFIG', () => {
  test('GET of parameters both have, and SET errors', () =>
    same([
      ['CONFIG', 'HELP'], ['CONFIG', 'GET'], ['CONFIG', 'GET', 'nosuch'], ['CONFIG', 'GET', 'save'], ['CONFIG', 'GET', 'appendonly'],
      ...[
        'maxmemory', 'maxmemory-samples', 'lfu-log-factor', 'lfu-decay-time', 'requirepass',
        'proto-max-bulk-len', 'client-query-buffer-limit', 'maxclients', 'timeout', 'hz', 'slowlog-log-slower-than',
        'slowlog-max-len', 'databases', 'daemonize', 'protected-mode', 'tcp-keepalive', 'loglevel', 'logfile', 'dbfilename',
        'cluster-enabled', 'bind',
      ].map((p) => ['CONFIG', 'GET', p]),
      ['CONFIG', 'GET', 'MAXMEMORY'], ['CONFIG', 'GET', 'maxmemory', 'MaxMemory'],
      ['CONFIG', 'SET', 'x', '1'], ['CONFIG', 'SET', 'maxmemory', 'foo'], ['CONFIG', 'SET', 'maxmemory'],
      ['CONFIG', 'SET', 'maxmemory', '1', '2'], ['CONFIG', 'SET', 'maxmemory', '10mb', 'maxmemory', '1mb'],
      ['CONFIG', 'SET', 'hz', 'x'], ['CONFIG', 'SET', 'appendonly', 'maybe'], ['CONFIG', 'SET', 'maxmemory', '-5'],
      ['CONFIG', 'SET', 'maxmemory', '1mb', 'hz', 'x'], ['CONFIG', 'GET', 'maxmemory'], ['CONFIG', 'SET', 'daemonize', 'yes'],
      ['CONFIG', 'SET', 'databases', '4'], ['CONFIG', 'SET', 'x', '1', 'daemonize', 'yes'], ['CONFIG', 'SET', 'daemonize', 'yes', 'x', '1'],
      ['CONFIG', 'SET', 'maxmemory', '1', 'x', '1'], ['CONFIG', 'SET', 'maxclients', 'x'],
      ['CONFIG', 'SET', 'maxmemory', '0', 'hz', '10'], ['CONFIG', 'RESETSTAT', 'x'], ['CONFIG', 'REWRITE'], ['CONFIG', 'FOO'],
    ]));

  test("the encoding parameters Redis's suite sets: names, aliases, defaults, ranges", () =>
    same([
      ...[
        'hash-max-listpack-entries', 'hash-max-ziplist-entries', 'hash-max-listpack-value', 'hash-max-ziplist-value',
        'list-max-listpack-size', 'list-max-ziplist-size', 'list-compress-depth', 'set-max-intset-entries',
        'zset-max-listpack-entries', 'zset-max-ziplist-entries', 'zset-max-listpack-value', 'zset-max-ziplist-value',
        'busy-reply-threshold', 'lua-time-limit', 'latency-monitor-threshold',
      ].map((p) => ['CONFIG', 'GET', p]),
      ['CONFIG', 'SET', 'zset-max-ziplist-entries', '16'], ['CONFIG', 'GET', 'zset-max-listpack-entries'],
      ['CONFIG', 'SET', 'list-max-ziplist-size', '-5'], ['CONFIG', 'SET', 'list-max-listpack-size', 'x'],
      ['CONFIG', 'SET', 'list-compress-depth', '-1'], ['CONFIG', 'SET', 'hash-max-ziplist-value', '1kb'],
      ['CONFIG', 'GET', 'hash-max-listpack-value'], ['CONFIG', 'SET', 'set-max-intset-entries', '-1'],
      ['CONFIG', 'SET', 'zset-max-ziplist-entries', '128', 'list-max-ziplist-size', '-2', 'hash-max-ziplist-value', '64'],
    ]));

  test('config ranges, clamping and enum lists as Redis', () =>
    same([
      ['CONFIG', 'SET', 'timeout', '-1'], ['CONFIG', 'SET', 'slowlog-max-len', '-1'], ['CONFIG', 'SET', 'proto-max-bulk-len', '10'],
      ['CONFIG', 'SET', 'maxmemory-samples', '0'], ['CONFIG', 'SET', 'loglevel', 'x'],
      ['CONFIG', 'SET', 'lfu-log-factor', '-1'], ['CONFIG', 'SET', 'hz', '100000'], ['CONFIG', 'GET', 'hz'], ['CONFIG', 'SET', 'hz', '10'],
    ]));

  test("maxmemory-policy defaults to corral's allkeys-tinylfu where Redis has noeviction", async () => {
    const [[ours], [theirs]] = await parsedBoth([['CONFIG', 'GET', 'maxmemory-policy']]);
    assert.deepEqual(ours, ['maxmemory-policy', 'allkeys-tinylfu']);
    assert.deepEqual(theirs, ['maxmemory-policy', 'noeviction']);
  });

  test("maxmemory-policy's enum list is Redis's, then corral's allkeys-tinylfu", async () => {
    const [ours, theirs] = await parsedBoth([['CONFIG', 'SET', 'maxmemory-policy', 'foo']]);
    const { error } = theirs[0] as { error: string };
    assert.deepEqual(ours[0], { error: `${error}, allkeys-tinylfu` });
  });
});

describe('INFO', () => {
  test('layout and deterministic sections', () =>
    same([
      ['INFO', 'nosuch'], ['INFO', 'a', 'b'], ['INFO', 'modules'], ['INFO', 'cluster'], ['INFO', 'keyspace'],
      ['SET', 'a', '1'], ['SET', 'b', '2'], ['SELECT', '5'], ['SET', 'c', '3'], ['SELECT', '0'], ['INFO', 'KEYSPACE'],
      ['INFO', 'keyspace', 'cluster', 'Keyspace'],
    ]));

  test('the default and everything sections carry Redis headers', async () => {
    const [ours, theirs] = await parsedBoth([['INFO'], ['INFO', 'everything']]);
    const headers = (t: ReplyValue) => String(t).split('\r\n').filter((l) => l.startsWith('# '));
    assert.deepEqual(headers(ours[0]), headers(theirs[0]));
    assert.deepEqual(headers(ours[1]), headers(theirs[1]));
    const fields = (t: ReplyValue) => new Set(String(t).split('\r\n').map((l) => l.slice(0, l.indexOf(':'))));
    const theirFields = fields(theirs[0]);
    for (const f of ['redis_version', 'redis_mode', 'process_id', 'run_id', 'tcp_port', 'uptime_in_seconds', 'connected_clients',
      'used_memory', 'used_memory_human', 'used_memory_rss', 'maxmemory', 'maxmemory_human', 'maxmemory_policy', 'loading',
      'total_connections_received', 'total_commands_processed', 'instantaneous_ops_per_sec', 'rejected_connections',
      'expired_keys', 'evicted_keys', 'keyspace_hits', 'keyspace_misses', 'role', 'connected_slaves', 'used_cpu_sys', 'cluster_enabled']) {
      assert.ok(theirFields.has(f), `redis has ${f}`);
      assert.ok(fields(ours[0]).has(f), `corral has ${f}`);
    }
  });
});

describe('OBJECT MEMORY SLOWLOG TIME and the rest', () => {
  test('OBJECT', () =>
    same([
      ['SET', 's', 'hello'], ['SET', 'n', '123'], ['SET', 'big', '12345678901234567890'], ['SET', 'e', 'a'.repeat(44)],
      ['SET', 'r', 'a'.repeat(45)], ['SET', 'neg', '-5'], ['SET', 'z', '05'], ['SET', 'n4', '10000'], ['SET', 'n5', '9999'],
      ...['s', 'n', 'big', 'e', 'r', 'neg', 'z', 'nosuch'].map((k) => ['OBJECT', 'ENCODING', k]),
      ['OBJECT', 'REFCOUNT', 's'], ['OBJECT', 'REFCOUNT', 'n5'], ['OBJECT', 'REFCOUNT', 'n4'], ['OBJECT', 'REFCOUNT', 'nosuch'],
      ['OBJECT', 'FREQ', 's'], ['OBJECT', 'FREQ', 'nosuch'], ['OBJECT', 'IDLETIME', 'nosuch'], ['OBJECT', 'HELP'],
      ['OBJECT', 'foo', 'x'], ['OBJECT', 'ENCODING'], ['OBJECT', 'ENCODING', 'a', 'b'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu'], ['OBJECT', 'IDLETIME', 's'], ['OBJECT', 'FREQ', 'nosuch'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'],
    ]));

  test('MEMORY', () =>
    same([
      ['SET', 's', 'v'], ['MEMORY', 'HELP'], ['MEMORY', 'USAGE'], ['MEMORY', 'USAGE', 'nosuch'], ['MEMORY', 'USAGE', 's', 'SAMPLES'],
      ['MEMORY', 'USAGE', 's', 'SAMPLES', 'x'], ['MEMORY', 'USAGE', 's', 'foo', '1'], ['MEMORY', 'USAGE', 's', 'SAMPLES', '-1'],
      ['MEMORY', 'USAGE', 'nosuch', 'SAMPLES', '0'], ['MEMORY', 'DOCTOR'], ['MEMORY', 'DOCTOR', 'x'], ['MEMORY', 'PURGE'],
      ['MEMORY', 'MALLOC-STATS', 'x'], ['MEMORY', 'FOO'],
    ]));

  test('SLOWLOG', () =>
    same([
      ['SLOWLOG', 'HELP'], ['SLOWLOG', 'RESET'], ['SLOWLOG', 'GET', 'x'], ['SLOWLOG', 'GET', '-2'], ['SLOWLOG', 'GET', '0'],
      ['SLOWLOG', 'GET', '99999999999999999999'], ['SLOWLOG', 'GET', '1', '2'], ['SLOWLOG', 'LEN', 'x'], ['SLOWLOG'],
    ]));

  test('TIME LASTSAVE SHUTDOWN BGSAVE arity and option errors', () =>
    same([
      ['TIME', 'x'], ['LASTSAVE', 'x'], ['SAVE', 'x'], ['BGSAVE', 'x'], ['BGSAVE', 'a', 'b'], ['SHUTDOWN', 'x'],
      ['SHUTDOWN', 'NOSAVE', 'SAVE'], ['SHUTDOWN', 'ABORT'], ['SHUTDOWN', 'ABORT', 'NOW'],
    ]));
});

describe('replica-serve-stale-data no: a replica whose link is down', () => {
  const toStale: Cmd[] = [['SET', 'x', 'v'], ['CONFIG', 'SET', 'replica-serve-stale-data', 'no'], ['REPLICAOF', '127.0.0.1', '1']];
  const back: Cmd[] = [['REPLICAOF', 'NO', 'ONE'], ['CONFIG', 'SET', 'replica-serve-stale-data', 'yes']];

  test('serves only stale-flagged commands; scripts need allow-stale and call only stale commands', () =>
    same([
      ...toStale,
      ['GET', 'x'], ['PING'], ['ECHO', 'e'], ['CONFIG', 'GET', 'replica-serve-stale-data'], ['EXISTS', 'x'],
      ['EVAL', "return redis.call('get','x')", '1', 'x'],
      ['EVAL', '#!lua flags=no-writes\nreturn 1', '0'],
      ['EVAL', '#!lua\nreturn 1', '0'],
      ['EVAL', '#!lua flags=allow-stale,no-writes\nreturn 1', '0'],
      ['EVAL', "#!lua flags=allow-stale,no-writes\nreturn redis.call('get','x')", '1', 'x'],
      ['EVAL', "#!lua flags=allow-stale,no-writes\nreturn redis.pcall('get','x')", '1', 'x'],
      ['EVAL', "#!lua flags=allow-stale,no-writes\nreturn redis.call('echo','foobar')", '0'],
      ['MULTI'], ['GET', 'x'], ['EXEC'],
      ['MULTI'], ['CONFIG', 'GET', 'replica-serve-stale-data'], ['EXEC'],
      ...back,
      ['GET', 'x'],
    ]));

  test('an EXEC whose queued command is not stale-flagged is aborted when the link went down after queueing', async () => {
    for (const port of [corral.port, redis.port]) {
      const [a, b] = await Promise.all([RawConnection.connect(port), RawConnection.connect(port)]);
      try {
        await a.call('SET', 'xx', '1');
        await a.call('CONFIG', 'SET', 'replica-serve-stale-data', 'no');
        for (const queued of [['GET', 'xx'], ['PING']]) {
          await a.call('MULTI');
          assert.deepEqual(await a.call(...queued), { simple: 'QUEUED' });
          await b.call('REPLICAOF', 'localhsot', '0');
          const reply = (await a.callRaw('EXEC')).toString('latin1');
          assert.equal(reply, "-EXECABORT Transaction discarded because of: MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n", `port ${port}`);
          await b.call('REPLICAOF', 'NO', 'ONE');
        }
        // MULTI itself is allowed while stale; the link is back before EXEC.
        await b.call('REPLICAOF', 'localhsot', '0');
        await a.call('MULTI');
        await b.call('REPLICAOF', 'NO', 'ONE');
        await a.call('GET', 'xx');
        assert.deepEqual(await a.call('EXEC'), ['1']);
      } finally {
        await a.call('CONFIG', 'SET', 'replica-serve-stale-data', 'yes');
        a.close();
        b.close();
      }
    }
  });
});
