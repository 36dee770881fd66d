// Parser for replies (RESP2 and RESP3), for clients and tests: turns bytes into RespValue trees,
// or reports that more bytes are needed. Attributes (`|`) are skipped; pushes (`>`) are
// returned as {push: [...]} so a caller can tell them from replies.

import type { RespValue } from './resp-value.js';
import { latin1 } from '../util/bytes.js';

export type ReplyValue = RespValue | { push: RespValue[] };

/** Thrown for bytes that are not RESP. */
export class ReplyProtocolError extends Error {}

const INCOMPLETE = Symbol('incomplete');

/**
 * Parses one reply from buf at offset. Returns [value, nextOffset], or null when the reply is
 * not complete yet.
 */
export function parseReply(buf: Buffer, offset = 0): [ReplyValue, number] | null {
  const r = parseAt(buf, offset);
  return r === INCOMPLETE ? null : r;
}

type Result = [ReplyValue, number] | typeof INCOMPLETE;

function lineEnd(buf: Buffer, from: number): number {
  const i = buf.indexOf(13, from);
  if (i < 0 || i + 1 >= buf.length) return -1;
  return i;
}

function parseAt(buf: Buffer, p: number): Result {
  if (p >= buf.length) return INCOMPLETE;
  const type = buf[p];
  const e = lineEnd(buf, p + 1);
  if (e < 0) return INCOMPLETE;
  const line = latin1(buf, p + 1, e);
  const next = e + 2;
  switch (type) {
    case 43: // +
      return [{ simple: line }, next];
    case 45: // -
      return [{ error: line }, next];
    case 58: // :
      return [Number(line), next];
    case 95: // _
      return [null, next];
    case 44: // ,
      return [{ double: line === 'inf' ? Infinity : line === '-inf' ? -Infinity : Number(line) }, next];
    case 35: // #
      return [{ bool: line === 't' }, next];
    case 40: // ( big number: kept as its decimal text
      return [line, next];
    case 36: // $
    case 61: // =
    case 33: {
      // ! blob error
      const len = /^-?\d+$/.test(line) ? Number(line) : NaN;
      if (!Number.isInteger(len)) throw new ReplyProtocolError(`invalid length ${JSON.stringify(line)}`);
      if (len < 0) return [null, next];
      if (buf.length < next + len + 2) return INCOMPLETE;
      const s = latin1(buf, next, next + len);
      const end = next + len + 2;
      if (type === 36) return [s, end];
      if (type === 33) return [{ error: s }, end];
      return [{ verbatim: s.slice(4), format: s.slice(0, 3) }, end];
    }
    case 42: // *
    case 126: // ~
    case 62: // >
    case 37: // %
    case 124: {
      // | attribute
      const n = /^-?\d+$/.test(line) ? Number(line) : NaN;
      if (!Number.isInteger(n)) throw new ReplyProtocolError(`invalid count ${JSON.stringify(line)}`);
      if (n < 0) return [null, next];
      const count = type === 37 || type === 124 ? n * 2 : n;
      const items: RespValue[] = [];
      let q = next;
      for (let i = 0; i < count; i++) {
        const r = parseAt(buf, q);
        if (r === INCOMPLETE) return INCOMPLETE;
        items.push(r[0] as RespValue);
        q = r[1];
      }
      if (type === 124) return parseAt(buf, q); // attribute: skip, return the value it annotates
      if (type === 126) return [{ set: items }, q];
      if (type === 62) return [{ push: items }, q];
      if (type === 37) {
        const map: Array<[RespValue, RespValue]> = [];
        for (let i = 0; i < items.length; i += 2) map.push([items[i], items[i + 1]]);
        return [{ map }, q];
      }
      return [items, q];
    }
    default:
      throw new ReplyProtocolError(`unexpected reply type byte ${type}`);
  }
}

/** Encodes a command as a RESP multibulk request. */
export function encodeCommand(args: Array<string | Buffer | number>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a), typeof a === 'string' ? 'utf8' : 'latin1');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}
