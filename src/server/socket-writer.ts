// Writes reply buffers straight to a socket's libuv handle, bypassing the Writable stream.
//
// `socket.write` runs the Writable state machine, validates the chunk and schedules a
// process.nextTick per write even when the kernel took every byte at once; at one write per
// request (pipeline depth 1) that is a large share of the node's CPU. This module does what
// Node's own writeGeneric does underneath (stream_base_commons.js): a WriteWrap request, then
// `handle.writeBuffer`. A write the kernel could not take at once completes later (the request
// keeps the buffer alive until then) and is reported through `onWritten`.
//
// The writer must own every write of the socket while it is open: mixing it with socket.write
// could reorder bytes. `socket.end()`/`destroy()` are still used to close (the Writable queue is
// empty then). Where the internals are missing, `createSocketWriter` returns null and the caller
// uses socket.write.

import type { Socket } from 'node:net';

interface WriteReq {
  handle: unknown;
  oncomplete: (this: WriteReq, status: number) => void;
  async: boolean;
  bytes: number;
  buffer: Buffer | null;
  owner: DirectWriter;
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array | Uint32Array;
  kLastWriteWasAsync: number;
}

interface WritableHandle {
  writeBuffer(req: WriteReq, data: Buffer): number;
  writeQueueSize?: number;
}

let binding: StreamWrapBinding | null | undefined;

function loadBinding(): StreamWrapBinding | null {
  if (binding !== undefined) return binding;
  try {
    const b = (process as unknown as { binding(name: string): unknown }).binding('stream_wrap') as Partial<StreamWrapBinding>;
    binding =
      typeof b.WriteWrap === 'function' && b.streamBaseState !== undefined && typeof b.kLastWriteWasAsync === 'number'
        ? (b as StreamWrapBinding)
        : null;
  } catch {
    binding = null;
  }
  return binding;
}

function onWriteComplete(this: WriteReq, status: number): void {
  const owner = this.owner;
  owner.pendingBytes -= this.bytes;
  this.buffer = null;
  if (status < 0) owner.fail(status);
  else owner.afterAsyncWrite();
}

export class DirectWriter {
  /** Bytes handed to writes that have not completed yet. */
  pendingBytes = 0;

  constructor(
    private readonly socket: Socket,
    private readonly handle: WritableHandle,
    private readonly b: StreamWrapBinding,
    /** Called when asynchronous writes have all completed (the socket drained). */
    private readonly onDrain: () => void,
  ) {}

  /**
   * The request object the next write uses. A write the kernel takes at once never binds its
   * request to a native write (StreamBase::Write tries uv_try_write first and returns before it
   * makes one), so that object serves the next write too; one that completes later belongs to
   * its native write until then, and the next write gets a new one.
   */
  private spare: WriteReq | null = null;

  /** Writes data; returns true when the kernel took all of it synchronously. */
  write(data: Buffer): boolean {
    let req = this.spare;
    if (req === null) {
      req = new this.b.WriteWrap();
      req.handle = this.handle;
      req.oncomplete = onWriteComplete;
      req.owner = this;
    }
    req.async = false;
    req.bytes = data.length;
    req.buffer = null;
    this.spare = null;
    const err = this.handle.writeBuffer(req, data);
    if (err !== 0) {
      this.fail(err);
      return true;
    }
    if (this.b.streamBaseState[this.b.kLastWriteWasAsync] !== 0) {
      req.async = true;
      req.buffer = data;
      this.pendingBytes += data.length;
      return false;
    }
    this.spare = req;
    return true;
  }

  afterAsyncWrite(): void {
    if (this.pendingBytes === 0) this.onDrain();
  }

  fail(status: number): void {
    this.socket.destroy(new Error(`write failed (${status})`));
  }
}

/** A direct writer for the socket, or null if this Node lacks the internals it needs. */
export function createSocketWriter(socket: Socket, onDrain: () => void): DirectWriter | null {
  const b = loadBinding();
  const handle = (socket as unknown as { _handle: WritableHandle | null })._handle;
  if (b === null || handle === null || typeof handle.writeBuffer !== 'function') return null;
  return new DirectWriter(socket, handle, b, onDrain);
}
