// `corral cluster hotkeys`: asks every node of a cluster (primaries and replicas, from the
// topology document of the node given with --cluster; that node alone when it is not in cluster
// mode) for CORRAL HOTKEYS, merges the answers into one table (key, node, role, ops/s: each node
// reports its own accesses, so a key read from its replicas shows on each of them), and prints it
// every --interval seconds until Ctrl-C, or once with --once. The topology is read again on each
// refresh, so a failover or a slot move shows on the next table.

import { callNode } from './node-call.js';
import { parseTopology } from '../cluster/topology.js';
import { errorOf, replyText, splitAddress } from './reshard-format.js';
import type { ReplyValue } from '../protocol/reply-parser.js';

export interface HotKeyRow {
  key: string;
  node: string;
  /** 'node' for a node outside cluster mode. */
  role: 'primary' | 'replica' | 'node';
  opsPerSec: number;
}

export interface HotKeysSnapshot {
  /** The `count` hottest (key, node) rows, highest rate first. */
  rows: HotKeyRow[];
  asked: number;
  unreachable: string[];
  epoch: number | null;
}

export interface HotKeysCliOptions {
  cluster: string;
  count?: string;
  interval?: string;
  once?: boolean;
}

interface Target {
  address: string;
  role: HotKeyRow['role'];
}

const DEFAULT_COUNT = 10;
const DEFAULT_INTERVAL_S = 2;
/** Keys wider than this are cut in the table (with "..."). */
const KEY_COLUMN_MAX = 60;

async function targetsOf(entry: string): Promise<{ targets: Target[]; epoch: number | null }> {
  const [host, port] = splitAddress(entry);
  const raw = await callNode(host, port, ['CORRAL', 'TOPOLOGY'], 2000);
  // Not in cluster mode (an error), or no topology yet (nil): this node alone.
  if (errorOf(raw) !== null || raw === null) return { targets: [{ address: entry, role: 'node' }], epoch: null };
  const doc = parseTopology(replyText(raw));
  const targets: Target[] = [];
  for (const s of doc.shards) {
    for (const id of [s.primary, ...s.replicas]) {
      const n = doc.nodes.find((x) => x.id === id);
      if (n !== undefined) targets.push({ address: `${n.host}:${n.port}`, role: id === s.primary ? 'primary' : 'replica' });
    }
  }
  return { targets, epoch: doc.epoch };
}

/** CORRAL HOTKEYS's flat key, ops/s array as rows for one node. */
export function rowsOf(reply: ReplyValue, target: Target): HotKeyRow[] {
  const err = errorOf(reply);
  if (err !== null) throw new Error(`${target.address}: ${err}`);
  if (!Array.isArray(reply)) throw new Error(`${target.address}: unexpected CORRAL HOTKEYS reply`);
  const rows: HotKeyRow[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    rows.push({ key: String(reply[i]), node: target.address, role: target.role, opsPerSec: Number(reply[i + 1]) });
  }
  return rows;
}

/** One round: every node asked at once; the merged top `count`. Throws when `entry` is unreachable. */
export async function collectHotKeys(entry: string, count: number): Promise<HotKeysSnapshot> {
  const { targets, epoch } = await targetsOf(entry);
  const unreachable: string[] = [];
  const answers = await Promise.all(
    targets.map(async (t) => {
      try {
        const [host, port] = splitAddress(t.address);
        return rowsOf(await callNode(host, port, ['CORRAL', 'HOTKEYS', 'COUNT', String(count)], 1000), t);
      } catch {
        unreachable.push(t.address);
        return [];
      }
    }),
  );
  return { rows: mergeRows(answers.flat(), count), asked: targets.length, unreachable: unreachable.sort(), epoch };
}

/** Highest rate first; ties by key, then node, so a table is stable between refreshes. */
export function mergeRows(rows: HotKeyRow[], count: number): HotKeyRow[] {
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...rows].sort((a, b) => b.opsPerSec - a.opsPerSec || cmp(a.key, b.key) || cmp(a.node, b.node)).slice(0, count);
}

/** A key's bytes (latin1 code units) for a terminal: as UTF-8 when valid, else bytes above 0x7e and control bytes as \xHH. */
export function displayKey(key: string): string {
  let text = key;
  let binary = false;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(key, 'latin1'));
  } catch {
    binary = true;
  }
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    out += code < 0x20 || code === 0x7f || (binary && code > 0x7e) ? `\\x${code.toString(16).padStart(2, '0')}` : ch;
  }
  return out.length > KEY_COLUMN_MAX ? `${out.slice(0, KEY_COLUMN_MAX - 3)}...` : out;
}

export function formatHotKeys(s: HotKeysSnapshot, at: Date = new Date()): string {
  const when = at.toISOString().replace('T', ' ').slice(0, 19);
  const head = [`hot keys   ${when} UTC   ${s.asked} node${s.asked === 1 ? '' : 's'} asked${s.epoch === null ? '' : `   topology epoch ${s.epoch}`}`];
  if (s.unreachable.length > 0) head.push(`unreachable: ${s.unreachable.join(', ')}`);
  if (s.rows.length === 0) return [...head, '(no key accessed in the last seconds)'].join('\n');
  const keys = s.rows.map((r) => displayKey(r.key));
  const ops = s.rows.map((r) => String(Math.round(r.opsPerSec)));
  const kw = Math.max(3, ...keys.map((k) => k.length));
  const nw = Math.max(4, ...s.rows.map((r) => r.node.length));
  const ow = Math.max(5, ...ops.map((o) => o.length));
  const lines = [...head, `${'KEY'.padEnd(kw)}  ${'NODE'.padEnd(nw)}  ${'ROLE'.padEnd(7)}  ${'OPS/S'.padStart(ow)}`];
  s.rows.forEach((r, i) => lines.push(`${keys[i].padEnd(kw)}  ${r.node.padEnd(nw)}  ${r.role.padEnd(7)}  ${ops[i].padStart(ow)}`));
  return lines.join('\n');
}

function positive(text: string | undefined, fallback: number, flag: string, integer: boolean): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new Error(`${flag} must be a positive ${integer ? 'integer' : 'number'}`);
  return n;
}

/** The command: exit code 0, or 1 when the entry node cannot be reached or a flag is wrong. */
export async function clusterHotKeys(opts: HotKeysCliOptions): Promise<number> {
  let count: number;
  let intervalMs: number;
  try {
    count = positive(opts.count, DEFAULT_COUNT, '--count', true);
    intervalMs = positive(opts.interval, DEFAULT_INTERVAL_S, '--interval', false) * 1000;
    splitAddress(opts.cluster);
  } catch (err) {
    console.error(`corral: ${(err as Error).message}`);
    return 1;
  }
  if (opts.once === true) {
    try {
      console.log(formatHotKeys(await collectHotKeys(opts.cluster, count)));
      return 0;
    } catch (err) {
      console.error(`corral: ${(err as Error).message}`);
      return 1;
    }
  }
  // Live: redraw every interval (clearing the screen on a terminal) until Ctrl-C.
  let stop = false;
  let wake: () => void = () => {};
  const onSignal = (): void => {
    stop = true;
    wake();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const tty = process.stdout.isTTY === true;
  try {
    while (!stop) {
      let text: string;
      try {
        text = formatHotKeys(await collectHotKeys(opts.cluster, count));
      } catch (err) {
        text = `corral: ${(err as Error).message} (retrying every ${intervalMs / 1000} s)`;
      }
      if (stop) break;
      process.stdout.write(tty ? `\x1b[H\x1b[2J${text}\n(Ctrl-C to stop)\n` : `${text}\n\n`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  return 0;
}
