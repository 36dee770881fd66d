// The `corral` command's first line starts node with NODE_V8_FLAGS and the glibc tunable, the ones
// `corral up` and the benchmarks use: one list, checked here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CORRAL_SHEBANG, NODE_GLIBC_TUNABLE, NODE_V8_FLAGS, hasNodeV8Flags, nodeProcessEnv, setsHugetlb } from './node-flags.js';

test("the corral command's shebang passes NODE_V8_FLAGS to node and sets the glibc tunable", () => {
  const main = readFileSync(new URL('../cli/main.js', import.meta.url), 'latin1');
  assert.equal(main.slice(0, main.indexOf('\n')), CORRAL_SHEBANG);
  assert.ok(CORRAL_SHEBANG.endsWith(` node ${NODE_V8_FLAGS.join(' ')}`));
  assert.ok(CORRAL_SHEBANG.includes(`GLIBC_TUNABLES=${NODE_GLIBC_TUNABLE}:\${GLIBC_TUNABLES} `));
});

test('nodeProcessEnv puts the tunable first and keeps a hugetlb setting already there', () => {
  assert.equal(nodeProcessEnv({ PATH: '/bin' })['GLIBC_TUNABLES'], NODE_GLIBC_TUNABLE);
  assert.equal(nodeProcessEnv({ PATH: '/bin' })['PATH'], '/bin');
  assert.equal(nodeProcessEnv({ GLIBC_TUNABLES: '' })['GLIBC_TUNABLES'], NODE_GLIBC_TUNABLE);
  assert.equal(nodeProcessEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' })['GLIBC_TUNABLES'], `${NODE_GLIBC_TUNABLE}:glibc.malloc.arena_max=2`);
  const off = { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0' };
  assert.equal(nodeProcessEnv(off), off);
  // What the shebang leaves behind when GLIBC_TUNABLES was unset: already set, passed on as it is.
  assert.equal(nodeProcessEnv({ GLIBC_TUNABLES: `${NODE_GLIBC_TUNABLE}:` })['GLIBC_TUNABLES'], `${NODE_GLIBC_TUNABLE}:`);
});

test('hasNodeV8Flags looks for every flag', () => {
  assert.equal(hasNodeV8Flags([...NODE_V8_FLAGS, '--inspect']), true);
  assert.equal(hasNodeV8Flags(['--inspect']), false);
});

test('setsHugetlb finds the tunable among others, not a longer name', () => {
  assert.equal(setsHugetlb({}), false);
  assert.equal(setsHugetlb({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }), true);
  assert.equal(setsHugetlb({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1' }), true);
  assert.equal(setsHugetlb({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }), false);
  assert.equal(setsHugetlb({ GLIBC_TUNABLES: 'xglibc.malloc.hugetlb=1' }), false);
});
