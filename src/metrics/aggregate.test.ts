// Unit tests for corral up's merged exposition: node labels on every sample, one HELP/TYPE per
// family with all nodes' samples under it, corral_node_up for nodes that did or did not answer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeScrapes, withNodeLabel } from './aggregate.js';

test('withNodeLabel puts node first, with or without other labels', () => {
  assert.equal(withNodeLabel('a_total 3', 'h:1'), 'a_total{node="h:1"} 3');
  assert.equal(withNodeLabel('a_total{cmd="get"} 3', 'h:1'), 'a_total{node="h:1",cmd="get"} 3');
  assert.equal(withNodeLabel('a{} 3', 'h:1'), 'a{node="h:1"} 3');
  assert.equal(withNodeLabel('a{k="x y"} 3', 'h:1'), 'a{node="h:1",k="x y"} 3');
});

test('mergeScrapes groups families, writes headers once, reports node_up', () => {
  const one = [
    '# HELP x_total X.',
    '# TYPE x_total counter',
    'x_total 1',
    '',
    '# HELP h Hist.',
    '# TYPE h histogram',
    'h_bucket{le="1"} 2',
    'h_bucket{le="+Inf"} 2',
    'h_sum 1.5',
    'h_count 2',
    '',
  ].join('\n');
  const two = one.replace('x_total 1', 'x_total 5');
  const text = mergeScrapes([
    ['a:1', one],
    ['b:2', two],
    ['c:3', null],
  ]);
  const lines = text.trim().split('\n');
  assert.equal(lines.filter((l) => l === '# TYPE x_total counter').length, 1);
  const x = lines.indexOf('# TYPE x_total counter');
  assert.deepEqual(lines.slice(x + 1, x + 3), ['x_total{node="a:1"} 1', 'x_total{node="b:2"} 5']);
  const h = lines.indexOf('# TYPE h histogram');
  assert.deepEqual(lines.slice(h + 1, h + 9), [
    'h_bucket{node="a:1",le="1"} 2',
    'h_bucket{node="a:1",le="+Inf"} 2',
    'h_sum{node="a:1"} 1.5',
    'h_count{node="a:1"} 2',
    'h_bucket{node="b:2",le="1"} 2',
    'h_bucket{node="b:2",le="+Inf"} 2',
    'h_sum{node="b:2"} 1.5',
    'h_count{node="b:2"} 2',
  ]);
  assert.ok(lines.includes('corral_node_up{node="a:1"} 1'));
  assert.ok(lines.includes('corral_node_up{node="c:3"} 0'));
});
