// RawRouter: INCR over raw connections routed by the resharding test itself, recording the node
// that answered each increment (the evidence for a counter that went wrong).

import { SLOT_COUNT } from '../../src/cluster/slot.js';
import type { ReplyValue } from '../../src/protocol/reply-parser.js';
import { callOnce, sleep } from './corral-up.js';
import { RawConnection } from './servers.js';
import { errorOf } from './reshard-control.js';

/**
 * INCR over raw connections, routed by this test: a slot map from CLUSTER SLOTS, MOVED followed
 * (and the map updated), TRYAGAIN/CLUSTERDOWN retried after 20 ms, a lost connection reconnected
 * (an INCR without a reply is 'unknown'). Records which port answered.
 */
export class RawRouter {
  private readonly slots = new Array<number>(SLOT_COUNT).fill(0);
  private readonly conns = new Map<number, Promise<RawConnection>>();
  private loaded = false;

  constructor(private readonly seeds: number[]) {}

  private async load(): Promise<void> {
    for (const p of this.seeds) {
      const r = await callOnce(p, 'CLUSTER', 'SLOTS');
      if (!Array.isArray(r)) continue;
      for (const range of r as Array<[number, number, [string, number]]>) for (let s = range[0]; s <= range[1]; s++) this.slots[s] = range[2][1];
      this.loaded = true;
      return;
    }
  }

  private conn(port: number): Promise<RawConnection> {
    let c = this.conns.get(port);
    if (c === undefined) {
      c = RawConnection.connect(port);
      this.conns.set(port, c);
      c.catch(() => this.conns.delete(port));
    }
    return c;
  }

  async incr(key: string, slot: number, op: { node?: number; path?: string }): Promise<number> {
    if (!this.loaded) await this.load();
    const path: string[] = [];
    for (let attempt = 0; attempt < 200; attempt++) {
      const port = this.slots[slot];
      let c: RawConnection;
      try {
        c = await this.conn(port);
        if (c.closed) throw new Error('closed');
      } catch {
        this.conns.delete(port);
        path.push(`${port}:noconn`);
        await sleep(20);
        await this.load();
        continue;
      }
      let r: ReplyValue;
      try {
        r = await c.call('INCR', key);
      } catch (err) {
        this.conns.delete(port);
        op.path = path.join(' ');
        throw new Error(`INCR ${key} on ${port}: no reply (${(err as Error).message})`);
      }
      if (typeof r === 'number') {
        path.push(`${port}:${r}`);
        op.node = port;
        op.path = path.join(' ');
        return r;
      }
      const e = errorOf(r) ?? JSON.stringify(r);
      path.push(`${port}:${e.split(' ')[0]}`);
      const moved = /^MOVED \d+ [^:]*:(\d+)$/.exec(e);
      if (moved !== null) {
        this.slots[slot] = Number(moved[1]);
        continue;
      }
      if (e.startsWith('TRYAGAIN') || e.startsWith('CLUSTERDOWN')) {
        await sleep(20);
        continue;
      }
      op.path = path.join(' ');
      throw new Error(`INCR ${key} on ${port}: ${e}`);
    }
    op.path = path.join(' ');
    throw new Error(`INCR ${key}: gave up after 200 tries (${op.path})`);
  }

  close(): void {
    for (const c of this.conns.values()) void c.then((x) => x.close(), () => {});
    this.conns.clear();
  }
}
