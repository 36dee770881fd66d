// Unit tests for INFO's text: section selection, layout, Redis's human-readable sizes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CorralNode } from './node.js';
import { ManualClock } from '../util/clock.js';
import { bytesToHuman, fixed2, infoText, selectSections } from './info.js';

test('section selection follows Redis: default, all, everything, names in any case', () => {
  assert.deepEqual([...selectSections([])], [...selectSections(['default'])]);
  assert.ok(!selectSections([]).has('commandstats'));
  assert.ok(selectSections(['all']).has('commandstats'));
  assert.ok(selectSections(['everything']).has('commandstats'));
  assert.deepEqual([...selectSections(['CPU', 'Keyspace', 'nosuch'])], ['cpu', 'keyspace', 'nosuch']);
  assert.deepEqual([...selectSections(['module_list'])], ['modules']);
});

test('layout: "# Title" headers, CRLF lines, a blank line between sections, in Redis order', () => {
  const clock = new ManualClock();
  const node = new CorralNode({ clock });
  node.store.dbs[0].setString('k', 'v', 0);
  const text = infoText(node, selectSections(['keyspace', 'cluster']));
  assert.equal(text, '# Cluster\r\ncluster_enabled:0\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n');
  assert.equal(infoText(node, selectSections(['nosuch'])), '');
  const all = infoText(node, selectSections(['everything']));
  assert.ok(all.endsWith('\r\n') && !all.endsWith('\r\n\r\n'));
  assert.doesNotMatch(all.replace(/\r\n/g, ''), /[\r\n]/, 'no bare CR or LF');
  for (const line of all.split('\r\n')) assert.match(line, /^(# [A-Z][A-Za-z]+|[a-z_0-9|]+:.*|)$/, line);
});

test('bytesToHuman and %.2f rounding as Redis prints them', () => {
  assert.equal(bytesToHuman(0), '0B');
  assert.equal(bytesToHuman(1023), '1023B');
  assert.equal(bytesToHuman(1024), '1.00K');
  assert.equal(bytesToHuman(1152), '1.12K', '1.125 rounds to even, as printf');
  assert.equal(bytesToHuman(1048576), '1.00M');
  assert.equal(bytesToHuman(1.5 * 1024 ** 3), '1.50G');
  assert.equal(fixed2(0.125), '0.12');
  assert.equal(fixed2(0.375), '0.38');
  assert.equal(fixed2(2 / 3), '0.67');
});
