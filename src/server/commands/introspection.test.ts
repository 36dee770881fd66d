// Unit tests for COMMAND (served from Redis's metadata, limited to this node's table) and OBJECT,
// run through the dispatcher on a node that is not listening, with a ManualClock.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { REDIS_COMMAND_META } from '../../commands/redis-meta.js';
import { ReplyWriter } from '../../protocol/reply-writer.js';
import type { RespValue } from '../../protocol/resp-value.js';
import { TYPE_HASH } from '../../store/entry.js';
import { HashValue } from '../../store/hash-value.js';
import { encodingOf, introspectionCommands } from './introspection.js';
import { nodeHarness } from '../../../test/support/node-harness.js';
import { assertMatchesRedis } from '../../../test/support/redis-meta-check.js';

function harness(config: Record<string, string> = {}) {
  return nodeHarness(config);
}

/** How Redis would encode a metadata tree in RESP2. */
function encode(v: RespValue): string {
  const w = new ReplyWriter();
  w.begin();
  w.value(v);
  return w.take()!.toString('latin1');
}

describe('COMMAND', () => {
  test('COUNT is the number of top-level commands; COMMAND lists them all', () => {
    const { run, node, parsed } = harness();
    assert.equal(run('COMMAND', 'COUNT'), `:${node.table.size}\r\n`);
    const all = parsed('COMMAND') as RespValue[];
    assert.equal(all.length, node.table.size);
    assert.equal((parsed('COMMAND', 'INFO') as RespValue[]).length, node.table.size);
  });

  test('INFO of a plain command is Redis 7.0.15 byte for byte; unknown names are null', () => {
    const { run } = harness();
    const get = encode(REDIS_COMMAND_META.get.info);
    assert.equal(run('COMMAND', 'INFO', 'GET'), `*1\r\n${get}`);
    assert.equal(run('COMMAND', 'INFO', 'nosuch', 'get'), `*2\r\n$-1\r\n${get}`);
    assert.equal(run('COMMAND', 'INFO', 'client|id').slice(0, 22), '*1\r\n*10\r\n$9\r\nclient|id');
    assert.equal(run('COMMAND', 'INFO', 'client|nosuch|x'), '*1\r\n$-1\r\n');
  });

  test('containers list only the subcommands this node has', () => {
    const { parsed } = harness();
    const [client] = parsed('COMMAND', 'INFO', 'client') as RespValue[][];
    const subs = (client[9] as RespValue[][]).map((s) => s[0]);
    assert.ok(subs.includes('client|setname'));
    assert.ok(!subs.includes('client|pause'), 'CLIENT PAUSE is not implemented');
    assert.deepEqual(subs, [...subs].sort());
    const docs = parsed('COMMAND', 'DOCS', 'client') as RespValue[];
    assert.equal(docs[0], 'client');
    const fields = docs[1] as RespValue[];
    const subDocs = fields[fields.indexOf('subcommands') + 1] as RespValue[];
    assert.deepEqual(subDocs.filter((_, i) => i % 2 === 0), subs);
  });

  test('DOCS: a map, unknown names skipped; all commands without names', () => {
    const { run, parsed, node, client } = harness();
    assert.equal(run('COMMAND', 'DOCS', 'nosuch'), '*0\r\n');
    const d = parsed('COMMAND', 'DOCS', 'get', 'nosuch') as RespValue[];
    assert.equal(d.length, 2);
    assert.equal(d[0], 'get');
    assert.equal(encode(d[1]), encode(REDIS_COMMAND_META.get.docs));
    assert.equal((parsed('COMMAND', 'DOCS') as RespValue[]).length, node.table.size * 2);
    client.resp = 3;
    assert.match(run('COMMAND', 'DOCS', 'get'), /^%1\r\n\$3\r\nget\r\n%5\r\n\$7\r\nsummary/);
  });

  test('LIST with filters', () => {
    const { run, parsed } = harness();
    assert.deepEqual(parsed('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'config*'), [
      'config',
      'config|get',
      'config|set',
      'config|resetstat',
      'config|rewrite',
      'config|help',
    ]);
    assert.ok((parsed('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'connection') as string[]).includes('hello'));
    assert.equal(run('COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x'), '*0\r\n');
    assert.equal(run('COMMAND', 'LIST', 'FILTERBY', 'foo', 'x'), '-ERR syntax error\r\n');
    assert.equal(run('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'x', 'y'), '-ERR syntax error\r\n');
    assert.ok((parsed('COMMAND', 'LIST') as string[]).includes('object|freq'));
  });

  test('GETKEYS and GETKEYSANDFLAGS by key specs', () => {
    const { run } = harness();
    assert.equal(run('COMMAND', 'GETKEYS', 'get', 'k'), '*1\r\n$1\r\nk\r\n');
    assert.equal(run('COMMAND', 'GETKEYSANDFLAGS', 'get', 'k'), '*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+RO\r\n+access\r\n');
    assert.equal(run('COMMAND', 'GETKEYS', 'object', 'encoding', 'k'), '*1\r\n$1\r\nk\r\n');
    assert.equal(run('COMMAND', 'GETKEYS', 'nosuch', 'a'), '-ERR Invalid command specified\r\n');
    assert.equal(run('COMMAND', 'GETKEYS', 'client', 'foo'), '-ERR Invalid command specified\r\n');
    assert.equal(run('COMMAND', 'GETKEYS', 'ping', 'x'), '-ERR The command has no key arguments\r\n');
    assert.equal(run('COMMAND', 'GETKEYS', 'set', 'a'), '-ERR Invalid number of arguments specified for command\r\n');
    assert.equal(run('COMMAND', 'GETKEYS', 'get'), "-ERR wrong number of arguments for 'command|getkeys' command\r\n");
  });

  test('HELP is Redis text', () => {
    const { run } = harness();
    assert.match(run('COMMAND', 'HELP'), /^\*21\r\n\+COMMAND <subcommand> \[<arg> \[value\] \[opt\] \.\.\.\]\. Subcommands are:\r\n/);
  });
});

describe('OBJECT', () => {
  test('ENCODING follows Redis: int, embstr up to 44 bytes, raw; listpack or hashtable', () => {
    const { run, node } = harness();
    const db = node.store.dbs[0];
    const cases: Array<[string, string]> = [
      ['123', 'int'],
      ['-5', 'int'],
      ['05', 'embstr'],
      ['12345678901234567890', 'embstr'],
      ['a'.repeat(44), 'embstr'],
      ['a'.repeat(45), 'raw'],
    ];
    for (const [v, enc] of cases) {
      db.setString('k', v, 0);
      assert.equal(run('OBJECT', 'ENCODING', 'k'), `$${enc.length}\r\n${enc}\r\n`, v);
    }
    const h = db.create('h', TYPE_HASH, HashValue.fromPairs([['f', 'v']]));
    assert.equal(encodingOf(h, db), 'listpack');
    (h.value as HashValue).set('long', 'x'.repeat(65));
    assert.equal(encodingOf(h, db), 'hashtable');
    (h.value as HashValue).delete('long');
    assert.equal(encodingOf(h, db), 'hashtable', 'never converts back');
    assert.equal(run('OBJECT', 'ENCODING', 'nosuch'), '$-1\r\n');
  });

  test('ENCODING of a string edited in place is raw, of INCRBYFLOAT never int, until rewritten', () => {
    const { run } = harness();
    const enc = (k: string) => run('OBJECT', 'ENCODING', k);
    run('SET', 'k', '1234');
    assert.equal(run('SETRANGE', 'k', '0', ''), ':4\r\n');
    assert.equal(enc('k'), '$3\r\nint\r\n', 'nothing written');
    run('SETRANGE', 'k', '0', '2');
    assert.equal(enc('k'), '$3\r\nraw\r\n');
    run('EXPIRE', 'k', '100');
    assert.equal(enc('k'), '$3\r\nraw\r\n', 'a TTL keeps it');
    run('INCR', 'k');
    assert.equal(enc('k'), '$3\r\nint\r\n');
    run('APPEND', 'a', '12');
    assert.equal(enc('a'), '$3\r\nint\r\n', 'APPEND creating the key');
    run('APPEND', 'a', '3');
    assert.equal(enc('a'), '$3\r\nraw\r\n');
    run('SETBIT', 'b', '1', '1');
    run('PFADD', 'h', 'x');
    run('SET', 'x', '7');
    run('BITOP', 'OR', 'o', 'x');
    for (const k of ['b', 'h', 'o']) assert.equal(enc(k), '$3\r\nraw\r\n', k);
    run('BITFIELD', 'x', 'GET', 'u8', '0');
    assert.equal(enc('x'), '$3\r\nint\r\n', 'BITFIELD GET only reads');
    run('INCRBYFLOAT', 'f', '1');
    assert.equal(enc('f'), '$6\r\nembstr\r\n');
    run('INCRBY', 'f', '1');
    assert.equal(enc('f'), '$3\r\nint\r\n');
    run('SET', 'a', '12');
    assert.equal(enc('a'), '$3\r\nint\r\n', 'SET rewrites it');
  });

  test('IDLETIME counts seconds since the last access; FREQ needs an LFU policy', () => {
    const { run, node, clock } = harness();
    node.store.dbs[0].setString('k', 'v', 0);
    clock.advance(7500);
    node.clock.refresh();
    assert.equal(run('OBJECT', 'IDLETIME', 'k'), ':7\r\n');
    assert.match(run('OBJECT', 'FREQ', 'k'), /^-ERR An LFU maxmemory policy is not selected, access frequency not tracked\./);
    assert.equal(run('OBJECT', 'FREQ', 'nosuch'), '$-1\r\n');
    assert.equal(run('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu'), '+OK\r\n');
    assert.equal(run('OBJECT', 'FREQ', 'k'), ':5\r\n');
    assert.match(run('OBJECT', 'IDLETIME', 'k'), /^-ERR An LFU maxmemory policy is selected, idle time not tracked\./);
  });

  test('allkeys-tinylfu (not a Redis policy): FREQ is the sketch estimate, IDLETIME works', () => {
    const { run, node, clock } = harness();
    node.store.dbs[0].setString('k', 'v', 0);
    assert.equal(run('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-tinylfu'), '+OK\r\n');
    assert.match(run('OBJECT', 'FREQ', 'k'), /^-ERR An LFU maxmemory policy is not selected/); // no limit: nothing tracked
    assert.equal(run('CONFIG', 'SET', 'maxmemory', '100mb'), '+OK\r\n');
    assert.equal(run('OBJECT', 'FREQ', 'k'), ':0\r\n'); // adopted when tracking starts: no history
    run('GET', 'k');
    run('GET', 'k');
    assert.equal(run('OBJECT', 'FREQ', 'k'), ':2\r\n');
    clock.advance(3000);
    node.clock.refresh();
    assert.equal(run('OBJECT', 'IDLETIME', 'k'), ':3\r\n');
    assert.equal(run('OBJECT', 'FREQ', 'nosuch'), '$-1\r\n');
  });

  test('REFCOUNT: shared small integers unless an LRU/LFU policy is in force', () => {
    const { run, node } = harness();
    const db = node.store.dbs[0];
    db.setString('small', '9999', 0);
    db.setString('big', '10000', 0);
    assert.equal(run('OBJECT', 'REFCOUNT', 'small'), ':2147483647\r\n');
    assert.equal(run('OBJECT', 'REFCOUNT', 'big'), ':1\r\n');
    run('CONFIG', 'SET', 'maxmemory', '100mb', 'maxmemory-policy', 'allkeys-lru');
    assert.equal(run('OBJECT', 'REFCOUNT', 'small'), ':1\r\n');
    assert.equal(run('OBJECT', 'REFCOUNT', 'nosuch'), '$-1\r\n');
    assert.equal(run('OBJECT', 'foo', 'x'), "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n");
    assert.match(run('OBJECT', 'HELP'), /^\*15\r\n/);
  });
});

test('arity, key positions and flags are Redis 7.0.15', () => {
  assertMatchesRedis(introspectionCommands, true);
});
