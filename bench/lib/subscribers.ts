// bench/lib/subscribers.ts — the listening connections of the server benchmark's pub/sub and
// tracking cases: N plain sockets that send a setup (SUBSCRIBE, or HELLO 3 + CLIENT TRACKING ON
// BCAST), wait for its confirmation, then only count the bytes they are sent (parsing nothing,
// so the benchmark process costs little per message), closed after the run. Node 20 built-ins only.

import net from 'node:net';

export interface Subscribers {
  /** Bytes received by all connections after their setup was confirmed. */
  readonly bytes: () => number;
  close(): void;
}

/**
 * n connections that each send `setup`; `confirmed(head)` looks at what arrived so far: the
 * offset just past the confirmation, -1 to wait for more, or an Error.
 */
async function listeners(port: number, n: number, setup: string, confirmed: (head: string) => number | Error): Promise<Subscribers> {
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
            head += d.toString('latin1');
            const end = confirmed(head);
            if (end instanceof Error) return reject(end);
            if (end < 0) return;
            ready = true;
            bytes += head.length - end;
            resolve();
          });
          s.write(setup);
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

/** Opens n connections to the server, each SUBSCRIBEd to `channel`; resolves once all confirmed. */
export function subscribe(port: number, channel: string, n: number): Promise<Subscribers> {
  const confirm = `*3\r\n$9\r\nsubscribe\r\n$${channel.length}\r\n${channel}\r\n:1\r\n`;
  return listeners(port, n, `*2\r\n$9\r\nSUBSCRIBE\r\n$${channel.length}\r\n${channel}\r\n`, (head) => {
    if (head.length < confirm.length) return -1;
    return head.startsWith(confirm) ? confirm.length : new Error(`SUBSCRIBE answered ${JSON.stringify(head.slice(0, 80))}`);
  });
}

/**
 * Opens n RESP3 connections in CLIENT TRACKING BCAST mode (every change to any key is sent to
 * each, batched per event-loop turn); resolves once all confirmed.
 */
export function trackers(port: number, n: number): Promise<Subscribers> {
  const setup = '*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*4\r\n$6\r\nCLIENT\r\n$8\r\nTRACKING\r\n$2\r\nON\r\n$5\r\nBCAST\r\n';
  // HELLO 3's map, then +OK for CLIENT TRACKING.
  return listeners(port, n, setup, (head) => {
    if (head.startsWith('-') || head.includes('\r\n-')) return new Error(`tracking setup answered ${JSON.stringify(head.slice(0, 80))}`);
    const ok = head.indexOf('+OK\r\n');
    return ok < 0 ? -1 : ok + 5;
  });
}
