// Byte-level helpers shared by the protocol, store and commands: latin1 strings are the
// binary-safe representation of keys and values (one char per byte), and Buffer's internal
// latin1Slice/latin1Write are the fastest way in and out of them.

interface Latin1Buffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(str: string, offset: number, length?: number): number;
}

/** Bytes [start, end) of buf as a latin1 string (binary safe). */
export function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as Latin1Buffer).latin1Slice(start, end);
}

/**
 * Writes a latin1 string into buf at offset; returns bytes written. Short strings are copied by
 * a JS loop: cheaper than a call into the runtime for the few bytes most replies carry.
 */
export function writeLatin1(buf: Buffer, str: string, offset: number): number {
  const len = str.length;
  if (len < 48) {
    for (let i = 0; i < len; i++) buf[offset + i] = str.charCodeAt(i);
    return len;
  }
  return (buf as Latin1Buffer).latin1Write(str, offset, len);
}

const MAX_SAFE_DIGITS = 19;

/**
 * Parses bytes [start, end) as a signed 64-bit decimal integer the way Redis's string2ll does:
 * no spaces, no '+', no leading zeros (except "0"), no "-0". Returns undefined when invalid or
 * outside the int64 range; values beyond 2^53 come back as a bigint-safe Number only if exact,
 * otherwise undefined is NOT returned: use parseInt64Big for the full range.
 */
export function parseInteger(buf: Buffer, start: number, end: number): number | undefined {
  const len = end - start;
  if (len === 0 || len > 20) return undefined;
  let i = start;
  let negative = false;
  if (buf[i] === 45) {
    negative = true;
    i++;
    if (i === end) return undefined;
  }
  const first = buf[i];
  if (first === 48) {
    return i + 1 === end && !negative ? 0 : undefined;
  }
  if (first < 49 || first > 57) return undefined;
  if (end - i > MAX_SAFE_DIGITS) return undefined;
  let value = 0;
  if (end - i <= 15) {
    for (; i < end; i++) {
      const c = buf[i] - 48;
      if (c < 0 || c > 9) return undefined;
      value = value * 10 + c;
    }
    return negative ? -value : value;
  }
  const big = parseInt64Big(buf, start, end);
  if (big === undefined) return undefined;
  value = Number(big);
  return value;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** Full-range int64 parse (Redis string2ll rules) as a bigint. */
export function parseInt64Big(buf: Buffer, start: number, end: number): bigint | undefined {
  const len = end - start;
  if (len === 0 || len > 20) return undefined;
  let i = start;
  if (buf[i] === 45) i++;
  if (i === end) return undefined;
  if (buf[i] === 48 && (end - i > 1 || i > start)) return undefined;
  for (let j = i; j < end; j++) {
    const c = buf[j];
    if (c < 48 || c > 57) return undefined;
  }
  const v = BigInt(latin1(buf, start, end));
  if (v > INT64_MAX || v < INT64_MIN) return undefined;
  return v;
}

/** Same rules as parseInt64Big over a latin1 string (stored values). */
export function parseInt64String(s: string): bigint | undefined {
  const len = s.length;
  if (len === 0 || len > 20) return undefined;
  let i = 0;
  if (s.charCodeAt(0) === 45) i++;
  if (i === len) return undefined;
  if (s.charCodeAt(i) === 48 && (len - i > 1 || i > 0)) return undefined;
  for (let j = i; j < len; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return undefined;
  }
  const v = BigInt(s);
  if (v > INT64_MAX || v < INT64_MIN) return undefined;
  return v;
}

export { INT64_MAX, INT64_MIN };
