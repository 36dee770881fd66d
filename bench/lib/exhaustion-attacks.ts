// bench/lib/exhaustion-attacks.ts — the resource-exhaustion attacks of issue 15, each an Attack
// for bench/lib/exhaustion-run.ts's runAttack, sized by AttackSizes (the system test runs them
// CI-sized, bench/exhaustion-bench.ts at full size):
//
//   idle-connections  N connections opened and left idle, then each must answer PING
//   slowloris         N connections each dribbling `SET slow:<i> v<i>` one byte per tick
//   flood-no-read     one client pipelining GETs of a 1 MB value and never reading: the server
//                     must close it at client-output-buffer-limit (set to the same value on both)
//   multi-queue       MULTI, N queued SETs, EXEC
//   wide-command      one SADD with N members (N + 2 arguments)
//   del-big-set       DEL of an N-member set; unlink-big-set: UNLINK of one
//   keys-all          KEYS * over N keys (loaded by DEBUG POPULATE)
//   declared-sizes    N connections each declaring a 1,048,576-argument command and a 512 MB
//                     argument, sending 1 KB of it, then going idle (nothing may be reserved
//                     from a declared count or length)
//
// Each attack checks its own result (replies, keys written, connections served) and reports it
// in `detail`; callers assert on detail, never on a time.

import { RespConn } from './resp.js';
import { sleep } from './procs.js';
import { RawConn, cmd, encode, rssMb, type Attack, type AttackOutcome, type Target } from './exhaustion-run.js';

export interface AttackSizes {
  idleConnections: number;
  slowlorisConnections: number;
  /** Pause between two bytes of each slowloris connection. */
  slowlorisByteMs: number;
  floodValueBytes: number;
  /** client-output-buffer-limit normal hard limit set for the flood (bytes). */
  floodLimitBytes: number;
  multiCommands: number;
  wideArguments: number;
  bigSetMembers: number;
  keysKeys: number;
  declaredConnections: number;
}

export const CI_SIZES: AttackSizes = {
  idleConnections: 10_000,
  slowlorisConnections: 500,
  slowlorisByteMs: 20,
  floodValueBytes: 1 << 20,
  floodLimitBytes: 64 << 20,
  multiCommands: 1_000_000,
  wideArguments: 1_000_000,
  bigSetMembers: 1_000_000,
  keysKeys: 200_000,
  declaredConnections: 1_000,
};

export const FULL_SIZES: AttackSizes = {
  idleConnections: 10_000,
  slowlorisConnections: 1_000,
  slowlorisByteMs: 1_000,
  floodValueBytes: 1 << 20,
  floodLimitBytes: 256 << 20,
  multiCommands: 1_000_000,
  wideArguments: 1_000_000,
  bigSetMembers: 10_000_000,
  keysKeys: 10_000_000,
  declaredConnections: 1_000,
};

/** Opens n connections, 250 at a time; a refused or failed connection is counted, not thrown. */
async function openMany(port: number, n: number): Promise<{ conns: RawConn[]; failed: number }> {
  const conns: RawConn[] = [];
  let failed = 0;
  for (let i = 0; i < n; i += 250) {
    const batch = await Promise.all(Array.from({ length: Math.min(250, n - i) }, () => RawConn.open(port).catch(() => null)));
    for (const c of batch) if (c === null) failed++;
    else conns.push(c);
  }
  return { conns, failed };
}

/** PING sentinel on every connection, 1,000 at a time; how many answered. */
async function syncAll(conns: RawConn[], before: (i: number) => string | null = () => null): Promise<number> {
  let answered = 0;
  for (let i = 0; i < conns.length; i += 1000) {
    const rs = await Promise.all(conns.slice(i, i + 1000).map((c, j) => c.sync(before(i + j), 120_000)));
    answered += rs.filter(Boolean).length;
  }
  return answered;
}

export function idleConnections(n: number): Attack {
  return {
    name: 'idle-connections',
    describe: `${n.toLocaleString('en-US')} idle connections, then PING on each`,
    flags: ['--maxclients', String(n + 200)],
    async run(t) {
      const before = rssMb(t.pid);
      const { conns, failed } = await openMany(t.port, n);
      await sleep(1000);
      const withConns = rssMb(t.pid);
      const answered = await syncAll(conns);
      const disconnected = conns.filter((c) => c.closedByServer).length;
      for (const c of conns) c.close();
      return {
        attackerDisconnected: disconnected > 0,
        detail: {
          opened: conns.length,
          failedToOpen: failed,
          answered,
          disconnected,
          rssWithConnsMb: Math.round(withConns),
          rssPerConnKb: Math.round((((withConns - before) * 1024) / Math.max(1, conns.length)) * 10) / 10,
        },
      };
    },
  };
}

