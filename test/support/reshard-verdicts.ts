// The pure verdicts of the resharding checker: which kill -9 puts an acknowledged write at risk
// (async replication), which kill a command was in flight at, and whether a value read from a
// register is ok, tolerated (lost to a kill) or wrong.

import type { Outcome, Register } from './reshard-history.js';
import type { KillWindow } from './reshard-kills.js';

/** How far behind its primary a replica may be at a kill -9 (async replication on one machine). */
export const LAG_ALLOWANCE_MS = 2000;

/** A write acknowledged within a kill's lag allowance by the killed primary of its slot. */
export function atRisk(kills: readonly KillWindow[], slot: number, w: { end: number; outcome: Outcome }): KillWindow | null {
  if (w.outcome !== 'ok') return null;
  for (const k of kills) if (k.slots.has(slot) && w.end >= k.at - LAG_ALLOWANCE_MS && w.end <= k.at + 200) return k;
  return null;
}

/** A command in flight on the killed primary of its slot at the kill. */
export function inFlightAtKill(kills: readonly KillWindow[], slot: number, op: { start: number; end: number }): KillWindow | null {
  for (const k of kills) if (k.slots.has(slot) && op.start <= k.at + 1000 && op.end >= k.at) return k;
  return null;
}

/**
 * A kill of the node a failed command's message names (corral's client and RawRouter name the
 * node), the command in flight at the kill: a client whose slot map is older than a move sends
 * to the slot's former owner, which would have answered MOVED had it not been killed.
 */
export function killOfNamedNode(kills: readonly KillWindow[], message: string, op: { start: number; end: number }): KillWindow | null {
  for (const k of kills) if (new RegExp(`\\b${k.port}\\b`).test(message) && op.start <= k.at + 1000 && op.end >= k.at) return k;
  return null;
}

/**
 * Whether `value` may be read from `reg` by a read over [start, end]: 'ok', 'tolerated' (an
 * older value, every newer acknowledged write before the read being at risk from a kill), or
 * what is wrong.
 */
export function judge(kills: readonly KillWindow[], reg: Register, value: string | null, start: number, end: number): { verdict: 'ok' | 'tolerated' | 'wrong'; why: string; lostAt?: number } {
  const at = value === null ? -1 : (reg.index.get(value) ?? -2);
  const show = (i: number): string => (i < 0 ? 'nothing' : `${JSON.stringify(reg.writes[i].value)} (${reg.writes[i].outcome}, [${reg.writes[i].start}, ${reg.writes[i].end}])`);
  if (at === -2) return { verdict: 'wrong', why: `${JSON.stringify(value)} was never written` };
  if (at >= 0 && reg.writes[at].start > end) return { verdict: 'wrong', why: `${show(at)} was written after the read ended at ${end}` };
  // The last write acknowledged before the read began.
  let base = -1;
  for (let i = reg.writes.length - 1; i >= 0; i--) {
    const w = reg.writes[i];
    if (w.outcome === 'ok' && w.end < start) {
      base = i;
      break;
    }
  }
  if (at >= base) return { verdict: 'ok', why: '' };
  // Older than an acknowledged write: tolerated only if each acknowledged write after it was at risk.
  const newer = reg.writes.slice(at + 1, base + 1).filter((w) => w.outcome === 'ok');
  const risks = newer.map((w) => atRisk(kills, reg.slot, w));
  const why = `${value === null ? 'nil' : show(at)}, but ${show(base)} was acknowledged before the read began at ${start}`;
  if (risks.every((r) => r !== null)) return { verdict: 'tolerated', why: `${why} (lost at ${risks[0]!.label})` };
  // When the first write that went missing was acknowledged: where to look in the logs.
  return { verdict: 'wrong', why, lostAt: newer[risks.findIndex((r) => r === null)].end };
}
