import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { createSocketWriter } from './socket-writer.js';

/** A connected pair on an ephemeral port: [the server's end, the client's end]. */
async function pair(): Promise<[net.Socket, net.Socket, net.Server]> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const accepted = once(server, 'connection');
  const client = net.connect(port, '127.0.0.1');
  const [serverSide] = (await accepted) as [net.Socket];
  await once(client, 'connect');
  return [serverSide, client, server];
}

test('writes reach the peer whole and in order across writes that complete later', async () => {
  const [side, peer, server] = await pair();
  peer.pause(); // nothing is read yet: the kernel's buffers fill and writes start to complete later
  let drains = 0;
  const w = createSocketWriter(side, () => drains++);
  assert.ok(w !== null, 'this Node has the stream internals');
  // Each write is a run of one byte value; with the peer not reading, some go out later.
  const sizes = [10, 1000, 1 << 20, 7, 3 << 20, 1, 65536, 13, 2 << 20, 5];
  let sync = 0;
  let later = 0;
  let total = 0;
  sizes.forEach((n, i) => {
    if (w.write(Buffer.alloc(n, i + 1))) sync++;
    else later++;
    total += n;
  });
  assert.ok(later > 0, 'some writes were taken later (the test needs both kinds)');
  assert.ok(sync > 0, 'some writes were taken at once');
  const got: Buffer[] = [];
  let received = 0;
  peer.on('data', (b: Buffer) => {
    got.push(b);
    received += b.length;
  });
  peer.resume();
  while (received < total) await once(peer, 'data');
  // Then more writes, now taken at once again (the request objects in play were reused or new).
  const tail = [3, 300, 30000];
  for (const [i, n] of tail.entries()) w.write(Buffer.alloc(n, 100 + i));
  const want = total + tail.reduce((a, b) => a + b, 0);
  while (received < want) await once(peer, 'data');
  const all = Buffer.concat(got);
  assert.equal(all.length, want);
  let at = 0;
  const runs: Array<[number, number]> = [...sizes.map((n, i): [number, number] => [i + 1, n]), ...tail.map((n, i): [number, number] => [100 + i, n])];
  for (const [value, n] of runs) {
    const run = all.subarray(at, at + n);
    assert.ok(run.every((b) => b === value), `write of ${n} bytes of ${value} arrived whole at ${at}`);
    at += n;
  }
  assert.equal(w.pendingBytes, 0);
  assert.ok(drains >= 1, 'the writer reported the drain');
  side.destroy();
  peer.destroy();
  server.close();
});