export function slowloris(n: number, byteMs: number): Attack {
  return {
    name: 'slowloris',
    describe: `${n.toLocaleString('en-US')} connections each sending SET one byte every ${byteMs} ms`,
    flags: ['--maxclients', String(n + 200)],
    async run(t) {
      const { conns, failed } = await openMany(t.port, n);
      const payloads = conns.map((_, i) => encode(['SET', `slow:${i}`, `v${i}`]));
      const longest = Math.max(...payloads.map((p) => p.length));
      for (let b = 0; b < longest; b++) {
        for (let i = 0; i < conns.length; i++) if (b < payloads[i]!.length && !conns[i]!.closed) conns[i]!.sock.write(payloads[i]![b]!);
        await sleep(byteMs);
      }
      const answered = await syncAll(conns);
      const ok = conns.filter((c) => c.head.startsWith('+OK\r\n')).length;
      const disconnected = conns.filter((c) => c.closedByServer).length;
      for (const c of conns) c.close();
      let verified = 0;
      const probe = await RespConn.connect(t.port);
      for (let i = 0; i < conns.length; i += Math.max(1, Math.floor(conns.length / 50))) {
        if ((await probe.command('GET', `slow:${i}`)) === `v${i}`) verified++;
        else verified = -1e9;
      }
      probe.close();
      return {
        attackerDisconnected: disconnected > 0,
        detail: { opened: conns.length, failedToOpen: failed, bytesEach: longest, answered, repliedOk: ok, sampledKeysCorrect: verified >= 0, disconnected },
      };
    },
  };
}

export function floodNoRead(valueBytes: number, limitBytes: number): Attack {
  return {
    name: 'flood-no-read',
    describe: `GET of a ${Math.round(valueBytes / 1024)} KB value pipelined without reading (output limit ${limitBytes >> 20} MB)`,
    async prepare(t) {
      await cmd(t.port, 'CONFIG', 'SET', 'client-output-buffer-limit', `normal ${limitBytes} 0 0`);
      await cmd(t.port, 'SET', 'flood:value', 'x'.repeat(valueBytes));
    },
    async run(t) {
      const c = await RawConn.open(t.port, false);
      const chunk = encode(['GET', 'flood:value']).repeat(256);
      // Ask for 8x the limit's worth of replies, then keep poking (a write to a reset connection fails).
      const cap = Math.ceil((8 * limitBytes) / valueBytes);
      let sent = 0;
      const deadline = Date.now() + 30_000;
      while (!c.closed && Date.now() < deadline) {
        const wrote = sent < cap ? chunk : encode(['PING']);
        const ok = await Promise.race([c.write(wrote), sleep(100).then(() => 'blocked' as const)]);
        if (ok === true && sent < cap) sent += 256;
        if (ok !== true || sent >= cap) await sleep(100);
      }
      const disconnected = c.closedByServer;
      c.close();
      return { attackerDisconnected: disconnected, detail: { getsSent: sent, repliesAsked: `${Math.round((sent * valueBytes) / 1048576)} MB`, closedByServer: disconnected } };
    },
  };
}

export function multiQueue(n: number): Attack {
  return {
    name: 'multi-queue',
    describe: `MULTI, ${n.toLocaleString('en-US')} queued SETs, EXEC`,
    async run(t): Promise<AttackOutcome> {
      const c = await RawConn.open(t.port);
      c.watch('EXECABORT');
      await c.write(encode(['MULTI']));
      let last999 = -1;
      for (let i = 0; i < n; i += 10_000) {
        let s = '';
        for (let j = i; j < Math.min(n, i + 10_000); j++) {
          s += encode(['SET', `multi:${j % 1000}`, j]);
          if (j % 1000 === 999) last999 = j;
        }
        if (!(await c.write(s))) break;
      }
      const queuedRssMb = Math.round(rssMb(t.pid));
      const synced = await c.sync(encode(['EXEC']), 600_000);
      const disconnected = c.closedByServer;
      const aborted = c.saw('EXECABORT');
      const replyMb = Math.round((c.received / 1048576) * 10) / 10;
      c.close();
      const got = synced ? await cmd(t.port, 'GET', 'multi:999') : null;
      return {
        attackerDisconnected: disconnected,
        detail: { queued: n, synced, execAborted: aborted, execApplied: got === String(last999), repliesMb: replyMb, rssAfterQueueingMb: queuedRssMb },
      };
    },
  };
}

export function wideCommand(n: number): Attack {
  return {
    name: 'wide-command',
    describe: `one SADD with ${n.toLocaleString('en-US')} members`,
    async run(t) {
      const c = await RawConn.open(t.port);
      await c.write(`*${n + 2}\r\n$4\r\nSADD\r\n$4\r\nwide\r\n`);
      for (let i = 0; i < n; i += 10_000) {
        let s = '';
        for (let j = i; j < Math.min(n, i + 10_000); j++) {
          const m = `w${j}`;
          s += `$${m.length}\r\n${m}\r\n`;
        }
        if (!(await c.write(s))) break;
      }
      const synced = await c.sync(null, 300_000);
      const disconnected = c.closedByServer;
      const reply = c.head.slice(0, c.head.indexOf('\r\n'));
      c.close();
      const card = synced ? await cmd(t.port, 'SCARD', 'wide') : null;
      return { attackerDisconnected: disconnected, detail: { arguments: n + 2, synced, reply, scard: Number(card) } };
    },
  };
}

