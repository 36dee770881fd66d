// The source side of `corral import` (import.ts): the `redis://[user:pass@]host:port[/db]` address,
// a small pipelining RESP connection that keeps every bulk string as a Buffer (keys and DUMP
// payloads are arbitrary bytes), and the source nodes to SCAN: the server itself, or each
// primary of a Redis Cluster (or corral cluster) when the address is one of its nodes.
//
// Everything import sends to a source is a read (INFO, DBSIZE, SCAN, DUMP, PTTL, CLUSTER SLOTS),
// so a request whose connection breaks is simply sent again on a new connection (AUTH and SELECT
// replayed), a few times with backoff; SCAN's cursor lives in the caller, so the scan resumes
// where it was.

import net from 'node:net';
import { BulkMode, NEED_MORE, ReplyDecoder, RespError } from '../protocol/reply-decoder.js';
import { encodeCommand } from '../protocol/reply-parser.js';
import { parseClusterSlots, address } from '../client/topology.js';
import { CliError } from './reshard-format.js';

export type SourceArg = string | Buffer | number;

export interface SourceAddress {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
}

/** `redis://[user:pass@]host:port[/db]` (scheme optional, port 6379 and db 0 by default). */
export function parseSourceUrl(text: string): SourceAddress {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `redis://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(`not a source address: '${text}' (redis://[user:pass@]host:port[/db])`);
  }
  if (url.protocol === 'rediss:') throw new CliError('rediss:// (TLS) sources are not supported: give a redis:// address');
  if (url.protocol !== 'redis:') throw new CliError(`not a redis:// address: '${text}'`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new CliError(`no host in '${text}'`);
  const port = url.port === '' ? 6379 : Number(url.port);
  const path = url.pathname.replace(/^\/+/, '').replace(/\/+$/, '');
  if (path !== '' && !/^\d+$/.test(path)) throw new CliError(`not a database number: '/${path}' in '${text}'`);
  const out: SourceAddress = { host, port, db: path === '' ? 0 : Number(path) };
  if (url.password !== '') out.password = decodeURIComponent(url.password);
  if (url.username !== '') {
    // redis://secret@host (no colon): the password alone, as redis-cli -u takes it.
    if (out.password === undefined) out.password = decodeURIComponent(url.username);
    else out.username = decodeURIComponent(url.username);
  }
  return out;
}

export const hostPort = (a: { host: string; port: number }): string => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

/** An error reply from a source, for a command that must succeed (DUMP's errors are returned instead). */
export class SourceReplyError extends CliError {}

interface Waiter {
  left: number;
  out: unknown[];
  resolve: (replies: unknown[]) => void;
  reject: (err: Error) => void;
}

/** One TCP connection; replies in order, bulk strings as Buffers, error replies as RespError values. */
class RespLink {
  private readonly decoder = new ReplyDecoder();
  private readonly waiters: Waiter[] = [];
  private dead: Error | null = null;
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly sock: net.Socket,
    private readonly timeoutMs: number,
  ) {
    sock.setNoDelay(true);
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    sock.on('error', (err) => this.fail(err));
    sock.on('close', () => this.fail(new Error('connection closed')));
  }

  static connect(host: string, port: number, timeoutMs: number): Promise<RespLink> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection({ host, port });
      const t = setTimeout(() => sock.destroy(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs);
      sock.once('error', (err) => {
        clearTimeout(t);
        reject(err);
      });
      sock.once('connect', () => {
        clearTimeout(t);
        sock.removeAllListeners('error');
        resolve(new RespLink(sock, timeoutMs));
      });
    });
  }

  /** Sends the commands in one write; resolves with their replies in order. */
  pipeline(cmds: SourceArg[][]): Promise<unknown[]> {
    if (this.dead !== null) return Promise.reject(this.dead);
    if (cmds.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiters.push({ left: cmds.length, out: [], resolve, reject });
      this.sock.write(cmds.length === 1 ? encodeCommand(cmds[0]) : Buffer.concat(cmds.map(encodeCommand)));
      this.arm();
    });
  }

  private arm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = this.waiters.length === 0 ? null : setTimeout(() => this.sock.destroy(new Error(`no reply in ${this.timeoutMs} ms`)), this.timeoutMs);
  }

  private onData(chunk: Buffer): void {
    try {
      this.decoder.feed(chunk);
      for (;;) {
        const v = this.decoder.next(BulkMode.Buffer);
        if (v === NEED_MORE) break;
        const w = this.waiters[0];
        if (w === undefined) throw new Error('a reply nothing asked for');
        w.out.push(v);
        if (--w.left === 0) {
          this.waiters.shift();
          w.resolve(w.out);
        }
      }
      this.arm();
    } catch (err) {
      this.sock.destroy(err as Error);
    }
  }

  private fail(err: Error): void {
    if (this.dead !== null) return;
    this.dead = err;
    if (this.timer !== null) clearTimeout(this.timer);
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  close(): void {
    this.fail(new Error('closed'));
    this.sock.destroy();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A reply's text (bulk as Buffer, simple string, integer). */
export function text(v: unknown): string {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof RespError) throw new SourceReplyError(v.message);
  return String(v);
}

/** A source node: reconnects (AUTH, SELECT) and re-sends on a broken connection. */
export class SourceNode {
  private link: RespLink | null = null;

  constructor(
    readonly addr: SourceAddress,
    private readonly timeoutMs = 30_000,
    private readonly attempts = 4,
  ) {}

  get name(): string {
    return hostPort(this.addr);
  }

  private async open(): Promise<RespLink> {
    const link = await RespLink.connect(this.addr.host, this.addr.port, Math.min(this.timeoutMs, 10_000));
    const hello: SourceArg[][] = [];
    if (this.addr.password !== undefined) hello.push(this.addr.username !== undefined ? ['AUTH', this.addr.username, this.addr.password] : ['AUTH', this.addr.password]);
    if (this.addr.db !== 0) hello.push(['SELECT', this.addr.db]);
    const replies = await link.pipeline(hello).catch((err: Error) => {
      link.close();
      throw err;
    });
    const bad = replies.find((r) => r instanceof RespError) as RespError | undefined;
    if (bad !== undefined) {
      link.close();
      // Not a connection problem: no point in retrying.
      throw new SourceReplyError(`${this.name}: ${bad.message}`);
    }
    return link;
  }

  /** Replies in order (error replies as RespError values); re-sent on a new connection if it breaks. */
  async pipeline(cmds: SourceArg[][]): Promise<unknown[]> {
    let last: Error | null = null;
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      if (attempt > 0) await sleep(100 * 2 ** attempt);
      try {
        this.link ??= await this.open();
        return await this.link.pipeline(cmds);
      } catch (err) {
        if (err instanceof SourceReplyError) throw err;
        last = err as Error;
        this.link?.close();
        this.link = null;
      }
    }
    throw new CliError(`source ${this.name}: ${last?.message ?? 'unreachable'}`);
  }

  /** One command; an error reply throws SourceReplyError. */
  async call(...args: SourceArg[]): Promise<unknown> {
    const [r] = await this.pipeline([args]);
    if (r instanceof RespError) throw new SourceReplyError(`${this.name}: ${String(args[0])}: ${r.message}`);
    return r;
  }

  close(): void {
    this.link?.close();
    this.link = null;
  }
}

