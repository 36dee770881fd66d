// Unit tests for CORRAL HOTKEYS and INFO hotkeys, through the dispatcher on a node that is not
// listening (ManualClock): the reply's shape and order, COUNT and its errors, the INFO section
// (only by name: default, all and everything keep Redis's sections).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeHarness } from '../../../test/support/node-harness.js';

test('CORRAL HOTKEYS: key, ops/s pairs, highest first; COUNT; errors as Redis words them', () => {
  const { run, parsed, clock } = nodeHarness();
  assert.deepEqual(parsed('CORRAL', 'HOTKEYS'), []);
  for (let i = 0; i < 32_000; i++) run('GET', 'hot');
  for (let i = 0; i < 3_200; i++) run('SET', 'warm', 'v');
  clock.advance(1000);
  const reply = parsed('CORRAL', 'HOTKEYS') as Array<string | number>;
  assert.deepEqual([reply[0], reply[2]], ['hot', 'warm']);
  // One access in 16 sampled: ~2000 samples of hot (2% standard error), ~200 of warm.
  assert.ok(Math.abs((reply[1] as number) / 32_000 - 1) < 0.1, String(reply[1]));
  assert.ok(Math.abs((reply[3] as number) / 3_200 - 1) < 0.3, String(reply[3]));
  assert.equal(reply.length, 4);
  assert.deepEqual(parsed('CORRAL', 'HOTKEYS', 'count', '1'), reply.slice(0, 2));
  assert.equal(run('CORRAL', 'HOTKEYS', 'COUNT', 'x'), '-ERR value is not an integer or out of range\r\n');
  assert.equal(run('CORRAL', 'HOTKEYS', 'COUNT', '0'), '-ERR value is out of range, must be positive\r\n');
  assert.equal(run('CORRAL', 'HOTKEYS', 'COUNT', '-3'), '-ERR value is out of range, must be positive\r\n');
  assert.equal(run('CORRAL', 'HOTKEYS', 'COUNT'), '-ERR syntax error\r\n');
  assert.equal(run('CORRAL', 'HOTKEYS', 'LIMIT', '3'), '-ERR syntax error\r\n');
});

test('INFO hotkeys: the top 3, only when named', () => {
  const { run, parsed, clock } = nodeHarness();
  assert.equal(parsed('INFO', 'hotkeys'), '# Hotkeys\r\n');
  for (const [key, n] of [['a', 8000], ['b,=\\ c\n', 4000], ['c', 2000], ['d', 1000]] as const) {
    for (let i = 0; i < n; i++) run('GET', key);
  }
  clock.advance(1000);
  const text = parsed('INFO', 'HotKeys') as string;
  const lines = text.split('\r\n');
  assert.equal(lines[0], '# Hotkeys');
  assert.match(lines[1], /^hotkey_0:key=a,ops_per_sec=\d+$/);
  assert.match(lines[2], /^hotkey_1:key=b\\x2c\\x3d\\x5c\\x20c\\x0a,ops_per_sec=\d+$/);
  assert.match(lines[3], /^hotkey_2:key=c,ops_per_sec=\d+$/);
  assert.equal(lines.length, 5);
  for (const sections of [[], ['default'], ['all'], ['everything']]) {
    assert.doesNotMatch(parsed('INFO', ...sections) as string, /Hotkeys|hotkey_/, `INFO ${sections.join(' ')}`);
  }
  assert.match(parsed('INFO', 'keyspace', 'hotkeys') as string, /^# Keyspace\r\n[^#]*\r\n# Hotkeys\r\nhotkey_0:key=a,/);
});
