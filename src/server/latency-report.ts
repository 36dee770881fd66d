// The latency monitor's text reports: LATENCY DOCTOR (Redis 7.0's createLatencyReport, with its
// wording, for the events corral records and the advice they lead to) and LATENCY GRAPH (Redis's
// latencyCommandGenSparkeline and sparkline.c's renderer: 80 columns, 4 rows, filled).

import { readFileSync } from 'node:fs';
import type { LatencyMonitor } from './latency-monitor.js';

/** What the doctor's advice depends on beyond the monitor. */
export interface DoctorContext {
  /** slowlog-log-slower-than, microseconds (negative: the slowlog is off). */
  slowlogThresholdMicros: number;
  hz: number;
  /** Bytes of transparent huge pages the process holds (Redis's THPGetAnonHugePagesSize). */
  anonHugePages: number;
}

export const DOCTOR_DISABLED =
  "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
export const DOCTOR_NO_SPIKES =
  'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n';

/** Advice in the order Redis prints it. */
type Advice = 'slowlogEnabled' | 'slowlogTuning' | 'slowlogInspect' | 'scheduler' | 'hz' | 'largeObjects' | 'massEviction' | 'disableThp';

/** createLatencyReport. */
export function latencyDoctor(monitor: LatencyMonitor, ctx: DoctorContext): string {
  if (monitor.events.size === 0 && monitor.thresholdMs === 0) return DOCTOR_DISABLED;
  const advise = new Set<Advice>();
  let advices = 0;
  let eventnum = 0;
  let report = '';
  for (const [event, ts] of monitor.events) {
    eventnum++;
    if (eventnum === 1) report += "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
    const ls = monitor.analyze(event);
    report += `${eventnum}. ${event}: ${ls.samples} latency spikes (average ${ls.avg}ms, mean deviation ${ls.mad}ms, period ${(ls.period / ls.samples).toFixed(2)} sec). Worst all time event ${ts.max}ms.`;
    switch (event.toLowerCase()) {
      case 'command':
        if (ctx.slowlogThresholdMicros < 0) {
          advise.add('slowlogEnabled');
          advices++;
        } else if (Math.trunc(ctx.slowlogThresholdMicros / 1000) > monitor.thresholdMs) {
          advise.add('slowlogTuning');
          advices++;
        }
        advise.add('slowlogInspect');
        advise.add('largeObjects');
        advices += 2;
        break;
      case 'fast-command':
        advise.add('scheduler');
        advices++;
        break;
      case 'expire-cycle':
        advise.add('hz');
        advise.add('largeObjects');
        advices += 2;
        break;
      case 'eviction-del':
        advise.add('largeObjects');
        advices++;
        break;
      case 'eviction-cycle':
        advise.add('massEviction');
        advices++;
        break;
    }
    report += '\n';
  }
  if (ctx.anonHugePages > 0) {
    advise.add('disableThp');
    advices++;
  }
  if (eventnum === 0 && advices === 0) return report + DOCTOR_NO_SPIKES;
  if (eventnum > 0 && advices === 0) {
    return `${report}\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n`;
  }
  report += '\nI have a few advices for you:\n\n';
  const suggested = monitor.thresholdMs * 1000;
  if (advise.has('slowlogEnabled')) {
    report += `- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than ${suggested}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n`;
  }
  if (advise.has('slowlogTuning')) {
    report += `- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${suggested}'.\n`;
  }
  if (advise.has('slowlogInspect')) {
    report += '- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n';
  }
  if (advise.has('scheduler')) {
    report +=
      '- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n' +
      '  1) Lower the system load.\n' +
      '  2) Use a computer / VM just for Redis if you are running other software in the same system.\n' +
      '  3) Check if you have a "noisy neighbour" problem.\n' +
      "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
      '  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n';
  }
  if (advise.has('hz') && ctx.hz < 100) {
    report += "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n";
  }
  if (advise.has('largeObjects')) {
    report +=
      '- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n';
  }
  if (advise.has('massEviction')) {
    report +=
      "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n";
  }
  if (advise.has('disableThp')) {
    report +=
      "- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n";
  }
  return report;
}

