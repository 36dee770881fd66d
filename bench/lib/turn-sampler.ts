// bench/lib/turn-sampler.ts — how long a corral node's event loop ran without coming back, measured
// inside the node: loaded with `--import` (NODE_OPTIONS) into the node processes of a bench's
// cluster, it runs a 2 ms interval timer and, for every gap between two of its callbacks longer
// than GAP_MS, records the gap and the main thread's CPU time in it (/proc/thread-self/schedstat,
// which counts on-CPU and run-queue time apart). A gap with as much CPU as wall time is a turn of
// the loop that ran that long; a gap spent waiting for a core is the machine's, not the node's
// (a PING probe sees both alike). At exit it writes `<CORRAL_TURN_SAMPLES>/<port>.json`.
//
// Only `corral server` processes sample (argv holds `server` and `--port`); without schedstat
// (a kernel without it) the CPU is recorded as -1.

import { openSync, readSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Gaps shorter than this are not recorded. */
const GAP_MS = 5;
const INTERVAL_MS = 2;

/** [epoch ms at the gap's end, gap ms, main-thread CPU ms in it (-1: unknown)] */
export type TurnSample = [number, number, number];

/*
 * The file stays open and is read into one small buffer (readFileSync of a /proc file, whose
 * size is unknown, allocates 64 KB a call: 32 MB/s of garbage at one read per 2 ms, enough to
 * bring on collections that the sampler would then count as the node's).
 */
let schedstat = -1;
const readBuf = Buffer.alloc(128);

function threadCpuNs(): number {
  try {
    if (schedstat < 0) schedstat = openSync('/proc/thread-self/schedstat', 'r');
    const n = readSync(schedstat, readBuf, 0, readBuf.length, 0);
    let ns = 0;
    for (let i = 0; i < n; i++) {
      const c = readBuf[i]!;
      if (c < 48 || c > 57) break;
      ns = ns * 10 + (c - 48);
    }
    return ns;
  } catch {
    return -1;
  }
}

function sample(dir: string, port: string): void {
  const out: TurnSample[] = [];
  let last = performance.now();
  let lastCpu = threadCpuNs();
  const timer = setInterval(() => {
    const now = performance.now();
    const cpu = threadCpuNs();
    const gap = now - last;
    if (gap > GAP_MS) out.push([Math.round(performance.timeOrigin + now), Math.round(gap * 10) / 10, cpu < 0 || lastCpu < 0 ? -1 : Math.round((cpu - lastCpu) / 1e5) / 10]);
    last = performance.now();
    lastCpu = threadCpuNs();
  }, INTERVAL_MS);
  timer.unref();
  process.on('exit', () => writeFileSync(path.join(dir, `${port}.json`), JSON.stringify(out)));
}

const dir = process.env.CORRAL_TURN_SAMPLES;
const portAt = process.argv.indexOf('--port');
if (dir !== undefined && dir !== '' && process.argv.includes('server') && portAt > 0) sample(dir, process.argv[portAt + 1]!);
