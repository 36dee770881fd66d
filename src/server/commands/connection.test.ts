// Unit tests for the connection commands (PING ECHO SELECT HELLO AUTH RESET CLIENT): run through
// the dispatcher on a node that is not listening, with sockets that never connect.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { connectionCommands } from './connection.js';
import { nodeHarness } from '../../../test/support/node-harness.js';
import { assertMatchesRedis } from '../../../test/support/redis-meta-check.js';

function harness(config: Record<string, string> = {}) {
  return nodeHarness(config);
}

const HELLO2 = (id: number) =>
  `*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:${id}\r\n` +
  `$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n`;
const HELLO3 = (id: number) => HELLO2(id).replace('*14', '%7').replace(':2\r\n$2\r\nid', ':3\r\n$2\r\nid');

describe('PING ECHO SELECT', () => {
  test('replies and errors', () => {
    const { run, client } = harness();
    assert.equal(run('PING'), '+PONG\r\n');
    assert.equal(run('ping', 'hi'), '$2\r\nhi\r\n');
    assert.equal(run('PING', 'a', 'b'), "-ERR wrong number of arguments for 'ping' command\r\n");
    assert.equal(run('ECHO', 'x\r\ny'), '$4\r\nx\r\ny\r\n');
    assert.equal(run('SELECT', '15'), '+OK\r\n');
    assert.equal(client.db, 15);
    assert.equal(run('SELECT', '16'), '-ERR DB index is out of range\r\n');
    assert.equal(run('SELECT', '-1'), '-ERR DB index is out of range\r\n');
    assert.equal(run('SELECT', 'x'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(client.db, 15);
  });
});

describe('HELLO', () => {
  test('switches protocol, and the reply itself is in the new protocol', () => {
    const { run, client } = harness();
    assert.equal(run('HELLO'), HELLO2(client.id));
    assert.equal(run('HELLO', '3'), HELLO3(client.id));
    assert.equal(client.resp, 3);
    assert.equal(run('HELLO'), HELLO3(client.id), 'HELLO without a version keeps the protocol');
    assert.equal(run('GET', 'nosuch'), '_\r\n');
    assert.equal(run('HELLO', '2'), HELLO2(client.id));
    assert.equal(run('GET', 'nosuch'), '$-1\r\n');
  });

  test('errors', () => {
    const { run, client } = harness();
    assert.equal(run('HELLO', '4'), '-NOPROTO unsupported protocol version\r\n');
    assert.equal(run('HELLO', '1'), '-NOPROTO unsupported protocol version\r\n');
    assert.equal(run('HELLO', 'x'), '-ERR Protocol version is not an integer or out of range\r\n');
    assert.equal(run('HELLO', '3', 'foo'), "-ERR Syntax error in HELLO option 'foo'\r\n");
    assert.equal(run('HELLO', '3', 'AUTH', 'a'), "-ERR Syntax error in HELLO option 'AUTH'\r\n");
    assert.equal(run('HELLO', '3', 'SETNAME'), "-ERR Syntax error in HELLO option 'SETNAME'\r\n");
    assert.equal(run('HELLO', '3', 'SETNAME', 'a b'), '-ERR Client names cannot contain spaces, newlines or special characters.\r\n');
    assert.equal(run('HELLO', '3', 'AUTH', 'bob', 'pw'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    assert.equal(client.resp, 2, 'a failed HELLO leaves the protocol alone');
  });

  test('SETNAME, and AUTH default with no password configured', () => {
    const { run, client } = harness();
    assert.equal(run('HELLO', '3', 'AUTH', 'default', 'anything', 'SETNAME', 'me'), HELLO3(client.id));
    assert.equal(client.name, 'me');
  });
});

describe('AUTH', () => {
  test('without requirepass', () => {
    const { run } = harness();
    assert.equal(
      run('AUTH', 'pw'),
      '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n',
    );
    assert.equal(run('AUTH', 'default', 'pw'), '+OK\r\n');
    assert.equal(run('AUTH', 'bob', 'pw'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    assert.equal(run('AUTH', 'a', 'b', 'c'), '-ERR syntax error\r\n');
  });

  test('with requirepass: NOAUTH until AUTH or HELLO AUTH', () => {
    const { run, connect, runAs, client } = harness({ requirepass: 'secret' });
    assert.equal(run('PING'), '-NOAUTH Authentication required.\r\n');
    assert.match(run('HELLO', '3'), /^-NOAUTH HELLO must be called with the client already authenticated/);
    assert.equal(run('AUTH', 'wrong'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    assert.equal(run('AUTH', 'default', 'wrong'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    assert.equal(client.authenticated, false);
    assert.equal(run('AUTH', 'secret'), '+OK\r\n');
    assert.equal(run('PING'), '+PONG\r\n');
    assert.equal(run('AUTH', 'wrong'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    assert.equal(run('PING'), '+PONG\r\n', 'a failed AUTH does not log out');
    const other = connect();
    assert.equal(runAs(other, 'HELLO', '3', 'AUTH', 'default', 'wrong'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    assert.equal(runAs(other, 'HELLO', '3', 'AUTH', 'default', 'secret'), HELLO3(other.id));
    assert.equal(runAs(other, 'PING'), '+PONG\r\n');
  });
});

describe('RESET', () => {
  test('restores a fresh connection state and logs out when a password is required', () => {
    const { run, client, node } = harness({ requirepass: 'pw' });
    run('AUTH', 'pw');
    run('SELECT', '3');
    run('HELLO', '3', 'SETNAME', 'x');
    node.watches.watch(client, 3, 'k');
    assert.equal(run('RESET'), '+RESET\r\n');
    assert.deepEqual([client.db, client.resp, client.name, client.watched, client.authenticated], [0, 2, '', null, false]);
    assert.equal(run('PING'), '-NOAUTH Authentication required.\r\n');
    assert.equal(run('RESET', 'x'), "-ERR wrong number of arguments for 'reset' command\r\n");
  });
});

describe('CLIENT', () => {
  test('ID SETNAME GETNAME', () => {
    const { run, client } = harness();
    assert.equal(run('CLIENT', 'ID'), `:${client.id}\r\n`);
    assert.equal(run('CLIENT', 'GETNAME'), '$-1\r\n');
    assert.equal(run('CLIENT', 'SETNAME', 'conn-1'), '+OK\r\n');
    assert.equal(run('CLIENT', 'GETNAME'), '$6\r\nconn-1\r\n');
    for (const bad of ['a b', 'a\nb', 'caf\xe9', '\x7f']) {
      assert.equal(run('CLIENT', 'SETNAME', bad), '-ERR Client names cannot contain spaces, newlines or special characters.\r\n');
    }
    assert.equal(run('CLIENT', 'SETNAME', ''), '+OK\r\n');
    assert.equal(run('CLIENT', 'GETNAME'), '$-1\r\n');
    assert.equal(run('CLIENT', 'FOO'), "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n");
    assert.equal(run('CLIENT', 'GETNAME', 'x'), "-ERR wrong number of arguments for 'client|getname' command\r\n");
  });

  test('LIST and INFO: Redis field order, verbatim in RESP3', () => {
    const { run, client, connect, clock, node } = harness();
    const other = connect();
    other.name = 'worker';
    other.db = 2;
    clock.advance(5000);
    node.clock.refresh();
    const list = run('CLIENT', 'LIST');
    const body = list.slice(list.indexOf('\r\n') + 2, -2);
    const lines = body.split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[2], '');
    const fields = lines[0].split(' ').map((f) => f.slice(0, f.indexOf('=')));
    assert.deepEqual(
      fields,
      'id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp'.split(' '),
    );
    assert.match(lines[0], new RegExp(`^id=${client.id} .* name= age=5 idle=5 flags=N db=0 .* cmd=client\\|list user=default redir=-1 resp=2$`));
    assert.match(lines[1], /^id=2 .* name=worker .* db=2 .* cmd=NULL /);
    assert.equal(run('CLIENT', 'LIST', 'ID', '2', '99'), `$${lines[1].length + 1}\r\n${lines[1]}\n\r\n`);
    assert.equal(run('CLIENT', 'LIST', 'TYPE', 'pubsub'), '$0\r\n\r\n');
    assert.equal(run('CLIENT', 'LIST', 'TYPE', 'bogus'), "-ERR Unknown client type 'bogus'\r\n");
    assert.equal(run('CLIENT', 'LIST', 'ID', 'x'), '-ERR Invalid client ID\r\n');
    assert.equal(run('CLIENT', 'LIST', 'foo'), '-ERR syntax error\r\n');
    run('HELLO', '3');
    assert.match(run('CLIENT', 'INFO'), /^=\d+\r\ntxt:id=1 .* cmd=client\|info user=default redir=-1 resp=3\n\r\n$/);
    run('CLIENT', 'NO-EVICT', 'on');
    assert.match(run('CLIENT', 'INFO'), / flags=e /);
  });

  test('KILL: old form and filters', () => {
    const { run, connect, node, client } = harness();
    const a = connect();
    connect();
    assert.equal(run('CLIENT', 'KILL', '1.2.3.4:5'), '-ERR No such client\r\n');
    assert.equal(run('CLIENT', 'KILL', 'ID', String(a.id)), ':1\r\n');
    assert.equal(a.closed, true);
    assert.equal(node.clients.size, 2);
    assert.equal(run('CLIENT', 'KILL', 'ID', '0'), '-ERR client-id should be greater than 0\r\n');
    assert.equal(run('CLIENT', 'KILL', 'TYPE', 'x'), "-ERR Unknown client type 'x'\r\n");
    assert.equal(run('CLIENT', 'KILL', 'USER', 'bob'), "-ERR No such user 'bob'\r\n");
    assert.equal(run('CLIENT', 'KILL', 'SKIPME', 'maybe'), '-ERR syntax error\r\n');
    assert.equal(run('CLIENT', 'KILL', 'ID', '1', 'SKIPME'), '-ERR syntax error\r\n');
    assert.equal(run('CLIENT', 'KILL', 'TYPE', 'master'), ':0\r\n');
    assert.equal(run('CLIENT', 'KILL', 'USER', 'default'), ':1\r\n', 'skips the caller by default');
    assert.equal(client.closeAfterReply, false);
    assert.equal(run('CLIENT', 'KILL', 'ADDR', client.addr, 'SKIPME', 'no'), ':1\r\n');
    assert.equal(client.closeAfterReply, true);
  });

  test('tracking and unblock without a tracking or blocked client; REPLY; HELP', () => {
    const { run } = harness();
    assert.equal(run('CLIENT', 'GETREDIR'), ':-1\r\n');
    assert.equal(run('CLIENT', 'TRACKINGINFO'), '*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n');
    assert.equal(run('CLIENT', 'UNBLOCK', '1'), ':0\r\n');
    assert.equal(run('CLIENT', 'UNBLOCK', 'x', 'foo'), '-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n');
    assert.match(run('CLIENT', 'CACHING', 'yes'), /^-ERR CLIENT CACHING can be called only when/);
    assert.equal(run('CLIENT', 'NO-EVICT', 'maybe'), '-ERR syntax error\r\n');
    assert.equal(run('CLIENT', 'REPLY', 'maybe'), '-ERR syntax error\r\n');
    assert.equal(run('CLIENT', 'REPLY', 'ON'), '+OK\r\n');
    assert.match(run('CLIENT', 'HELP'), /^\*41\r\n\+CLIENT <subcommand>/);
  });
});

/** Checks arity and the flags corral models against Redis's COMMAND INFO for every command. */
test('arity and flags are Redis 7.0.15', () => {
  assertMatchesRedis(connectionCommands, true);
});
