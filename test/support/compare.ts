// Test support for comparing corral with a real redis-server: flush both, then run the same
// commands on each in RESP2 and RESP3 and assert byte-identical replies.

import assert from 'node:assert/strict';
import { RawConnection, transcripts } from './servers.js';

export type Cmd = Array<string | Buffer | number>;

export async function flushAll(ports: number[]): Promise<void> {
  for (const port of ports) {
    const c = await RawConnection.connect(port);
    await c.call('FLUSHALL');
    c.close();
  }
}

/** Commands written one a line, words split on spaces (blank lines and # comments skipped). */
export function splitCommands(lines: string): Cmd[] {
  return lines
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(' '));
}

export function showBytes(b: Buffer): string {
  return JSON.stringify(b.toString('latin1'));
}

/** Runs cmds on both servers (flushed first) in RESP2 and RESP3 and asserts identical bytes. */
export async function sameOnBoth(corralPort: number, redisPort: number, cmds: Cmd[]): Promise<void> {
  for (const resp of [2, 3]) {
    await flushAll([corralPort, redisPort]);
    const setup: Cmd[] = resp === 3 ? [['HELLO', '3']] : [];
    const [ours, theirs] = await transcripts(corralPort, redisPort, cmds, setup);
    for (let i = 0; i < cmds.length; i++) {
      const cmd = cmds[i].map((a) => (Buffer.isBuffer(a) ? a.toString('latin1') : String(a))).join(' ');
      assert.equal(showBytes(ours[i]), showBytes(theirs[i]), `RESP${resp} #${i} ${JSON.stringify(cmd)}`);
    }
  }
}

/**
 * The replies of cmds run on one server (flushed first) with notify-keyspace-events KEA, then
 * every keyspace event they published (raw frames), to compare two servers' events.
 */
export async function keyspaceEventsOf(port: number, cmds: Cmd[]): Promise<string[]> {
  const sub = await RawConnection.connect(port);
  const cl = await RawConnection.connect(port);
  try {
    await cl.call('FLUSHALL');
    await cl.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    await sub.callRaw('PSUBSCRIBE', '__key*__:*');
    const out: string[] = [];
    for (const cmd of cmds) out.push(showBytes(await cl.callRaw(...cmd)));
    await cl.call('PUBLISH', '__keyend__:x', 'end');
    for (;;) {
      const frame = await sub.readReplies(1);
      if (frame.includes('__keyend__:')) break;
      out.push(showBytes(frame));
    }
    return out;
  } finally {
    await cl.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    sub.close();
    cl.close();
  }
}
