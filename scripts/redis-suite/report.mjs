// The reports of scripts/redis-suite.mjs: the text table printed at the end of a run, the
// Markdown summary bench/results/redis-suite-latest.md, the column padding they and the progress
// lines use, and the git commit a run is of.

import { REDIS_VERSION, ROOT, run } from './common.mjs';
import { counts, guessReason } from './compare.mjs';

// ---- report -----------------------------------------------------------------------------------
export function pad(s, n) { s = String(s); return s.length >= n ? s : s + ' '.repeat(n - s.length); }
export function lpad(s, n) { s = String(s); return s.length >= n ? s : ' '.repeat(n - s.length) + s; }

export function tableRows(results, units) {
  const rows = [];
  for (const unit of units) {
    const r = results.redis?.[unit];
    const c = results.corral?.[unit];
    rows.push({ unit, r: counts(r), c: counts(c), ro: outcomeLabel(r), co: outcomeLabel(c), rs: r?.seconds, cs: c?.seconds });
  }
  return rows;
}

function outcomeLabel(u) {
  if (!u) return undefined;
  if (u.outcome === 'crashed' && u.exception) {
    return `crashed: ${u.exception.replace(/^Executing test client: /, '').split('\n')[0].replace(/\.$/, '').slice(0, 100)}`;
  }
  return u.outcome;
}

function fmtCounts(x, outcome, short = false) {
  if (!x) return '-';
  const s = `${x.passed}/${x.failed}/${x.skipped}`;
  if (!outcome || outcome === 'completed') return s;
  return `${s} (${short ? outcome.replace(/ (in|after) ".*"$/, '').replace(/ ?[:(].*$/, '') : outcome})`;
}

export function textTable(rows, comparisons) {
  const lines = [];
  lines.push(`${pad('unit', 16)}${pad('redis-server ok/err/skip', 34)}${pad('corral ok/err/skip', 44)}${lpad('regress', 8)}${lpad('expected', 9)}${lpad('secs r+c', 11)}`);
  const tot = { r: [0, 0, 0], c: [0, 0, 0], reg: 0, exp: 0, rs: 0, cs: 0 };
  for (const row of rows) {
    const cmp = comparisons[row.unit] ?? { regressions: [], unexpected: [] };
    const nexp = cmp.regressions.length - cmp.unexpected.length;
    lines.push(`${pad(row.unit, 16)}${pad(fmtCounts(row.r, row.ro, true), 34)}${pad(fmtCounts(row.c, row.co, true), 44)}${lpad(cmp.regressions.length, 8)}${lpad(nexp, 9)}${lpad(`${Math.round(row.rs ?? 0)}+${Math.round(row.cs ?? 0)}`, 11)}`);
    for (const [k, x] of [['r', row.r], ['c', row.c]]) if (x) { tot[k][0] += x.passed; tot[k][1] += x.failed; tot[k][2] += x.skipped; }
    tot.reg += cmp.regressions.length; tot.exp += nexp; tot.rs += row.rs ?? 0; tot.cs += row.cs ?? 0;
  }
  lines.push(`${pad('total', 16)}${pad(tot.r.join('/'), 34)}${pad(tot.c.join('/'), 44)}${lpad(tot.reg, 8)}${lpad(tot.exp, 9)}${lpad(`${Math.round(tot.rs)}+${Math.round(tot.cs)}`, 11)}`);
  return { text: lines.join('\n'), tot };
}

