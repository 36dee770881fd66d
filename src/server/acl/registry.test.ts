import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Acl, aclFor } from './registry.js';
import { hashPassword } from './user.js';

test('the default user: everything allowed, its password is requirepass', () => {
  const acl = new Acl();
  assert.equal(acl.defaultUser.describe(), 'on nopass ~* &* +@all');
  assert.equal(acl.defaultUser.unrestricted, true);
  assert.equal(acl.defaultRequiresAuth, false);
  acl.setRequirepass('pw');
  assert.equal(acl.defaultUser.describe(), `on #${hashPassword('pw')} ~* &* +@all`);
  assert.equal(acl.defaultRequiresAuth, true);
  assert.equal(acl.authenticate('default', 'pw'), acl.defaultUser);
  assert.equal(acl.authenticate('default', 'x'), null);
  acl.setRequirepass('');
  assert.equal(acl.defaultRequiresAuth, false);
  acl.defaultUser.setRule('off');
  assert.equal(acl.defaultRequiresAuth, true);
});

test('setUser creates or changes a user all at once; list is in name order; delete spares default', () => {
  const acl = new Acl();
  assert.equal(typeof acl.setUser('b', ['on', '>x']), 'object');
  assert.equal(acl.setUser('a', ['+nosuch']), "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL");
  assert.equal(acl.get('a'), undefined);
  acl.setUser('a', []);
  assert.deepEqual(
    acl.list().map((u) => u.name),
    ['a', 'b', 'default'],
  );
  const b = acl.get('b')!;
  const changed = acl.setUser('b', ['+get']);
  assert.ok(typeof changed === 'object' && changed.user === b && changed.before !== null);
  assert.equal(changed.before.describe(), `on #${hashPassword('x')} resetchannels -@all`);
  assert.equal(acl.authenticate('b', 'x'), b);
  assert.equal(acl.delete('default'), undefined);
  assert.equal(acl.delete('b'), b);
  assert.equal(acl.delete('b'), undefined);
});

test('saveFile writes ACL LIST lines; loadFile replaces users only when the whole file is valid', () => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-acl-unit-'));
  try {
    const file = join(dir, 'users.acl');
    const acl = new Acl();
    acl.setUser('alice', ['on', '>p', '~a*', '+get']);
    assert.equal(acl.saveFile(file), true);
    assert.equal(readFileSync(file, 'latin1'), `user alice on #${hashPassword('p')} ~a* resetchannels -@all +get\nuser default on nopass ~* &* +@all\n`);
    const alice = acl.get('alice')!;
    writeFileSync(file, 'user bob on nopass +@all\n\nuser default on >pw +@all ~*\n');
    const replaced = acl.loadFile(file);
    assert.deepEqual(replaced, [alice]);
    assert.deepEqual(
      acl.list().map((u) => u.name),
      ['bob', 'default'],
    );
    assert.equal(acl.defaultUser.describe(), `on #${hashPassword('pw')} ~* resetchannels +@all`);
    writeFileSync(file, 'user carol on +nosuch\nfoo\nuser carol on\nuser bad name\n');
    assert.equal(
      acl.loadFile(file),
      `${file}:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. ${file}:2 should start with user keyword followed by the username. WARNING: Duplicate user 'carol' found on line 3. ${file}:4: Syntax error. WARNING: ACL errors detected, no change to the previously active ACL rules was performed`,
    );
    assert.deepEqual(
      acl.list().map((u) => u.name),
      ['bob', 'default'],
    );
    assert.equal(acl.loadFile(join(dir, 'missing')), `Error loading ACLs, opening file '${join(dir, 'missing')}': No such file or directory`);
    assert.equal(acl.saveFile(join(dir, 'no', 'such', 'dir')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('aclFor: one Acl per node, made from its config', () => {
  const values: Record<string, string> = { requirepass: 'x', aclfile: '', 'acl-pubsub-default': 'resetchannels' };
  const node = { config: { str: (n: string) => values[n] ?? '', int: () => 7 } };
  const acl = aclFor(node);
  assert.equal(aclFor(node), acl);
  assert.equal(acl.log.maxLen, 7);
  assert.equal(acl.authenticate('default', 'x'), acl.defaultUser);
  assert.notEqual(aclFor({ config: node.config }), acl);
});
