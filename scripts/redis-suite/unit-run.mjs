// One unit of Redis's suite on one server, for scripts/redis-suite.mjs: starting a fresh
// redis-server or corral node on a free port, running the unit in its own tclsh with a time limit,
// and parsing test_helper.tcl's output into per-test outcomes.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { CORRAL_MAIN, LOG_DIR, SUITE_DIR, freePort } from './common.mjs';

// ---- servers ----------------------------------------------------------------------------------

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

export async function runUnit(kind, unit, opts, hangS = opts.hangTimeout) {
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
