// Comparing corral's results with redis-server's, for scripts/redis-suite.mjs: per-unit counts,
// the tests that pass on redis-server but not on corral (and why one was never reached), the
// allow-list scripts/redis-suite-expected-failures.txt and the guessed reasons of new entries.

import fs from 'node:fs';

import { EXPECTED_FILE } from './common.mjs';

// ---- comparison -------------------------------------------------------------------------------
export function counts(u) {
  if (!u) return null;
  const passed = u.tests.filter((t) => t.status === 'ok').length;
  return { passed, failed: u.tests.length - passed, skipped: u.skipped.length, blockErrors: u.blockErrors.length };
}

function byName(u) {
  const m = new Map();
  for (const t of u?.tests ?? []) {
    const e = m.get(t.name) ?? { ok: 0, err: 0, message: undefined };
    if (t.status === 'ok') e.ok++; else { e.err++; e.message ??= t.message; }
    m.set(t.name, e);
  }
  return m;
}

/** Tests that pass on redis-server but not on corral (failed there, or never reached). */
export function regressions(redisU, corralU) {
  const r = byName(redisU);
  const c = byName(corralU);
  const out = [];
  for (const [name, e] of r) {
    const ce = c.get(name) ?? { ok: 0, err: 0 };
    if (e.ok > ce.ok) {
      out.push({
        name,
        corral: ce.err ? 'failed' : 'not run',
        message: ce.err ? ce.message : notRunReason(name, redisU, corralU),
      });
    }
  }
  return out;
}

/** Why a test that ran on redis-server never ran on corral: the first error that aborted a
 * server block on corral after the last test both ran before it, else how the unit ended. */
function notRunReason(name, redisU, corralU) {
  if (!corralU) return 'not run';
  const corralSeq = new Map();
  for (const t of corralU.tests) if (!corralSeq.has(t.name)) corralSeq.set(t.name, t.seq ?? 0);
  let after = -1;
  for (const t of redisU.tests) {
    if (t.name === name) break;
    if (corralSeq.has(t.name)) after = Math.max(after, corralSeq.get(t.name));
  }
  const block = corralU.blockErrors.find((b) => (b.seq ?? 0) > after);
  if (block) return `server block aborted: ${block.message}`;
  if (corralU.outcome !== 'completed') return `unit ${corralU.outcome}${corralU.exception ? `: ${corralU.exception.slice(0, 200)}` : ''}`;
  return 'not run';
}

export function corralOnlyPasses(redisU, corralU) {
  const r = byName(redisU);
  const out = [];
  for (const [name, e] of byName(corralU)) if (e.ok > (r.get(name)?.ok ?? 0)) out.push(name);
  return out;
}

// ---- allow-list -------------------------------------------------------------------------------
export function readExpected() {
  const list = new Map(); // "unit: name" -> reason
  if (!fs.existsSync(EXPECTED_FILE)) return list;
  for (const raw of fs.readFileSync(EXPECTED_FILE, 'utf8').split('\n')) {
    if (!raw.trim() || raw.startsWith('#')) continue;
    // `unit: test name  # reason`; names are compared without leading/trailing blanks.
    const colon = raw.indexOf(': ');
    if (colon < 0) continue;
    const unit = raw.slice(0, colon).trim();
    let rest = raw.slice(colon + 2);
    let reason = '';
    const hash = rest.lastIndexOf('  # ');
    if (hash >= 0) { reason = rest.slice(hash + 4).trim(); rest = rest.slice(0, hash); }
    list.set(`${unit}: ${rest.trim()}`, reason);
  }
  return list;
}

/** The forms of reason guessReason writes (a reason in another form was written by hand). */
export const GENERATED_REASON = [
  /^not reached: /, /^differs: /, /^needs CONFIG SET \S+$/, /^needs DEBUG( \S+)?$/,
  /^needs [\w/ ]+ \((streams |scripting |functions )?not implemented\)$/,
  /^asserts OBJECT ENCODING \S+, corral says \S+$/, /^hangs waiting for a reply that never comes$/,
  /^needs SYNC to read the replication stream/, /^needs blocking commands /,
];

/** A short guess at why a test fails on corral, for new allow-list entries. */
export function guessReason(reg) {
  const m = (reg.message ?? '').replace(/\s+/g, ' ');
  const cfg = /for CONFIG SET - '([^']+)'/.exec(m);
  if (reg.corral === 'not run') {
    if (cfg) return `not reached: CONFIG SET ${cfg[1]} (unsupported) aborts its server block`;
    const u = /unknown command '([^']+)'/i.exec(m);
    if (u) return `not reached: ${u[1].toUpperCase()} (not implemented) aborts its server block`;
    if (/^unit hung in "(.*)"/.test(m)) return `not reached: the unit hangs earlier, in "${/^unit hung in "(.*)"/.exec(m)[1]}"`;
    return `not reached: ${m.slice(0, 160)}`;
  }
  if (/^hung:/.test(m)) return 'hangs waiting for a reply that never comes';
  if (cfg) return `needs CONFIG SET ${cfg[1]}`;
  const unknown = /unknown command '([^']+)'/i.exec(m);
  if (unknown) {
    const c = unknown[1].toUpperCase();
    if (['EVAL', 'EVALSHA', 'EVAL_RO', 'EVALSHA_RO', 'SCRIPT'].includes(c)) return 'needs EVAL (scripting not implemented)';
    if (['FUNCTION', 'FCALL', 'FCALL_RO'].includes(c)) return 'needs FUNCTION/FCALL (functions not implemented)';
    if (c === 'DEBUG') {
      const sub = /unknown command '[^']+', with args beginning with: '([^']+)'/i.exec(m);
      return `needs DEBUG${sub ? ` ${sub[1].toUpperCase()}` : ''}`;
    }
    if (['XADD', 'XGROUP', 'XREADGROUP', 'XREAD'].includes(c)) return `needs ${c} (streams not implemented)`;
    return `needs ${c} (not implemented)`;
  }
  const sub = /unknown subcommand '([^']+)'\. Try (\S+) HELP/i.exec(m);
  if (sub) return `needs ${sub[2].toUpperCase()} ${sub[1].toUpperCase()} (not implemented)`;
  if (/SYNC \(the pre-2\.8 protocol\)/.test(m)) return 'needs SYNC to read the replication stream (corral replicas use PSYNC only)';
  const dbg = /\br debug (\S+)/i.exec(m);
  if (dbg) return `needs DEBUG ${dbg[1].toUpperCase()}`;
  if (/\bdebug\b/i.test(m)) return 'needs DEBUG';
  const enc = /Expected '(\w+)' to match '(\w+)'.*assert_encoding/.exec(m);
  if (enc) return `asserts OBJECT ENCODING ${enc[2]}, corral says ${enc[1]}`;
  if (/MULTI calls can not be nested|WATCH inside MULTI/.test(m)) return 'an earlier failed test left a MULTI open';
  if (/did not closed connection after protocol desync/.test(m)) return 'no "Protocol error" and close for a 64 KB request line without CRLF';
  if (/Timeout waiting for blocked clients|no blocked clients/.test(m)) return 'needs blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN/MAX, BZMPOP): the client never blocks';
  return `differs: ${m.slice(0, 160)}`;
}
