// Splitting multi-key commands across slots: MGET / MSET / DEL / EXISTS / UNLINK / TOUCH whose
// keys hash to several slots become one command per slot (Redis Cluster refuses cross-slot
// multi-key commands, even when one node owns all the slots). They are all issued in the same
// turn, so each node still receives them in one write; the replies are merged back in the
// caller's order (MGET), summed (DEL, EXISTS, UNLINK, TOUCH) or reduced to 'OK' (MSET).

import type { BulkMode } from '../protocol/reply-decoder.js';
import type { ClusterCore } from './cluster-client.js';
import { Command, Reply, type Arg } from './command.js';
import { Split, slotOf } from './router.js';

export function splitCommand(core: ClusterCore, kind: Split, name: string, rest: Arg[], mode: BulkMode): Promise<unknown> {
  const step = kind === Split.Pairs ? 2 : 1;
  const n = Math.floor(rest.length / step);
  // Malformed (the server answers the arity error), one key, or no slots to split in single-node mode.
  if (n === 0 || rest.length % step !== 0) return core.issue(new Command([name, ...rest], -1, Reply.Raw, mode));
  const first = slotOf(rest[0]);
  if (core.mode === 'single' || n === 1) return core.issue(new Command([name, ...rest], first, Reply.Raw, mode));
  const slotOfKey = new Array<number>(n);
  let same = true;
  for (let i = 0; i < n; i++) {
    const s = i === 0 ? first : slotOf(rest[i * step]);
    slotOfKey[i] = s;
    if (s !== first) same = false;
  }
  if (same) return core.issue(new Command([name, ...rest], first, Reply.Raw, mode));
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const g = groups.get(slotOfKey[i]);
    if (g === undefined) groups.set(slotOfKey[i], [i]);
    else g.push(i);
  }
  const parts: Array<Promise<unknown>> = [];
  const order: number[][] = [];
  for (const [slot, idx] of groups) {
    const args: Arg[] = [name];
    for (const i of idx) {
      args.push(rest[i * step]);
      if (step === 2) args.push(rest[i * step + 1]);
    }
    parts.push(core.issue(new Command(args, slot, Reply.Raw, mode)));
    order.push(idx);
  }
  return Promise.all(parts).then((replies) => {
    if (kind === Split.Pairs) return 'OK';
    if (kind === Split.Sum) return (replies as number[]).reduce((a, b) => a + b, 0);
    const out = new Array<unknown>(n);
    for (let g = 0; g < order.length; g++) {
      const vals = replies[g] as unknown[];
      const idx = order[g];
      for (let j = 0; j < idx.length; j++) out[idx[j]] = vals[j];
    }
    return out;
  });
}
