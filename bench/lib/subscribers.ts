// bench/lib/subscribers.ts — the subscribers of the server benchmark's PUBLISH cases: N plain
// sockets SUBSCRIBEd to one channel, reading and counting the bytes of the messages they are
// sent (parsing nothing, so the benchmark process costs little per message), closed after the
// run. Node 20 built-ins only.

import net from 'node:net';

export interface Subscribers {
  /** Bytes received by all subscribers since they subscribed. */
  readonly bytes: () => number;
  close(): void;
}

/** Opens n connections to the server, each SUBSCRIBEd to `channel`; resolves once all confirmed. */
export async function subscribe(port: number, channel: string, n: number): Promise<Subscribers> {
  const sockets: net.Socket[] = [];
  let bytes = 0;
  const confirm = `*3\r\n$9\r\nsubscribe\r\n$${channel.length}\r\n${channel}\r\n:1\r\n`;
  await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<void>((resolve, reject) => {
          const s = net.connect(port, '127.0.0.1');
          sockets.push(s);
          let head = '';
          let confirmed = false;
          s.once('error', reject);
          s.on('data', (d: Buffer) => {
            if (confirmed) {
              bytes += d.length;
              return;
            }
            head += d.toString('latin1');
            if (head.length < confirm.length) return;
            if (!head.startsWith(confirm)) return reject(new Error(`SUBSCRIBE answered ${JSON.stringify(head.slice(0, 80))}`));
            confirmed = true;
            bytes += head.length - confirm.length;
            resolve();
          });
          s.write(`*2\r\n$9\r\nSUBSCRIBE\r\n$${channel.length}\r\n${channel}\r\n`);
        }),
    ),
  );
  return {
    bytes: () => bytes,
    close: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

/**
 * Opens n RESP3 connections in CLIENT TRACKING BCAST mode (every change to any key is sent to
 * each, batched per event-loop turn); resolves once all confirmed. Counts the bytes they get.
 */
export async function trackers(port: number, n: number): Promise<Subscribers> {
  const sockets: net.Socket[] = [];
  let bytes = 0;
  await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<void>((resolve, reject) => {
          const s = net.connect(port, '127.0.0.1');
          sockets.push(s);
          let head = '';
          let ready = false;
          s.once('error', reject);
          s.on('data', (d: Buffer) => {
            if (ready) {
              bytes += d.length;
              return;
            }
            // HELLO 3's map, then +OK for CLIENT TRACKING.
            head += d.toString('latin1');
            const ok = head.indexOf('+OK\r\n');
            if (head.startsWith('-') || head.includes('\r\n-')) return reject(new Error(`tracking setup answered ${JSON.stringify(head.slice(0, 80))}`));
            if (ok < 0) return;
            ready = true;
            bytes += head.length - ok - 5;
            resolve();
          });
          s.write('*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*4\r\n$6\r\nCLIENT\r\n$8\r\nTRACKING\r\n$2\r\nON\r\n$5\r\nBCAST\r\n');
        }),
    ),
  );
  return {
    bytes: () => bytes,
    close: () => {
      for (const s of sockets) s.destroy();
    },
  };
}
