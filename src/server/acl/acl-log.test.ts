import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AclLog, reasonName } from './acl-log.js';
import { ACL_DENIED_AUTH, ACL_DENIED_CMD, ACL_DENIED_KEY } from './check.js';

const entry = (object: string, ctime: number, reason = ACL_DENIED_CMD) => ({ reason, context: 'toplevel' as const, object, username: 'u', ctime, clientInfo: `at ${ctime}` });

test('similar denials within a minute group into one entry, moved to the front', () => {
  const log = new AclLog();
  log.add(entry('get', 1000));
  log.add(entry('set', 2000));
  log.add(entry('get', 3000));
  assert.deepEqual(
    log.entries.map((e) => [e.object, e.count, e.ctime, e.clientInfo]),
    [
      ['get', 2, 3000, 'at 3000'],
      ['set', 1, 2000, 'at 2000'],
    ],
  );
  log.add(entry('get', 3000 + 60001));
  assert.equal(log.entries.length, 3);
  log.add(entry('get', 5000, ACL_DENIED_KEY));
  assert.equal(log.entries.length, 4);
});

test('only the ten newest entries are searched for a match; the log keeps maxLen entries', () => {
  const log = new AclLog(12);
  for (let i = 0; i < 11; i++) log.add(entry(`c${i}`, 0));
  log.add(entry('c0', 0));
  assert.equal(log.entries.length, 12);
  assert.equal(log.entries[0].count, 1);
  log.add(entry('c99', 0));
  assert.equal(log.entries.length, 12);
  assert.equal(log.entries[11].object, 'c1');
  log.reset();
  assert.deepEqual(log.entries, []);
});

test('reason names', () => {
  assert.equal(reasonName(ACL_DENIED_CMD), 'command');
  assert.equal(reasonName(ACL_DENIED_KEY), 'key');
  assert.equal(reasonName(ACL_DENIED_AUTH), 'auth');
  assert.equal(reasonName(9), 'unknown');
});
