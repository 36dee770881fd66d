// Unit tests for the transaction commands: their table entries (Redis 7.0's arity, flags and key
// positions, which of them run immediately inside MULTI), the packed MULTI queue and its bound.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CMD_TX_CONTROL, CommandTable, flagNames } from '../../commands/table.js';
import { REDIS_COMMAND_META } from '../../commands/redis-meta.js';
import type { RespValue } from '../../protocol/resp-value.js';
import { transactionsCommands } from './transactions.js';
import net from 'node:net';
import { Client, QueuedArgs } from '../client.js';
import { nodeHarness } from '../../../test/support/node-harness.js';
import { argsFrom } from '../../../test/support/command-harness.js';

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

test('queued commands keep their exact arguments through EXEC (packed queue)', () => {
  const { run } = nodeHarness();
  assert.equal(run('MULTI'), '+OK\r\n');
  assert.equal(run('SET', 'bin', 'a\r\n\0b'), '+QUEUED\r\n');
  assert.equal(run('HSET', 'h', 'f1', 'v1', 'f2', ''), '+QUEUED\r\n');
  assert.equal(run('RPUSH', 'l', ...Array.from({ length: 300 }, (_, i) => `item${i}`)), '+QUEUED\r\n');
  assert.equal(run('GET', 'bin'), '+QUEUED\r\n');
  assert.equal(run('EXEC'), '*4\r\n+OK\r\n:2\r\n:300\r\n$5\r\na\r\n\0b\r\n');
  assert.equal(run('HGET', 'h', 'f2'), '$0\r\n\r\n');
  assert.equal(run('LINDEX', 'l', '299'), '$7\r\nitem299\r\n');
});

test('QueuedArgs stores many commands and gives each back as it was', () => {
  const store = new QueuedArgs();
  const ats: number[] = [];
  const sent: string[][] = [];
  for (let i = 0; i < 5000; i++) {
    const argv = ['SET', `key:${i}`, 'v'.repeat(i % 37)];
    if (i % 7 === 0) argv.push('EX', String(i));
    sent.push(argv);
    ats.push(store.add(argsFrom(argv)));
  }
  for (let i = 0; i < sent.length; i++) {
    const a = store.argsAt(ats[i]);
    assert.deepEqual(Array.from({ length: a.argc }, (_, k) => a.buf.toString('latin1', a.start[k], a.end[k])), sent[i]);
  }
  assert.ok(store.memory > 0);
});

test('a MULTI queue past client-query-buffer-limit is discarded and EXEC aborts', () => {
  const h = nodeHarness();
  const cl = new Client(99, new net.Socket(), { maxBulkLength: 1 << 20, maxQueryBuffer: 64 * 1024 }, false, 0);
  h.node.clients.set(cl.id, cl);
  assert.equal(h.runAs(cl, 'MULTI'), '+OK\r\n');
  let i = 0;
  let reply = '';
  for (; i < 10_000; i++) {
    reply = h.runAs(cl, 'SET', `k${i}`, 'x'.repeat(100));
    if (reply !== '+QUEUED\r\n') break;
  }
  assert.equal(reply, '-ERR Transaction discarded: its queued commands passed client-query-buffer-limit\r\n');
  assert.ok(i > 100 && i < 1000, `refused at command ${i}`);
  assert.equal(cl.multi!.length, 0, 'the queue is freed');
  // As Redis 7.0: an aborted transaction queues nothing more.
  assert.equal(h.runAs(cl, 'SET', 'after', '1'), '+QUEUED\r\n');
  assert.equal(cl.multi!.length, 0);
  assert.equal(h.runAs(cl, 'EXEC'), '-EXECABORT Transaction discarded because of previous errors.\r\n');
  assert.equal(h.runAs(cl, 'EXISTS', 'k0', 'after'), ':0\r\n');
  // The next transaction starts from an empty queue.
  assert.equal(h.runAs(cl, 'MULTI'), '+OK\r\n');
  assert.equal(h.runAs(cl, 'SET', 'k0', 'v'), '+QUEUED\r\n');
  assert.equal(h.runAs(cl, 'EXEC'), '*1\r\n+OK\r\n');
});

test('a transaction already bound to fail queues nothing (Redis 7.0 queueMultiCommand)', () => {
  const { run, client } = nodeHarness();
  run('MULTI');
  assert.equal(run('SET', 'a', '1'), '+QUEUED\r\n');
  assert.match(run('NOSUCHCOMMAND'), /^-ERR unknown command/);
  assert.equal(run('SET', 'b', '2'), '+QUEUED\r\n');
  assert.equal(client.multi!.length, 1);
  assert.equal(run('EXEC'), '-EXECABORT Transaction discarded because of previous errors.\r\n');
});
