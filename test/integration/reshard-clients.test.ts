// Online resharding (docs/resharding.md) as off-the-shelf Redis clients see it. This file owns the
// acceptance line of issue 11 "ioredis Cluster, node-redis createCluster and redis-cli -c keep
// working through a move, with no error surfaced to the application": against `corral up
// --shards 3 --replicas 1`, CORRAL RESHARD ADD of a fourth node, then REMOVE of it, while three
// applications keep writing and reading their own keys:
//
// - node-redis's createCluster and ioredis's Cluster, both with their default options: SET of a
//   unique value then GET of it, and MSET/MGET of hash-tagged pairs;
// - redis-cli -c as a child process, fed `SET k v` / `GET k` lines on stdin, its replies read from
//   its stdout (non-tty, it follows MOVED as in a terminal and prints one reply per line).
//
// Each key has one writer, so every read must return exactly what was last written. Fails with
// every error any client got (a command that threw or answered an error, an 'error' event), every
// wrong read, and, after each plan (workload stopped), every key not holding its last value or
// placed wrong (test/support/reshard-placement.ts's placement check). The full consistency checker
// (reads racing writes, counters, TTLs, kills) is reshard.test.ts's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { keySlot } from '../../src/cluster/slot.js';
import { startCorralUp, sleep } from '../support/corral-up.js';
import { coordinatorOf, lineReader, logAround, mergeLogs, reshard, settledPlacement, stampedLog, startExtraNode, waitPlanDone } from '../support/reshard-checker.js';

/** One application: the same few calls over each client; `lane` picks one of redis-cli's processes. */
interface App {
  name: string;
  lanes: number;
  set(lane: number, key: string, value: string): Promise<unknown>;
  get(lane: number, key: string): Promise<string | null>;
  mset?(lane: number, a: string, b: string, value: string): Promise<unknown>;
  mget?(lane: number, a: string, b: string): Promise<Array<string | null>>;
  close(): Promise<void>;
}

interface Finding {
  at: number;
  key: string;
  text: string;
}

/** What an application did and saw; `may` is, per key, its last acknowledged value (+ any whose write failed since). */
class Tally {
  ops = 0;
  errors: Finding[] = [];
  wrong: Finding[] = [];
  events: string[] = [];
  readonly may = new Map<string, Set<string>>();
  readonly singles: string[][] = [];
  readonly pairs: Array<Array<[string, string]>> = [];

  constructor(readonly app: App) {
    for (let l = 0; l < app.lanes; l++) {
      this.singles.push(Array.from({ length: 200 }, (_, i) => `${app.name}:${l}:${i}`));
      this.pairs.push(app.mset === undefined ? [] : Array.from({ length: 40 }, (_, i) => [`{${app.name}:${l}:p${i}}a`, `{${app.name}:${l}:p${i}}b`]));
    }
  }

  keys(): string[] {
    return [...this.singles.flat(), ...this.pairs.flat(2)];
  }

  /** A write of `value` to `keys` and its read-back; any error or other value is a finding. */
  async writeRead(lane: number, keys: string[], value: string): Promise<void> {
    const op = keys.length === 2 ? 'MSET' : 'SET';
    const start = Date.now();
    this.ops++;
    try {
      const r = keys.length === 2 ? await this.app.mset!(lane, keys[0], keys[1], value) : await this.app.set(lane, keys[0], value);
      if (r !== 'OK') throw new Error(`answered ${JSON.stringify(r)}`);
      for (const k of keys) this.may.set(k, new Set([value]));
    } catch (err) {
      for (const k of keys) (this.may.get(k) ?? this.may.set(k, new Set()).get(k)!).add(value);
      this.errors.push({ at: start, key: keys[0], text: `${start}..${Date.now()} ${op} ${keys.join(' ')} ${value}: ${(err as Error).message}` });
      return;
    }
    await this.read(lane, keys, `read-back of ${value}`);
  }

  /** GET or MGET: each value must be one the key may hold. */
  async read(lane: number, keys: string[], what: string): Promise<void> {
    const start = Date.now();
    this.ops++;
    let values: Array<string | null>;
    try {
      values = keys.length === 2 ? await this.app.mget!(lane, keys[0], keys[1]) : [await this.app.get(lane, keys[0])];
    } catch (err) {
      this.errors.push({ at: start, key: keys[0], text: `${start}..${Date.now()} ${keys.length === 2 ? 'MGET' : 'GET'} ${keys.join(' ')} (${what}): ${(err as Error).message}` });
      return;
    }
    keys.forEach((k, i) => {
      const may = this.may.get(k) ?? new Set();
      if (values[i] === null || !may.has(values[i]!)) this.wrong.push({ at: start, key: k, text: `${start}..${Date.now()} ${k} (slot ${keySlot(k)}) = ${JSON.stringify(values[i])} at the ${what}; may be ${JSON.stringify([...may])}` });
      else this.may.set(k, new Set([values[i]!]));
    });
  }
}

