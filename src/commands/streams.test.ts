// Unit tests for the stream commands: metadata against Redis's, the words a call is replicated
// as (generated IDs, approximate trims rewritten exact), the primary's calls obeyed (LIMIT with
// `=`), WATCH signals (none for XSETID, as Redis), and memory accounting.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { streamCommands } from './streams.js';
import { stringCommands } from './strings.js';
import { commandHarness } from '../../test/support/command-harness.js';
import { assertMatchesRedis } from '../../test/support/redis-meta-check.js';

function harness() {
  return commandHarness([...stringCommands, ...streamCommands], 2);
}

describe('command metadata', () => {
  test('stream commands match redis 7.0 arity, flags and key positions', () => {
    assertMatchesRedis(streamCommands);
  });
});

describe('stream commands', () => {
  test('XADD replicates the ID it generated and an approximate trim as exact', () => {
    const { run, c, store } = harness();
    store.limits.streamNodeMaxEntries = 2;
    assert.equal(run('XADD', 's', '1-1', 'a', '1'), '1-1');
    assert.equal(c.replicateAs, null, 'an explicit ID goes out as sent');
    assert.equal(run('XADD', 's', '1-*', 'a', '2'), '1-2');
    assert.deepEqual(c.replicateAs, ['XADD', 's', '1-2', 'a', '2']);
    c.replicateAs = null;
    for (const id of ['2-0', '3-0', '4-0']) run('XADD', 's', id, 'a', 'x');
    assert.equal(run('XADD', 's', 'MAXLEN', '~', '2', '5-0', 'a', 'y'), '5-0');
    // Nodes of 2 entries: [1-1 1-2] [2-0 3-0] [4-0 5-0]; ~2 drops the first two nodes.
    assert.deepEqual(c.replicateAs, ['XADD', 's', 'MAXLEN', '=', '2', '5-0', 'a', 'y']);
    c.replicateAs = null;
    assert.equal(run('XLEN', 's'), 2);
    assert.equal(run('XADD', 's', 'MINID', '~', '0', '6-0', 'a', 'z'), '6-0');
    assert.deepEqual(c.replicateAs, ['XADD', 's', 'MINID', '=', '4-0', '6-0', 'a', 'z']);
    c.replicateAs = null;
  });

  test('XTRIM with ~ is rewritten only when it removed something', () => {
    const { run, c, store } = harness();
    store.limits.streamNodeMaxEntries = 2;
    for (const id of ['1-0', '2-0', '3-0']) run('XADD', 's', id, 'a', 'x');
    assert.equal(run('XTRIM', 's', 'MAXLEN', '~', '2'), 0);
    assert.equal(c.replicateAs, null);
    assert.equal(run('XTRIM', 's', 'MAXLEN', '~', '1', 'LIMIT', '5'), 2);
    assert.deepEqual(c.replicateAs, ['XTRIM', 's', 'MAXLEN', '=', '1', 'LIMIT', '5']);
    c.replicateAs = null;
  });

  test('the primary may send `=` with LIMIT; a client may not', () => {
    const { run, raw, c } = harness();
    for (const id of ['1-0', '2-0', '3-0']) run('XADD', 's', id, 'a', 'x');
    assert.equal(raw('XTRIM', 's', 'MAXLEN', '=', '1', 'LIMIT', '5'), '-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n');
    c.client = { id: 0, db: 0 };
    assert.equal(run('XTRIM', 's', 'MAXLEN', '=', '1', 'LIMIT', '1'), 2, 'no limit applies to the primary');
    c.client = { id: 1, db: 0 };
  });

  test('WATCH signals: XADD, XDEL, XTRIM that change; XSETID never', () => {
    const { run, raw, modified } = harness();
    run('XADD', 's', '1-0', 'a', 'x');
    assert.deepEqual(modified.splice(0), ['0:s']);
    run('XDEL', 's', '9-9');
    run('XTRIM', 's', 'MAXLEN', '5');
    assert.deepEqual(modified.splice(0), []);
    assert.equal(raw('XSETID', 's', '5-0'), '+OK\r\n');
    assert.deepEqual(modified.splice(0), []);
    run('XDEL', 's', '1-0');
    assert.deepEqual(modified.splice(0), ['0:s']);
    assert.equal(run('XLEN', 's'), 0, 'an emptied stream stays');
  });

  test('memory is accounted as streams grow and shrink', () => {
    const { run, accounted } = harness();
    for (let i = 1; i <= 250; i++) run('XADD', 's', `${i}-0`, 'field', 'v'.repeat(i % 50));
    accounted();
    run('XDEL', 's', '10-0', '20-0');
    run('XTRIM', 's', 'MAXLEN', '~', '100');
    accounted();
    run('XTRIM', 's', 'MAXLEN', '0');
    accounted();
  });
});
