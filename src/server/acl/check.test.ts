import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REDIS_CATALOG } from './catalog.js';
import { ACL_DENIED_CHANNEL, ACL_DENIED_CMD, ACL_DENIED_KEY, ACL_OK, checkCommand, deniedError, keysOf, userChannelAllowed, userHasFullReadAccess, type AclCall } from './check.js';
import { KEY_READ, KEY_WRITE } from './selector.js';
import { AclUser } from './user.js';

function user(...rules: string[]): AclUser {
  const u = new AclUser('u', REDIS_CATALOG);
  assert.equal(u.staged(rules) instanceof AclUser, true);
  const staged = u.staged(rules) as AclUser;
  u.copyFrom(staged);
  return u;
}

const call = (...argv: string[]): AclCall => ({ argc: argv.length, arg: (i) => argv[i] });

function verdict(u: AclUser, ...argv: string[]): [number, number] {
  const name = argv[0].toLowerCase();
  const container = REDIS_CATALOG.lookup(name)!;
  const cmd = container.subcommands.length > 0 ? REDIS_CATALOG.lookup(`${name}|${argv[1]}`)! : container;
  const v = checkCommand(u, cmd, false, call(...argv));
  return [v.result, v.pos];
}

test('commands, subcommands and first arguments', () => {
  const u = user('~*', '+get', '+config|get', '+select|0');
  assert.deepEqual(verdict(u, 'get', 'k'), [ACL_OK, 0]);
  assert.deepEqual(verdict(u, 'set', 'k', 'v'), [ACL_DENIED_CMD, 0]);
  assert.deepEqual(verdict(u, 'config', 'get', 'x'), [ACL_OK, 0]);
  assert.deepEqual(verdict(u, 'config', 'set', 'x', 'y'), [ACL_DENIED_CMD, 0]);
  assert.deepEqual(verdict(u, 'select', '0'), [ACL_OK, 0]);
  assert.deepEqual(verdict(u, 'SELECT', '1'), [ACL_DENIED_CMD, 0]);
});

test('keys need the permission their spec asks: reads for access, writes for insert/update/delete', () => {
  const u = user('+@all', '%R~r*', '%W~w*', '~rw*');
  assert.deepEqual(verdict(u, 'get', 'r1'), [ACL_OK, 0]);
  assert.deepEqual(verdict(u, 'get', 'w1'), [ACL_DENIED_KEY, 1]);
  assert.deepEqual(verdict(u, 'set', 'w1', 'v'), [ACL_OK, 0]);
  assert.deepEqual(verdict(u, 'set', 'w1', 'v', 'GET'), [ACL_DENIED_KEY, 1]);
  assert.deepEqual(verdict(u, 'set', 'rw1', 'v', 'get'), [ACL_OK, 0]);
  assert.deepEqual(verdict(u, 'copy', 'r1', 'w1'), [ACL_OK, 0]);
  assert.deepEqual(verdict(u, 'copy', 'r1', 'r2'), [ACL_DENIED_KEY, 2]);
  assert.deepEqual(verdict(u, 'exists', 'w1'), [ACL_OK, 0]);
  assert.deepEqual(verdict(u, 'bitfield', 'r1', 'GET', 'u8', '0'), [ACL_OK, 0]);
  assert.deepEqual(verdict(u, 'bitfield', 'r1', 'SET', 'u8', '0', '1'), [ACL_DENIED_KEY, 1]);
  assert.deepEqual(verdict(u, 'sort', 'r1', 'STORE', 'w1'), [ACL_OK, 0]);
  assert.deepEqual(verdict(u, 'sort', 'r1', 'BY', 'STORE', 'STORE', 'r2'), [ACL_DENIED_KEY, 5]);
  // Arguments that do not fit the specs name no keys (the command fails on its own).
  assert.deepEqual(verdict(u, 'eval', 's', 'x', 'nope'), [ACL_OK, 0]);
});

