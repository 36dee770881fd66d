// Scenarios over several connections to one server, for comparing blocking commands with a real
// redis-server: one connection blocks, another writes, and every reply each connection gets is
// recorded. A step that blocks waits until the server's INFO says that many clients are blocked,
// so both servers see the same interleaving.

import assert from 'node:assert/strict';
import { RawConnection } from './servers.js';
import { flushAll, showBytes, type Cmd } from './compare.js';
import { encodeCommand } from '../../src/protocol/reply-parser.js';

/**
 * Connection `on` sends `cmd` and reads `replies` replies (0: it blocks, and the step waits until
 * `blocked` clients, 1 by default, are blocked), or reads `read` replies it was owed, or takes
 * everything it was sent so far (`drain`: a subscriber's messages); or the scenario sleeps.
 */
export type Step =
  | { on: string; cmd: Cmd; replies?: number; blocked?: number }
  | { on: string; read: number }
  | { sleep: number }
  | { on: string; drain: true };

/** How a scenario shows a reply (times may be masked). */
export type ShowReply = (reply: Buffer) => string;

export async function blockedClients(port: number): Promise<number> {
  const c = await RawConnection.connect(port);
  try {
    return Number(/blocked_clients:(\d+)/.exec(String(await c.call('INFO', 'clients')))![1]);
  } finally {
    c.close();
  }
}

/** Runs the steps against one server, in RESP2 or RESP3; one line per step. */
export async function runScenario(port: number, steps: Step[], resp: number, show: ShowReply = showBytes): Promise<string[]> {
  const conns = new Map<string, RawConnection>();
  const out: string[] = [];
  const conn = async (name: string): Promise<RawConnection> => {
    let c = conns.get(name);
    if (c === undefined) {
      c = await RawConnection.connect(port);
      if (resp === 3) await c.callRaw('HELLO', '3');
      conns.set(name, c);
    }
    return c;
  };
  try {
    for (const s of steps) {
      if ('sleep' in s) {
        await new Promise((r) => setTimeout(r, s.sleep));
      } else if ('drain' in s) {
        await new Promise((r) => setTimeout(r, 100));
        out.push(`${s.on} <- ${show((await conn(s.on)).pending)}`);
      } else if ('read' in s) {
        out.push(`${s.on} <- ${show(await (await conn(s.on)).readReplies(s.read))}`);
      } else {
        const c = await conn(s.on);
        const replies = s.replies ?? 1;
        if (replies === 0) {
          c.socket.write(encodeCommand(s.cmd));
          const want = s.blocked ?? 1;
          const deadline = Date.now() + 5000;
          while ((await blockedClients(port)) !== want) {
            if (Date.now() > deadline) throw new Error(`never ${want} blocked clients after ${s.cmd.join(' ')}`);
            await new Promise((r) => setTimeout(r, 5));
          }
          out.push(`${s.on} -> ${s.cmd.join(' ')} (${want} blocked)`);
        } else {
          out.push(`${s.on} -> ${s.cmd.join(' ')} <- ${show(await c.sendRaw(encodeCommand(s.cmd), replies))}`);
        }
      }
    }
  } finally {
    for (const c of conns.values()) c.close();
  }
  return out;
}

/** Runs a scenario on both servers (each flushed first), in RESP2 and RESP3, and compares every reply. */
export async function sameScenario(ports: { corral: number; redis: number }, steps: Step[], show: ShowReply = showBytes): Promise<void> {
  for (const resp of [2, 3]) {
    await flushAll([ports.corral, ports.redis]);
    const theirs = await runScenario(ports.redis, steps, resp, show);
    await flushAll([ports.corral, ports.redis]);
    const ours = await runScenario(ports.corral, steps, resp, show);
    assert.deepEqual(ours, theirs, `RESP${resp}`);
  }
}
