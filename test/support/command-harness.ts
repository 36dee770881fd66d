// Test support: run command handlers directly on a Store with a ManualClock, no sockets. Replies
// come back raw (latin1) or parsed; `modified` records WATCH signals; `accounted` checks that
// used memory equals the sum of the entries' byte estimates.

import assert from 'node:assert/strict';
import { CommandContext } from '../../src/commands/context.js';
import { CommandTable, type CommandDef } from '../../src/commands/table.js';
import { ReplyWriter } from '../../src/protocol/reply-writer.js';
import type { CommandArgs } from '../../src/protocol/request-parser.js';
import { parseReply, type ReplyValue } from '../../src/protocol/reply-parser.js';
import { Store, type StoreOptions } from '../../src/store/store.js';
import { ManualClock } from '../../src/util/clock.js';

/** Request arguments as the parser would hand them over: offsets into one buffer. */
export function argsFrom(argv: Array<string | Buffer>): CommandArgs {
  const parts = argv.map((a) => (Buffer.isBuffer(a) ? a : Buffer.from(a, 'latin1')));
  const start: number[] = [];
  const end: number[] = [];
  let off = 0;
  for (const p of parts) {
    start.push(off);
    end.push((off += p.length));
  }
  return { buf: Buffer.concat(parts), argc: parts.length, start, end };
}

/** `options`: more of the store's options (slotOf: cluster mode). */
export function commandHarness(commands: CommandDef[], databases = 16, options: Partial<StoreOptions> = {}) {
  const clock = new ManualClock();
  const store = new Store({ ...options, databases, clock });
  const table = new CommandTable();
  table.register(commands);
  const c = new CommandContext(store);
  c.w = new ReplyWriter();
  c.client = { id: 1, db: 0 };
  const modified: string[] = [];
  store.setKeyModifiedHook((db, key) => modified.push(`${db}:${key}`));
  const raw = (...argv: Array<string | Buffer>): string => {
    c.args = argsFrom(argv);
    let cmd = table.get(String(argv[0]))!;
    if (cmd.subcommands !== null) cmd = cmd.subcommands.get(String(argv[1]).toLowerCase())!;
    c.db = store.dbs[c.client.db];
    c.name = cmd.fullName;
    c.w.begin();
    cmd.handler(c);
    return c.w.take()?.toString('latin1') ?? '';
  };
  const run = (...argv: Array<string | Buffer>): ReplyValue => parseReply(Buffer.from(raw(...argv), 'latin1'))![0];
  const accounted = (): void => {
    let sum = store.stats.usedBytes + (store.policy.bytes);
    for (const db of store.dbs) sum += db.recomputeBytes();
    assert.equal(store.usedMemory, sum, 'used memory matches the entries');
  };
  return { clock, store, table, c, raw, run, modified, accounted };
}
