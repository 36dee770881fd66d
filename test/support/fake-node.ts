// Test support for the client's unit tests: a scriptable RESP server on an ephemeral port
// (node:net only, no corral server code). Each connection's commands are handled one after the
// other, in order, so a handler that returns a promise delays every later reply on that
// connection, as a busy Redis would. Records every command and every chunk read.

import net from 'node:net';
import { keySlot } from '../../src/cluster/slot.js';

export type Reply = string | Buffer | null | undefined;
/** A handler's result: raw RESP to send, null/undefined for none, 'CLOSE' to drop the connection. */
export type Handler = (args: string[], node: FakeNode, conn: net.Socket) => Reply | Promise<Reply>;

export const bulk = (s: string | null): string => (s === null ? '$-1\r\n' : `$${Buffer.byteLength(s)}\r\n${s}\r\n`);
export const int = (n: number): string => `:${n}\r\n`;
export const array = (items: string[]): string => `*${items.length}\r\n${items.join('')}`;
export const OK = '+OK\r\n';

export class FakeNode {
  port = 0;
  readonly commands: string[][] = [];
  /** Commands per socket read, in order (to see what arrived in one write). */
  readonly chunks: string[][][] = [];
  readonly sockets = new Set<net.Socket>();
  readonly data = new Map<string, string>();
  /** Slots this node owns, or null for "all" (no MOVED checks). */
  owned: ((slot: number) => boolean) | null = null;
  /** Where to send MOVED for slots not owned. */
  movedTo: () => number = () => 0;
  private readonly server: net.Server;

  constructor(public handler: Handler = defaultHandler) {
    this.server = net.createServer((s) => this.accept(s));
  }

  static async start(handler?: Handler): Promise<FakeNode> {
    const n = new FakeNode(handler);
    await new Promise<void>((r) => n.server.listen(0, '127.0.0.1', () => r()));
    n.port = (n.server.address() as net.AddressInfo).port;
    return n;
  }

  get addr(): string {
    return `127.0.0.1:${this.port}`;
  }

  count(name: string): number {
    return this.commands.filter((c) => c[0].toUpperCase() === name.toUpperCase()).length;
  }

  private accept(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => {});
    let buf = Buffer.alloc(0);
    let chain: Promise<void> = Promise.resolve();
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const got: string[][] = [];
      for (;;) {
        const r = parseCommand(buf);
        if (r === null) break;
        buf = buf.subarray(r[1]);
        got.push(r[0]);
      }
      if (got.length > 0) this.chunks.push(got);
      for (const args of got) {
        this.commands.push(args);
        chain = chain.then(async () => {
          if (s.destroyed) return;
          const reply = await this.handler(args, this, s);
          if (reply === 'CLOSE') s.destroy();
          else if (reply !== null && reply !== undefined && !s.destroyed) s.write(reply);
        });
      }
    });
  }

  /** Drops every client connection. */
  dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  close(): Promise<void> {
    this.dropAll();
    return new Promise((r) => this.server.close(() => r()));
  }
}

function parseCommand(buf: Buffer): [string[], number] | null {
  if (buf.length === 0 || buf[0] !== 42) return null;
  let p = buf.indexOf('\r\n');
  if (p < 0) return null;
  const n = Number(buf.toString('latin1', 1, p));
  p += 2;
  const args: string[] = [];
  for (let i = 0; i < n; i++) {
    const e = buf.indexOf('\r\n', p);
    if (e < 0) return null;
    const len = Number(buf.toString('latin1', p + 1, e));
    if (buf.length < e + 2 + len + 2) return null;
    args.push(buf.toString('utf8', e + 2, e + 2 + len));
    p = e + 2 + len + 2;
  }
  return [args, p];
}

/** A tiny key-value server: GET/SET/MGET/MSET/DEL/EXISTS/PING, MOVED for slots it does not own. */
export function defaultHandler(args: string[], node: FakeNode): Reply {
  const cmd = args[0].toUpperCase();
  if (cmd === 'CLUSTER') return '-ERR This instance has cluster support disabled\r\n';
  if (cmd === 'PING') return args.length > 1 ? bulk(args[1]) : '+PONG\r\n';
  if (cmd === 'ASKING' || cmd === 'AUTH') return OK;
  if (cmd === 'QUIT') return OK;
  const keys = cmd === 'MSET' ? args.slice(1).filter((_, i) => i % 2 === 0) : args.slice(1, cmd === 'GET' || cmd === 'SET' ? 2 : undefined);
  if (node.owned !== null && keys.length > 0) {
    const slot = keySlot(Buffer.from(keys[0], 'utf8'));
    if (!node.owned(slot)) return `-MOVED ${slot} 127.0.0.1:${node.movedTo()}\r\n`;
  }
  switch (cmd) {
    case 'GET':
      return bulk(node.data.get(args[1]) ?? null);
    case 'SET':
      node.data.set(args[1], args[2]);
      return OK;
    case 'MGET':
      return array(args.slice(1).map((k) => bulk(node.data.get(k) ?? null)));
    case 'MSET':
      for (let i = 1; i + 1 < args.length; i += 2) node.data.set(args[i], args[i + 1]);
      return OK;
    case 'DEL':
    case 'EXISTS': {
      let n = 0;
      for (const k of args.slice(1)) {
        if (node.data.has(k)) n++;
        if (cmd === 'DEL') node.data.delete(k);
      }
      return int(n);
    }
    default:
      return `-ERR unknown command '${args[0]}'\r\n`;
  }
}

/** CLUSTER SLOTS reply for ranges [start, end, port]. */
export function clusterSlots(ranges: Array<[number, number, number]>): string {
  return array(ranges.map(([s, e, port]) => array([int(s), int(e), array([bulk('127.0.0.1'), int(port), bulk(`id${port}`)])])));
}

/** Timers and a clock driven by hand: nothing fires until advance(). */
export class ManualTimers {
  now = 1_000_000;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  readonly clock = { now: (): number => this.now };
  readonly timers = {
    setTimeout: (fn: () => void, ms: number): unknown => {
      const id = ++this.seq;
      this.pending.set(id, { at: this.now + ms, fn });
      return id;
    },
    clearTimeout: (h: unknown): void => {
      this.pending.delete(h as number);
    },
  };

  /** Moves time forward, running due timers in time order. */
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.pending) if (e[1].at <= until && (next === undefined || e[1].at < next[1].at)) next = e;
      if (next === undefined) break;
      this.pending.delete(next[0]);
      this.now = Math.max(this.now, next[1].at);
      next[1].fn();
    }
    this.now = until;
  }
}

export const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls cond (real time) until true; for waiting on socket I/O, not for asserting speed. */
export async function until(cond: () => boolean, what = 'condition', ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await tick(2);
  }
}
