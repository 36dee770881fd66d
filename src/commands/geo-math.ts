// sin, cos and asin rounded as glibc rounds them, for the GEO distances (geohash.ts).
//
// Redis computes distances with glibc's libm, whose sin/cos/asin give the correctly rounded
// result in practice; V8's Math.sin/cos/asin (fdlibm) are within an ulp but not always the
// nearest double, and a STOREDIST score or a point on a search's edge shows the difference.
// So the value is computed in double-double arithmetic (about 106 bits) and rounded once:
// - sin/cos: the argument is reduced by multiples of pi/2 (pi/2 as three doubles), then a Taylor
//   series in double-double; arguments past 2^20 (never a latitude or a longitude difference in
//   radians) fall back to Math;
// - asin: Math.asin's answer refined by one Newton step on sin in double-double; near 1 (an
//   angle near pi/2, where the step is ill-conditioned) Math.asin is kept.

const SPLITTER = 134217729; // 2^27 + 1, Dekker's split.

/** Double-double results: the high part and the low part of the last operation. */
let ddHi = 0;
let ddLo = 0;

/** a + b exactly, as hi + lo (Knuth's two-sum), into ddHi/ddLo. */
function twoSum(a: number, b: number): void {
  const s = a + b;
  const bb = s - a;
  ddLo = a - (s - bb) + (b - bb);
  ddHi = s;
}

/** a * b exactly, as hi + lo (Dekker's product), into ddHi/ddLo. */
function twoProd(a: number, b: number): void {
  const p = a * b;
  let t = SPLITTER * a;
  const aHi = t - (t - a);
  const aLo = a - aHi;
  t = SPLITTER * b;
  const bHi = t - (t - b);
  const bLo = b - bHi;
  ddLo = aHi * bHi - p + aHi * bLo + aLo * bHi + aLo * bLo;
  ddHi = p;
}

/** (ah + al) + (bh + bl), normalized, into ddHi/ddLo. */
function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  twoSum(ah, bh);
  const sh = ddHi;
  let sl = ddLo;
  twoSum(al, bl);
  sl += ddHi;
  const tl = ddLo;
  twoSum(sh, sl);
  const h = ddHi;
  const l = ddLo + tl;
  twoSum(h, l);
}

/** (ah + al) * (bh + bl), normalized, into ddHi/ddLo. */
function ddMul(ah: number, al: number, bh: number, bl: number): void {
  twoProd(ah, bh);
  const ph = ddHi;
  const pl = ddLo + (ah * bl + al * bh);
  twoSum(ph, pl);
}

/** (ah + al) / d for a double d, into ddHi/ddLo. */
function ddDivD(ah: number, al: number, d: number): void {
  const q1 = ah / d;
  twoProd(q1, d);
  // remainder = (ah + al) - q1 * d
  ddAdd(ah, al, -ddHi, -ddLo);
  const q2 = (ddHi + ddLo) / d;
  twoSum(q1, q2);
}

// pi/2 as the sum of three doubles.
const PIO2_1 = 1.5707963267948966;
const PIO2_2 = 6.123233995736766e-17;
const PIO2_3 = -1.4973849048591698e-33;
const REDUCE_MAX = 1048576;

/** Reduced argument r (double-double, |r| <= ~pi/4) and quadrant k of x = k * pi/2 + r. */
let redHi = 0;
let redLo = 0;
function reduce(x: number): number {
  const k = Math.round(x / PIO2_1);
  // x - k * pi/2, each product exact in two doubles.
  twoProd(k, PIO2_1);
  const p1h = ddHi;
  const p1l = ddLo;
  twoProd(k, PIO2_2);
  const p2h = ddHi;
  const p2l = ddLo;
  ddAdd(x, 0, -p1h, -p1l);
  ddAdd(ddHi, ddLo, -p2h, -p2l);
  ddAdd(ddHi, ddLo, -k * PIO2_3, 0);
  redHi = ddHi;
  redLo = ddLo;
  return k;
}

/**
 * sin (odd = true) or cos of the double-double r (|r| <= ~pi/4) by its Taylor series, into
 * ddHi/ddLo. Terms are summed in double-double while they matter to 2^-53 of the sum; the rest,
 * each below an ulp of the sum, only need double precision.
 */
function taylor(rh: number, rl: number, odd: boolean): void {
  ddMul(rh, rl, rh, rl);
  const r2h = ddHi;
  const r2l = ddLo;
  // term_0 = r (sin) or 1 (cos); term_{n+1} = -term_n * r^2 / ((m + 1)(m + 2)).
  let th = odd ? rh : 1;
  let tl = odd ? rl : 0;
  let sh = th;
  let sl = tl;
  let m = odd ? 1 : 0;
  for (; m < 60; m += 2) {
    ddMul(th, tl, r2h, r2l);
    ddDivD(ddHi, ddLo, -((m + 1) * (m + 2)));
    th = ddHi;
    tl = ddLo;
    ddAdd(sh, sl, th, tl);
    sh = ddHi;
    sl = ddLo;
    if (Math.abs(th) < Math.abs(sh) * 1.1e-16) break;
  }
  // The tail in double: terms below 2^-53 of the sum need only their leading bits.
  let t = th;
  let tail = 0;
  for (m += 2; m < 60; m += 2) {
    t = (-t * r2h) / ((m + 1) * (m + 2));
    tail += t;
    if (Math.abs(t) < Math.abs(sh) * 1e-40 || t === 0) break;
  }
  ddAdd(sh, sl, tail, 0);
}

/** sin(x) (cos when cosine) for |x| < 2^20 in double-double, into ddHi/ddLo. */
function sinCosDD(x: number, cosine: boolean): void {
  const k = reduce(x) + (cosine ? 1 : 0);
  const q = ((k % 4) + 4) % 4;
  // sin(r + q pi/2): sin r, cos r, -sin r, -cos r.
  taylor(redHi, redLo, (q & 1) === 0);
  if (q >= 2) {
    ddHi = -ddHi;
    ddLo = -ddLo;
  }
}

function sinCos(x: number, cosine: boolean): number {
  sinCosDD(x, cosine);
  return ddHi + ddLo;
}

export function sinRounded(x: number): number {
  if (x === 0 || !(Math.abs(x) < REDUCE_MAX)) return Math.sin(x);
  return sinCos(x, false);
}

export function cosRounded(x: number): number {
  if (!(Math.abs(x) < REDUCE_MAX)) return Math.cos(x);
  return sinCos(x, true);
}

/** asin(s) for s in [0, 1] (Redis takes it of a square root), correctly rounded below 0.999. */
export function asinRounded(s: number): number {
  const y = Math.asin(s);
  if (!(s > 0 && s < 0.999)) return y;
  // Newton on f(y) = sin(y) - s: y - (sin y - s) / cos y, the step in double-double.
  sinCosDD(y, false);
  ddAdd(ddHi, ddLo, -s, 0);
  const step = (ddHi + ddLo) / Math.cos(y);
  twoSum(y, -step);
  return ddHi + ddLo;
}
