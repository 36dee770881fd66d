// The published package, as a user gets it (issue 14, Packaging): `npm pack` of this checkout,
// installed into an empty project from the tarball, pulls in no database driver (the flash-sale
// demo's PGlite and PostgreSQL drivers are devDependencies and optional peers, imported only when
// the demo opens its database), its CLI runs, and `corral demo flash-sale` there stops with a
// message saying which package to add instead of a stack trace. The demo itself, from a clone
// (where `npm install` brings the drivers), is run by test/integration/demo-flash-sale.test.ts.
//
// Needs the npm registry for the package's own dependencies (CI has it: it runs `npm ci`).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DRIVERS = ['pg', '@electric-sql/pglite'];

let dir: string;
let installed = '';

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'corral-pack-'));
  // dist/ is built by test:system's build step: pack it as it is (no prepare script run).
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: REPO, encoding: 'utf8' });
  assert.equal(pack.status, 0, pack.stderr);
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball !== undefined, 'npm pack wrote a tarball');
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'corral-user', version: '1.0.0', private: true }));
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', `./${tarball}`], { cwd: dir, encoding: 'utf8' });
  assert.equal(install.status, 0, install.stderr);
  installed = path.join(dir, 'node_modules');
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('npm install corral installs no database driver', () => {
  assert.ok(existsSync(path.join(installed, 'corral', 'dist', 'src', 'index.js')));
  for (const d of DRIVERS) assert.equal(existsSync(path.join(installed, d)), false, `${d} was installed`);
});

test("the installed CLI runs, and the demo names the driver to add instead of failing on an import", () => {
  const bin = path.join(installed, '.bin', 'corral');
  const help = spawnSync(bin, ['--help'], { cwd: dir, encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /demo/);
  const demo = spawnSync(bin, ['demo', 'flash-sale'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  assert.equal(demo.status, 1, `${demo.stdout}${demo.stderr}`);
  assert.match(demo.stderr, /needs the @electric-sql\/pglite package.*npm install @electric-sql\/pglite/);
  assert.doesNotMatch(demo.stderr, /\n\s+at /, 'no stack trace');
});
