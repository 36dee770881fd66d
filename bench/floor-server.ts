// bench/floor-server.ts — the least a Node.js server speaking RESP can cost per request: the
// floor under corral's CPU per request (issue 16), measured in server-bench's own harness beside
// redis-server by putting this in corral's place:
//
//   CORRAL_CMD="node dist/bench/floor-server.js --port {port}" \
//     node dist/bench/server-bench.js --tests get,set --pipelines 1,16 --keyspaces 100000 --rounds 3
//
// It reads and writes exactly as the node does (src/server/socket-reader.ts: reads into one
// shared buffer, no Readable stream; socket-writer.ts: writes straight to the libuv handle; every
// connection's replies written once at the end of the turn, as client-output.ts does) and parses
// with the node's RequestParser, but keeps no data: GET answers a 3-byte value (redis-benchmark's
// default value size, so the reply is a hit's size), SET +OK, PING +PONG, INFO an empty stats section,
// anything else +OK. What corral spends above this is its command path and store; what this
// spends above redis-server is the runtime's (a callback into JavaScript per read, a write
// request object per write).

import net from 'node:net';
import { Command } from 'commander';
import { COMMAND_READY, RequestParser } from '../src/protocol/request-parser.js';
import { attachReader } from '../src/server/socket-reader.js';
import { createSocketWriter, type DirectWriter } from '../src/server/socket-writer.js';

const GET_REPLY = Buffer.from('$3\r\nxxx\r\n');
const OK = Buffer.from('+OK\r\n');
const PONG = Buffer.from('+PONG\r\n');
const INFO_TEXT = '# Stats\r\nkeyspace_hits:0\r\nkeyspace_misses:0\r\n';
const INFO_REPLY = Buffer.from(`$${INFO_TEXT.length}\r\n${INFO_TEXT}\r\n`);

interface Conn {
  readonly parser: RequestParser;
  readonly writer: DirectWriter | null;
  readonly socket: net.Socket;
  out: Buffer[];
  queued: boolean;
}

const pending: Conn[] = [];

function flush(): void {
  for (const c of pending) {
    const out = c.out.length === 1 ? c.out[0] : Buffer.concat(c.out);
    c.out = [];
    c.queued = false;
    if (c.writer !== null) c.writer.write(out);
    else c.socket.write(out);
  }
  pending.length = 0;
}

function onChunk(c: Conn, buf: Buffer, length: number): void {
  const p = c.parser;
  p.feed(buf, length);
  while (p.next() === COMMAND_READY) {
    const first = p.buf[p.start[0]] | 0x20;
    c.out.push(first === 0x67 /* get */ ? GET_REPLY : first === 0x69 /* info */ ? INFO_REPLY : first === 0x70 /* ping */ ? PONG : OK);
  }
  if (c.out.length > 0 && !c.queued) {
    c.queued = true;
    if (pending.length === 0) setImmediate(flush);
    pending.push(c);
  }
}

const opts = new Command().requiredOption('--port <n>', 'port to listen on').parse().opts<{ port: string }>();
net
  .createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    const c: Conn = {
      parser: new RequestParser({ maxBulkLength: 512 * 1024 * 1024, maxQueryBuffer: 1024 * 1024 * 1024 }),
      writer: createSocketWriter(socket, () => {}),
      socket,
      out: [],
      queued: false,
    };
    if (!attachReader(socket, (buf, length) => onChunk(c, buf, length))) socket.on('data', (chunk: Buffer) => onChunk(c, chunk, chunk.length));
  })
  .listen(Number(opts.port), '127.0.0.1');
