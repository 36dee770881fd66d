#!/usr/bin/env node
// Runs Redis's own Tcl test suite (7.0.15, the version corral answers as) in external mode against
// a fresh redis-server 7.0.15 and a fresh corral node, unit by unit, and compares the results.
//
// Usage: npm run test:redis-suite [-- options]      (builds first)
//        node scripts/redis-suite.mjs [options]      (uses dist/ as it is)
//
//   --units a,b,...       units to run (default: the list below), e.g. --units type/incr,scan
//   --servers both|corral|redis      (default both; one server alone is compared with nothing)
//   --unit-timeout S      hard time limit of one unit on one server, in seconds (default 300)
//   --hang-timeout S      the suite's own --timeout (seconds without a test starting or ending)
//                         for redis-server and when corral runs alone (default 120); corral gets
//                         max(60, 5 x the longest test of the unit on redis-server), at most this
//   --no-save             do not write bench/results/redis-suite-*.json / redis-suite-latest.md
//   --no-retry            do not re-run a unit whose corral run has unexpected failures
//   --update-expected     rewrite scripts/redis-suite-expected-failures.txt from this run
//                         (a reason already written is kept while the test fails the same way,
//                         failing or never reached; other entries get a guessed reason)
//   --prepare             only fetch and unpack the suite (and install tclsh), then exit
//   --reference FILE.json take redis-server's results from FILE (a saved run) instead of running
//                         redis-server again: only corral runs (about half the time)
//   --from FILE.json      run nothing: compare the results saved in FILE (a
//                         bench/results/redis-suite-*.json) with the allow-list again, rewrite
//                         redis-suite-latest.md (unless --no-save), and --update-expected if given
//   -- ARGS               passed on to tests/test_helper.tcl (e.g. -- --tags -needs:repl)
//
// The suite comes from Debian's `redis` source package (bookworm ships 7.0.15): the upstream
// .orig tarball is fetched with `apt-get source --download-only redis`, checked against its
// SHA-256 and unpacked under .cache/redis-suite/ (git-ignored). Debian's own patches only add
// regression tests for security fixes and are not applied. One line of the harness is changed:
// the `r function flush` that external mode sends before each server block is wrapped in
// `catch`, since a server without FUNCTION would otherwise abort every unit at its first line.
// When deb-src entries or tclsh are missing and we are root, they are set up (apt-get);
// otherwise the commands to run are printed.
//
// Each unit runs in its own tclsh (`--single unit/X --clients 1 --durable`) with a time limit,
// against a server started for that unit only. Exit code: 0 when every test that passes on
// redis-server also passes on corral, except those listed in
// scripts/redis-suite-expected-failures.txt (`unit: test name  # reason`); 1 otherwise; 2 when
// the suite could not be run at all.

// Its parts live in scripts/redis-suite/: common.mjs (version, paths, die/run), prepare.mjs
// (getting the suite), unit-run.mjs (one unit on one server), compare.mjs (comparison and
// allow-list), report.mjs (text table, Markdown summary).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  CACHE, CORRAL_MAIN, EXPECTED_FILE, LOG_DIR, ORIG_SHA256, ORIG_TARBALL, REDIS_VERSION, RESULTS_DIR, ROOT,
  SUITE_DIR, die, run,
} from './redis-suite/common.mjs';
import {
  GENERATED_REASON, corralOnlyPasses, counts, guessReason, readExpected, regressions,
} from './redis-suite/compare.mjs';
import { ensureCommand, ensureSuite } from './redis-suite/prepare.mjs';
import { gitInfo, lpad, markdown, pad, tableRows, textTable } from './redis-suite/report.mjs';
import { runUnit } from './redis-suite/unit-run.mjs';

const DEFAULT_UNITS = [
  'type/incr', 'type/string', 'expire', 'keyspace', 'type/hash', 'type/list', 'type/list-2',
  'type/list-3', 'type/set', 'type/zset', 'multi', 'protocol', 'info-command', 'quit', 'scan',
  'dump', 'bitops', 'bitfield', 'hyperloglog', 'pubsub', 'tracking', 'scripting', 'functions',
  'geo', 'type/stream', 'type/stream-cgroups', 'latency-monitor',
];

