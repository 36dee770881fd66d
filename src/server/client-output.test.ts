// Tests for ClientOutput's two ways of sending replies: deferred to the turn's end (setImmediate)
// while turns serve several connections, written as each read is processed once turns serve one,
// and back; with the bytes of each connection in order either way, and slab bytes reused only
// once the kernel took them.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyWriter } from '../protocol/reply-writer.js';
import { ClientOutput } from './client-output.js';
import type { Client } from './client.js';

const turnEnd = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A connection whose writes are recorded; `takesAll` says whether the kernel takes each at once. */
interface FakeClient {
  writes: string[];
  takesAll: boolean;
  closedByOutput: boolean;
  client: Client;
}

function fakeClient(): FakeClient {
  const f: FakeClient = { writes: [], takesAll: true, closedByOutput: false, client: null as unknown as Client };
  const directWriter = {
    pendingBytes: 0,
    write(buf: Buffer): boolean {
      f.writes.push(buf.toString('latin1'));
      return f.takesAll;
    },
  };
  f.client = {
    closed: false,
    closeAfterReply: false,
    paused: false,
    pendingWrite: null,
    flushQueued: false,
    pushes: null,
    pushBytes: 0,
    directWriter,
    socket: { pause() {}, resume() {} },
    pendingOutput: 0,
  } as unknown as Client;
  return f;
}

function setup(): { w: ReplyWriter; out: ClientOutput; reply: (f: FakeClient, text: string) => void } {
  const w = new ReplyWriter();
  const out = new ClientOutput(w, { netOutputBytes: 0 }, (c) => {
    c.closed = true;
  });
  const reply = (f: FakeClient, text: string): void => {
    w.begin();
    w.simple(text);
    out.queueReplies(f.client);
  };
  return { w, out, reply };
}

/** Runs `turns` turns that each serve one read of `f`. */
async function singleTurns(reply: (f: FakeClient, text: string) => void, f: FakeClient, turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) {
    reply(f, `T${i}`);
    await turnEnd();
  }
}

describe('client output: deferred and direct replies', () => {
  test('a reply waits for the turn to end at first, then is written at once after 8 single-connection turns', async () => {
    const { reply } = setup();
    const a = fakeClient();
    reply(a, 'first');
    assert.deepEqual(a.writes, [], 'deferred: nothing written during the turn');
    await turnEnd();
    assert.deepEqual(a.writes, ['+first\r\n']);
    await singleTurns(reply, a, 7);
    a.writes.length = 0;
    reply(a, 'now');
    assert.deepEqual(a.writes, ['+now\r\n'], 'direct: written as the read is processed');
  });

  test('turns that serve two connections keep replies deferred', async () => {
    const { reply } = setup();
    const a = fakeClient();
    const b = fakeClient();
    for (let i = 0; i < 20; i++) {
      reply(a, `a${i}`);
      reply(b, `b${i}`);
      await turnEnd();
    }
    reply(a, 'x');
    assert.deepEqual(a.writes.length, 20, 'still deferred');
    await turnEnd();
    assert.equal(a.writes.at(-1), '+x\r\n');
    assert.equal(b.writes.length, 20);
  });

  test('direct mode: a probe that sees two reads in its turn turns deferral back on', async () => {
    const { reply } = setup();
    const a = fakeClient();
    const b = fakeClient();
    await singleTurns(reply, a, 8);
    // 31 direct reads in turns of their own, then the 32nd arms the probe and b reads in its turn.
    await singleTurns(reply, a, 31);
    reply(a, 'probe');
    reply(b, 'same-turn');
    assert.equal(b.writes.length, 1, 'b was still written directly in that turn');
    await turnEnd();
    b.writes.length = 0;
    reply(b, 'after');
    assert.deepEqual(b.writes, [], 'deferred again after the probe');
    await turnEnd();
    assert.deepEqual(b.writes, ['+after\r\n']);
  });

  test('direct mode: a probe that sees one read keeps replies direct', async () => {
    const { reply } = setup();
    const a = fakeClient();
    await singleTurns(reply, a, 8 + 40);
    a.writes.length = 0;
    reply(a, 'still');
    assert.deepEqual(a.writes, ['+still\r\n']);
  });

  test('direct mode: a client with a pub/sub frame queued gets the frame first, its reply at the turn end', async () => {
    const { out, reply } = setup();
    const a = fakeClient();
    await singleTurns(reply, a, 8);
    a.writes.length = 0;
    out.deliver(a.client, Buffer.from('>frame\r\n'));
    reply(a, 'reply');
    assert.deepEqual(a.writes, ['>frame\r\n'], 'the queued frame first (as in the deferred path), the reply waits');
    await turnEnd();
    assert.deepEqual(a.writes, ['>frame\r\n', '+reply\r\n']);
  });

  test('direct mode: closeAfterWrite closes the client at the turn end, after its reply', async () => {
    const { out, reply } = setup();
    const a = fakeClient();
    await singleTurns(reply, a, 8);
    a.writes.length = 0;
    reply(a, 'bye');
    out.closeAfterWrite(a.client);
    assert.deepEqual(a.writes, ['+bye\r\n']);
    assert.equal(a.client.closed, false);
    await turnEnd();
    assert.equal(a.client.closed, true);
  });

  test('direct mode: slab bytes are reused only when the kernel took the reply', async () => {
    const { reply } = setup();
    const a = fakeClient();
    await singleTurns(reply, a, 8);
    // Taken: the next reply lands on the same bytes (the recorded strings are copies).
    a.writes.length = 0;
    const seen: Buffer[] = [];
    (a.client.directWriter as unknown as { write(b: Buffer): boolean }).write = (b: Buffer): boolean => {
      seen.push(b);
      a.writes.push(b.toString('latin1'));
      return a.takesAll;
    };
    reply(a, 'one');
    reply(a, 'two');
    assert.equal(seen[0].byteOffset, seen[1].byteOffset, 'taken at once: the same slab bytes again');
    // Not taken: the bytes stay the pending write's; the next reply goes after them.
    a.takesAll = false;
    reply(a, 'held');
    a.takesAll = true;
    reply(a, 'next');
    assert.ok(seen[3].byteOffset >= seen[2].byteOffset + seen[2].length, 'a pending write keeps its bytes');
    assert.equal(seen[2].toString('latin1'), '+held\r\n');
  });
});
