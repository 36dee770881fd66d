// Unit tests for DEBUG, run through the dispatcher on a node that is not listening: the
// enable-debug-command refusal, PROTOCOL's bytes, digests against values redis-server 7.0.15
// gave for the same data, OBJECT, RELOAD's round trip and its options, and the switches.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { debugCommands } from './debug.js';
import { nodeHarness } from '../../../test/support/node-harness.js';
import { assertMatchesRedis } from '../../../test/support/redis-meta-check.js';

const ENABLED = { 'enable-debug-command': 'yes' };
const REFUSED =
  '-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n';

test('DEBUG carries Redis 7.0.15 arity, keys and flags', () => {
  assertMatchesRedis(debugCommands, true);
});

describe('enable-debug-command', () => {
  test('no (the default) and local without a loopback peer refuse DEBUG, after the arity check', () => {
    for (const setting of ['no', 'local']) {
      const { run } = nodeHarness({ 'enable-debug-command': setting });
      assert.equal(run('DEBUG', 'PROTOCOL', 'string'), REFUSED);
      assert.equal(run('DEBUG'), "-ERR wrong number of arguments for 'debug' command\r\n");
    }
  });

  test('CONFIG SET cannot change it; CONFIG GET shows it', () => {
    const { run } = nodeHarness(ENABLED);
    assert.equal(run('CONFIG', 'SET', 'enable-debug-command', 'no'), "-ERR CONFIG SET failed (possibly related to argument 'enable-debug-command') - can't set immutable config\r\n");
    assert.equal(run('CONFIG', 'GET', 'enable-debug-command'), '*2\r\n$20\r\nenable-debug-command\r\n$3\r\nyes\r\n');
  });
});

describe('DEBUG PROTOCOL', () => {
  const cases: Array<[string, string, string]> = [
    ['string', '$11\r\nHello World\r\n', '$11\r\nHello World\r\n'],
    ['integer', ':12345\r\n', ':12345\r\n'],
    ['double', '$5\r\n3.141\r\n', ',3.141\r\n'],
    ['bignum', '$37\r\n1234567999999999999999999999999999999\r\n', '(1234567999999999999999999999999999999\r\n'],
    ['null', '$-1\r\n', '_\r\n'],
    ['array', '*3\r\n:0\r\n:1\r\n:2\r\n', '*3\r\n:0\r\n:1\r\n:2\r\n'],
    ['set', '*3\r\n:0\r\n:1\r\n:2\r\n', '~3\r\n:0\r\n:1\r\n:2\r\n'],
    ['map', '*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n', '%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n'],
    ['attrib', '$39\r\nSome real reply following the attribute\r\n', '|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n'],
    ['push', '-ERR RESP2 is not supported by this command\r\n', '>2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n'],
    ['true', ':1\r\n', '#t\r\n'],
    ['false', ':0\r\n', '#f\r\n'],
    ['verbatim', '$25\r\nThis is a verbatim\nstring\r\n', '=29\r\ntxt:This is a verbatim\nstring\r\n'],
  ];
  for (const [type, resp2, resp3] of cases) {
    test(type, () => {
      const { run, client } = nodeHarness(ENABLED);
      assert.equal(run('DEBUG', 'PROTOCOL', type.toUpperCase()), resp2);
      client.resp = 3;
      assert.equal(run('DEBUG', 'protocol', type), resp3);
    });
  }

  test('an unknown type', () => {
    const { run } = nodeHarness(ENABLED);
    assert.match(run('DEBUG', 'PROTOCOL', 'nope'), /^-ERR Wrong protocol type name\. Please use one of the following: string\|integer/);
  });
});

