// What the resharding commands and `corral cluster status` share (reshard-ops.ts, cluster-ops.ts):
// the CLI's error type, address and reply helpers, byte-rate and duration formats, and RESHARD
// STATUS's parsing and the lines that show it.

import { fieldPairs } from '../control/node-link.js';
import type { TopologyDoc } from '../cluster/topology.js';
import type { ReplyValue } from '../protocol/reply-parser.js';

/** A refusal or failure to report as `corral: <message>`, exit 1. */
export class CliError extends Error {
  readonly code = 'E_CLI';
}

export function splitAddress(addr: string): [string, number] {
  const i = addr.lastIndexOf(':');
  const port = Number(addr.slice(i + 1));
  if (i <= 0 || !/^\d+$/.test(addr.slice(i + 1)) || port < 1 || port > 65535) throw new CliError(`not host:port: ${addr}`);
  return [addr.slice(0, i), port];
}

export function errorOf(r: ReplyValue): string | null {
  return typeof r === 'object' && r !== null && 'error' in r ? (r as { error: string }).error : null;
}

/** A bulk, simple or verbatim string reply's text; an error reply throws. */
export function replyText(r: ReplyValue): string {
  const err = errorOf(r);
  if (err !== null) throw new CliError(err);
  if (typeof r === 'string') return r;
  if (typeof r === 'number') return String(r);
  if (typeof r === 'object' && r !== null && 'verbatim' in r) return (r as { verbatim: string }).verbatim;
  if (typeof r === 'object' && r !== null && 'simple' in r) return (r as { simple: string }).simple;
  return '';
}

/** A flat field/value array reply as a map; an error reply throws. */
export function replyPairs(r: ReplyValue): Map<string, string> {
  const err = errorOf(r);
  if (err !== null) throw new CliError(err);
  return fieldPairs(r);
}



// ---- rates and formatting --------------------------------------------------------------------

const UNITS: Record<string, number> = { b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/** Bytes per second from `50mb`, `512kb`, `1gb`, `1.5m`, plain bytes, `0` or `unlimited` (0). k, m, g are 1024 multiples. */
export function parseRate(text: string): number {
  const t = text.trim().toLowerCase();
  if (t === 'unlimited') return 0;
  const m = /^(\d+(?:\.\d+)?)(b|k|kb|m|mb|g|gb)?(?:\/s)?$/.exec(t);
  const v = m === null ? NaN : Math.round(Number(m[1]) * UNITS[m[2] ?? 'b']);
  if (!Number.isSafeInteger(v)) throw new CliError(`not a rate: '${text}' (bytes per second: 50mb, 512kb, 1gb, 1048576, 0 or unlimited)`);
  return v;
}

export function formatMB(bytes: number): string {
  return (bytes / 1024 ** 2).toFixed(1);
}

/** 20s, 3m05s, 1h02m; `?` for an unknown (negative) duration. */
export function formatDuration(ms: number): string {
  if (!(ms >= 0)) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** CORRAL RESHARD STATUS, parsed. */
export interface ReshardStatus {
  plan: string;
  kind: string;
  state: string;
  totalSlots: number;
  slotsLeft: number;
  batch: string;
  keysMoved: number;
  bytesMoved: number;
  elapsedMs: number;
  rate: number;
  bytesPerSec: number;
  etaMs: number;
  /** What the mover waits for (a node to register, to catch up...), or empty. */
  waiting: string;
  lastError: string;
}

export function parseReshardStatus(r: ReplyValue): ReshardStatus {
  const m = replyPairs(r);
  const num = (k: string, dflt = 0): number => {
    const v = Number(m.get(k) ?? dflt);
    return Number.isFinite(v) ? v : dflt;
  };
  return {
    plan: m.get('plan') ?? '',
    kind: m.get('kind') ?? '',
    state: m.get('state') ?? 'none',
    totalSlots: num('total_slots'),
    slotsLeft: num('slots_left'),
    batch: m.get('batch') ?? '',
    keysMoved: num('keys_moved'),
    bytesMoved: num('bytes_moved'),
    elapsedMs: num('elapsed_ms'),
    rate: num('rate'),
    bytesPerSec: num('bytes_per_sec'),
    etaMs: num('eta_ms', -1),
    waiting: m.get('waiting') ?? '',
    lastError: m.get('last_error') ?? '',
  };
}

/** `moved 123/4096 slots, 45.2 MB, 12.1 MB/s, eta 20s`, then ` (paused)` or what stalls the plan. */
export function progressLine(s: ReshardStatus): string {
  const moved = Math.max(0, s.totalSlots - s.slotsLeft);
  return `moved ${moved}/${s.totalSlots} slots, ${formatMB(s.bytesMoved)} MB, ${formatMB(s.bytesPerSec)} MB/s, eta ${formatDuration(s.etaMs)}${stateNote(s)}`;
}

/** ` (paused)`, or ` (waiting: ...)` when the mover waits on a node or a shard (not its routine steps). */
export function stateNote(s: ReshardStatus): string {
  if (s.state === 'paused') return ' (paused)';
  return /^(source|target|shard|slot|retrying)/.test(s.waiting) ? ` (waiting: ${s.waiting})` : '';
}

/** Slots each shard owns in a document, by shard id. */
export function slotCounts(doc: TopologyDoc): Map<string, number> {
  const m = new Map<string, number>(doc.shards.map((s) => [s.id, 0]));
  for (const [start, end, shard] of doc.slots) m.set(shard, (m.get(shard) ?? 0) + end - start + 1);
  return m;
}

// ---- reaching the cluster and its controller -------------------------------------------------

export function formatReshardStatus(s: ReshardStatus): string {
  if (s.plan === '') return 'no resharding plan in progress';
  const lines = [
    `plan ${s.plan}   ${s.kind}   ${s.state}`,
    progressLine(s),
    `keys moved ${s.keysMoved}   elapsed ${formatDuration(s.elapsedMs)}   rate limit ${s.rate === 0 ? 'none' : `${formatMB(s.rate)} MB/s`}`,
  ];
  if (s.batch !== '') lines.push(`in flight: ${s.batch}`);
  if (s.lastError !== '') lines.push(`last error: ${s.lastError}`);
  return lines.join('\n');
}
