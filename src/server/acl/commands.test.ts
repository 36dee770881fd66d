// ACL command handlers through the real dispatcher on a node that is not listening (the
// byte-for-byte comparison with redis-server is test/system/compat-acl.test.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeHarness } from '../../../test/support/node-harness.js';
import { assertMatchesRedis } from '../../../test/support/redis-meta-check.js';
import { aclCommands } from './commands.js';

test('SETUSER, GETUSER, LIST, USERS, DELUSER, WHOAMI', () => {
  const { run, runAs, connect } = nodeHarness();
  assert.equal(run('ACL', 'SETUSER', 'bob', 'on', '>pw', '~k*', '+get'), '+OK\r\n');
  assert.equal(run('ACL', 'SETUSER', 'b b'), "-ERR Usernames can't contain spaces or null characters\r\n");
  assert.equal(run('ACL', 'USERS'), '*2\r\n$3\r\nbob\r\n$7\r\ndefault\r\n');
  assert.match(run('ACL', 'LIST'), /^\*2\r\n\$\d+\r\nuser bob on #[0-9a-f]{64} ~k\* resetchannels -@all \+get\r\n/);
  assert.match(run('ACL', 'GETUSER', 'bob'), /^\*12\r\n\$5\r\nflags\r\n\*1\r\n\$2\r\non\r\n/);
  assert.equal(run('ACL', 'GETUSER', 'nobody'), '$-1\r\n');
  const other = connect();
  assert.equal(runAs(other, 'AUTH', 'bob', 'pw'), '+OK\r\n');
  assert.equal(runAs(other, 'ACL', 'WHOAMI'), "-NOPERM this user has no permissions to run the 'acl|whoami' command\r\n");
  assert.equal(runAs(other, 'GET', 'k1'), '$-1\r\n');
  assert.equal(runAs(other, 'GET', 'x'), '-NOPERM this user has no permissions to access one of the keys used as arguments\r\n');
  assert.equal(run('ACL', 'DELUSER', 'default'), "-ERR The 'default' user cannot be removed\r\n");
  assert.equal(run('ACL', 'DELUSER', 'bob', 'nobody'), ':1\r\n');
  assert.equal(other.user.name, 'default');
  assert.equal(other.authenticated, false);
  assert.equal(run('ACL', 'WHOAMI'), '$7\r\ndefault\r\n');
});

const bulk = (s: string): string => `$${s.length}\r\n${s}\r\n`;

test('CAT, GENPASS, LOG, DRYRUN, LOAD/SAVE without an aclfile, HELP', () => {
  const { run } = nodeHarness();
  assert.match(run('ACL', 'CAT'), /^\*21\r\n\$8\r\nkeyspace\r\n/);
  assert.equal(run('ACL', 'CAT', 'nope'), "-ERR Unknown category 'nope'\r\n");
  assert.match(run('ACL', 'CAT', 'hyperloglog'), /^\*5\r\n/);
  assert.match(run('ACL', 'GENPASS', '8'), /^\$2\r\n[0-9a-f]{2}\r\n$/);
  assert.equal(run('ACL', 'GENPASS', '0'), '-ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096\r\n');
  assert.equal(run('AUTH', 'nobody', 'x'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
  assert.match(run('ACL', 'LOG'), /^\*1\r\n\*14\r\n\$5\r\ncount\r\n:1\r\n\$6\r\nreason\r\n\$4\r\nauth\r\n/);
  assert.equal(run('ACL', 'LOG', 'RESET'), '+OK\r\n');
  assert.equal(run('ACL', 'LOG'), '*0\r\n');
  run('ACL', 'SETUSER', 'd', '+get', '~k');
  assert.equal(run('ACL', 'DRYRUN', 'd', 'get', 'k'), '+OK\r\n');
  assert.equal(run('ACL', 'DRYRUN', 'd', 'get', 'z'), bulk("This user has no permissions to access the 'z' key"));
  assert.equal(run('ACL', 'DRYRUN', 'd', 'set', 'k', 'v'), bulk("This user has no permissions to run the 'set' command"));
  assert.match(run('ACL', 'LOAD'), /^-ERR This Redis instance is not configured to use an ACL file\./);
  assert.match(run('ACL', 'SAVE'), /^-ERR This Redis instance is not configured to use an ACL file\./);
  assert.match(run('ACL', 'HELP'), /^\*29\r\n\+ACL <subcommand>/);
  assert.equal(run('ACL', 'WHOAMI', 'x'), "-ERR wrong number of arguments for 'acl|whoami' command\r\n");
});

test('arity and flags are Redis 7.0.15', () => {
  assertMatchesRedis(aclCommands);
});
