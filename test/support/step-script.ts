// Test support: scripts of steps on two connections to one server, for comparing what two
// servers send when messages cross connections (pub/sub, client tracking): each step sends a
// command on one connection and reads a number of frames on one (a reply, or pushes arriving on
// the other connection; when the reader is not the sender, the sender's own reply is read next).

import { RawConnection } from './servers.js';
import { showBytes } from './compare.js';
import { encodeCommand } from '../../src/protocol/reply-parser.js';

/** [connection that sends, command, frames to read, connection that reads them (default: the sender)]. */
export type Step = [number, string[], number, number?];

export interface StepOptions {
  /** The protocol of each connection (HELLO 3 when 3). */
  resp: [number, number];
  /** FLUSHALL before the script. */
  flush?: boolean;
  /**
   * `$ID0` / `$ID1` in a command stand for the connections' client ids, and those ids read back
   * as `$ID0` / `$ID1` (ids differ between servers).
   */
  ids?: boolean;
  /** After the script, record what arrived unread on either connection. */
  leftovers?: boolean;
}

/** Runs the script and returns what each step read, as printable strings. */
export async function runSteps(port: number, steps: Step[], o: StepOptions): Promise<string[]> {
  const conns = [await RawConnection.connect(port), await RawConnection.connect(port)];
  try {
    if (o.flush === true) await conns[0].callRaw('FLUSHALL');
    for (let i = 0; i < 2; i++) if (o.resp[i] === 3) await conns[i].callRaw('HELLO', '3');
    const ids = o.ids === true ? [String(await conns[0].call('CLIENT', 'ID')), String(await conns[1].call('CLIENT', 'ID'))] : [];
    const show = (b: Buffer): string => {
      let s = showBytes(b);
      for (let i = 0; i < ids.length; i++) s = s.split(`:${ids[i]}\\r\\n`).join(`:$ID${i}\\r\\n`);
      return s;
    };
    const out: string[] = [];
    for (const [from, cmd, frames, reader] of steps) {
      conns[from].socket.write(encodeCommand(cmd.map((a) => (a === '$ID0' && ids.length !== 0 ? ids[0] : a === '$ID1' && ids.length !== 0 ? ids[1] : a))));
      out.push(frames === 0 ? '' : show(await conns[reader ?? from].readReplies(frames)));
      if (reader !== undefined && reader !== from) out.push(show(await conns[from].readReplies(1)));
    }
    if (o.leftovers === true) {
      await new Promise((r) => setTimeout(r, 50));
      out.push(`left: ${showBytes(conns[0].pending)} ${showBytes(conns[1].pending)}`);
    }
    return out;
  } finally {
    for (const c of conns) c.close();
  }
}
