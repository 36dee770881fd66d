// C long double arithmetic emulated exactly with bigints, for INCRBYFLOAT and HINCRBYFLOAT.
//
// Redis parses both
// operands with strtold, adds in long double and prints "%.17Lf" with trailing zeros trimmed. A
// long double has a 64-bit significand on x86-64 (IEEE quad, 113 bits, on arm64): a JS double
// would print 10.5 + 0.1 as 10.59999999999999964 where Redis prints 10.6. A value is
// (-1)^neg * m * 2^e, correctly rounded (ties to even) like glibc's strtold and addition.

const LD_P = process.arch === 'x64' || process.arch === 'ia32' ? 64 : 113;
const LD_LIMIT = 1n << BigInt(LD_P);
/** Exponent of the least subnormal; |x| >= 2^LD_MAX_BITS is infinite. */
const LD_MIN_E = -16382 - (LD_P - 1);
const LD_MAX_BITS = 16384;
/** Redis's MAX_LONG_DOUBLE_CHARS: longer strings are not floats. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;
const TEN_17 = 10n ** 17n;
export const LD_ZERO: LongDouble = { neg: false, m: 0n, e: 0, inf: false };
const FLOAT_RE =
  /^([+-]?)(?:(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?|0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?|(inf(?:inity)?)|nan(?:\([0-9a-z_]*\))?)$/i;

export interface LongDouble {
  neg: boolean;
  m: bigint;
  e: number;
  inf: boolean;
}

const DOUBLE_VIEW = new DataView(new ArrayBuffer(8));

/** A finite double exactly, as sign, integer significand and binary exponent (d = ±m * 2^e). */
export function longDoubleOf(d: number): LongDouble {
  DOUBLE_VIEW.setFloat64(0, d);
  const hi = DOUBLE_VIEW.getUint32(0);
  const biasedExp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(DOUBLE_VIEW.getUint32(4));
  let e = -1074;
  if (biasedExp !== 0) {
    m |= 1n << 52n;
    e = biasedExp - 1075;
  }
  return { neg: hi >>> 31 === 1, m, e, inf: false };
}

function bitLength(x: bigint): number {
  const h = x.toString(16);
  return (h.length - 1) * 4 + 32 - Math.clz32(parseInt(h[0], 16));
}

/** Rounds num/den * 2^e2 (num > 0) to a long double; 0 on underflow to zero, null on overflow. */
function roundLongDouble(neg: boolean, num: bigint, den: bigint, e2: number): LongDouble | 0 | null {
  let e = Math.max(LD_MIN_E, bitLength(num) - bitLength(den) + e2 - LD_P);
  for (;;) {
    const sh = e2 - e;
    const n = sh >= 0 ? num << BigInt(sh) : num;
    const d = sh >= 0 ? den : den << BigInt(-sh);
    let q = n / d;
    if (q >= LD_LIMIT) {
      e++;
      continue;
    }
    const twice = (n - q * d) * 2n;
    if (twice > d || (twice === d && (q & 1n) === 1n)) q++;
    if (q === LD_LIMIT) {
      q >>= 1n;
      e++;
    }
    if (q === 0n) return 0;
    if (bitLength(q) + e > LD_MAX_BITS) return null;
    return { neg, m: q, e, inf: false };
  }
}

/** Redis's string2ld (strtold that must consume every byte), or undefined if invalid. */
export function parseLongDouble(s: string): LongDouble | undefined {
  if (s.length === 0 || s.length >= MAX_LONG_DOUBLE_CHARS) return undefined;
  const g = FLOAT_RE.exec(s);
  if (g === null) return undefined;
  const neg = g[1] === '-';
  if (g[8] !== undefined) return { neg, m: 0n, e: 0, inf: true };
  let digits: string;
  let num: bigint;
  let den = 1n;
  let e2 = 0;
  if (g[5] !== undefined) {
    const frac = g[6] ?? '';
    digits = (g[5] + frac).replace(/^0+/, '');
    if (g[5].length + frac.length === 0) return undefined;
    if (digits.length === 0) return { neg, m: 0n, e: 0, inf: false };
    num = BigInt('0x' + digits);
    e2 = Number(g[7] ?? 0) - 4 * frac.length;
    const bits = bitLength(num) + e2;
    if (bits > LD_MAX_BITS + 8 || bits < LD_MIN_E - 8) return undefined;
  } else if (g[2] !== undefined || g[3] !== undefined) {
    const frac = g[3] ?? '';
    if ((g[2] ?? '').length + frac.length === 0) return undefined;
    digits = ((g[2] ?? '') + frac).replace(/^0+/, '');
    if (digits.length === 0) return { neg, m: 0n, e: 0, inf: false };
    const exp10 = Number(g[4] ?? 0) - frac.length;
    const mag = digits.length + exp10;
    if (mag > 4940 || mag < -4970) return undefined;
    num = BigInt(digits);
    if (exp10 >= 0) num *= 10n ** BigInt(exp10);
    else den = 10n ** BigInt(-exp10);
  } else {
    return undefined; // NaN
  }
  const r = roundLongDouble(neg, num, den, e2);
  return r === 0 || r === null ? undefined : r;
}

/** a + b in long double; null when the sum is infinite or NaN. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.inf || b.inf) return null;
  if (b.m === 0n) return a.m === 0n ? { neg: a.neg && b.neg, m: 0n, e: 0, inf: false } : a;
  if (a.m === 0n) return b;
  const e = Math.min(a.e, b.e);
  const va = a.m << BigInt(a.e - e);
  const vb = b.m << BigInt(b.e - e);
  const sum = (a.neg ? -va : va) + (b.neg ? -vb : vb);
  if (sum === 0n) return { neg: false, m: 0n, e: 0, inf: false };
  const r = roundLongDouble(sum < 0n, sum < 0n ? -sum : sum, 1n, e);
  return r === 0 ? { neg: false, m: 0n, e: 0, inf: false } : r;
}

/** printf("%.17Lf") with trailing zeros (and a bare '.') trimmed, and "-0" as "0" (ld2string). */
export function formatLongDouble(x: LongDouble): string {
  const scaled = x.m * TEN_17;
  let q: bigint;
  if (x.e >= 0) {
    q = scaled << BigInt(x.e);
  } else {
    const sh = BigInt(-x.e);
    q = scaled >> sh;
    const rest = scaled - (q << sh);
    const half = 1n << (sh - 1n);
    if (rest > half || (rest === half && (q & 1n) === 1n)) q++;
  }
  let s = q.toString();
  if (s.length < 18) s = '0'.repeat(18 - s.length) + s;
  const frac = s.substring(s.length - 17).replace(/0+$/, '');
  const out = (x.neg ? '-' : '') + s.substring(0, s.length - 17) + (frac.length > 0 ? '.' + frac : '');
  return out === '-0' ? '0' : out;
}
