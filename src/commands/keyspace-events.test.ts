// notify-keyspace-events' flag strings: Redis 7.0's parser and canonical form (notify.c), and the
// context's single-test emission (nothing reaches the sink for a class that is off).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NOTIFY_ALL,
  NOTIFY_GENERIC,
  NOTIFY_KEYEVENT,
  NOTIFY_KEYSPACE,
  NOTIFY_KEY_MISS,
  NOTIFY_LIST,
  NOTIFY_NEW,
  NOTIFY_STRING,
  activeKeyspaceFlags,
  keyspaceEventsFlagsToString,
  keyspaceEventsStringToFlags,
} from './keyspace-events.js';
import { CommandContext } from './context.js';
import { Store } from '../store/store.js';
import { ManualClock } from '../util/clock.js';

const canon = (s: string): string | null => {
  const f = keyspaceEventsStringToFlags(s);
  return f < 0 ? null : keyspaceEventsFlagsToString(f);
};

describe('notify-keyspace-events flags', () => {
  test('canonical strings, as Redis 7.0 reads them back', () => {
    assert.equal(canon(''), '');
    assert.equal(canon('KEA'), 'AKE');
    assert.equal(canon('AKE'), 'AKE');
    assert.equal(canon('EK'), 'KE');
    assert.equal(canon('Kg$'), 'g$K');
    assert.equal(canon('zshl$g'), 'g$lshz');
    assert.equal(canon('xeEK'), 'xeKE');
    // A is every class but m and n; with all of them spelled out it reads back as A.
    assert.equal(canon('g$lshzxetd'), 'A');
    assert.equal(canon('g$lshzxet'), 'g$lshzxet');
    // Redis writes n only when A is not written: "An" reads back as "A" (n still set).
    assert.equal(canon('An'), 'A');
    assert.equal(keyspaceEventsStringToFlags('An') & NOTIFY_NEW, NOTIFY_NEW);
    assert.equal(canon('Am'), 'Am');
    assert.equal(canon('nmKEA'), 'AKEm');
    assert.equal(canon('g$lshzxetn'), 'g$lshzxetn');
    assert.equal(canon('m'), 'm');
    assert.equal(canon('n'), 'n');
    assert.equal(canon('td'), 'td');
    assert.equal(canon('KKKK'), 'K');
  });

  test('bad characters are refused; a NUL ends the string', () => {
    for (const bad of ['q', 'KEAq', 'k', 'a', ' ', 'K E', 'all']) assert.equal(keyspaceEventsStringToFlags(bad), -1, bad);
    assert.equal(canon('K\0q'), 'K');
  });

  test('classes', () => {
    assert.equal(keyspaceEventsStringToFlags('A') & (NOTIFY_KEY_MISS | NOTIFY_NEW), 0);
    assert.equal(keyspaceEventsStringToFlags('A'), NOTIFY_ALL);
    assert.equal(keyspaceEventsStringToFlags('KE'), NOTIFY_KEYSPACE | NOTIFY_KEYEVENT);
    // Without K or E nothing is published: the node acts on no class.
    assert.equal(activeKeyspaceFlags(keyspaceEventsStringToFlags('A')), 0);
    assert.equal(activeKeyspaceFlags(keyspaceEventsStringToFlags('Kl')), NOTIFY_KEYSPACE | NOTIFY_LIST);
  });

  test('CommandContext.notify: one test of the classes, then the sink', () => {
    const store = new Store({ databases: 2, clock: new ManualClock() });
    const c = new CommandContext(store);
    c.db = store.dbs[1];
    const got: string[] = [];
    c.notify(NOTIFY_STRING, 'set', 'k'); // no sink: flags are 0
    c.events = { keyspaceEvent: (type, event, key, db) => got.push(`${type} ${event} ${key} ${db}`) };
    c.notifyFlags = activeKeyspaceFlags(keyspaceEventsStringToFlags('K$'));
    c.notify(NOTIFY_STRING, 'set', 'k');
    c.notify(NOTIFY_GENERIC, 'del', 'k');
    c.notifyIn(NOTIFY_STRING, 'x', 'j', 0);
    assert.deepEqual(got, [`${NOTIFY_STRING} set k 1`, `${NOTIFY_STRING} x j 0`]);
  });
});
