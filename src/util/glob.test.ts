// Tests for glob matching: examples checked against redis-server 7.0.15's KEYS, a property test
// against a transcription of Redis 7.0's stringmatchlen (util.c), and its CVE-2022-36021 guard.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { globMatch } from './glob.js';

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/**
 * Redis 7.0.15 stringmatchlen_impl, transcribed with indices. `skip` is skipLongerMatches (the
 * CVE-2022-36021 fix): once a `*` has tried every suffix, no earlier `*` can do better.
 * Reading past the pattern's end yields 0, like the C string's terminator.
 */
function redisMatch(pat: string, str: string, nocase = false): boolean {
  const skip = { v: false };
  return impl(pat, 0, str, 0, nocase, skip, 0);
}

function impl(p: string, pi: number, s: string, si: number, nocase: boolean, skip: { v: boolean }, nesting: number): boolean {
  if (nesting > 1000) return false;
  const P = (i: number): number => (i < p.length ? p.charCodeAt(i) : 0);
  let plen = p.length - pi;
  let slen = s.length - si;
  while (plen > 0 && slen > 0) {
    switch (P(pi)) {
      case 42: {
        while (plen > 0 && P(pi + 1) === 42) {
          pi++;
          plen--;
        }
        if (plen === 1) return true;
        while (slen > 0) {
          if (impl(p, pi + 1, s, si, nocase, skip, nesting + 1)) return true;
          if (skip.v) return false;
          si++;
          slen--;
        }
        skip.v = true;
        return false;
      }
      case 63:
        si++;
        slen--;
        break;
      case 91: {
        pi++;
        plen--;
        const not = P(pi) === 94;
        if (not) {
          pi++;
          plen--;
        }
        let match = false;
        for (;;) {
          if (P(pi) === 92 && plen >= 2) {
            pi++;
            plen--;
            if (P(pi) === s.charCodeAt(si)) match = true;
          } else if (P(pi) === 93) {
            break;
          } else if (plen === 0) {
            pi--;
            plen++;
            break;
          } else if (plen >= 3 && P(pi + 1) === 45) {
            let start = P(pi);
            let end = P(pi + 2);
            let c = s.charCodeAt(si);
            if (start > end) [start, end] = [end, start];
            if (nocase) {
              start = lower(start);
              end = lower(end);
              c = lower(c);
            }
            pi += 2;
            plen -= 2;
            if (c >= start && c <= end) match = true;
          } else if (nocase ? lower(P(pi)) === lower(s.charCodeAt(si)) : P(pi) === s.charCodeAt(si)) {
            match = true;
          }
          pi++;
          plen--;
        }
        if (not) match = !match;
        if (!match) return false;
        si++;
        slen--;
        break;
      }
      default:
        if (P(pi) === 92 && plen >= 2) {
          pi++;
          plen--;
        }
        if (nocase ? lower(P(pi)) !== lower(s.charCodeAt(si)) : P(pi) !== s.charCodeAt(si)) return false;
        si++;
        slen--;
        break;
    }
    pi++;
    plen--;
    if (slen === 0) {
      while (P(pi) === 42) {
        pi++;
        plen--;
      }
      break;
    }
  }
  return plen === 0 && slen === 0;
}