describe('DEBUG DIGEST and DIGEST-VALUE', () => {
  // Digests redis-server 7.0.15 gives for the same data: Redis's own algorithm.
  test('match redis-server for each type, TTLs and databases', () => {
    const { run, node } = nodeHarness(ENABLED);
    assert.equal(run('DEBUG', 'DIGEST'), '+0000000000000000000000000000000000000000\r\n');
    run('SET', 'foo', '20000');
    run('RPUSH', 'l', 'a', 'b', 'c');
    assert.equal(run('DEBUG', 'DIGEST'), '+1cf5e423930043bb32127dc87db1dfd9f8423d53\r\n');
    assert.equal(
      run('DEBUG', 'DIGEST-VALUE', 'foo', 'l', 'nokey'),
      '*3\r\n+c8de5acd2782dc3facd90e4be9a7f3e97445e399\r\n+8bf72d812571eea9b927f3c11beb0c4165a6ff89\r\n+0000000000000000000000000000000000000000\r\n',
    );
    run('FLUSHALL');
    run('HSET', 'h', 'f1', 'v1', 'f2', '2');
    run('SADD', 's', 'a', 'b', '3');
    run('SADD', 'si', '1', '2', '3');
    run('ZADD', 'z', '1.5', 'a', '2', 'b', '-3e20', 'c');
    run('SET', 't', 'x', 'EX', '1000');
    node.store.dbs[1].setString('foo', '20000', 0);
    assert.equal(
      run('DEBUG', 'DIGEST-VALUE', 'h', 's', 'si', 'z', 't'),
      '*5\r\n+fc076e867f7dbf566ea58172a151d82d78b8f845\r\n+aa475a4a8f122ca5936aa41d911aacf8c93b827d\r\n+2a462a3f51a1db89738ebbeef0c47ce1bbc85246\r\n+85216251ebd34af10df92e0f18e3d26fa40885a4\r\n+0745672cb1bf060476eedeb8a28f5ffe1ff5a2be\r\n',
    );
    assert.equal(run('DEBUG', 'DIGEST'), '+d34f70687f4049bc5e6748ff8aa4f50f62520b27\r\n');
    assert.equal(run('DEBUG', 'DIGEST-VALUE'), '*0\r\n');
  });

  test('equal data, built in another order, digests the same', () => {
    const a = nodeHarness(ENABLED);
    const b = nodeHarness(ENABLED);
    a.run('SADD', 's', 'x', 'y', 'z');
    a.run('HSET', 'h', 'a', '1', 'b', '2');
    b.run('HSET', 'h', 'b', '2', 'a', '1');
    b.run('SADD', 's', 'z', 'y', 'x');
    assert.equal(a.run('DEBUG', 'DIGEST'), b.run('DEBUG', 'DIGEST'));
    b.run('SADD', 's', 'w');
    assert.notEqual(a.run('DEBUG', 'DIGEST'), b.run('DEBUG', 'DIGEST'));
  });
});

describe('DEBUG OBJECT', () => {
  test("Redis's fields; the address survives an in-place INCR; a missing key is an error", () => {
    const { run } = nodeHarness(ENABLED);
    run('SET', 'foo', '20000');
    const line = run('DEBUG', 'OBJECT', 'foo');
    assert.match(line, /^\+Value at:0x[0-9a-f]+ refcount:1 encoding:int serializedlength:3 lru:\d+ lru_seconds_idle:0\r\n$/);
    run('INCR', 'foo');
    assert.equal(run('DEBUG', 'OBJECT', 'foo').split(' ')[1], line.split(' ')[1]);
    run('RPUSH', 'l', 'a', 'b', 'c');
    assert.match(run('DEBUG', 'OBJECT', 'l'), / encoding:quicklist serializedlength:19 .* ql_nodes:1 ql_avg_node:3\.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:16\r\n$/);
    assert.equal(run('DEBUG', 'OBJECT', 'nokey'), '-ERR no such key\r\n');
  });
});

