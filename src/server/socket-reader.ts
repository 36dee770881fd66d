// Reads a socket straight into one shared buffer, bypassing the Readable stream machinery.
//
// Node's public `onread: { buffer, callback }` option does exactly this for sockets it creates
// from `net.connect`/`new Socket`, but net.Server builds accepted sockets without it. The option
// is stored on the socket under three internal symbols (kBuffer, kBufferCb, kBufferGen) that the
// stream's read callback checks on every read, plus `useUserBuffer` on the handle. We set the same
// fields on an accepted socket, right after it is created and before its first read arrives.
// Per read this saves a Buffer and ArrayBuffer allocation and the push/emit('data') path.
//
// If a future Node lacks those internals, `attachReader` returns false and the caller falls back
// to 'data' events: behaviour is identical, only slower.
//
// The shared buffer is overwritten by the next read of any socket: the callback must consume (or
// copy) everything before returning. All reads run on the one event-loop thread, one at a time.

import type { Socket } from 'node:net';

const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

interface HandleWithUserBuffer {
  useUserBuffer?: (buf: Uint8Array) => void;
}

interface ReaderSymbols {
  kBuffer: symbol;
  kBufferCb: symbol;
  kBufferGen: symbol;
}

/** The three symbols, found on the first socket (every socket has the same ones); null if absent. */
let symbols: ReaderSymbols | null | undefined;

function readerSymbols(socket: Socket): ReaderSymbols | null {
  if (symbols !== undefined) return symbols;
  const all = Object.getOwnPropertySymbols(socket);
  const find = (description: string): symbol | undefined => all.find((s) => s.description === description);
  const kBuffer = find('kBuffer');
  const kBufferCb = find('kBufferCb');
  const kBufferGen = find('kBufferGen');
  symbols = kBuffer === undefined || kBufferCb === undefined || kBufferGen === undefined ? null : { kBuffer, kBufferCb, kBufferGen };
  return symbols;
}

/**
 * Routes the socket's reads to `onChunk(buffer, length)`. Returns false when this Node does not
 * support it (then nothing was changed).
 */
export function attachReader(socket: Socket, onChunk: (buf: Buffer, length: number) => void): boolean {
  const handle = (socket as unknown as { _handle: HandleWithUserBuffer | null })._handle;
  if (handle === null || typeof handle.useUserBuffer !== 'function') return false;
  const found = readerSymbols(socket);
  if (found === null) return false;
  const { kBuffer, kBufferCb, kBufferGen } = found;
  const fields = socket as unknown as Record<symbol, unknown>;
  fields[kBuffer] = SHARED_READ_BUFFER;
  fields[kBufferGen] = null;
  fields[kBufferCb] = (nread: number, buf: Buffer): void => onChunk(buf, nread);
  handle.useUserBuffer(SHARED_READ_BUFFER);
  return true;
}
