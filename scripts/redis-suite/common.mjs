// What scripts/redis-suite.mjs and its parts in scripts/redis-suite/ share: the suite's version and
// tarball, the paths the runner uses, and die/run, the two process helpers every part calls.

import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REDIS_VERSION = '7.0.15';
export const ORIG_TARBALL = `redis_${REDIS_VERSION}.orig.tar.gz`;
export const ORIG_SHA256 = '4b1dc4ee6d622a09fff9c6777191209750fb5e5a725ef78ea012d6eef4c22982';
export const HARNESS_PATCH_ID = 'catch-function-flush-v1';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE = path.join(ROOT, '.cache', 'redis-suite');
export const SUITE_DIR = path.join(CACHE, `redis-${REDIS_VERSION}`);
export const MARKER = path.join(SUITE_DIR, '.prepared');
export const LOG_DIR = path.join(CACHE, 'logs');
export const EXPECTED_FILE = path.join(ROOT, 'scripts', 'redis-suite-expected-failures.txt');
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
export const CORRAL_MAIN = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

// ---- process helpers --------------------------------------------------------------------------
export function die(msg, code = 2) {
  console.error(`redis-suite: ${msg}`);
  process.exit(code);
}

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return { ok: r.status === 0 && !r.error, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