export function markdown(report, rows, comparisons, expected, results, opts) {
  const L = [];
  L.push(`# Redis ${REDIS_VERSION} test suite: corral vs redis-server`);
  L.push('');
  const git = report.git ? ` of corral ${report.git.head}${report.git.dirty ? ' (with uncommitted changes)' : ''}` : '';
  const ref = report.reference ? ` (redis-server's results from the run of ${report.reference.date}, ${report.reference.file})` : '';
  L.push(`Run ${report.date}${git} on ${report.host}, ${report.cpus} CPUs; ${report.totalSeconds} s in all${ref}. `
    + '`npm run test:redis-suite` (scripts/redis-suite.mjs): each unit of tests/ from Redis '
    + `${REDIS_VERSION} (Debian's redis source package) in external mode, \`--clients 1 --durable\`, `
    + `one tclsh per unit with a ${report.unitTimeout} s limit, against a fresh redis-server ${REDIS_VERSION} `
    + '(`--save \'\' --appendonly no --enable-debug-command yes`) and a fresh corral node. '
    + 'Tests tagged external:skip or large-memory are skipped by the suite itself.'
    + (report.extraArgs.length ? ` Extra suite arguments: \`${report.extraArgs.join(' ')}\`.` : ''));
  L.push('');
  L.push('Counts are passed / failed / skipped tests (skipped: `[skip]` and `[ignore]` lines; a whole '
    + 'server block ignored for its tags counts once). "regress": tests (by name: a name run twice '
    + 'counts once) that pass on redis-server but fail or are never reached on corral; "expected": '
    + 'those of them listed in '
    + '`scripts/redis-suite-expected-failures.txt`.');
  L.push('');
  L.push('| unit | redis-server | corral | regress | expected | seconds (redis + corral) |');
  L.push('| --- | --- | --- | ---: | ---: | ---: |');
  const tot = { r: [0, 0, 0], c: [0, 0, 0], reg: 0, exp: 0, rs: 0, cs: 0 };
  for (const row of rows) {
    const cmp = comparisons[row.unit] ?? { regressions: [], unexpected: [] };
    const nexp = cmp.regressions.length - cmp.unexpected.length;
    L.push(`| ${row.unit} | ${fmtCounts(row.r, row.ro)} | ${fmtCounts(row.c, row.co)} | ${cmp.regressions.length} | ${nexp} | ${Math.round(row.rs ?? 0)} + ${Math.round(row.cs ?? 0)} |`);
    for (const [k, x] of [['r', row.r], ['c', row.c]]) if (x) { tot[k][0] += x.passed; tot[k][1] += x.failed; tot[k][2] += x.skipped; }
    tot.reg += cmp.regressions.length; tot.exp += nexp; tot.rs += row.rs ?? 0; tot.cs += row.cs ?? 0;
  }
  L.push(`| **total** | ${tot.r.join('/')} | ${tot.c.join('/')} | ${tot.reg} | ${tot.exp} | ${Math.round(tot.rs)} + ${Math.round(tot.cs)} |`);
  L.push('');
  const unexpected = Object.entries(comparisons).flatMap(([u, c]) => c.unexpected.map((x) => ({ unit: u, ...x })));
  L.push(`Unexpected failures (not in the allow-list): ${unexpected.length}.`);
  for (const x of unexpected) L.push(`- ${x.unit}: ${x.name} (${x.corral}: ${x.message ?? ''})`);
  L.push('');
  // Reasons, grouped.
  const groups = new Map();
  for (const [u, c] of Object.entries(comparisons)) {
    for (const x of c.regressions) {
      const reason = expected.get(`${u}: ${x.name.trim()}`) || guessReason(x);
      groups.set(reason, (groups.get(reason) ?? 0) + 1);
    }
  }
  L.push('Why corral fails the tests redis-server passes (reasons from the allow-list, grouped):');
  L.push('');
  L.push('| tests | reason |');
  L.push('| ---: | --- |');
  for (const [reason, n] of [...groups].sort((a, b) => b[1] - a[1])) L.push(`| ${n} | ${reason.replace(/\|/g, '\\|')} |`);
  L.push('');
  const rf = opts.units.flatMap((u) => (results.redis?.[u]?.tests ?? []).filter((t) => t.status === 'err').map((t) => ({ unit: u, ...t })));
  if (rf.length) {
    L.push(`Tests that fail on redis-server itself (not counted against corral): ${rf.length}.`);
    for (const t of rf) L.push(`- ${t.unit}: ${t.name} (${(t.message ?? '').replace(/\S*\.cache\/redis-suite\/redis-[\d.]+\//g, '').slice(0, 160)})`);
    L.push('');
  }
  const co = Object.entries(comparisons).flatMap(([u, c]) => c.corralOnly.map((n) => `${u}: ${n}`));
  if (co.length) {
    L.push(`Tests that pass on corral but fail on redis-server: ${co.length}.`);
    for (const x of co) L.push(`- ${x}`);
    L.push('');
  }
  return L.join('\n');
}

export function gitInfo() {
  const head = run('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT });
  if (!head.ok) return undefined;
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT });
  return { head: head.out.trim(), dirty: dirty.ok && dirty.out.trim().length > 0 };
}
