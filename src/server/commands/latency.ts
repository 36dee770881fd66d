// LATENCY, as Redis 7.0's latencyCommand (latency.c): the latency monitor's events (LATEST,
// HISTORY, RESET, DOCTOR, GRAPH: server/latency-monitor.ts, latency-report.ts) and the
// per-command latency histograms (HISTOGRAM: server/latency-histogram.ts), with Redis's
// subcommands, arities, flags, help text and errors.

import type { CommandContext } from '../../commands/context.js';
import { CMD_ADMIN, CMD_LOADING, CMD_NOSCRIPT, CMD_STALE, type Command, type CommandDef } from '../../commands/table.js';
import { cumulativeDistribution, totalCount } from '../latency-histogram.js';
import { anonHugePagesBytes, latencyDoctor, latencyGraph } from '../latency-report.js';
import type { ServerApi } from '../server-api.js';
import { writeHelp } from './connection.js';
import { serverOf } from './util.js';

const A_NS_LS = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE;
const LS = CMD_LOADING | CMD_STALE;

function latestCommand(c: CommandContext): void {
  const events = serverOf(c).latency.events;
  const w = c.w;
  w.array(events.size);
  for (const [event, ts] of events) {
    const last = ts.last;
    w.array(4);
    w.bulk(event);
    w.integer(ts.times[last]);
    w.integer(ts.latencies[last]);
    w.integer(ts.max);
  }
}

function historyCommand(c: CommandContext): void {
  const ts = serverOf(c).latency.events.get(c.str(2));
  const samples = ts === undefined ? [] : ts.samples();
  c.w.array(samples.length);
  for (const [time, latency] of samples) {
    c.w.array(2);
    c.w.integer(time);
    c.w.integer(latency);
  }
}

function resetCommand(c: CommandContext): void {
  const monitor = serverOf(c).latency;
  if (c.argc === 2) {
    c.w.integer(monitor.reset());
    return;
  }
  let resets = 0;
  for (let i = 2; i < c.argc; i++) resets += monitor.reset(c.str(i));
  c.w.integer(resets);
}

function doctorCommand(c: CommandContext): void {
  const node = serverOf(c);
  c.w.verbatim(
    latencyDoctor(node.latency, {
      slowlogThresholdMicros: node.config.int('slowlog-log-slower-than'),
      hz: node.config.int('hz'),
      anonHugePages: anonHugePagesBytes(),
    }),
  );
}

function graphCommand(c: CommandContext): void {
  const monitor = serverOf(c).latency;
  const event = c.str(2);
  if (!monitor.events.has(event)) {
    c.w.error(`ERR No samples available for event '${event}'`);
    return;
  }
  c.w.verbatim(latencyGraph(monitor, event));
}

/** A command with a histogram, and its command's subcommands with one, as Redis lists them. */
function withHistograms(cmd: Command, out: Command[]): void {
  if (cmd.latencyCounts !== null) out.push(cmd);
  if (cmd.subcommands !== null) for (const sub of cmd.subcommands.values()) if (sub.latencyCounts !== null) out.push(sub);
}

/** lookupCommandBySds: "get", "client|id" (case-insensitive); undefined for anything else. */
function lookupFullName(node: ServerApi, name: string): Command | undefined {
  const parts = name.split('|');
  if (parts.length > 2) return undefined;
  const top = node.table.get(parts[0]);
  if (top === undefined || parts.length === 1) return top;
  return top.subcommands?.get(parts[1].toLowerCase());
}

/**
 * LATENCY HISTOGRAM [command ...]: per command with data, a map of calls and histogram_usec
 * (cumulative counts at power-of-two microsecond buckets). Unknown names are skipped; a
 * container command stands for its subcommands.
 */
function histogramCommand(c: CommandContext): void {
  const node = serverOf(c);
  const cmds: Command[] = [];
  if (c.argc === 2) {
    for (const cmd of node.table.all()) withHistograms(cmd, cmds);
  } else {
    for (let i = 2; i < c.argc; i++) {
      const cmd = lookupFullName(node, c.str(i));
      if (cmd !== undefined) withHistograms(cmd, cmds);
    }
  }
  const w = c.w;
  w.map(cmds.length);
  for (const cmd of cmds) {
    const counts = cmd.latencyCounts!;
    w.bulk(cmd.fullName);
    w.map(2);
    w.bulk('calls');
    w.integer(totalCount(counts));
    w.bulk('histogram_usec');
    const cdf = cumulativeDistribution(counts);
    w.map(cdf.length / 2);
    for (const n of cdf) w.integer(n);
  }
}

const LATENCY_HELP = [
  'LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return a human readable latency analysis report.',
  'GRAPH <event>',
  '    Return an ASCII latency graph for the <event> class.',
  'HISTORY <event>',
  '    Return time-latency samples for the <event> class.',
  'LATEST',
  '    Return the latest latency samples for all events.',
  'RESET [<event> ...]',
  '    Reset latency data of one or more <event> classes.',
  '    (default: reset all data for all event classes)',
  'HISTOGRAM [COMMAND ...]',
  '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
  '    If no commands are specified then all histograms are replied.',
  'HELP',
  '    Prints this help.',
];

export const latencyCommands: CommandDef[] = [
  {
    name: 'latency',
    arity: -2,
    flags: 0,
    subcommands: [
      { name: 'doctor', arity: 2, flags: A_NS_LS, handler: doctorCommand },
      { name: 'graph', arity: 3, flags: A_NS_LS, handler: graphCommand },
      { name: 'histogram', arity: -2, flags: A_NS_LS, handler: histogramCommand },
      { name: 'history', arity: 3, flags: A_NS_LS, handler: historyCommand },
      { name: 'latest', arity: 2, flags: A_NS_LS, handler: latestCommand },
      { name: 'reset', arity: -2, flags: A_NS_LS, handler: resetCommand },
      { name: 'help', arity: 2, flags: LS, handler: (c) => writeHelp(c, LATENCY_HELP) },
    ],
  },
];
