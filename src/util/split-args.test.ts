// splitArgs against cases of Redis's sdssplitargs (quotes, escapes, unbalanced quotes).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitArgs } from './split-args.js';

test('splitArgs: words, double and single quotes, escapes, errors as sdssplitargs', () => {
  assert.deepEqual(splitArgs('#!lua  name=x'), ['#!lua', 'name=x']);
  assert.deepEqual(splitArgs('#!lua name="foo"'), ['#!lua', 'name=foo']);
  assert.deepEqual(splitArgs('#!lua name="a b"'), ['#!lua', 'name=a b']);
  assert.deepEqual(splitArgs("#!lua name='q'"), ['#!lua', 'name=q']);
  assert.deepEqual(splitArgs('a "x\\x41\\n" b'), ['a', 'xA\n', 'b']);
  assert.deepEqual(splitArgs("a 'it\\'s' c"), ['a', "it's", 'c']);
  assert.deepEqual(splitArgs(`x ""  ''`), ['x', '', '']);
  assert.equal(splitArgs('#!lua "x'), null);
  assert.equal(splitArgs('a "b"c'), null);
});
