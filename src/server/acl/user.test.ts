import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REDIS_CATALOG } from './catalog.js';
import { SELECTOR_ALLCHANNELS } from './selector.js';
import { AclUser, USER_NOPASS, hashPassword, mergeSelectorArgs, ruleErrorMessage, splitArgs } from './user.js';

function user(...rules: string[]): AclUser {
  const u = new AclUser('u', REDIS_CATALOG);
  for (const r of rules) assert.equal(u.setRule(r), null, r);
  return u;
}

const EMPTY_HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

test('a new user is off with no rights; reset adds sanitize-payload', () => {
  assert.equal(user().describe(), 'off resetchannels -@all');
  assert.equal(user('reset').describe(), 'off sanitize-payload resetchannels -@all');
  assert.equal(user('on', 'skip-sanitize-payload', 'off').describe(), 'off skip-sanitize-payload resetchannels -@all');
});

test('passwords are kept as SHA-256 hex, once each; < and ! remove; nopass and resetpass clear', () => {
  assert.equal(hashPassword(''), EMPTY_HASH);
  const u = user('>a', '>a', `#${EMPTY_HASH}`);
  assert.deepEqual(u.passwords, [hashPassword('a'), EMPTY_HASH]);
  assert.equal(u.setRule('<b'), 'ENODEV');
  assert.equal(u.setRule('#ABC'), 'EBADMSG');
  assert.equal(u.setRule(`!${EMPTY_HASH}`), null);
  assert.equal(u.setRule('<a'), null);
  assert.deepEqual(u.passwords, []);
  u.setRule('>x');
  u.setRule('nopass');
  assert.equal(u.flags & USER_NOPASS, USER_NOPASS);
  assert.deepEqual(u.passwords, []);
  u.setRule('>y');
  assert.equal(u.flags & USER_NOPASS, 0);
  u.setRule('resetpass');
  assert.equal(u.describe(), 'off resetchannels -@all');
});

test('checkPassword: enabled users only; nopass takes any password', () => {
  const u = user('>secret');
  assert.equal(u.checkPassword('secret'), false);
  u.setRule('on');
  assert.equal(u.checkPassword('secret'), true);
  assert.equal(u.checkPassword('Secret'), false);
  u.setRule('nopass');
  assert.equal(u.checkPassword('anything'), true);
});

test('selectors: added by (...), listed after the root, cleared by clearselectors', () => {
  const u = user('on', '~a', '+get', '(~b* +set)', '(&c %R~d)');
  assert.equal(u.describe(), 'on ~a resetchannels -@all +get (~b* resetchannels -@all +set) (%R~d resetchannels &c -@all)');
  assert.equal(u.setRule('(~x +nosuch)'), 'ENOENT');
  assert.equal(u.selectors.length, 3);
  u.setRule('clearselectors');
  assert.equal(u.describe(), 'on ~a resetchannels -@all +get');
});

test('unrestricted: exactly when the root selector allows every command, key and channel', () => {
  assert.equal(user('+@all', '~*').unrestricted, false);
  const u = user('+@all', '~*', '&*');
  assert.equal(u.unrestricted, true);
  u.setRule('-get');
  assert.equal(u.unrestricted, false);
  const v = new AclUser('v', REDIS_CATALOG);
  v.copyFrom(user('allcommands', 'allkeys', 'allchannels'));
  assert.equal(v.unrestricted, true);
});

test('staged: all rules or none, with Redis error texts', () => {
  const u = user('on', '+get');
  const bad = u.staged(['+set', '+nosuch']);
  assert.equal(bad, "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL");
  assert.equal(u.describe(), 'on resetchannels -@all +get');
  assert.equal(u.staged(['(~a', '+get']), "Unmatched parenthesis in acl selector starting at '(~a'.");
  const good = u.staged(['(~a', '+set)', '&x']);
  assert.ok(good instanceof AclUser);
  assert.equal(good.describe(), 'on resetchannels &x -@all +get (~a resetchannels -@all +set)');
});

test('acl-pubsub-default allchannels: new selectors and reset allow every channel', () => {
  const u = new AclUser('p', REDIS_CATALOG, SELECTOR_ALLCHANNELS);
  assert.equal(u.describe(), 'off &* -@all');
  u.setRule('(~x)');
  u.setRule('resetchannels');
  assert.equal(u.describe(), 'off resetchannels -@all (~x &* -@all)');
  u.setRule('reset');
  assert.equal(u.describe(), 'off sanitize-payload &* -@all');
});

test('mergeSelectorArgs and splitArgs', () => {
  assert.deepEqual(mergeSelectorArgs(['on', '(~a', '+get)', '(x)']), ['on', '(~a +get)', '(x)']);
  assert.equal(mergeSelectorArgs(['on', '(~a', '+get']), 1);
  assert.deepEqual(splitArgs(' a "b c" \'d\' '), ['a', 'b c', 'd']);
  assert.equal(splitArgs('"open'), null);
  assert.equal(ruleErrorMessage('ECHILD'), 'Allowing first-arg of a subcommand is not supported');
});
