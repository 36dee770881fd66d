// Unit tests for the transaction commands' table entries: Redis 7.0's arity, flags and key
// positions, and which of them run immediately inside MULTI.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CMD_TX_CONTROL, CommandTable, flagNames } from '../../commands/table.js';
import { REDIS_COMMAND_META } from '../../commands/redis-meta.js';
import type { RespValue } from '../../protocol/resp-value.js';
import { transactionsCommands } from './transactions.js';

test('transaction commands match redis 7.0 arity, flags and key positions', () => {
  const t = new CommandTable();
  t.register(transactionsCommands);
  for (const def of transactionsCommands) {
    const info = REDIS_COMMAND_META[def.name].info as RespValue[];
    const cmd = t.get(def.name)!;
    // allow_busy (scripts) has no counterpart in corral.
    const flags = (info[2] as { set: Array<{ simple: string }> }).set.map((f) => f.simple).filter((f) => f !== 'allow_busy').sort();
    assert.deepEqual([cmd.arity, cmd.firstKey, cmd.lastKey, cmd.keyStep], [info[1], info[3], info[4], info[5]], def.name);
    assert.deepEqual(flagNames(cmd.flags).sort(), flags, def.name);
  }
});

test('MULTI, EXEC, DISCARD and WATCH run inside MULTI; UNWATCH is queued, as in Redis', () => {
  const control = transactionsCommands.filter((d) => d.flags & CMD_TX_CONTROL).map((d) => d.name).sort();
  assert.deepEqual(control, ['discard', 'exec', 'multi', 'watch']);
});