describe('DEBUG RELOAD', () => {
  test('keeps every key, type and TTL; NOSAVE reloads the last save; options are checked', () => {
    const { run, clock, node } = nodeHarness(ENABLED);
    run('SET', 's', 'v', 'PX', '100000');
    run('HSET', 'h', 'f', 'v');
    run('ZADD', 'z', '1', 'm');
    run('SELECT', '2');
    run('RPUSH', 'l', 'a', 'b');
    run('SADD', 'set', '1', '2');
    const digest = run('DEBUG', 'DIGEST');
    clock.advance(1000);
    node.clock.refresh();
    assert.equal(run('DEBUG', 'RELOAD'), '+OK\r\n');
    assert.equal(run('DEBUG', 'DIGEST'), digest);
    assert.equal(run('OBJECT', 'ENCODING', 'set'), '$6\r\nintset\r\n');
    run('SELECT', '0');
    assert.equal(run('PTTL', 's'), ':99000\r\n');
    run('SET', 'extra', '1');
    assert.equal(run('DEBUG', 'RELOAD', 'NOSAVE'), '+OK\r\n');
    assert.equal(run('EXISTS', 'extra'), ':0\r\n');
    assert.equal(run('DEBUG', 'DIGEST'), digest);
    run('SET', 'extra', '1');
    assert.equal(run('DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH'), '-ERR Error trying to load the RDB dump\r\n');
    assert.equal(run('DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH', 'MERGE'), '+OK\r\n');
    assert.equal(run('EXISTS', 'extra', 's'), ':2\r\n');
    assert.equal(run('DEBUG', 'RELOAD', 'bad'), '-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n');
    assert.equal(run('DEBUG', 'LOADAOF'), '+OK\r\n');
    assert.equal(run('EXISTS', 'extra', 's'), ':2\r\n');
  });

  test('a key whose TTL passed is not loaded back', () => {
    const { run, node, clock } = nodeHarness(ENABLED);
    run('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    assert.equal(node.activeExpireEnabled, false);
    run('SET', 'gone', 'v', 'PX', '10');
    clock.advance(20);
    node.clock.refresh();
    assert.equal(run('DEBUG', 'RELOAD'), '+OK\r\n');
    assert.equal(node.store.dbs[0].size, 0);
  });
});

describe('other subcommands', () => {
  test('switches, SLEEP, ERROR, POPULATE, HELP and unknown subcommands', () => {
    const { run, node } = nodeHarness(ENABLED);
    assert.equal(run('DEBUG', 'PAUSE-CRON', '1'), '+OK\r\n');
    assert.equal(node.cronPaused, true);
    assert.equal(run('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '100b'), '+OK\r\n');
    assert.equal(run('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '5gb'), '-ERR argument must be a memory value bigger than 1 and smaller than 4gb\r\n');
    const t0 = performance.now();
    assert.equal(run('DEBUG', 'SLEEP', '0.05'), '+OK\r\n');
    assert.ok(performance.now() - t0 >= 45);
    assert.equal(run('DEBUG', 'SLEEP', '0'), '+OK\r\n');
    assert.equal(run('DEBUG', 'ERROR', 'WRONG a\nb'), '-WRONG a b\r\n');
    assert.equal(run('DEBUG', 'POPULATE', '3', 'p', '2'), '+OK\r\n');
    assert.equal(run('GET', 'p:2'), '$2\r\nva\r\n');
    assert.equal(run('DEBUG', 'POPULATE', '-1'), '-ERR value is out of range, must be positive\r\n');
    assert.equal(run('DEBUG', 'LISTPACK', 'p:1'), '-ERR Not a listpack encoded object.\r\n');
    assert.match(run('DEBUG', 'HELP'), /^\*\d+\r\n\+DEBUG <subcommand> \[<arg> \[value\] \[opt\] \.\.\.\]\. Subcommands are:\r\n/);
    assert.equal(run('DEBUG', 'JMAP'), "-ERR unknown subcommand or wrong number of arguments for 'JMAP'. Try DEBUG HELP.\r\n");
    assert.equal(run('DEBUG', 'OBJECT'), "-ERR unknown subcommand or wrong number of arguments for 'OBJECT'. Try DEBUG HELP.\r\n");
  });
});