/** redis-cli -c as a child process: one command line in, one reply line out (redirect notices skipped). */
class RedisCli {
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private waiting: { resolve: (line: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null;
  stderr = '';
  redirects = 0;
  /** Replies redis-cli timed at 500 ms or more. */
  slowReplies = 0;

  constructor(port: number, onUnexpected: (line: string) => void) {
    this.child = spawn('redis-cli', ['-c', '-p', String(port), '--no-raw'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => {
      this.waiting?.reject(new Error(`redis-cli exited (${code ?? signal}); stderr: ${this.stderr}`));
      resolve();
    }));
    this.child.stderr!.on('data', (d: Buffer) => void (this.stderr += d.toString()));
    this.child.stdout!.on('data', lineReader((_at, line) => {
      if (line.startsWith('-> Redirected to slot')) return void this.redirects++;
      // redis-cli's REPL prints "(0.83s)" after a reply that took 500 ms or more: not a reply.
      if (/^\(\d+\.\d+s\)$/.test(line)) return void this.slowReplies++;
      const w = this.waiting;
      if (w === null) return onUnexpected(line);
      this.waiting = null;
      clearTimeout(w.timer);
      w.resolve(line);
    }));
  }

  /** The reply: OK, a bulk string, or null; an error reply or no reply in 10 s throws. */
  async call(...args: string[]): Promise<string | null> {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new Error(`no reply in 10 s; stderr: ${this.stderr}`));
      }, 10_000);
      this.waiting = { resolve, reject, timer };
      this.child.stdin!.write(`${args.join(' ')}\n`);
    });
    if (line === '(nil)') return null;
    if (line === 'OK') return 'OK';
    const bulk = /^"(.*)"$/.exec(line);
    if (bulk !== null) return bulk[1];
    throw new Error(line.startsWith('(error) ') ? line.slice('(error) '.length) : `unexpected reply line ${JSON.stringify(line)}`);
  }

  async close(): Promise<void> {
    this.child.stdin!.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(t);
  }
}

const hasRedisCli = spawnSync('redis-cli', ['--version']).status === 0;

