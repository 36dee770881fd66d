// bench/cpu-gaps.ts — how long this machine takes a running process off its CPU: N processes
// each spin on the monotonic clock for --seconds and record every gap between two consecutive
// readings over 1 ms (time the process was not running). On an idle machine with one spinner per
// core, gaps are the host's doing (a VM's vCPU descheduled or throttled), which every benchmark's
// tail latency on the machine inherits (docs/benchmarks.md, the soak).
//
//   npm run build && node dist/bench/cpu-gaps.js [--procs 2] [--seconds 30]

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface Gaps {
  count: number;
  totalMs: number;
  over10: number;
  top: number[];
}

function spin(seconds: number): Gaps {
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  let last = process.hrtime.bigint();
  const gaps: number[] = [];
  while (last < end) {
    const now = process.hrtime.bigint();
    const ms = Number(now - last) / 1e6;
    if (ms > 1) gaps.push(ms);
    last = now;
  }
  gaps.sort((a, b) => b - a);
  return { count: gaps.length, totalMs: gaps.reduce((a, b) => a + b, 0), over10: gaps.filter((g) => g > 10).length, top: gaps.slice(0, 5) };
}

if (process.argv[2] === '--spin') {
  process.send!(spin(Number(process.argv[3])));
} else {
  const { values } = parseArgs({ options: { procs: { type: 'string', default: '2' }, seconds: { type: 'string', default: '30' } } });
  const procs = Number(values.procs);
  const seconds = Number(values.seconds);
  const self = fileURLToPath(import.meta.url);
  const results = await Promise.all(
    Array.from({ length: procs }, () => new Promise<Gaps>((resolve) => fork(self, ['--spin', String(seconds)]).once('message', (m) => resolve(m as Gaps)))),
  );
  results.forEach((g, i) =>
    console.log(`spinner ${i + 1}: ${g.count} gaps over 1 ms, ${g.totalMs.toFixed(0)} ms off the CPU (${((g.totalMs / seconds / 1000) * 100).toFixed(2)}%), ${g.over10} over 10 ms, longest ${g.top.map((t) => t.toFixed(1)).join(' ')} ms`),
  );
}
