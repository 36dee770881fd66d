// The `corral` command's first line starts node with NODE_V8_FLAGS, the list `corral up` and the
// benchmarks use: one list, checked here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { NODE_V8_FLAGS, hasNodeV8Flags } from './node-flags.js';

test("the corral command's shebang passes NODE_V8_FLAGS to node", () => {
  const main = readFileSync(new URL('../cli/main.js', import.meta.url), 'latin1');
  assert.equal(main.slice(0, main.indexOf('\n')), `#!/usr/bin/env -S node ${NODE_V8_FLAGS.join(' ')}`);
});

test('hasNodeV8Flags looks for every flag', () => {
  assert.equal(hasNodeV8Flags([...NODE_V8_FLAGS, '--inspect']), true);
  assert.equal(hasNodeV8Flags(['--inspect']), false);
});
