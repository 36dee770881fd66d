// Test doubles for the SDK (and for applications testing code that uses it): FakeTime, a
// manual clock with timers that fire only when time is advanced, and FakeCacheNode, an
// in-memory stand-in for a corral node that implements the lease commands as docs/leases.md
// specifies them (plus GET/SET/INCR/DEL), so the cache's decisions can be tested without
// sockets or waiting. Not a conformance reference for the node: the integration tests run the
// same behaviours against real nodes.

import type { Arg } from '../../src/client/command.js';
import { ConnectionError, ReplyError } from '../../src/client/errors.js';
import type { Clock } from '../../src/util/clock.js';
import type { CacheClient, Timers } from '../../src/cache/options.js';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/** A clock and timers that move only through advance(). */
export class FakeTime implements Clock, Timers {
  private seq = 0;
  private timers: Timer[] = [];

  constructor(private t = 1_700_000_000_000) {}

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.push({ id, at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    const i = this.timers.findIndex((x) => x.id === handle);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by ms, firing due timers in order and letting promises settle between. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      let next: Timer | undefined;
      for (const x of this.timers) if (x.at <= end && (next === undefined || x.at < next.at)) next = x;
      if (next === undefined) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
    await settle();
  }
}

/** Lets pending promise chains (and setImmediate callbacks) run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

interface Entry {
  value: Buffer;
  expiresAt: number;
  staleAt: number;
}

/** An in-memory node speaking the commands the SDK sends. */
export class FakeCacheNode implements CacheClient {
  readonly data = new Map<string, Entry>();
  readonly leases = new Map<string, { token: string; expiresAt: number }>();
  /** Every command received, name and key, e.g. 'CACHE.GET k'. */
  readonly log: string[] = [];
  /** 'up'; 'down': commands reject with ConnectionError; 'hang': commands never answer. */
  mode: 'up' | 'down' | 'hang' = 'up';
  private nextToken = 1000;

  constructor(private readonly clock: Clock) {}

  send(command: string, ...args: Arg[]): Promise<unknown> {
    return this.call(false, command, args);
  }

  sendBuffer(command: string, ...args: Arg[]): Promise<unknown> {
    return this.call(true, command, args);
  }

  cacheGet(key: Arg, leaseMs: number): Promise<Buffer | unknown[]> {
    return this.call(true, 'CACHE.GET', [key, leaseMs]) as Promise<Buffer | unknown[]>;
  }

  /** Commands received with this name. */
  count(name: string): number {
    const up = name.toUpperCase();
    return this.log.filter((l) => l.split(' ')[0] === up).length;
  }

  private call(buffers: boolean, command: string, args: Arg[]): Promise<unknown> {
    const name = command.toUpperCase();
    this.log.push(`${name} ${String(args[0] ?? '')}`);
    if (this.mode === 'hang') return new Promise(() => {});
    if (this.mode === 'down') return Promise.reject(new ConnectionError('fake node is down'));
    try {
      const r = this.run(name, args.map(bytes));
      return Promise.resolve(buffers ? r : utf8(r));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private live(key: string): Entry | undefined {
    const e = this.data.get(key);
    if (e !== undefined && this.clock.now() >= e.expiresAt) {
      this.data.delete(key);
      return undefined;
    }
    return e;
  }

  private lease(key: string): { token: string; expiresAt: number } | undefined {
    const l = this.leases.get(key);
    if (l !== undefined && this.clock.now() >= l.expiresAt) {
      this.leases.delete(key);
      return undefined;
    }
    return l;
  }

  private grant(key: string, ms: number): string {
    const token = String(this.nextToken++);
    this.leases.set(key, { token, expiresAt: this.clock.now() + ms });
    return token;
  }

  /** A write other than the CACHE.SET carrying the lease: voids it. */
  private write(key: string): void {
    this.leases.delete(key);
  }

  private run(name: string, a: Buffer[]): unknown {
    const now = this.clock.now();
    const key = a[0]?.toString() ?? '';
    switch (name) {
      case 'GET':
        return this.live(key)?.value ?? null;
      case 'SET': {
        let px = Infinity;
        let nx = false;
        for (let i = 2; i < a.length; i++) {
          const opt = a[i].toString().toUpperCase();
          if (opt === 'PX') px = Number(a[++i].toString());
          else if (opt === 'NX') nx = true;
        }
        if (nx && this.live(key) !== undefined) return null;
        this.write(key);
        this.data.set(key, { value: a[1], expiresAt: now + px, staleAt: Infinity });
        return 'OK';
      }
      case 'INCR': {
        const e = this.live(key);
        const n = (e === undefined ? 0 : Number(e.value.toString())) + 1;
        if (!Number.isSafeInteger(n)) throw new ReplyError('ERR value is not an integer or out of range');
        this.write(key);
        this.data.set(key, { value: Buffer.from(String(n)), expiresAt: e?.expiresAt ?? Infinity, staleAt: Infinity });
        return n;
      }
      case 'DEL': {
        const had = this.live(key) !== undefined;
        this.write(key);
        this.data.delete(key);
        return had ? 1 : 0;
      }
      case 'CACHE.GET': {
        const ms = Number(a[1]?.toString());
        const e = this.live(key);
        const l = this.lease(key);
        if (e === undefined) {
          if (l !== undefined) return ['MISS_WAIT', null, null, l.expiresAt - now];
          return ['MISS_WON', null, this.grant(key, ms), ms];
        }
        if (now < e.staleAt) return e.value;
        if (l !== undefined) return ['STALE', e.value, null, e.expiresAt - now];
        return ['STALE_WON', e.value, this.grant(key, ms), e.expiresAt - now];
      }
      case 'CACHE.LEASE': {
        if (this.lease(key) !== undefined) return null;
        return this.grant(key, Number(a[1]?.toString()));
      }
      case 'CACHE.SET': {
        const token = a[2].toString();
        const ttl = Number(a[3].toString());
        let grace = -1;
        if (a.length >= 6 && a[4].toString().toUpperCase() === 'GRACE') grace = Number(a[5].toString());
        const l = this.lease(key);
        if (l === undefined || l.token !== token) return 0;
        this.leases.delete(key);
        this.data.set(key, {
          value: a[1],
          expiresAt: now + ttl + Math.max(0, grace),
          staleAt: grace > 0 ? now + ttl : Infinity,
        });
        return 1;
      }
      case 'CACHE.INVALIDATE': {
        const grace = a.length >= 3 ? Number(a[2].toString()) : 0;
        const e = this.live(key);
        this.write(key);
        if (e === undefined) return 0;
        if (grace > 0) this.data.set(key, { value: e.value, expiresAt: now + grace, staleAt: now });
        else this.data.delete(key);
        return 1;
      }
      default:
        throw new ReplyError(`ERR unknown command '${name}'`);
    }
  }
}

function bytes(a: Arg): Buffer {
  return Buffer.isBuffer(a) ? a : Buffer.from(String(a));
}

function utf8(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (Array.isArray(v)) return v.map(utf8);
  return v;
}