describe('glob', () => {
  test('literals, ? and *', () => {
    assert.ok(globMatch('hello', 'hello'));
    assert.ok(!globMatch('hello', 'hell'));
    assert.ok(!globMatch('hell', 'hello'));
    assert.ok(globMatch('h?llo', 'hallo'));
    assert.ok(!globMatch('h?llo', 'hllo'));
    assert.ok(globMatch('h*llo', 'hllo'));
    assert.ok(globMatch('h*llo', 'heeeello'));
    assert.ok(globMatch('*', 'anything'));
    assert.ok(globMatch('a*', 'a'));
    assert.ok(globMatch('*a*b*', 'xxaxxbxx'));
    assert.ok(!globMatch('*a*b*', 'xxbxxaxx'));
  });

  test('classes: [abc] [^a] [a-z] reversed ranges and escapes', () => {
    assert.ok(globMatch('h[ae]llo', 'hello'));
    assert.ok(!globMatch('h[ae]llo', 'hillo'));
    assert.ok(globMatch('h[^e]llo', 'hallo'));
    assert.ok(!globMatch('h[^e]llo', 'hello'));
    assert.ok(globMatch('h[a-b]llo', 'hbllo'));
    assert.ok(globMatch('h[z-a]llo', 'hmllo'));
    assert.ok(!globMatch('h[a-b]llo', 'hcllo'));
    assert.ok(globMatch('[\\-]', '-'));
    assert.ok(globMatch('[a\\]]', ']'));
  });

  test('backslash escapes outside classes', () => {
    assert.ok(globMatch('\\*', '*'));
    assert.ok(!globMatch('\\*', 'a'));
    assert.ok(globMatch('\\?x', '?x'));
    assert.ok(globMatch('\\', '\\'), 'a lone trailing backslash is literal');
    assert.ok(!globMatch('a\\', 'a'));
  });

  test('unterminated classes (KEYS on redis-server 7.0.15)', () => {
    assert.ok(!globMatch('[', 'a'));
    assert.ok(!globMatch('a[', 'a'));
    assert.ok(globMatch('[^', 'a'), '[^ matches any one byte');
    assert.ok(globMatch('[a-', 'a'));
    assert.ok(globMatch('[a-', '-'));
    assert.ok(globMatch('[a\\', 'a'));
    assert.ok(globMatch('[a\\', '\\'));
    assert.ok(!globMatch('[]a]', 'a'), '] right after [ closes an empty class');
  });

  test('"[\\]" is an escaped ] in a class: it matches "]", not "\\" (KEYS on redis-server 7.0.15)', () => {
    assert.ok(globMatch('[\\]', ']'));
    assert.ok(!globMatch('[\\]', '\\'));
  });

  test('the empty string matches only the empty pattern (KEYS/SCAN short-cut "*" themselves)', () => {
    assert.ok(globMatch('', ''));
    assert.ok(!globMatch('*', ''));
    // redis-server 7.0.15: SET "" 1; KEYS ** -> no "" among the results.
    assert.ok(!globMatch('**', ''));
    assert.ok(!globMatch('*?', ''));
    assert.ok(!globMatch('?', ''));
  });

  test('nocase', () => {
    assert.ok(globMatch('HeLLo', 'hello', true));
    assert.ok(!globMatch('HeLLo', 'hello'));
    assert.ok(globMatch('h[A-Z]llo', 'hello', true));
    assert.ok(globMatch('h[E]llo', 'hello', true));
    assert.ok(!globMatch('h[^E]llo', 'hello', true));
  });

  test('binary bytes (latin1) match byte for byte', () => {
    assert.ok(globMatch('\x00*\xff', '\x00abc\xff'));
    assert.ok(globMatch('[\x80-\xff]', '\xc3'));
    assert.ok(!globMatch('[\x80-\xff]', 'c'));
  });

  test('property: agrees with Redis stringmatchlen on small alphabets', () => {
    const patChar = fc.constantFrom('*', '?', '[', ']', '^', '-', '\\', 'a', 'b', 'A', 'z');
    const strChar = fc.constantFrom('a', 'b', 'A', 'z', '-', ']', '\\', '^', '*');
    fc.assert(
      fc.property(fc.array(patChar, { maxLength: 10 }), fc.array(strChar, { maxLength: 8 }), fc.boolean(), (p, s, nocase) => {
        const pat = p.join('');
        const str = s.join('');
        assert.equal(globMatch(pat, str, nocase), redisMatch(pat, str, nocase), `${JSON.stringify(pat)} ~ ${JSON.stringify(str)} nocase=${nocase}`);
      }),
      { numRuns: 5000 },
    );
  });

  test('nesting deeper than 1000 stars fails, as in Redis', async () => {
    assert.equal(await matchInWorker('*a'.repeat(1000), 'a'.repeat(1001)), true);
    assert.equal(await matchInWorker('*a'.repeat(1001), 'a'.repeat(1001)), false);
  });

  test('pathological patterns finish quickly (CVE-2022-36021: KEYS "*a*a*...*b")', async () => {
    assert.equal(await matchInWorker('*a'.repeat(30) + 'b', 'a'.repeat(90)), false);
  });
});

/**
 * Runs globMatch in a worker with a deadline: an exponential matcher would otherwise hang the
 * test runner. Fails the test on timeout.
 */
async function matchInWorker(pattern: string, text: string, timeoutMs = 2000): Promise<boolean> {
  const url = new URL('./glob.js', import.meta.url).href;
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(${JSON.stringify(url)}).then(({ globMatch }) => {
      parentPort.postMessage(globMatch(workerData.pattern, workerData.text));
    });`;
  const worker = new Worker(code, { eval: true, workerData: { pattern, text } });
  try {
    const result = await new Promise<boolean | 'timeout'>((resolve, reject) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs);
      worker.once('message', (m: boolean) => {
        clearTimeout(timer);
        resolve(m);
      });
      worker.once('error', reject);
    });
    assert.notEqual(result, 'timeout', `globMatch(${JSON.stringify(pattern.slice(0, 40))}..., ${text.length} bytes) took over ${timeoutMs} ms`);
    return result === true;
  } finally {
    await worker.terminate();
  }
}
