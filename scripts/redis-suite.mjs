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

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REDIS_VERSION = '7.0.15';
const ORIG_TARBALL = `redis_${REDIS_VERSION}.orig.tar.gz`;
const ORIG_SHA256 = '4b1dc4ee6d622a09fff9c6777191209750fb5e5a725ef78ea012d6eef4c22982';
const HARNESS_PATCH_ID = 'catch-function-flush-v1';

const DEFAULT_UNITS = [
  'type/incr', 'type/string', 'expire', 'keyspace', 'type/hash', 'type/list', 'type/list-2',
  'type/list-3', 'type/set', 'type/zset', 'multi', 'protocol', 'info-command', 'quit', 'scan',
  'dump', 'bitops', 'bitfield', 'hyperloglog', 'pubsub', 'tracking', 'scripting', 'functions',
  'geo', 'type/stream', 'type/stream-cgroups', 'latency-monitor',
];

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, '.cache', 'redis-suite');
const SUITE_DIR = path.join(CACHE, `redis-${REDIS_VERSION}`);
const MARKER = path.join(SUITE_DIR, '.prepared');
const LOG_DIR = path.join(CACHE, 'logs');
const EXPECTED_FILE = path.join(ROOT, 'scripts', 'redis-suite-expected-failures.txt');
const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
const CORRAL_MAIN = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

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

function die(msg, code = 2) {
  console.error(`redis-suite: ${msg}`);
  process.exit(code);
}

// ---- getting the suite ------------------------------------------------------------------------
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return { ok: r.status === 0 && !r.error, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

function have(cmd) {
  return run('sh', ['-c', `command -v ${cmd}`]).ok;
}

let aptUpdated = false;
function aptUpdate() {
  if (aptUpdated) return;
  console.log('redis-suite: apt-get update');
  const r = run('apt-get', ['update', '-qq']);
  if (!r.ok) die(`apt-get update failed:\n${r.out}`);
  aptUpdated = true;
}

/** Installs Debian's package pkg for the missing command cmd (as root), or says how to. */
function ensureCommand(cmd, pkg) {
  if (have(cmd)) return;
  if (!isRoot || !have('apt-get')) die(`${cmd} is missing: install Debian's ${pkg} package (sudo apt-get install -y ${pkg})`);
  console.log(`redis-suite: installing ${pkg} (apt-get install -y ${pkg})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = run('apt-get', ['install', '-y', '-qq', pkg], { env });
  if (!r.ok) {
    aptUpdate();
    r = run('apt-get', ['install', '-y', '-qq', pkg], { env });
  }
  if (!r.ok || !have(cmd)) die(`could not install ${pkg}:\n${r.out}`);
}

/** deb-src twins of the Debian archive's deb entries (deb822 .sources files and one-line lists). */
function debSrcEntries() {
  const dir = '/etc/apt/sources.list.d';
  const stanzas = [];
  const lines = [];
  const files = [];
  if (fs.existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  if (fs.existsSync(dir)) for (const f of fs.readdirSync(dir).sort()) files.push(path.join(dir, f));
  let hasSrc = false;
  for (const f of files) {
    let text;
    try { text = fs.readFileSync(f, 'utf8'); } catch { continue; }
    if (f.endsWith('.sources')) {
      for (const block of text.split(/\n\s*\n/)) {
        const fields = {};
        for (const l of block.split('\n')) {
          const m = /^([A-Za-z-]+):\s*(.*)$/.exec(l);
          if (m) fields[m[1].toLowerCase()] = m[2].trim();
        }
        if (!fields.types || !/debian/.test(fields.uris ?? '')) continue;
        if (/(^|\s)deb-src(\s|$)/.test(fields.types)) { hasSrc = true; continue; }
        if (!/(^|\s)deb(\s|$)/.test(fields.types)) continue;
        stanzas.push(['Types: deb-src', `URIs: ${fields.uris}`, `Suites: ${fields.suites}`,
          `Components: ${fields.components}`,
          ...(fields['signed-by'] ? [`Signed-By: ${fields['signed-by']}`] : [])].join('\n'));
      }
    } else if (f.endsWith('.list')) {
      for (const l of text.split('\n')) {
        if (/^\s*deb-src\s.*debian/.test(l)) hasSrc = true;
        else if (/^\s*deb\s.*debian/.test(l)) lines.push(l.replace(/^\s*deb\s/, 'deb-src '));
      }
    }
  }
  return { hasSrc, stanzas, lines };
}

function ensureDebSrc() {
  const { hasSrc, stanzas, lines } = debSrcEntries();
  if (hasSrc) return false;
  if (!isRoot) {
    die('apt has no deb-src entries for Debian\'s archive, so `apt-get source redis` cannot work.\n'
      + '  Add them (as root): for each `Types: deb` stanza of /etc/apt/sources.list.d/debian.sources\n'
      + '  write the same stanza with `Types: deb-src` to /etc/apt/sources.list.d/debian-src.sources,\n'
      + '  then run apt-get update (or run this script once as root, which does it).');
  }
  if (stanzas.length === 0 && lines.length === 0) die('found no Debian deb entries in /etc/apt to derive deb-src entries from');
  if (stanzas.length) {
    const f = '/etc/apt/sources.list.d/debian-src.sources';
    console.log(`redis-suite: writing ${f}`);
    fs.writeFileSync(f, `${stanzas.join('\n\n')}\n`);
  }
  if (lines.length) {
    const f = '/etc/apt/sources.list.d/debian-src.list';
    console.log(`redis-suite: writing ${f}`);
    fs.writeFileSync(f, `${lines.join('\n')}\n`);
  }
  aptUpdated = false;
  return true;
}

function sha256(file) {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function fetchTarball() {
  const dl = path.join(CACHE, 'download');
  const tarball = path.join(dl, ORIG_TARBALL);
  if (fs.existsSync(tarball) && sha256(tarball) === ORIG_SHA256) return tarball;
  fs.mkdirSync(dl, { recursive: true });
  if (!have('apt-get')) die('apt-get is missing: this script gets the suite from Debian\'s redis source package');
  // apt drops privileges to _apt for downloads; root-owned work dirs make it warn, so let it.
  const args = ['source', '--download-only', '-o', 'APT::Sandbox::User=root', 'redis'];
  console.log('redis-suite: apt-get source --download-only redis');
  let r = run('apt-get', args, { cwd: dl });
  if (!r.ok) {
    const wrote = ensureDebSrc();
    if (isRoot) aptUpdate();
    else if (!wrote) console.error('redis-suite: apt-get source failed; if the package lists are old, run `sudo apt-get update`');
    r = run('apt-get', args, { cwd: dl });
  }
  if (!r.ok) die(`apt-get source --download-only redis failed:\n${r.out}`);
  if (!fs.existsSync(tarball)) {
    const got = fs.readdirSync(dl).filter((f) => f.endsWith('.orig.tar.gz') || f.endsWith('.orig.tar.xz'));
    die(`Debian's redis source package has no ${ORIG_TARBALL} (found: ${got.join(', ') || 'nothing'}); `
      + `this script runs the ${REDIS_VERSION} suite, from Debian bookworm`);
  }
  const sum = sha256(tarball);
  if (sum !== ORIG_SHA256) die(`${ORIG_TARBALL}: SHA-256 ${sum}, expected ${ORIG_SHA256}`);
  return tarball;
}