/** Loads an n-member set `big` with SADDs of 10,000 members, pipelined. */
async function loadBigSet(t: Target, n: number): Promise<void> {
  const c = await RawConn.open(t.port);
  for (let i = 0; i < n; i += 10_000) {
    const k = Math.min(n, i + 10_000) - i;
    let s = `*${k + 2}\r\n$4\r\nSADD\r\n$3\r\nbig\r\n`;
    for (let j = i; j < i + k; j++) {
      const m = `member:${j}`;
      s += `$${m.length}\r\n${m}\r\n`;
    }
    if (!(await c.write(s))) throw new Error('connection closed while loading the set');
  }
  if (!(await c.sync(null, 600_000))) throw new Error('loading the set: no sentinel');
  c.close();
  const card = Number(await cmd(t.port, 'SCARD', 'big'));
  if (card !== n) throw new Error(`SCARD big = ${card}, expected ${n}`);
}

export function bigSetFree(n: number, verb: 'DEL' | 'UNLINK'): Attack {
  return {
    name: `${verb.toLowerCase()}-big-set`,
    describe: `${verb} of a ${n.toLocaleString('en-US')}-member set`,
    prepare: (t) => loadBigSet(t, n),
    async run(t) {
      const c = await RespConn.connect(t.port);
      const t0 = performance.now();
      const rssAtDel = rssMb(t.pid);
      const reply = await c.command(verb, 'big');
      const replyMs = Math.round((performance.now() - t0) * 10) / 10;
      const exists = await c.command('EXISTS', 'big');
      c.close();
      // Is the memory given back (lazy free, a garbage collection)? Watch RSS for up to 8 s.
      let lowest = rssAtDel;
      let freedAfterMs = -1;
      while (performance.now() - t0 < 8000) {
        await sleep(200);
        lowest = Math.min(lowest, rssMb(t.pid));
        if (lowest < rssAtDel * 0.6) {
          freedAfterMs = Math.round(performance.now() - t0);
          break;
        }
      }
      return {
        attackerDisconnected: false,
        detail: { members: n, reply: Number(reply), replyMs, existsAfter: Number(exists), rssAtDelMb: Math.round(rssAtDel), rssLowestAfterMb: Math.round(lowest), freedAfterMs },
      };
    },
  };
}

export function keysAll(n: number): Attack {
  return {
    name: 'keys-all',
    describe: `KEYS * over ${n.toLocaleString('en-US')} keys`,
    async prepare(t) {
      await cmd(t.port, 'DEBUG', 'POPULATE', n, 'key', 8);
      const size = Number(await cmd(t.port, 'DBSIZE'));
      if (size !== n) throw new Error(`DBSIZE ${size} after DEBUG POPULATE ${n}`);
    },
    async run(t) {
      const c = await RawConn.open(t.port);
      const synced = await c.sync(encode(['KEYS', '*']), 600_000);
      const header = c.head.slice(0, c.head.indexOf('\r\n'));
      const disconnected = c.closedByServer;
      const replyMb = Math.round((c.received / 1048576) * 10) / 10;
      c.close();
      return { attackerDisconnected: disconnected, detail: { keys: n, synced, header, replyMb } };
    },
  };
}

export function declaredSizes(n: number): Attack {
  return {
    name: 'declared-sizes',
    describe: `${n.toLocaleString('en-US')} connections each declaring *1048576 and $536870912, then idle`,
    flags: ['--maxclients', String(n + 200)],
    async run(t) {
      const before = rssMb(t.pid);
      const { conns, failed } = await openMany(t.port, n);
      const head = `*1048576\r\n$3\r\nSET\r\n$3\r\nkey\r\n$536870912\r\n${'x'.repeat(1024)}`;
      for (const c of conns) c.sock.write(head);
      await sleep(2000);
      const withConns = rssMb(t.pid);
      const disconnected = conns.filter((c) => c.closedByServer).length;
      for (const c of conns) c.close();
      return {
        attackerDisconnected: disconnected > 0,
        detail: {
          opened: conns.length,
          failedToOpen: failed,
          disconnected,
          rssWithConnsMb: Math.round(withConns),
          rssPerConnKb: Math.round((((withConns - before) * 1024) / Math.max(1, conns.length)) * 10) / 10,
        },
      };
    },
  };
}

/** Every attack at the given sizes, in the report's order. */
export function allAttacks(s: AttackSizes): Attack[] {
  return [
    idleConnections(s.idleConnections),
    slowloris(s.slowlorisConnections, s.slowlorisByteMs),
    floodNoRead(s.floodValueBytes, s.floodLimitBytes),
    multiQueue(s.multiCommands),
    wideCommand(s.wideArguments),
    bigSetFree(s.bigSetMembers, 'DEL'),
    bigSetFree(s.bigSetMembers, 'UNLINK'),
    keysAll(s.keysKeys),
    declaredSizes(s.declaredConnections),
  ];
}

export function attackNamed(s: AttackSizes, name: string): Attack {
  const a = allAttacks(s).find((x) => x.name === name);
  if (a === undefined) throw new Error(`no attack named ${name}`);
  return a;
}
