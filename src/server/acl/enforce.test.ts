import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandTable } from '../../commands/table.js';
import { argsFrom } from '../../../test/support/command-harness.js';
import { ACL_DENIED_CMD, ACL_DENIED_KEY, ACL_OK } from './check.js';
import { aclCommandOf, checkAndLog, deniedObject, userVerdict } from './enforce.js';
import { Acl } from './registry.js';
import { UNRESTRICTED_USER } from './unrestricted.js';

const noop = (): void => {};
const table = new CommandTable();
table.register([
  { name: 'get', arity: 2, flags: 0, firstKey: 1, lastKey: 1, keyStep: 1, handler: noop },
  { name: 'corralonly', arity: 1, flags: 0, handler: noop },
]);
const get = table.get('get')!;
const corralOnly = table.get('corralonly')!;

test('corral commands map to the catalog by full name; corral-only commands need +@all', () => {
  const acl = new Acl();
  assert.equal(aclCommandOf(acl, get)?.fullName, 'get');
  assert.equal(aclCommandOf(acl, corralOnly), null);
  const staged = acl.setUser('u', ['on', '+@all', '-set', '~k*']);
  assert.equal(typeof staged, 'object');
  const u = acl.get('u')!;
  assert.equal(userVerdict(acl, u, corralOnly, argsFrom(['corralonly'])).result, ACL_OK);
  acl.setUser('u', ['-@all', '+get']);
  assert.equal(userVerdict(acl, u, corralOnly, argsFrom(['corralonly'])).result, ACL_DENIED_CMD);
  assert.equal(userVerdict(acl, UNRESTRICTED_USER, corralOnly, argsFrom(['corralonly'])).result, ACL_OK);
});

test('checkAndLog: null when allowed; a denial is logged with its object, user and context', () => {
  const acl = new Acl();
  acl.setUser('u', ['on', '+get', '~k*']);
  const u = acl.get('u')!;
  assert.equal(checkAndLog(acl, u, get, argsFrom(['get', 'k1']), 'toplevel', () => 'info', 5), null);
  assert.deepEqual(acl.log.entries, []);
  const v = checkAndLog(acl, u, get, argsFrom(['get', 'x1']), 'multi', () => 'info', 5);
  assert.deepEqual(v, { result: ACL_DENIED_KEY, pos: 1 });
  assert.equal(deniedObject(v!, get, argsFrom(['get', 'x1'])), 'x1');
  assert.deepEqual(acl.log.entries, [{ count: 1, reason: ACL_DENIED_KEY, context: 'multi', object: 'x1', username: 'u', ctime: 5, clientInfo: 'info' }]);
});

test('the unrestricted user of internal clients allows everything', () => {
  assert.equal(UNRESTRICTED_USER.name, 'default');
  assert.equal(UNRESTRICTED_USER.unrestricted, true);
});