// ---- options ----------------------------------------------------------------------------------
function parseArgs(argv) {
  const o = {
    units: DEFAULT_UNITS, servers: ['redis', 'corral'], unitTimeout: 300, hangTimeout: 120,
    save: true, retry: true, updateExpected: false, prepareOnly: false, from: null, reference: null, extra: [],
    unitsGiven: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--') { o.extra = argv.slice(i + 1); break; }
    else if (a === '--units') {
      o.units = val().split(',').map((s) => s.trim().replace(/^unit\//, '')).filter(Boolean);
      o.unitsGiven = true;
    }
    else if (a === '--servers') {
      const v = val();
      o.servers = v === 'both' ? ['redis', 'corral'] : v.split(',');
      if (!o.servers.every((s) => s === 'redis' || s === 'corral')) die(`--servers: ${v}`);
    } else if (a === '--unit-timeout') o.unitTimeout = Number(val());
    else if (a === '--hang-timeout') o.hangTimeout = Number(val());
    else if (a === '--from') o.from = val();
    else if (a === '--reference') o.reference = val();
    else if (a === '--no-save') o.save = false;
    else if (a === '--no-retry') o.retry = false;
    else if (a === '--update-expected') o.updateExpected = true;
    else if (a === '--prepare') o.prepareOnly = true;
    else if (a === '-h' || a === '--help') {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 40)
        .filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
      process.exit(0);
    } else die(`unknown option ${a} (try --help)`);
  }
  if (!(o.unitTimeout > 0)) die('--unit-timeout must be a positive number of seconds');
  if (!(o.hangTimeout > 0)) die('--hang-timeout must be a positive number of seconds');
  return o;
}

// ---- main -------------------------------------------------------------------------------------
async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.from) return fromSaved(opts);
  fs.mkdirSync(CACHE, { recursive: true });
  ensureSuite();
  if (opts.prepareOnly) return 0;
  for (const u of opts.units) {
    if (!fs.existsSync(path.join(SUITE_DIR, 'tests', 'unit', `${u}.tcl`))) die(`no such unit: unit/${u}`);
  }
  if (opts.servers.includes('corral') && !fs.existsSync(CORRAL_MAIN)) die(`${path.relative(ROOT, CORRAL_MAIN)} is missing: build first (npx tsc -p .)`);
  if (opts.servers.includes('redis')) {
    ensureCommand('redis-server', 'redis-server');
    const v = run('redis-server', ['--version']);
    if (!v.ok) die(`redis-server --version failed:\n${v.out}`);
    if (!v.out.includes(`v=${REDIS_VERSION}`)) console.warn(`redis-suite: warning: ${v.out.trim()} is not ${REDIS_VERSION}`);
  }

  const started = Date.now();
  const results = { redis: {}, corral: {} };
  let toRun = opts.servers;
  if (opts.reference) {
    const ref = JSON.parse(fs.readFileSync(opts.reference, 'utf8'));
    const missing = opts.units.filter((u) => !ref.results?.redis?.[u]);
    if (missing.length) die(`${opts.reference} has no redis-server results for ${missing.join(', ')}`);
    for (const u of opts.units) results.redis[u] = ref.results.redis[u];
    opts.servers = ['redis', 'corral'];
    opts.referenceInfo = { file: path.relative(ROOT, path.resolve(opts.reference)), date: ref.date };
    toRun = ['corral'];
  }
  const expected = readExpected();
  const comparisons = {};
  const compare = (unit) => {
    if (!opts.servers.includes('redis') || !opts.servers.includes('corral')) return null;
    const regs = regressions(results.redis[unit], results.corral[unit]);
    return {
      regressions: regs,
      unexpected: regs.filter((x) => !expected.has(`${unit}: ${x.name.trim()}`)),
      corralOnly: corralOnlyPasses(results.redis[unit], results.corral[unit]),
    };
  };
  console.log(`redis-suite: ${opts.units.length} units on ${toRun.join(' and ')}${opts.referenceInfo ? ` (redis-server's results from ${opts.referenceInfo.file})` : ''}; logs in ${path.relative(ROOT, LOG_DIR)}/`);
  for (const unit of opts.units) {
    for (const kind of toRun) {
      const res = await runUnit(kind, unit, opts, hangTimeoutFor(kind, results.redis[unit], opts));
      results[kind][unit] = res;
      const c = counts(res);
      console.log(`  ${pad(unit, 14)} ${pad(kind, 7)} ${pad(`${c.passed} ok, ${c.failed} err, ${c.skipped} skip`, 28)} ${lpad(res.seconds.toFixed(1), 6)} s  ${res.outcome}`);
    }
    let cmp = compare(unit);
    if (cmp && cmp.unexpected.length && opts.retry) {
      // Timing-sensitive tests can fail on a loaded machine: a second run must fail them too.
      console.log(`  ${pad(unit, 14)} corral  ${cmp.unexpected.length} unexpected failure(s); running the unit again`);
      const again = await runUnit('corral', unit, opts, hangTimeoutFor('corral', results.redis[unit], opts));
      const first = results.corral[unit];
      const passedAgain = new Set(again.tests.filter((t) => t.status === 'ok').map((t) => t.name));
      const flaky = cmp.unexpected.filter((x) => passedAgain.has(x.name)).map((x) => x.name);
      if (flaky.length) {
        // Count a test as passed if it passed in either run.
        first.tests = first.tests.map((t) => (t.status === 'err' && flaky.includes(t.name) ? { name: t.name, status: 'ok', flaky: true } : t));
        for (const n of flaky) if (!first.tests.some((t) => t.name === n)) first.tests.push({ name: n, status: 'ok', flaky: true });
        first.flaky = flaky;
      }
      first.retrySeconds = again.seconds;
      cmp = compare(unit);
      console.log(`  ${pad(unit, 14)} corral  after the second run: ${cmp.unexpected.length} unexpected failure(s)${flaky.length ? `; passed the second time: ${flaky.join('; ')}` : ''}`);
    }
    if (cmp) comparisons[unit] = cmp;
  }
  const totalSeconds = Math.round((Date.now() - started) / 1000);
  return finish(opts, results, comparisons, expected, totalSeconds);
}

/** The suite's --timeout for a unit: corral gets 5 times the longest test redis-server ran in it
 * (at least 60 s: protocol.tcl's desync tests wait 30 s by design), so a test that hangs on
 * corral (waiting for a reply a missing feature never sends) stops the unit early. */
function hangTimeoutFor(kind, redisU, opts) {
  if (kind !== 'corral' || !redisU || redisU.outcome !== 'completed') return opts.hangTimeout;
  const longest = Math.max(0, ...redisU.tests.map((t) => t.ms ?? 0)) / 1000;
  return Math.min(opts.hangTimeout, Math.max(60, Math.ceil(5 * longest)));
}

function fromSaved(opts) {
  const saved = JSON.parse(fs.readFileSync(opts.from, 'utf8'));
  const units = opts.unitsGiven ? opts.units : saved.units;
  const servers = saved.servers;
  const o = { ...opts, units, servers, unitTimeout: saved.unitTimeout, extra: saved.extraArgs ?? [], saved };
  const expected = readExpected();
  const comparisons = {};
  if (servers.length === 2) {
    for (const unit of units) {
      const regs = regressions(saved.results.redis[unit], saved.results.corral[unit]);
      comparisons[unit] = {
        regressions: regs,
        unexpected: regs.filter((x) => !expected.has(`${unit}: ${x.name.trim()}`)),
        corralOnly: corralOnlyPasses(saved.results.redis[unit], saved.results.corral[unit]),
      };
    }
  }
  console.log(`redis-suite: results of ${saved.date} from ${opts.from}`);
  return finish(o, saved.results, comparisons, expected, saved.totalSeconds);
}

function finish(opts, results, comparisons, expected, totalSeconds) {
  const rows = tableRows(results, opts.units);
  console.log('');
  const { text, tot } = textTable(rows, comparisons);
  console.log(text);
  console.log('');

  const both = opts.servers.length === 2;
  const unexpected = Object.entries(comparisons).flatMap(([u, c]) => c.unexpected.map((x) => ({ unit: u, ...x })));
  if (both) {
    if (unexpected.length) {
      console.log(`Tests that pass on redis-server but fail on corral and are not in ${path.relative(ROOT, EXPECTED_FILE)}:`);
      for (const x of unexpected) console.log(`  ${x.unit}: ${x.name}  [${x.corral}] ${x.message ?? ''}`);
      console.log('');
    }
    const stale = [...expected.keys()].filter((k) => {
      const [u, ...rest] = k.split(': ');
      const name = rest.join(': ');
      if (!opts.units.includes(u) || !results.corral[u]) return false;
      return !(comparisons[u]?.regressions ?? []).some((x) => x.name.trim() === name);
    });
    if (stale.length) {
      console.log(`${stale.length} allow-listed test(s) no longer fail on corral (or no longer pass on redis-server); remove them from the list:`);
      for (const k of stale) console.log(`  ${k}`);
      console.log('');
    }
  }

  const report = {
    suite: `redis ${REDIS_VERSION} tests (Debian ${ORIG_TARBALL}, sha256 ${ORIG_SHA256})`,
    date: opts.saved?.date ?? new Date().toISOString(), host: opts.saved?.host ?? os.hostname(),
    cpus: opts.saved?.cpus ?? os.cpus().length, node: opts.saved?.node ?? process.version,
    unitTimeout: opts.unitTimeout, hangTimeout: opts.saved?.hangTimeout ?? opts.hangTimeout, extraArgs: opts.extra,
    totalSeconds, servers: opts.servers, units: opts.units,
    reference: opts.referenceInfo ?? opts.saved?.reference, git: opts.saved?.git ?? gitInfo(),
    results, comparisons,
  };
  if (opts.save) {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const written = [];
    if (!opts.saved) {
      const ts = report.date.replace(/[:.]/g, '-');
      const jf = path.join(RESULTS_DIR, `redis-suite-${ts}.json`);
      fs.writeFileSync(jf, `${JSON.stringify(report)}\n`);
      written.push(path.relative(ROOT, jf));
    }
    if (both) {
      fs.writeFileSync(path.join(RESULTS_DIR, 'redis-suite-latest.md'), `${markdown(report, rows, comparisons, expected, results, opts)}\n`);
      written.push('bench/results/redis-suite-latest.md');
    }
    if (written.length) console.log(`redis-suite: wrote ${written.join(' and ')}`);
  }

  if (opts.updateExpected && both) {
    const lines = [
      `# Tests of Redis ${REDIS_VERSION}'s suite (npm run test:redis-suite) that pass on redis-server but are`,
      '# known to fail on corral, one a line: `unit: test name  # reason` (the name as the suite prints it).',
      '# The run fails on any other test that passes on redis-server and fails, or is never reached, on',
      '# corral. A line needs a reason: a command or behaviour corral lacks, or an earlier test whose',
      '# failure this one follows. When corral passes a listed test the run says so: remove the line.',
    ];
    for (const unit of opts.units) {
      const regs = comparisons[unit]?.regressions ?? [];
      if (!regs.length) continue;
      lines.push('');
      for (const x of regs) {
        // Keep a reason written before, unless the test went from never reached to failing or back.
        // A reason in one of guessReason's own forms gives way to a new specific guess (not
        // "differs: ..."); a reason written by hand stays.
        const old = expected.get(`${unit}: ${x.name.trim()}`);
        const guess = guessReason(x);
        let keep = old && /^not (reached|run)\b/.test(old) === (x.corral === 'not run');
        if (keep && GENERATED_REASON.some((re) => re.test(old)) && !guess.startsWith('differs: ')) keep = false;
        lines.push(`${unit}: ${x.name.trim()}  # ${keep ? old : guess}`);
      }
    }
    // Keep entries of units not run this time.
    const kept = [...expected].filter(([k]) => !opts.units.includes(k.split(': ')[0]));
    if (kept.length) { lines.push(''); for (const [k, r] of kept) lines.push(`${k}  # ${r}`); }
    fs.writeFileSync(EXPECTED_FILE, `${lines.join('\n')}\n`);
    console.log(`redis-suite: wrote ${path.relative(ROOT, EXPECTED_FILE)}`);
  }

  console.log(`redis-suite: total ${totalSeconds} s`);
  if (!both) {
    const k = opts.servers[0];
    const t = tot[k === 'redis' ? 'r' : 'c'];
    console.log(`redis-suite: ${t[0]} passed, ${t[1]} failed, ${t[2]} skipped`);
    return 0;
  }
  const badRef = opts.units.filter((u) => results.redis[u] && results.redis[u].outcome !== 'completed');
  if (badRef.length) {
    console.log(`redis-suite: the reference run is incomplete (redis-server: ${badRef.map((u) => `${u} ${results.redis[u].outcome}`).join('; ')}), so the comparison is not valid`);
  }
  const nExpected = Object.values(comparisons).reduce((n, c) => n + c.regressions.length - c.unexpected.length, 0);
  console.log(`corral passes ${tot.c[0]} tests; redis-server passes ${tot.r[0]}; of the tests redis-server passes, corral fails ${unexpected.length} unexpectedly and ${nExpected} listed in the allow-list`);
  // The closing line counts corral's tests against the allow-list: passed, failed unexpectedly,
  // and known failures (allow-listed) as skipped.
  console.log(`redis-suite: ${tot.c[0]} passed, ${unexpected.length} failed, ${nExpected} skipped`);
  return unexpected.length || badRef.length ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => die(e.stack ?? String(e)));
