// Tests for the inline-command splitter: examples checked against redis-server 7.0.15, and a
// property test against a line-by-line port of Redis's sdssplitargs (sds.c).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { splitInlineArgs } from './inline.js';

function split(line: string): string[] | null {
  const buf = Buffer.from(line, 'latin1');
  const r = splitInlineArgs(buf, 0, buf.length);
  if (r === null) return null;
  const out: string[] = [];
  for (let i = 0; i < r.argc; i++) out.push(r.buf.toString('latin1', r.start[i], r.end[i]));
  return out;
}

/** C isspace() in the C locale. */
function cIsSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

function isHex(c: string): boolean {
  return /^[0-9a-fA-F]$/.test(c);
}

/**
 * Redis 7.0 sds.c sdssplitargs, transcribed. The line is a C string: reading past its end yields
 * '\0' (lines given to it never contain NUL: Redis waits for more input before then).
 */
function sdssplitargs(line: string): string[] | null {
  const at = (i: number): string => (i < line.length ? line[i] : '\0');
  const out: string[] = [];
  let p = 0;
  for (;;) {
    while (at(p) !== '\0' && cIsSpace(at(p))) p++;
    if (at(p) === '\0') return out;
    let inq = false;
    let insq = false;
    let done = false;
    let current = '';
    while (!done) {
      const c = at(p);
      if (inq) {
        if (c === '\\' && at(p + 1) === 'x' && isHex(at(p + 2)) && isHex(at(p + 3))) {
          current += String.fromCharCode(parseInt(at(p + 2) + at(p + 3), 16));
          p += 3;
        } else if (c === '\\' && at(p + 1) !== '\0') {
          p++;
          const e = at(p);
          current += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (c === '"') {
          if (at(p + 1) !== '\0' && !cIsSpace(at(p + 1))) return null;
          done = true;
        } else if (c === '\0') {
          return null;
        } else {
          current += c;
        }
      } else if (insq) {
        if (c === '\\' && at(p + 1) === "'") {
          p++;
          current += "'";
        } else if (c === "'") {
          if (at(p + 1) !== '\0' && !cIsSpace(at(p + 1))) return null;
          done = true;
        } else if (c === '\0') {
          return null;
        } else {
          current += c;
        }
      } else {
        // Only these five end an unquoted token: not \v or \f, although isspace() skips them.
        if (c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\0') done = true;
        else if (c === '"') inq = true;
        else if (c === "'") insq = true;
        else current += c;
      }
      if (at(p) !== '\0') p++;
    }
    out.push(current);
  }
}

describe('inline splitter', () => {
  test('plain words', () => {
    assert.deepEqual(split('SET key value'), ['SET', 'key', 'value']);
    assert.deepEqual(split('  \t GET\tkey  '), ['GET', 'key']);
    assert.deepEqual(split(''), []);
    assert.deepEqual(split('   '), []);
  });

  test('double quotes with escapes', () => {
    assert.deepEqual(split('set "a b" x'), ['set', 'a b', 'x']);
    assert.deepEqual(split('"\\x41"'), ['A']);
    assert.deepEqual(split('"\\x4g"'), ['x4g']);
    assert.deepEqual(split('"\\xFF\\x00\\x7f"'), ['\xff\x00\x7f']);
    assert.deepEqual(split('"\\n\\r\\t\\b\\a\\\\\\"\\z"'), ['\n\r\t\b\x07\\"z']);
    assert.deepEqual(split('"\\x4"'), ['x4']);
    assert.deepEqual(split('""'), ['']);
  });

  test('single quotes: only \\\' is an escape', () => {
    assert.deepEqual(split("set 'c d' 'it\\'s' '\\n'"), ['set', 'c d', "it's", '\\n']);
    assert.deepEqual(split("''"), ['']);
  });

  test('a quote inside a word opens a quoted part of the same argument', () => {
    assert.deepEqual(split('a"b c"'), ['ab c']);
    assert.deepEqual(split("a'b c' d"), ['ab c', 'd']);
  });

  test('unbalanced quotes and a closing quote glued to more text are errors', () => {
    for (const line of ['"a', "'a", '"a"b', "'a'b", '"a\\', '"', "'", 'x "y']) {
      assert.equal(split(line), null, JSON.stringify(line));
    }
  });

  test('a closing quote may be followed by any isspace() byte', () => {
    assert.deepEqual(split('"a"\tb'), ['a', 'b']);
    assert.deepEqual(split('"a"\vb'), ['a', 'b']);
  });

  test('\\v and \\f are skipped between words but do not end an unquoted word (redis-server 7.0.15)', () => {
    // `ECHO a\vb` -> Redis replies $3 a\vb; `\vECHO\va` -> unknown command 'ECHO\va'.
    assert.deepEqual(split('ECHO a\vb'), ['ECHO', 'a\vb']);
    assert.deepEqual(split('ECHO a\fb'), ['ECHO', 'a\fb']);
    assert.deepEqual(split('\vECHO\va'), ['ECHO\va']);
  });

  test('splits a sub-range of a buffer', () => {
    const buf = Buffer.from('xxSET a bxx');
    const r = splitInlineArgs(buf, 2, 9)!;
    assert.equal(r.argc, 3);
    assert.equal(r.buf.toString('latin1', r.start[2], r.end[2]), 'b');
  });

  test('property: agrees with sdssplitargs on lines of tricky bytes', () => {
    const ch = fc.constantFrom(' ', '\t', '\v', '\f', '\r', '"', "'", '\\', 'x', 'a', '4', 'F', 'g', 'n', '\xff');
    fc.assert(
      fc.property(fc.array(ch, { maxLength: 24 }), (chars) => {
        const line = chars.join('');
        assert.deepEqual(split(line), sdssplitargs(line), JSON.stringify(line));
      }),
      { numRuns: 3000 },
    );
  });

  test('property: quoting any bytes with \\xHH round-trips', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 30 }), { minLength: 1, maxLength: 5 }), (args) => {
        const line = args.map((a) => '"' + [...a].map((b) => '\\x' + b.toString(16).padStart(2, '0')).join('') + '"').join(' ');
        assert.deepEqual(split(line), args.map((a) => Buffer.from(a).toString('latin1')));
      }),
      { numRuns: 300 },
    );
  });
});