test('keysOf gives positions and needs', () => {
  const mset = REDIS_CATALOG.lookup('mset')!;
  assert.deepEqual(keysOf(mset, call('mset', 'a', '1', 'b', '2')), [
    { pos: 1, need: KEY_WRITE },
    { pos: 3, need: KEY_WRITE },
  ]);
  assert.deepEqual(keysOf(REDIS_CATALOG.lookup('get')!, call('get', 'a')), [{ pos: 1, need: KEY_READ }]);
  assert.deepEqual(keysOf(REDIS_CATALOG.lookup('ping')!, call('ping')), []);
});

test('channels: publish and subscribe match patterns; psubscribe needs the literal pattern', () => {
  const u = user('+@all', '~*', 'resetchannels', '&news.*', '&a');
  assert.deepEqual(verdict(u, 'publish', 'news.1', 'm'), [ACL_OK, 0]);
  assert.deepEqual(verdict(u, 'publish', 'x', 'm'), [ACL_DENIED_CHANNEL, 1]);
  assert.deepEqual(verdict(u, 'subscribe', 'a', 'news.2', 'b'), [ACL_DENIED_CHANNEL, 3]);
  assert.deepEqual(verdict(u, 'psubscribe', 'news.*'), [ACL_OK, 0]);
  assert.deepEqual(verdict(u, 'psubscribe', 'news.1'), [ACL_DENIED_CHANNEL, 1]);
  assert.deepEqual(verdict(u, 'unsubscribe', 'x'), [ACL_OK, 0]);
  assert.equal(userChannelAllowed(u, 'news.9', false), true);
  assert.equal(userChannelAllowed(u, 'news.*', true), true);
  assert.equal(userChannelAllowed(u, 'other', false), false);
});

test('selectors: one must allow it all; the denial reported is the most relevant', () => {
  const u = user('~a*', '+get', '(~b* +set)', '(%R~c* +@string)');
  assert.deepEqual(verdict(u, 'get', 'a1'), [ACL_OK, 0]);
  assert.deepEqual(verdict(u, 'set', 'b1', 'v'), [ACL_OK, 0]);
  assert.deepEqual(verdict(u, 'get', 'c1'), [ACL_OK, 0]);
  assert.deepEqual(verdict(u, 'set', 'c1', 'v'), [ACL_DENIED_KEY, 1]);
  assert.deepEqual(verdict(u, 'mget', 'a1', 'b1'), [ACL_DENIED_KEY, 1]);
  assert.deepEqual(verdict(user('+@all', '~a*', '(+@all ~b*)'), 'mget', 'a1', 'b1', 'c1'), [ACL_DENIED_KEY, 2]);
  assert.deepEqual(verdict(u, 'hget', 'a', 'f'), [ACL_DENIED_CMD, 0]);
});

test('NOPERM texts', () => {
  assert.equal(deniedError(ACL_DENIED_CMD, 'config|set'), "NOPERM this user has no permissions to run the 'config|set' command");
  assert.equal(deniedError(ACL_DENIED_KEY, 'get'), 'NOPERM this user has no permissions to access one of the keys used as arguments');
  assert.equal(deniedError(ACL_DENIED_CHANNEL, 'publish'), 'NOPERM this user has no permissions to access one of the channels used as arguments');
});

test('full read access (SORT BY/GET): a selector allowing the call with allkeys or a reading * pattern', () => {
  const sort = REDIS_CATALOG.lookup('sort')!;
  const argv = call('sort', 'mylist', 'BY', 'v*');
  assert.equal(userHasFullReadAccess(user('+sort', '~mylist'), sort, false, argv), false);
  assert.equal(userHasFullReadAccess(user('+sort', '~mylist', '%W~*'), sort, false, argv), false);
  assert.equal(userHasFullReadAccess(user('+sort', '~mylist', '%R~*'), sort, false, argv), true);
  assert.equal(userHasFullReadAccess(user('+sort', 'allkeys'), sort, false, argv), true);
  assert.equal(userHasFullReadAccess(user('+get', 'allkeys', '(+sort ~mylist)'), sort, false, argv), false);
});