function ensureSuite() {
  ensureCommand('tclsh', 'tcl');
  if (fs.existsSync(MARKER) && fs.readFileSync(MARKER, 'utf8').trim() === `${ORIG_SHA256} ${HARNESS_PATCH_ID}`) return;
  const tarball = fetchTarball();
  const tmp = fs.mkdtempSync(path.join(CACHE, 'unpack-'));
  try {
    const r = run('tar', ['-xzf', tarball, '-C', tmp, `redis-${REDIS_VERSION}/tests`, `redis-${REDIS_VERSION}/README.md`, `redis-${REDIS_VERSION}/COPYING`]);
    if (!r.ok) die(`unpacking ${ORIG_TARBALL} failed:\n${r.out}`);
    const dir = path.join(tmp, `redis-${REDIS_VERSION}`);
    // The one harness change: external mode's `r function flush` must not abort every unit on a
    // server that has no FUNCTION command.
    const serverTcl = path.join(dir, 'tests', 'support', 'server.tcl');
    const src = fs.readFileSync(serverTcl, 'utf8');
    const from = '\n    r flushall\n    r function flush\n';
    if (src.split(from).length !== 2) die('tests/support/server.tcl: the `r function flush` line to patch was not found');
    fs.writeFileSync(serverTcl, src.replace(from, '\n    r flushall\n    catch {r function flush}\n'));
    fs.writeFileSync(path.join(dir, '.prepared'), `${ORIG_SHA256} ${HARNESS_PATCH_ID}\n`);
    fs.rmSync(SUITE_DIR, { recursive: true, force: true });
    fs.renameSync(dir, SUITE_DIR);
    console.log(`redis-suite: suite ready in ${path.relative(ROOT, SUITE_DIR)}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---- servers ----------------------------------------------------------------------------------
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function ping(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    const done = (v) => { s.destroy(); resolve(v); };
    s.setTimeout(1000, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => { buf += d.toString('latin1'); if (buf.includes('\r\n')) done(buf.startsWith('+PONG')); });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startServer(kind, unitLog) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `redis-suite-${kind}-`));
  const [cmd, args] = kind === 'redis'
    ? ['redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', dir, '--enable-debug-command', 'yes']]
    // The suite's tests assume Redis's default eviction policy (noeviction): with corral's own
    // (allkeys-tinylfu), a test that sets maxmemory to provoke OOM sees its keys evicted instead.
    : [process.execPath, [CORRAL_MAIN, 'server', '--port', String(port), '--maxmemory-policy', 'noeviction', '--enable-debug-command', 'yes']];
  const out = fs.openSync(unitLog, 'w');
  const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  child.on('error', (e) => { exited = { code: null, signal: null, error: e.message }; });
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (exited) break;
    if (await ping(port)) return { kind, port, child, dir, exitInfo: () => exited };
    await sleep(100);
  }
  child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
  throw new Error(`${kind} did not start on port ${port}${exited ? ` (exited: ${JSON.stringify(exited)})` : ''}; see ${unitLog}`);
}

async function stopServer(srv) {
  if (!srv.exitInfo()) {
    srv.child.kill('SIGTERM');
    for (let i = 0; i < 50 && !srv.exitInfo(); i++) await sleep(100);
    if (!srv.exitInfo()) srv.child.kill('SIGKILL');
    for (let i = 0; i < 20 && !srv.exitInfo(); i++) await sleep(50);
  }
  fs.rmSync(srv.dir, { recursive: true, force: true });
}

// ---- one unit on one server -------------------------------------------------------------------
function runTcl(port, unit, timeoutS, hangS, extra, logFile) {
  return new Promise((resolve) => {
    const args = ['tests/test_helper.tcl', '--host', '127.0.0.1', '--port', String(port),
      '--single', `unit/${unit}`, '--clients', '1', '--durable', '--dont-clean',
      '--timeout', String(hangS), ...extra];
    const started = Date.now();
    const child = spawn('tclsh', args, {
      cwd: SUITE_DIR, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TERM: 'dumb' },
    });
    const chunks = [];
    child.stdout.on('data', (d) => chunks.push(d));
    child.stderr.on('data', (d) => chunks.push(d));
    let timedOut = false;
    const killGroup = (sig) => { try { process.kill(-child.pid, sig); } catch { /* gone */ } };
    const timer = setTimeout(() => { timedOut = true; killGroup('SIGKILL'); }, timeoutS * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, timedOut: false, seconds: 0, output: `tclsh: ${e.message}\n` });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // The suite's test client is a second tclsh in the same process group: end it too.
      killGroup('SIGKILL');
      setTimeout(() => {
        const output = Buffer.concat(chunks).toString('utf8');
        fs.writeFileSync(logFile, output);
        resolve({ code, signal, timedOut, seconds: (Date.now() - started) / 1000, output });
      }, 50);
    });
  });
}

const STATUS_RE = /^\[(ok|err|skip|ignore|exception|TIMEOUT|\d+\/\d+ done)\]: ?(.*)$/;

/** Parses test_helper.tcl's output into per-test outcomes. */
function parseOutput(output) {
  const tests = []; // { name, status: ok|err, message? }
  const skipped = [];
  const blockErrors = [];
  let exception = null;
  let done = false;
  let cur = null;
  let hung = null; // after the suite's own [TIMEOUT]: { test } in progress, or { after } the last one
  let inTimeout = false;
  const clean = output.replace(/\x1b\[[0-9;]*m/g, '');
  let seq = 0;
  for (const line of clean.split('\n')) {
    const m = STATUS_RE.exec(line);
    if (!m) {
      if (inTimeout) {
        const st = /=> \((IN PROGRESS|OK|ERR)\) (.*)$/.exec(line);
        if (st) hung = st[1] === 'IN PROGRESS' ? { test: st[2] } : { after: st[2] };
      }
      if (/^\s*The End\s*$/.test(line) || /^Execution time of different units/.test(line)) cur = null;
      if (cur) cur.detail.push(line);
      continue;
    }
    cur = null;
    const [, st, rest] = m;
    if (st === 'ok') {
      const t = / \((\d+) ms\)$/.exec(rest);
      tests.push({ name: t ? rest.slice(0, t.index) : rest, status: 'ok', ms: t ? Number(t[1]) : undefined, seq: seq++ });
    }
    else if (st === 'skip' || st === 'ignore') skipped.push(rest);
    else if (st === 'err') {
      const t = /^(.*) in tests\/[\w/.-]+\.tcl$/.exec(rest);
      cur = t ? { name: t[1], status: 'err', detail: [], seq: seq++ } : { block: rest, detail: [], seq: seq++ };
      (t ? tests : blockErrors).push(cur);
    } else if (st === 'exception') { exception = rest; cur = { detail: [] }; }
    else if (st === 'TIMEOUT') inTimeout = true;
    else done = true;
  }
  for (const t of [...tests, ...blockErrors]) {
    if (t.detail) {
      t.message = summarizeError(t.status === 'err' ? t.detail : [t.block, ...t.detail]);
      delete t.detail;
    }
  }
  return { tests, skipped, blockErrors, exception, done, hung: inTimeout ? (hung ?? {}) : null };
}

/** The first lines of a failure, without Tcl's stack trace. */
function summarizeError(lines) {
  // --durable reports a non-assertion error as its text minus 10 characters, then $::errorInfo,
  // whose first line is the whole text: keep that one.
  if (lines.length >= 2 && lines[0].trim() && lines[1].trim().endsWith(lines[0].trim())) lines = lines.slice(1);
  const keep = [];
  for (const l of lines) {
    if (/^\s+(while executing|invoked from within|\("uplevel" body|\(procedure|\("foreach"|\("if"|\("for"|\("while"|\("eval"|\(file ")/.test(l)) break;
    if (l.trim()) keep.push(l.trim());
    if (keep.length >= 3) break;
  }
  const s = keep.join(' | ').split(`${SUITE_DIR}/`).join('');
  return s.length > 400 ? `${s.slice(0, 400)}...` : s;
}

async function runUnit(kind, unit, opts, hangS = opts.hangTimeout) {
  const safe = unit.replace(/\//g, '_');
  fs.mkdirSync(path.join(LOG_DIR, kind), { recursive: true });
  const serverLog = path.join(LOG_DIR, kind, `${safe}.server.log`);
  const suiteLog = path.join(LOG_DIR, kind, `${safe}.log`);
  let srv;
  try {
    srv = await startServer(kind, serverLog);
  } catch (e) {
    return { unit, outcome: 'server did not start', error: e.message, seconds: 0, tests: [], skipped: [], blockErrors: [] };
  }
  const r = await runTcl(srv.port, unit, opts.unitTimeout, hangS, opts.extra, suiteLog);
  const died = srv.exitInfo();
  await stopServer(srv);
  const p = parseOutput(r.output);
  let outcome = 'completed';
  if (p.hung) {
    // The suite's own --timeout: nothing happened for hangS seconds. The test in progress hung.
    if (p.hung.test) {
      p.tests.push({ name: p.hung.test, status: 'err', message: `hung: no progress for ${hangS} s, unit stopped (suite --timeout)`, seq: Number.MAX_SAFE_INTEGER });
      outcome = `hung in "${p.hung.test}"`;
    } else outcome = p.hung.after ? `hung after "${p.hung.after}"` : 'hung';
  } else if (r.timedOut) outcome = `timed out (${opts.unitTimeout} s)`;
  else if (died) outcome = `server died (${died.signal ?? `exit ${died.code}`})`;
  else if (p.exception) outcome = 'crashed';
  else if (!p.done) outcome = `tclsh exited ${r.code ?? r.signal} before the end`;
  return {
    unit, outcome, seconds: Math.round(r.seconds * 10) / 10, hangTimeout: hangS, exception: p.exception ?? undefined,
    tests: p.tests, skipped: p.skipped, blockErrors: p.blockErrors,
  };
}

// ---- comparison -------------------------------------------------------------------------------
function counts(u) {
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
function regressions(redisU, corralU) {
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

function corralOnlyPasses(redisU, corralU) {
  const r = byName(redisU);
  const out = [];
  for (const [name, e] of byName(corralU)) if (e.ok > (r.get(name)?.ok ?? 0)) out.push(name);
  return out;
}

// ---- allow-list -------------------------------------------------------------------------------
function readExpected() {
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
const GENERATED_REASON = [
  /^not reached: /, /^differs: /, /^needs CONFIG SET \S+$/, /^needs DEBUG( \S+)?$/,
  /^needs [\w/ ]+ \((streams |scripting |functions )?not implemented\)$/,
  /^asserts OBJECT ENCODING \S+, corral says \S+$/, /^hangs waiting for a reply that never comes$/,
  /^needs SYNC to read the replication stream/, /^needs blocking commands /,
];

/** A short guess at why a test fails on corral, for new allow-list entries. */
function guessReason(reg) {
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

// ---- report -----------------------------------------------------------------------------------
function pad(s, n) { s = String(s); return s.length >= n ? s : s + ' '.repeat(n - s.length); }
function lpad(s, n) { s = String(s); return s.length >= n ? s : ' '.repeat(n - s.length) + s; }

function tableRows(results, units) {
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

function textTable(rows, comparisons) {
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

function markdown(report, rows, comparisons, expected, results, opts) {
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

function gitInfo() {
  const head = run('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT });
  if (!head.ok) return undefined;
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT });
  return { head: head.out.trim(), dirty: dirty.ok && dirty.out.trim().length > 0 };
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
