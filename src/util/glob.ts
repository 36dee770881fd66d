// Glob matching with Redis's stringmatchlen rules (KEYS, SCAN MATCH, CONFIG GET): `*`, `?`,
// `[abc]`, `[^abc]`, `[a-z]`, and `\x` to match x literally. Works on latin1 strings (bytes).

export function globMatch(pattern: string, text: string, noCase = false): boolean {
  // Redis's matcher loops only while both sides have bytes left, so an empty string matches only
  // an empty pattern ("*" matches it in KEYS/SCAN only through their match-everything shortcut).
  if (text.length === 0) return pattern.length === 0;
  skipLongerMatches = false;
  return matchFrom(pattern, 0, text, 0, noCase, 0);
}

/**
 * Set when a `*` has tried every remaining suffix and failed: an outer `*` trying a longer
 * prefix cannot succeed either, so it stops (Redis's skipLongerMatches; keeps patterns like
 * `*a*a*a*b` from going exponential).
 */
let skipLongerMatches = false;

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function matchFrom(p: string, pi: number, s: string, si: number, noCase: boolean, depth: number): boolean {
  // Redis caps recursion on pathological patterns; past it, the match fails.
  if (depth > 1000) return false;
  const plen = p.length;
  const slen = s.length;
  while (pi < plen && si <= slen) {
    const pc = p.charCodeAt(pi);
    if (pc === 42 /* * */) {
      while (pi + 1 < plen && p.charCodeAt(pi + 1) === 42) pi++;
      if (pi + 1 === plen) return true;
      for (let k = si; k < slen; k++) {
        if (matchFrom(p, pi + 1, s, k, noCase, depth + 1)) return true;
        if (skipLongerMatches) return false;
      }
      skipLongerMatches = true;
      return false;
    }
    if (si === slen) return false;
    const sc = s.charCodeAt(si);
    if (pc === 63 /* ? */) {
      pi++;
      si++;
      continue;
    }
    if (pc === 91 /* [ */) {
      pi++;
      const not = pi < plen && p.charCodeAt(pi) === 94; /* ^ */
      if (not) pi++;
      let matched = false;
      for (;;) {
        if (pi >= plen) {
          pi--; // unterminated class: Redis treats the end as closing it
          break;
        }
        const c = p.charCodeAt(pi);
        if (c === 92 /* \ */ && pi + 1 < plen) {
          pi++;
          if (p.charCodeAt(pi) === sc) matched = true;
        } else if (c === 93 /* ] */) {
          break;
        } else if (pi + 2 < plen && p.charCodeAt(pi + 1) === 45 /* - */) {
          let start = c;
          let end = p.charCodeAt(pi + 2);
          let x = sc;
          if (start > end) [start, end] = [end, start];
          if (noCase) {
            start = lower(start);
            end = lower(end);
            x = lower(x);
          }
          pi += 2;
          if (x >= start && x <= end) matched = true;
        } else if (noCase ? lower(c) === lower(sc) : c === sc) {
          matched = true;
        }
        pi++;
      }
      if (not) matched = !matched;
      if (!matched) return false;
      pi++;
      si++;
      continue;
    }
    if (pc === 92 /* \ */ && pi + 1 < plen) {
      pi++;
    }
    const want = p.charCodeAt(pi);
    if (noCase ? lower(want) !== lower(sc) : want !== sc) return false;
    pi++;
    si++;
  }
  while (pi < plen && p.charCodeAt(pi) === 42) pi++;
  return pi === plen && si === slen;
}