/** `name:value` lines of an INFO reply. */
export function infoFields(reply: unknown): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text(reply).split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

export interface SourcePlan {
  /** The nodes whose keys are copied: the server, or every primary of its cluster. */
  nodes: SourceNode[];
  /** Keys in the copied database, all nodes together (DBSIZE): the progress bar's total. */
  total: number;
  cluster: boolean;
  /** Things to tell the user (other databases that hold keys and are not copied). */
  notes: string[];
}

/** Connects to the source and finds what to scan. */
export async function openSource(addr: SourceAddress, timeoutMs = 30_000): Promise<SourcePlan> {
  const first = new SourceNode(addr, timeoutMs);
  const nodes: SourceNode[] = [first];
  try {
    const info = infoFields(await first.call('INFO'));
    const notes: string[] = [];
    const cluster = info.get('cluster_enabled') === '1';
    if (cluster) {
      if (addr.db !== 0) throw new CliError(`${first.name} is a cluster node: only database 0 exists there`);
      const ranges = parseClusterSlots(toStrings(await first.call('CLUSTER', 'SLOTS')), address(addr.host, addr.port));
      const seen = new Set<string>();
      nodes.length = 0;
      first.close();
      for (const r of ranges) {
        if (seen.has(r.primary.key)) continue;
        seen.add(r.primary.key);
        nodes.push(new SourceNode({ ...addr, host: r.primary.host, port: r.primary.port }, timeoutMs));
      }
      if (nodes.length === 0) throw new CliError(`${hostPort(addr)}: CLUSTER SLOTS lists no primary`);
    } else {
      for (const [k, v] of info) {
        const m = /^db(\d+)$/.exec(k);
        const keys = /keys=(\d+)/.exec(v);
        if (m !== null && Number(m[1]) !== addr.db && keys !== null && Number(keys[1]) > 0) {
          notes.push(`db ${m[1]} holds ${keys[1]} keys, not copied (only db ${addr.db}: give redis://${hostPort(addr)}/${m[1]} to copy it)`);
        }
      }
    }
    let total = 0;
    for (const n of nodes) total += Number(await n.call('DBSIZE'));
    return { nodes, total, cluster, notes };
  } catch (err) {
    for (const n of nodes) n.close();
    throw err;
  }
}

/** CLUSTER SLOTS with its bulk strings as text (parseClusterSlots expects strings and numbers). */
function toStrings(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (Array.isArray(v)) return v.map(toStrings);
  return v;
}
