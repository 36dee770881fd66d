// Black-box tests of the `corral` command: help, `corral server` with flags and with a Redis-style
// config file, a bad config line, and a graceful exit 0 on SIGTERM and SIGINT.

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawConnection } from '../support/servers.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
const dir = mkdtempSync(path.join(tmpdir(), 'corral-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Running {
  child: ChildProcess;
  port: number;
  output: () => string;
  exit: Promise<number | null>;
}

/** Starts `corral server ...args` and resolves once it prints the port it listens on. */
function startServer(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [MAIN, 'server', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /listening on [^:]+:(\d+)/.exec(out);
      if (m !== null) resolve({ child, port: Number(m[1]), output: () => out, exit });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exit.then((code) => reject(new Error(`exited ${code} before listening: ${out}`)));
    setTimeout(() => reject(new Error(`not listening after 10 s: ${out}`)), 10_000).unref();
  });
}

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

describe('corral command', () => {
  test('--help lists the server command', async () => {
    const { code, out } = await run(['--help']);
    assert.equal(code, 0);
    assert.match(out, /server \[options\] \[config-file\]/);
  });

  test('server flags set the configuration; SIGTERM stops it with exit code 0', async () => {
    const srv = await startServer(['--port', '0', '--maxmemory', '10mb', '--maxmemory-policy', 'allkeys-lru', '--requirepass', 'pw']);
    const c = await RawConnection.connect(srv.port);
    assert.deepEqual(await c.call('GET', 'k'), { error: 'NOAUTH Authentication required.' });
    assert.deepEqual(await c.call('AUTH', 'pw'), { simple: 'OK' });
    assert.deepEqual(await c.call('CONFIG', 'GET', 'maxmemory*'), ['maxmemory', '10485760', 'maxmemory-policy', 'allkeys-lru', 'maxmemory-samples', '5']);
    srv.child.kill('SIGTERM');
    assert.equal(await srv.exit, 0);
    await c.waitClosed();
    assert.match(srv.output(), /SIGTERM received/);
  });

  test('a config file of "name value" lines, overridden by flags; SIGINT exits 0', async () => {
    const file = path.join(dir, 'corral.conf');
    writeFileSync(file, '# a node\nport 0\nmaxmemory 1mb\nhz 20\nrequirepass "two words"\n');
    const srv = await startServer([file, '--maxmemory', '2mb']);
    const c = await RawConnection.connect(srv.port);
    assert.deepEqual(await c.call('AUTH', 'two words'), { simple: 'OK' });
    assert.deepEqual(await c.call('CONFIG', 'GET', 'maxmemory'), ['maxmemory', '2097152']);
    assert.deepEqual(await c.call('CONFIG', 'GET', 'hz'), ['hz', '20']);
    c.close();
    srv.child.kill('SIGINT');
    assert.equal(await srv.exit, 0);
  });

  test('a bad config line is reported with its line number, exit code 1', async () => {
    const file = path.join(dir, 'bad.conf');
    writeFileSync(file, 'port 0\nmaxmemroy 1mb\n');
    const { code, out } = await run(['server', file]);
    assert.equal(code, 1);
    assert.match(out, /line 2: Bad directive or wrong number of arguments: maxmemroy/);
  });

  test('a bad flag value is refused with exit code 1', async () => {
    const { code, out } = await run(['server', '--port', '0', '--maxmemory', 'lots']);
    assert.equal(code, 1);
    assert.match(out, /memory value/);
  });

  test('--warm-up takes yes or no', async () => {
    const { code, out } = await run(['server', '--port', '0', '--cluster-enabled', 'yes', '--warm-up', 'maybe']);
    assert.equal(code, 1);
    assert.match(out, /--warm-up: expected yes or no, got 'maybe'/);
  });

  test("a node's helper threads run at nice 19, its JavaScript thread as started", { skip: process.platform !== 'linux' }, async () => {
    const niceOf = (pid: number, tid: string): number => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    };
    // A child starts at its parent's nice value (0 unless the tests run under `nice`).
    const base = niceOf(process.pid, String(process.pid));
    for (const [args, helpers] of [[[], Math.max(19, base)], [['--helper-threads-nice', '0'], base]] as const) {
      const srv = await startServer(['--port', '0', ...args]);
      try {
        const pid = srv.child.pid!;
        // A thread started after the node's first scan is found by the next one, 5 s later.
        const wrong = (): string[] =>
          readdirSync(`/proc/${pid}/task`).filter((tid) => niceOf(pid, tid) !== (Number(tid) === pid ? base : helpers)).map((tid) => `${tid}: ${niceOf(pid, tid)}`);
        for (let i = 0; i < 70 && wrong().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
        assert.ok(readdirSync(`/proc/${pid}/task`).length > 1);
        assert.deepEqual(wrong(), [], `threads of ${pid} (${args.join(' ')}) not at ${helpers} (main ${base})`);
      } finally {
        srv.child.kill('SIGTERM');
        await srv.exit;
      }
    }
  });

  test('--helper-threads-nice takes 0 to 19', async () => {
    for (const bad of ['20', '-1', 'low']) {
      const { code, out } = await run(['server', '--port', '0', '--helper-threads-nice', bad]);
      assert.equal(code, 1);
      assert.match(out, new RegExp(`--helper-threads-nice: expected 0 to 19, got '${bad}'`));
    }
  });
});
