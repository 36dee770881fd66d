// remove-shard's last step with `corral up` (reshard-ops.ts): a retired node is stopped only once
// clients stopped sending to it, so no connection closes under a client still being redirected.

import { callNode } from './node-call.js';
import { splitAddress } from './reshard-format.js';

/** Seconds remove-shard waits at most for clients still sending to a retired node. */
export const DEFAULT_DRAIN_S = 30;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Redirected commands a node has answered (MOVED and the like: INFO commandstats' rejected_calls). */
async function rejectedCalls(addr: string): Promise<number> {
  const [host, port] = splitAddress(addr);
  const text = String(await callNode(host, port, ['INFO', 'commandstats'], 2000));
  let sum = 0;
  for (const m of text.matchAll(/rejected_calls=(\d+)/g)) sum += Number(m[1]);
  return sum;
}

/**
 * A retired node answers MOVED for every key; clients that still send to it (a cached slot map,
 * redis-benchmark's connection per master) are told where to go. Before stopping it, waits until
 * it has redirected nothing for 2 s, or `ms`: stopping it sooner would close their connections
 * under them.
 */
export async function drain(addr: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  let last = -1;
  let quietSince = Date.now();
  let told = false;
  while (Date.now() < end) {
    let n: number;
    try {
      n = await rejectedCalls(addr);
    } catch {
      return;
    }
    if (n !== last) {
      last = n;
      quietSince = Date.now();
    }
    if (Date.now() - quietSince >= 2000) return;
    if (!told && Date.now() - quietSince < 600 && last > 0) {
      console.log(`waiting for clients still sending to ${addr} to follow its MOVED replies (up to ${Math.round(ms / 1000)} s)`);
      told = true;
    }
    await sleep(500);
  }
}
