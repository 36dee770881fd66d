// Two reply and replication helpers of the node's command loop: a command given as words made
// into parsed arguments (to replicate a write made outside a command's call), and dropping the
// replies a CLIENT REPLY OFF/SKIP client must not get while keeping its push frames.

import { parseReply } from '../protocol/reply-parser.js';
import type { CommandArgs } from '../protocol/request-parser.js';
import type { ReplyWriter } from '../protocol/reply-writer.js';

/** A command's words as arguments (latin1: binary-safe). */
export function argsOfWords(words: string[]): CommandArgs {
  const buf = Buffer.from(words.join(''), 'latin1');
  const start: number[] = [];
  const end: number[] = [];
  let pos = 0;
  for (const w of words) {
    start.push(pos);
    pos += w.length;
    end.push(pos);
  }
  return { buf, argc: words.length, start, end };
}

/**
 * Drops the replies written past `at`, keeping the push frames among them (RESP3 frames that
 * start with '>', and the pub/sub confirmations whose starts the writer recorded).
 */
export function keepPushesOnly(w: ReplyWriter, at: number, pushStarts: number[]): void {
  const bytes = Buffer.from(w.since(at));
  const kept: Buffer[] = [];
  let off = 0;
  while (off < bytes.length) {
    const r = parseReply(bytes, off);
    if (r === null) break;
    if (bytes[off] === 62 /* '>' */ || pushStarts.includes(at + off)) kept.push(bytes.subarray(off, r[1]));
    off = r[1];
  }
  w.truncate(at);
  for (const frame of kept) w.raw(frame);
}
