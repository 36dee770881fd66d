// The hot set behind hotReadsFrom: CORRAL HOTKEYS replies read in both shapes, each primary's
// answer replacing its part, failures and former primaries dropping theirs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HotKeySet, keysOf, type HotSetHost } from './hot-reads.js';
import type { NodeEntry } from './nodes.js';

test('keysOf reads flat and nested CORRAL HOTKEYS replies; anything else is empty', () => {
  assert.deepEqual([...keysOf(['a', 10, 'b', 5])], ['a', 'b']);
  assert.deepEqual([...keysOf([['a', 10], ['b', 5]])], ['a', 'b']);
  assert.deepEqual([...keysOf([])], []);
  assert.deepEqual([...keysOf(new Error('ERR unknown subcommand'))], []);
  assert.deepEqual([...keysOf(null)], []);
  assert.deepEqual([...keysOf(['a', 1500, 'b', 999, 'c', '2000'], 1000)], ['a', 'c'], 'below the minimum rate: not hot');
});

test('the hot set is the union of the primaries\' last answers; a failed answer or a node no longer primary drops its part', async () => {
  const a = { addr: { key: '127.0.0.1:1' }, down: false } as unknown as NodeEntry;
  const b = { addr: { key: '127.0.0.1:2' }, down: false } as unknown as NodeEntry;
  let primaries = [a, b];
  const answers = new Map<NodeEntry, unknown>([
    [a, ['product:42', 900, 'user:1', 40]],
    [b, ['cart:7', 300]],
  ]);
  const host: HotSetHost = {
    primaries: () => primaries,
    ask: (e) => (answers.get(e) instanceof Error ? Promise.reject(answers.get(e)) : Promise.resolve(answers.get(e))),
    isOpen: () => true,
  };
  const hot = new HotKeySet(host, 0, 10);
  assert.equal(hot.has('product:42'), false, 'nothing is hot before the first answer');
  hot.start();
  const until = async (f: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(f());
  };
  await until(() => hot.has('product:42') && hot.has('cart:7'));
  assert.equal(hot.has(Buffer.from('user:1')), true, 'Buffer keys are looked up by their bytes');
  assert.equal(hot.has('product:1'), false);
  answers.set(a, new Error('ERR unknown command'));
  await until(() => !hot.has('product:42'));
  assert.equal(hot.has('cart:7'), true);
  primaries = [a];
  await until(() => !hot.has('cart:7'));
  hot.close();
});
