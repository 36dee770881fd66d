// Getting Redis's test suite for scripts/redis-suite.mjs: installing a missing command (tclsh,
// redis-server) with apt-get, adding deb-src entries, fetching Debian's redis .orig tarball with
// `apt-get source`, checking its SHA-256, unpacking tests/ under .cache/redis-suite/ and patching
// the harness's one line.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import {
  CACHE, HARNESS_PATCH_ID, MARKER, ORIG_SHA256, ORIG_TARBALL, REDIS_VERSION, ROOT, SUITE_DIR, die, run,
} from './common.mjs';

// ---- getting the suite ------------------------------------------------------------------------
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

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
export function ensureCommand(cmd, pkg) {
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

export function ensureSuite() {
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
