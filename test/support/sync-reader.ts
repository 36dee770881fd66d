// Test support: the replica's end of a SYNC (or PSYNC) to a corral node or a redis-server: the
// RDB file, then the replication stream's commands as word lists, to compare the two servers'
// streams.

import assert from 'node:assert/strict';
import net from 'node:net';
import { RawConnection } from './servers.js';

/** The replica's end of a SYNC: the RDB file, then the stream's commands. */
export class SyncReader {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  closed = false;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => {});
  }

  static async open(port: number, handshake: string[][] = [], sync = 'SYNC'): Promise<SyncReader> {
    const s = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
    const r = new SyncReader(s);
    for (const cmd of handshake) {
      s.write(`${cmd.join(' ')}\r\n`);
      assert.equal(await r.line(), '+OK');
    }
    s.write(`${sync}\r\n`);
    return r;
  }

  private async need(n: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (this.closed) throw new Error(`closed with ${this.buf.length} of ${n} bytes`);
      if (Date.now() > deadline) throw new Error(`timeout: ${JSON.stringify(this.buf.toString('latin1'))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 20);
        this.wake = () => {
          clearTimeout(t);
          this.wake = null;
          resolve();
        };
      });
    }
  }

  async line(): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const s = this.buf.subarray(0, i).toString('latin1');
        this.buf = this.buf.subarray(i + 2);
        return s;
      }
      await this.need(this.buf.length + 1);
    }
  }

  async bytes(n: number): Promise<Buffer> {
    await this.need(n);
    const b = Buffer.from(this.buf.subarray(0, n));
    this.buf = this.buf.subarray(n);
    return b;
  }

  /** The `$<len>` bulk of the RDB file (newlines before it are keepalives, as Redis's). */
  async rdb(): Promise<Buffer> {
    let head = await this.line();
    head = head.replace(/^\n+/, '');
    assert.match(head, /^\$\d+$/, `not a bulk length: ${head}`);
    return this.bytes(Number(head.slice(1)));
  }

  /** The next command of the stream, its name lowercased (as read_from_replication_stream). */
  async command(): Promise<string[]> {
    const head = await this.line();
    assert.match(head, /^\*\d+$/, `not a command: ${head}`);
    const out: string[] = [];
    for (let i = Number(head.slice(1)); i > 0; i--) {
      const len = await this.line();
      out.push((await this.bytes(Number(len.slice(1)) + 2)).subarray(0, -2).toString('latin1'));
    }
    out[0] = out[0].toLowerCase();
    return out;
  }

  async commands(n: number): Promise<string[][]> {
    const out: string[][] = [];
    for (let i = 0; i < n; i++) out.push(await this.command());
    return out;
  }

  /** Bytes that arrived and were not read. */
  get pending(): Buffer {
    return this.buf;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * What a server replicates while `run` writes to it, read as a replica would: FLUSHALL, no PINGs
 * in the stream (as the Tcl suite's attach_to_replication_stream), the full copy skipped, then
 * the commands up to the `SET end-marker` sent after `run` (left out).
 */
export async function replicatedWhile(port: number, run: (c: RawConnection) => Promise<unknown>): Promise<string[][]> {
  const c = await RawConnection.connect(port);
  await c.call('FLUSHALL');
  await c.call('CONFIG', 'SET', 'repl-ping-replica-period', '3600');
  const reader = await SyncReader.open(port);
  await reader.rdb();
  try {
    await run(c);
    await c.call('SET', 'end-marker', '1');
    const got: string[][] = [];
    for (;;) {
      const cmd = await reader.command();
      if (cmd[0] === 'set' && cmd[1] === 'end-marker') return got;
      got.push(cmd);
    }
  } finally {
    reader.close();
    c.close();
  }
}
