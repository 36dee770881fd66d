// Unit tests for `corral cluster hotkeys`'s table (hotkeys.ts): merging nodes' rows, the layout,
// keys shown for a terminal, and CORRAL HOTKEYS replies read as rows.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayKey, formatHotKeys, mergeRows, rowsOf, type HotKeyRow } from './hotkeys.js';

test('rows from CORRAL HOTKEYS, merged highest first (ties by key, then node), cut to count', () => {
  const a = rowsOf(['hot', 900, 'warm', 40], { address: '127.0.0.1:7000', role: 'primary' });
  const b = rowsOf(['hot', 300, 'cold', 40], { address: '127.0.0.1:7003', role: 'replica' });
  assert.deepEqual(
    mergeRows([...b, ...a], 3).map((r) => [r.key, r.node, r.opsPerSec]),
    [['hot', '127.0.0.1:7000', 900], ['hot', '127.0.0.1:7003', 300], ['cold', '127.0.0.1:7003', 40]],
  );
  assert.throws(() => rowsOf({ error: 'ERR unknown subcommand' }, { address: 'h:1', role: 'node' }), /h:1: ERR unknown subcommand/);
});

test('the table: header, aligned columns, rates right-aligned; an empty one says so', () => {
  const rows: HotKeyRow[] = [
    { key: 'product:42', node: '127.0.0.1:7001', role: 'primary', opsPerSec: 51234.4 },
    { key: 'p', node: '127.0.0.1:7004', role: 'replica', opsPerSec: 7 },
  ];
  const at = new Date(Date.UTC(2026, 11, 5, 8, 0, 0));
  assert.equal(
    formatHotKeys({ rows, asked: 6, unreachable: ['127.0.0.1:7005'], epoch: 4 }, at),
    [
      'hot keys   2026-12-05 08:00:00 UTC   6 nodes asked   topology epoch 4',
      'unreachable: 127.0.0.1:7005',
      'KEY         NODE            ROLE     OPS/S',
      'product:42  127.0.0.1:7001  primary  51234',
      'p           127.0.0.1:7004  replica      7',
    ].join('\n'),
  );
  assert.equal(formatHotKeys({ rows: [], asked: 1, unreachable: [], epoch: null }, at), 'hot keys   2026-12-05 08:00:00 UTC   1 node asked\n(no key accessed in the last seconds)');
});

test('keys for a terminal: UTF-8 shown, control and non-UTF-8 bytes escaped, long keys cut', () => {
  assert.equal(displayKey(Buffer.from('prix:€', 'utf8').toString('latin1')), 'prix:€');
  assert.equal(displayKey('a\r\nb'), 'a\\x0d\\x0ab');
  assert.equal(displayKey('\xff\xfe'), '\\xff\\xfe');
  assert.equal(displayKey('k'.repeat(100)), `${'k'.repeat(57)}...`);
});
