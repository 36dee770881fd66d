// Test support: a CorralNode that is not listening, with fake clients, to run server-level
// commands through the real dispatcher (auth, MULTI, arity checks included) with a ManualClock.

import net from 'node:net';
import { CorralNode } from '../../src/server/node.js';
import { Client } from '../../src/server/client.js';
import { dispatch } from '../../src/server/dispatch.js';
import { parseReply } from '../../src/protocol/reply-parser.js';
import { ManualClock } from '../../src/util/clock.js';
import { argsFrom } from './command-harness.js';

export function nodeHarness(config: Record<string, string> = {}) {
  const clock = new ManualClock();
  const node = new CorralNode({ config, clock });
  let nextId = 1;
  const connect = (): Client => {
    const limits = { maxBulkLength: 512 * 1024 * 1024, maxQueryBuffer: 1 << 30 };
    const cl = new Client(nextId++, new net.Socket(), limits, node.config.str('requirepass') !== '', clock.now());
    node.clients.set(cl.id, cl);
    return cl;
  };
  const client = connect();
  const runAs = (cl: Client, ...argv: string[]): string => {
    node.writer.begin();
    node.writer.resp = cl.resp;
    dispatch(node, cl, argsFrom(argv));
    return node.writer.take()?.toString('latin1') ?? '';
  };
  const run = (...argv: string[]): string => runAs(client, ...argv);
  const parsed = (...argv: string[]) => parseReply(Buffer.from(run(...argv), 'latin1'))![0];
  return { node, clock, client, connect, run, runAs, parsed };
}