test('ioredis Cluster, node-redis createCluster and redis-cli -c through RESHARD ADD then REMOVE: no error, every read the last value written, every key kept', { timeout: 150_000 }, async (t) => {
  const t0 = Date.now();
  const timeline: string[] = [];
  const log = (line: string): void => void timeline.push(`+${((Date.now() - t0) / 1000).toFixed(1)}s ${line}`);
  const up = await startCorralUp(3, 1);
  const upLog = stampedLog(up.child);
  const seeds = up.ports.map((port) => ({ host: '127.0.0.1', port }));
  const tallies: Tally[] = [];
  let extra: Awaited<ReturnType<typeof startExtraNode>> | null = null;
  try {
    extra = await startExtraNode(await coordinatorOf(up));
    const x = extra;
    const ports = (): number[] => [...up.ports, x.port];
    log(`cluster up on ${up.ports.join(',')}; extra node ${x.port}`);

    const nr = createCluster({ rootNodes: seeds.map((s) => ({ url: `redis://${s.host}:${s.port}` })) });
    const io = new Cluster(seeds);
    const clis = hasRedisCli ? [0, 1].map(() => new RedisCli(up.ports[0], (line) => cliTally.errors.push({ at: Date.now(), key: '', text: `a reply line nothing waited for: ${line}` }))) : [];
    const nrTally = new Tally({
      name: 'nr',
      lanes: 4,
      set: (_l, k, v) => nr.set(k, v),
      get: (_l, k) => nr.get(k),
      mset: (_l, a, b, v) => nr.mSet([[a, v], [b, v]]),
      mget: (_l, a, b) => nr.mGet([a, b]),
      close: () => nr.close(),
    });
    const ioTally = new Tally({
      name: 'io',
      lanes: 4,
      set: (_l, k, v) => io.set(k, v),
      get: (_l, k) => io.get(k),
      mset: (_l, a, b, v) => io.mset(a, v, b, v),
      mget: (_l, a, b) => io.mget(a, b),
      close: async () => void io.disconnect(),
    });
    const cliTally = new Tally({
      name: 'cli',
      lanes: clis.length,
      set: (l, k, v) => clis[l].call('SET', k, v),
      get: (l, k) => clis[l].call('GET', k),
      close: async () => void (await Promise.all(clis.map((c) => c.close()))),
    });
    tallies.push(nrTally, ioTally, ...(hasRedisCli ? [cliTally] : []));
    nr.on('error', (e: Error) => nrTally.events.push(`${Date.now()} error event: ${e.message}`));
    io.on('error', (e: Error) => ioTally.events.push(`${Date.now()} error event: ${e.message}`));
    io.on('node error', (e: Error, node: string) => ioTally.events.push(`${Date.now()} node error event ${node}: ${e.message}`));
    await nr.connect();
    if (!hasRedisCli) t.diagnostic('redis-cli is not installed: its part is skipped');

    // Every key written once before the moves, by its own application.
    let seq = 0;
    const forLanes = (f: (tally: Tally, lane: number) => Promise<void>): Promise<void> =>
      Promise.all(tallies.flatMap((tally) => Array.from({ length: tally.app.lanes }, (_, lane) => f(tally, lane)))).then(() => {});
    await forLanes(async (tally, lane) => {
      for (const k of tally.singles[lane]) await tally.writeRead(lane, [k], `${tally.app.name}-${++seq}`);
      for (const p of tally.pairs[lane]) await tally.writeRead(lane, p, `${tally.app.name}-${++seq}`);
    });
    log(`preloaded ${tallies.reduce((n, y) => n + y.keys().length, 0)} keys`);

    const failures: string[] = [];
    const phase = async (label: string, kind: 'ADD' | 'REMOVE'): Promise<void> => {
      let stopping = false;
      const running = forLanes(async (tally, lane) => {
        const singles = tally.singles[lane];
        const pairs = tally.pairs[lane];
        while (!stopping) {
          const usePair = pairs.length > 0 && Math.random() < 0.3;
          const keys = usePair ? pairs[Math.floor(Math.random() * pairs.length)] : [singles[Math.floor(Math.random() * singles.length)]];
          await tally.writeRead(lane, keys, `${tally.app.name}-${++seq}`);
          await sleep(1);
        }
      });
      const started = Date.now();
      try {
        await sleep(300);
        const id = await reshard(ports(), kind, '127.0.0.1', x.port);
        assert.match(String(id), kind === 'ADD' ? /^add-shard-/ : /^remove-shard-/, `${kind} answered ${JSON.stringify(id)}`);
        log(`${kind} ${x.port}: plan ${String(id)}`);
        await waitPlanDone(ports, 90_000);
        await sleep(300);
      } finally {
        stopping = true;
        await running;
      }
      log(`${label}: plan done, workload stopped after ${Date.now() - started} ms`);
      for (const tally of tallies) for (let lane = 0; lane < tally.app.lanes; lane++) {
        for (const k of tally.singles[lane]) await tally.read(lane, [k], `final read after ${label}`);
        for (const p of tally.pairs[lane]) await tally.read(lane, p, `final read after ${label}`);
      }
      const placement = await settledPlacement(ports, new Set(tallies.flatMap((y) => y.keys())), 10_000);
      for (const p of placement.problems) failures.push(`${label}: placement: ${p}`);
      for (const tally of tallies) {
        const redirects = tally === cliTally ? `, ${clis.reduce((n, c) => n + c.redirects, 0)} redirects followed, ${clis.reduce((n, c) => n + c.slowReplies, 0)} replies over 500 ms` : '';
        log(`${label}: ${tally.app.name} ${tally.ops} commands${redirects}, ${tally.errors.length} errors, ${tally.wrong.length} wrong reads, ${tally.events.length} error events`);
        const found = [...tally.errors.map((e) => ({ ...e, text: `error: ${e.text}` })), ...tally.wrong.map((e) => ({ ...e, text: `wrong: ${e.text}` }))];
        for (const f of found.slice(0, 10)) failures.push(`${label}: ${tally.app.name}: ${f.text}`);
        if (found.length > 10) failures.push(`${label}: ${tally.app.name}: ... and ${found.length - 10} more`);
        for (const e of tally.events.slice(0, 5)) failures.push(`${label}: ${tally.app.name}: ${e}`);
        const nodeLog = mergeLogs(upLog(), x.output());
        for (const f of found.slice(0, 3)) log(`  node log about slot ${keySlot(f.key)} (${f.key}) around ${f.at}:\n      ${logAround(nodeLog, keySlot(f.key), f.at).slice(0, 30).join('\n      ')}`);
        tally.ops = 0;
        tally.errors = [];
        tally.wrong = [];
        tally.events = [];
      }
    };

    await phase('add', 'ADD');
    await phase('remove', 'REMOVE');
    console.log(timeline.join('\n'));
    assert.deepEqual(failures, [], 'no client saw an error or a wrong value, and every key is where it belongs');
  } catch (err) {
    const file = path.join(os.tmpdir(), `corral-reshard-clients-${Date.now()}.log`);
    writeFileSync(file, `${timeline.join('\n')}\n\n--- corral up and the extra node, by time\n${mergeLogs(upLog(), extra?.output() ?? '').join('\n')}\n`);
    (err as Error).message += `\n--- timeline\n${timeline.join('\n')}\n--- node logs in ${file}`;
    throw err;
  } finally {
    await Promise.all(tallies.map((y) => y.app.close().catch(() => {})));
    await extra?.kill();
    await up.stop();
  }
});