/** AnonHugePages of this process, bytes (0 where /proc cannot tell), as Redis reads smaps. */
export function anonHugePagesBytes(): number {
  try {
    const m = /^AnonHugePages:\s+(\d+) kB/m.exec(readFileSync('/proc/self/smaps_rollup', 'latin1'));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

// ---- LATENCY GRAPH -----------------------------------------------------------------------------

const GRAPH_COLUMNS = 80;
const GRAPH_ROWS = 4;
const CHARSET_FILL = '_o#';
const LABEL_MARGIN_TOP = 1;

interface Sequence {
  values: number[];
  labels: string[];
  min: number;
  max: number;
}

/** How long ago, as Redis labels a sample: 12s, 5m, 3h, 2d. */
function elapsedLabel(elapsed: number): string {
  if (elapsed < 60) return `${elapsed}s`;
  if (elapsed < 3600) return `${Math.trunc(elapsed / 60)}m`;
  if (elapsed < 3600 * 24) return `${Math.trunc(elapsed / 3600)}h`;
  return `${Math.trunc(elapsed / (3600 * 24))}d`;
}

/** latencyCommandGenSparkeline: the header, a rule, and the samples' sparkline labelled with their age. */
export function latencyGraph(monitor: LatencyMonitor, event: string): string {
  const ts = monitor.events.get(event)!;
  const now = monitor.now();
  const seq: Sequence = { values: [], labels: [], min: 0, max: 0 };
  let min = 0;
  let max = 0;
  for (const [time, latency] of ts.samples()) {
    if (seq.values.length === 0) min = max = latency;
    else {
      if (latency > max) max = latency;
      if (latency < min) min = latency;
    }
    // sparklineSequenceAddSample (its min/max update is an if / else if, kept as is).
    if (seq.values.length === 0) seq.min = seq.max = latency;
    else if (latency < seq.min) seq.min = latency;
    else if (latency > seq.max) seq.max = latency;
    seq.values.push(latency);
    seq.labels.push(elapsedLabel(now - time));
  }
  let graph = `${event} - high ${max} ms, low ${min} ms (all time high ${ts.max} ms)\n`;
  graph += `${'-'.repeat(GRAPH_COLUMNS)}\n`;
  for (let j = 0; j < seq.values.length; j += GRAPH_COLUMNS) {
    if (j !== 0) graph += '\n';
    graph += renderRange(seq, j, Math.min(GRAPH_COLUMNS, seq.values.length - j));
  }
  return graph;
}

/** sparklineRenderRange with SPARKLINE_FILL: rows of _ o # and |, then the labels written downwards. */
function renderRange(seq: Sequence, offset: number, len: number): string {
  let relmax = seq.max - seq.min;
  if (relmax === 0) relmax = 1;
  const steps = CHARSET_FILL.length * GRAPH_ROWS;
  const hasLabels = seq.labels.length > 0;
  let out = '';
  for (let row = 0; ; row++) {
    let loop = false;
    const chars: string[] = new Array<string>(len).fill(' ');
    for (let j = 0; j < len; j++) {
      const value = seq.values[j + offset];
      const label = seq.labels[j + offset];
      let step = Math.trunc(Math.trunc((value - seq.min) * steps) / relmax);
      if (step < 0) step = 0;
      if (step >= steps) step = steps - 1;
      if (row < GRAPH_ROWS) {
        const charidx = step - (GRAPH_ROWS - row - 1) * CHARSET_FILL.length;
        loop = true;
        if (charidx >= 0 && charidx < CHARSET_FILL.length) chars[j] = CHARSET_FILL[charidx];
        else if (charidx >= CHARSET_FILL.length) chars[j] = '|';
      } else {
        if (hasLabels && row - GRAPH_ROWS < LABEL_MARGIN_TOP) {
          loop = true;
          break;
        }
        const labelChar = row - GRAPH_ROWS - LABEL_MARGIN_TOP;
        if (label.length > labelChar) {
          loop = true;
          chars[j] = label[labelChar];
        }
      }
    }
    if (!loop) break;
    out += `${chars.join('')}\n`;
  }
  return out;
}
