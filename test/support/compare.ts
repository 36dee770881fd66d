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
