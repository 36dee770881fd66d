// Test support: start a corral node in process or a real redis-server on an ephemeral port, and
// talk raw RESP to either, so replies can be compared byte for byte.

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorralNode } from '../../src/server/node.js';
import { encodeCommand, parseReply, type ReplyValue } from '../../src/protocol/reply-parser.js';
import type { Clock } from '../../src/util/clock.js';

export interface Started {
  port: number;
  close(): Promise<void>;
}

export interface StartedCorral extends Started {
  node: CorralNode;
}

/** A corral node in this process on an ephemeral port. */
export async function startCorral(config: Record<string, string> = {}, clock?: Clock): Promise<StartedCorral> {
  const node = new CorralNode({ config: { port: '0', ...config }, clock });
  const port = await node.listen();
  return { node, port, close: () => node.close() };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A real redis-server (Debian's redis-server must be installed: system tests only).
 *
 * The race: freePort() closes its probe before redis-server binds, so another process (a corral
 * node on port 0, another test file's redis-server) can take the port in between. Then this
 * redis-server fails to bind and exits, and a bare PING would be answered by the other process,
 * whose keys the test would silently share. So the server is accepted only when INFO's
 * process_id is the child's pid; otherwise it is stopped and started again on a new port.
 *
 * Each server gets a directory of its own (removed when it closes): redis-server loads
 * dump.rdb from its directory at start and a replica writes the file it received there, so with
 * the shared working directory one test's replica left its keys in every later test's server.
 */
export async function startRedis(extraArgs: string[] = []): Promise<Started> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'corral-test-redis-'));
    const child: ChildProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs],
      { stdio: 'ignore', cwd: dir },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    };
    const password = extraArgs[extraArgs.indexOf('--requirepass') + 1];
    if (await ownsPort(child, port, extraArgs.includes('--requirepass') ? password : null)) return { port, close: stop };
    await stop();
  }
  throw new Error('redis-server did not start on a free port in 5 attempts');
}

/** True once `child` answers on `port` (INFO's process_id is its pid); false if it exits first. */
async function ownsPort(child: ChildProcess, port: number, password: string | null): Promise<boolean> {
  for (let i = 0; i < 100 && child.exitCode === null && child.signalCode === null; i++) {
    try {
      const c = await RawConnection.connect(port);
      if (password !== null) await c.call('AUTH', password);
      const info = String(await c.call('INFO', 'server'));
      c.close();
      return /process_id:(\d+)/.exec(info)?.[1] === String(child.pid);
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return false;
}

/** A plain TCP connection speaking raw RESP. */
export class RawConnection {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => {
        s.off('error', reject);
        resolve(new RawConnection(s));
      });
      s.once('error', reject);
    });
  }

  /** Sends bytes and resolves with the exact bytes of the next `replies` replies. */
  async sendRaw(bytes: Buffer | string, replies = 1, timeoutMs = 5000): Promise<Buffer> {
    this.socket.write(bytes);
    return this.readReplies(replies, timeoutMs);
  }

  async readReplies(replies: number, timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    // The buffer only grows until this returns, so the replies parsed so far stay parsed: each
    // read parses only what arrived (re-parsing from the start made a 10 MB read quadratic, and
    // slow enough on a loaded machine to miss its deadline).
    let off = 0;
    let n = 0;
    for (;;) {
      while (n < replies) {
        const r = parseReply(this.buf, off);
        if (r === null) break;
        off = r[1];
        n++;
      }
      if (n === replies) {
        const out = this.buf.subarray(0, off);
        this.buf = this.buf.subarray(off);
        return Buffer.from(out);
      }
      if (this.closed) throw new Error(`connection closed after ${n} of ${replies} replies: ${JSON.stringify(this.buf.toString('latin1'))}`);
      if (Date.now() > deadline) throw new Error(`timeout waiting for ${replies} replies; have ${JSON.stringify(this.buf.toString('latin1'))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiter = () => {
          clearTimeout(t);
          this.waiter = null;
          resolve();
        };
      });
    }
  }

  /** Sends a command and returns its raw reply bytes. */
  callRaw(...args: Array<string | Buffer | number>): Promise<Buffer> {
    return this.sendRaw(encodeCommand(args));
  }

  /** Sends a command and returns its parsed reply. */
  async call(...args: Array<string | Buffer | number>): Promise<ReplyValue> {
    const raw = await this.callRaw(...args);
    return parseReply(raw)![0];
  }

  /** Resolves when the server closes the connection. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Whatever bytes arrived and were not consumed yet. */
  get pending(): Buffer {
    return this.buf;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Runs the same commands on two servers over fresh connections and returns both raw transcripts
 * (one Buffer per command), for byte-for-byte comparison.
 */
export async function transcripts(
  portA: number,
  portB: number,
  commands: Array<Array<string | Buffer | number>>,
  setup: Array<Array<string | Buffer | number>> = [['HELLO', '2']],
): Promise<[Buffer[], Buffer[]]> {
  const run = async (port: number): Promise<Buffer[]> => {
    const c = await RawConnection.connect(port);
    try {
      for (const s of setup) await c.callRaw(...s);
      const out: Buffer[] = [];
      for (const cmd of commands) out.push(await c.callRaw(...cmd));
      return out;
    } finally {
      c.close();
    }
  };
  return [await run(portA), await run(portB)];
}

export type { ReplyValue };
