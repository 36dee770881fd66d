// Unit tests for the administration commands (INFO CONFIG TIME LASTSAVE MEMORY SLOWLOG SHUTDOWN
// SAVE BGSAVE), run through the dispatcher on a node that is not listening, with a ManualClock.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { RespValue } from '../../protocol/resp-value.js';
import { adminCommands } from './admin.js';
import { nodeHarness } from '../../../test/support/node-harness.js';
import { assertMatchesRedis } from '../../../test/support/redis-meta-check.js';

function harness(config: Record<string, string> = {}) {
  return nodeHarness(config);
}

describe('INFO', () => {
  test('a bulk string in RESP2, verbatim in RESP3, with Redis headers and CRLF lines', () => {
    const { run, client, node } = harness();
    node.store.dbs[3].setString('a', '1', node.clock.now() + 10_000);
    node.store.dbs[3].setString('b', '2', 0);
    const keyspace = '# Keyspace\r\ndb3:keys=2,expires=1,avg_ttl=0\r\n';
    assert.equal(run('INFO', 'keyspace'), `$${keyspace.length}\r\n${keyspace}\r\n`);
    client.resp = 3;
    assert.equal(run('INFO', 'KEYSPACE'), `=${keyspace.length + 4}\r\ntxt:${keyspace}\r\n`);
    assert.equal(run('INFO', 'nosuch'), '=4\r\ntxt:\r\n');
  });

  test('default sections, and what `all` adds', () => {
    const { parsed } = harness();
    const headers = (t: unknown) => (t as string).split('\r\n').filter((l) => l.startsWith('# '));
    const dflt = ['# Server', '# Clients', '# Memory', '# Persistence', '# Stats', '# Replication', '# CPU', '# Modules', '# Errorstats', '# Cluster', '# Keyspace'];
    assert.deepEqual(headers(parsed('INFO')), dflt);
    assert.deepEqual(headers(parsed('INFO', 'default')), dflt);
    assert.deepEqual(headers(parsed('INFO', 'everything')), [...dflt.slice(0, 8), '# Commandstats', dflt[8], '# Latencystats', ...dflt.slice(9)]);
    assert.deepEqual(headers(parsed('INFO', 'cpu', 'server', 'CPU')), ['# Server', '# CPU']);
  });

  test('fields clients rely on', () => {
    const { parsed, node } = harness({ maxmemory: '1mb', 'maxmemory-policy': 'allkeys-lru' });
    node.store.dbs[0].setString('k', 'v', 0);
    node.store.dbs[0].lookupRead('k');
    node.store.dbs[0].lookupRead('nope');
    parsed('PING');
    const text = parsed('INFO', 'all') as string;
    const f = Object.fromEntries(text.split('\r\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
    assert.equal(f.redis_version, '7.0.15');
    assert.equal(f.corral_version, '0.1.0');
    assert.equal(f.redis_mode, 'standalone');
    assert.equal(f.role, 'master');
    assert.equal(f.connected_slaves, '0');
    assert.equal(f.run_id, node.runId);
    assert.equal(f.process_id, String(process.pid));
    assert.equal(f.loading, '0');
    assert.equal(f.connected_clients, '1');
    assert.equal(f.used_memory, String(node.store.usedMemory));
    assert.equal(f.maxmemory, '1048576');
    assert.equal(f.maxmemory_human, '1.00M');
    assert.equal(f.maxmemory_policy, 'allkeys-lru');
    assert.equal(f.keyspace_hits, '1');
    assert.equal(f.keyspace_misses, '1');
    assert.match(f.used_memory_rss, /^\d+$/);
    assert.match(f.cmdstat_ping, /^calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0$/);
    assert.equal(f.cmdstat_info, undefined, 'INFO is counted after it replies');
  });
});

describe('CONFIG', () => {
  test('GET: exact names echo the caller spelling, patterns match case-insensitively, a map in RESP3', () => {
    const { run, parsed, client } = harness();
    assert.equal(run('CONFIG', 'GET', 'save'), '*2\r\n$4\r\nsave\r\n$0\r\n\r\n');
    assert.equal(run('CONFIG', 'GET', 'appendonly'), '*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n');
    assert.equal(run('CONFIG', 'GET', 'MAXMEMORY', 'maxmemory'), '*2\r\n$9\r\nMAXMEMORY\r\n$1\r\n0\r\n');
    assert.equal(run('CONFIG', 'GET', 'nosuch'), '*0\r\n');
    assert.deepEqual(parsed('CONFIG', 'GET', 'MAXMEMORY-*'), ['maxmemory-policy', 'allkeys-tinylfu', 'maxmemory-samples', '5']);
    client.resp = 3;
    assert.equal(run('CONFIG', 'GET', 'hz'), '%1\r\n$2\r\nhz\r\n$2\r\n10\r\n');
  });

  test('SET: several pairs, all or nothing, Redis error texts', () => {
    const { run, node } = harness();
    assert.equal(run('CONFIG', 'SET', 'maxmemory', '10mb', 'hz', '20'), '+OK\r\n');
    assert.equal(node.store.maxmemory, 10 * 1024 * 1024);
    assert.equal(node.config.int('hz'), 20);
    assert.equal(run('CONFIG', 'SET', 'maxmemory', '1mb', 'hz', 'x'), "-ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer\r\n");
    assert.equal(node.store.maxmemory, 10 * 1024 * 1024, 'nothing applied when one value is bad');
    assert.equal(run('CONFIG', 'SET', 'x', '1'), "-ERR Unknown option or number of arguments for CONFIG SET - 'x'\r\n");
    assert.equal(run('CONFIG', 'SET', 'maxmemory', 'foo'), "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value\r\n");
    assert.equal(run('CONFIG', 'SET', 'MAXMEMORY', '1', 'maxmemory', '2'), "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter\r\n");
    assert.equal(run('CONFIG', 'SET', 'daemonize', 'yes', 'x', '1'), "-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config\r\n");
    assert.equal(run('CONFIG', 'SET', 'x', '1', 'daemonize', 'yes'), "-ERR Unknown option or number of arguments for CONFIG SET - 'x'\r\n");
    assert.equal(run('CONFIG', 'SET', 'maxmemory', '1', '2'), '-ERR syntax error\r\n');
    assert.equal(run('CONFIG', 'SET', 'maxmemory'), "-ERR wrong number of arguments for 'config|set' command\r\n");
    assert.equal(run('CONFIG', 'SET', 'appendonly', 'maybe'), "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'\r\n");
  });

  test('RESETSTAT zeroes the counters; REWRITE has no file', () => {
    const { run, node } = harness();
    node.store.dbs[0].lookupRead('nope');
    run('PING');
    assert.ok(node.stats.commandsProcessed > 0);
    assert.equal(run('CONFIG', 'RESETSTAT'), '+OK\r\n');
    assert.equal(node.store.stats.misses, 0);
    assert.equal(node.table.get('ping')!.calls, 0);
    assert.equal(node.stats.commandsProcessed, 1, 'CONFIG RESETSTAT itself');
    assert.equal(run('CONFIG', 'REWRITE'), '-ERR The server is running without a config file\r\n');
    assert.match(run('CONFIG', 'HELP'), /^\*11\r\n\+CONFIG <subcommand>/);
  });
});

describe('TIME LASTSAVE SAVE BGSAVE', () => {
  test('TIME reads the node clock', () => {
    const { run, clock, node } = harness();
    clock.set(1_700_000_123_456);
    node.clock.refresh();
    assert.equal(run('TIME'), '*2\r\n$10\r\n1700000123\r\n$6\r\n456000\r\n');
    assert.equal(run('LASTSAVE'), `:${Math.floor(node.stats.startedAt / 1000)}\r\n`);
  });

  test('no persistence: SAVE and BGSAVE are refused after syntax checks', () => {
    const { run } = harness();
    assert.match(run('SAVE'), /^-ERR corral keeps no data on disk/);
    assert.match(run('BGSAVE', 'SCHEDULE'), /^-ERR corral keeps no data on disk/);
    assert.equal(run('BGSAVE', 'x'), '-ERR syntax error\r\n');
  });
});

describe('MEMORY', () => {
  test('USAGE is the entry size; options checked as Redis', () => {
    const { run, node } = harness();
    const e = node.store.dbs[0].setString('k', 'value', 0);
    assert.equal(run('MEMORY', 'USAGE', 'k'), `:${e.bytes}\r\n`);
    assert.equal(run('MEMORY', 'USAGE', 'k', 'SAMPLES', '0'), `:${e.bytes}\r\n`);
    assert.equal(run('MEMORY', 'USAGE', 'nosuch'), '$-1\r\n');
    assert.equal(run('MEMORY', 'USAGE', 'k', 'SAMPLES'), '-ERR syntax error\r\n');
    assert.equal(run('MEMORY', 'USAGE', 'k', 'SAMPLES', '-1'), '-ERR syntax error\r\n');
    assert.equal(run('MEMORY', 'USAGE', 'k', 'SAMPLES', 'x'), '-ERR value is not an integer or out of range\r\n');
  });

  test('STATS, DOCTOR, MALLOC-STATS, PURGE', () => {
    const { run, parsed, node } = harness();
    node.store.dbs[1].setString('k', 'v', 0);
    const stats = parsed('MEMORY', 'STATS') as RespValue[];
    assert.equal(stats[stats.indexOf('keys.count') + 1], 1);
    assert.ok(stats.includes('db.1'));
    assert.match(run('MEMORY', 'DOCTOR'), /Hi Sam, this instance is empty or is using very little memory/);
    assert.equal(run('MEMORY', 'MALLOC-STATS'), '$45\r\nStats not supported for the current allocator\r\n');
    assert.equal(run('MEMORY', 'PURGE'), '+OK\r\n');
  });
});

describe('SLOWLOG', () => {
  test('GET LEN RESET with Redis entry shape and errors', () => {
    const { run, parsed, client } = harness({ 'slowlog-log-slower-than': '0' });
    client.name = 'me';
    run('ECHO', 'hello');
    run('PING');
    assert.equal(run('SLOWLOG', 'LEN'), ':2\r\n');
    const [latest, entry] = parsed('SLOWLOG', 'GET', '2') as RespValue[][];
    assert.deepEqual(latest[3], ['SLOWLOG', 'LEN']);
    assert.equal(entry.length, 6);
    assert.equal(entry[0], 1);
    assert.deepEqual(entry[3], ['PING']);
    assert.deepEqual(entry.slice(4), [client.addr, 'me']);
    assert.equal((parsed('SLOWLOG', 'GET', '-1') as RespValue[]).length, 4);
    assert.equal(run('SLOWLOG', 'GET', '0'), '*0\r\n');
    assert.equal(run('SLOWLOG', 'GET', '-2'), '-ERR count should be greater than or equal to -1\r\n');
    assert.equal(run('SLOWLOG', 'GET', '1', '2'), "-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.\r\n");
    assert.equal(run('SLOWLOG', 'RESET'), '+OK\r\n');
    assert.equal(run('SLOWLOG', 'LEN'), ':1\r\n', 'only the RESET itself');
    assert.match(run('SLOWLOG', 'HELP'), /^\*12\r\n/);
  });
});

describe('SHUTDOWN', () => {
  test('option errors', () => {
    const { run } = harness();
    assert.equal(run('SHUTDOWN', 'x'), '-ERR syntax error\r\n');
    assert.equal(run('SHUTDOWN', 'NOSAVE', 'SAVE'), '-ERR syntax error\r\n');
    assert.equal(run('SHUTDOWN', 'ABORT', 'NOW'), '-ERR syntax error\r\n');
    assert.equal(run('SHUTDOWN', 'ABORT'), '-ERR No shutdown in progress.\r\n');
    assert.equal(run('SHUTDOWN', 'SAVE'), '-ERR Errors trying to SHUTDOWN. Check logs.\r\n');
  });

  test('closes the node without a reply', async () => {
    const { run, node, client } = harness();
    assert.equal(run('SHUTDOWN', 'NOSAVE', 'NOW'), '');
    assert.equal(client.closeAfterReply, true);
    await node.stopped;
  });
});

test('arity, key positions and flags are Redis 7.0.15', () => {
  assertMatchesRedis(adminCommands, true);
});
