// Doubles as Redis 7.0 prints them in replies (printf "%.17g"): formatDouble, the reply writer's
// and the commands' one way to turn a score or a float into reply text. A fast path through
// toPrecision where it is exact, an exact bigint path for the ties it could round differently,
// and a one-entry cache of the last value formatted.

import { longDoubleOf } from '../util/long-double.js';

/**
 * A double as C's printf("%.17g") prints it, which is how Redis 7.0 sends doubles: the exact
 * binary value rounded (half to even) to 17 significant digits, trailing zeros dropped, exponent
 * form below 1e-4 or from 1e17. Computed exactly with bigints, since JS's toPrecision can round
 * a tie differently from glibc.
 */
export function formatDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  // The same value is often formatted again (a script storing a value it read, a score written
  // to many members): the last one is kept.
  if (d === lastDouble) return lastText;
  lastText = formatNonZero(d);
  lastDouble = d;
  return lastText;
}

let lastDouble = 0;
let lastText = '0';

function formatNonZero(d: number): string {
  const a = Math.abs(d);
  const fast = a < 2 ** 53 ? digitsByPrecision(a) : null;
  if (fast !== null) return renderG17(fast, exp10Of, d < 0);
  const { m, e } = longDoubleOf(a);
  // a = num / den exactly.
  const num = e >= 0 ? m << BigInt(e) : m;
  const den = e >= 0 ? 1n : 1n << BigInt(-e);
  const atLeast = (k: number): boolean => (k >= 0 ? num >= 10n ** BigInt(k) * den : num * 10n ** BigInt(-k) >= den);
  let exp10 = Math.floor(Math.log10(a));
  while (!atLeast(exp10)) exp10--;
  while (atLeast(exp10 + 1)) exp10++;
  const shift = 16 - exp10;
  const n2 = shift >= 0 ? num * 10n ** BigInt(shift) : num;
  const d2 = shift >= 0 ? den : den * 10n ** BigInt(-shift);
  let q = n2 / d2;
  const twiceRest = 2n * (n2 - q * d2);
  if (twiceRest > d2 || (twiceRest === d2 && (q & 1n) === 1n)) q += 1n;
  if (q === 10n ** 17n) {
    q = 10n ** 16n;
    exp10++;
  }
  return renderG17(q.toString(), exp10, d < 0);
}

/** exp10 of the digits digitsByPrecision returned last. */
let exp10Of = 0;

/**
 * The 17 significant digits of a (0 < a < 2^53) from toPrecision, which rounds correctly except
 * for an exact tie (half-way between two 17-digit values, where C rounds to even). A tie needs the
 * exact value to have 18 significant digits; a value with k binary fraction digits has exactly k
 * decimal fraction digits, so that is checked first. Null: use the exact path.
 */
function digitsByPrecision(a: number): string | null {
  // k = the binary fraction digits of a = m * 2^e (m the 53-bit significand): -e less the
  // significand's trailing zero bits (none when a is an integer).
  DOUBLE_VIEW.setFloat64(0, a);
  const hi = DOUBLE_VIEW.getUint32(0);
  const lo = DOUBLE_VIEW.getUint32(4);
  const biasedExp = (hi >>> 20) & 0x7ff;
  const mHi = biasedExp === 0 ? hi & 0xfffff : (hi & 0xfffff) | 0x100000;
  const tz = lo !== 0 ? 31 - Math.clz32(lo & -lo) : 32 + 31 - Math.clz32(mHi & -mHi);
  const k = Math.max(0, (biasedExp === 0 ? 1074 : 1075 - biasedExp) - tz);
  const lead = Math.floor(Math.log10(a));
  const significant = lead >= 0 ? lead + 1 + k : k + lead + 1;
  if (significant >= 17 && significant <= 19) return null;
  const s = a.toPrecision(17);
  const e = s.indexOf('e');
  if (e >= 0) {
    exp10Of = Number(s.slice(e + 1));
    return s[0] + s.slice(2, e);
  }
  if (s.charCodeAt(0) === 48 /* 0 */) {
    let i = 2;
    while (s.charCodeAt(i) === 48) i++;
    exp10Of = -(i - 1);
    return s.slice(i);
  }
  const dot = s.indexOf('.');
  exp10Of = (dot < 0 ? s.length : dot) - 1;
  return dot < 0 ? s : s.slice(0, dot) + s.slice(dot + 1);
}

/** %.17g from 17 significant digits and the decimal exponent of the first. */
function renderG17(digits: string, exp10: number, negative: boolean): string {
  // The digits without their trailing zeros (%g drops them).
  let n = digits.length;
  while (n > 1 && digits.charCodeAt(n - 1) === 48) n--;
  let out: string;
  if (exp10 < -4 || exp10 >= 17) {
    const mantissa = n > 1 ? `${digits[0]}.${digits.slice(1, n)}` : digits[0];
    const abs = Math.abs(exp10);
    out = `${mantissa}e${exp10 < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  } else if (exp10 >= 0) {
    out = n > exp10 + 1 ? `${digits.slice(0, exp10 + 1)}.${digits.slice(exp10 + 1, n)}` : digits.slice(0, exp10 + 1);
  } else {
    out = `0.${'0'.repeat(-exp10 - 1)}${digits.slice(0, n)}`;
  }
  return negative ? `-${out}` : out;
}

const DOUBLE_VIEW = new DataView(new ArrayBuffer(8));
