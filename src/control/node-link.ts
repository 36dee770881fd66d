// A control-plane connection to one node: sends one command at a time over RESP and awaits its
// reply, with a deadline. Used by coordinators to probe nodes and hand them topology documents;
// never on the data path (the smart client in src/client is the data-path client). With a
// LinkSecurity the connection is TLS and/or authenticates first (util/link-security.ts): AUTH's
// reply is consumed, and a refusal rejects the call.

import { LINK_READY, authNotNeeded, authRefusal, dialLink, sendsAuth, type LinkSecurity } from '../util/link-security.js';
import { encodeCommand, parseReply, type ReplyValue } from '../protocol/reply-parser.js';

export class NodeLinkError extends Error {
  readonly code = 'E_NODE_LINK';
}

/** A flat field/value array reply (CORRAL CONTROL, CORRAL RESHARD STATUS) as a map; anything else is empty. */
export function fieldPairs(r: ReplyValue): Map<string, string> {
  const m = new Map<string, string>();
  if (Array.isArray(r)) for (let i = 0; i + 1 < r.length; i += 2) m.set(String(r[i]), String(r[i + 1]));
  return m;
}

/** Connects, sends one command, resolves with its reply (an error reply is a value, not a throw). */
export function callNode(host: string, port: number, args: Array<string | Buffer | number>, timeoutMs = 2000, security?: LinkSecurity): Promise<ReplyValue> {
  return new Promise((resolve, reject) => {
    const socket = dialLink(host, port, security);
    let authPending = sendsAuth(security);
    let buf: Buffer = Buffer.alloc(0);
    const finish = (err: Error | null, value?: ReplyValue): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err !== null) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => finish(new NodeLinkError(`${host}:${port}: no reply within ${timeoutMs} ms`)), timeoutMs);
    socket.once(LINK_READY, () => socket.write(encodeCommand(args)));
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      try {
        let r = parseReply(buf);
        if (r !== null && authPending) {
          authPending = false;
          const v = r[0];
          if (typeof v === 'object' && v !== null && 'error' in v && !authNotNeeded(v.error)) {
            finish(new NodeLinkError(authRefusal(`${host}:${port}`, security, v.error)));
            return;
          }
          buf = buf.subarray(r[1]);
          r = parseReply(buf);
        }
        if (r !== null) finish(null, r[0]);
      } catch (err) {
        finish(new NodeLinkError(`${host}:${port}: ${(err as Error).message}`));
      }
    });
    socket.once('error', (err) => finish(new NodeLinkError(`${host}:${port}: ${err.message}`)));
    socket.once('close', () => finish(new NodeLinkError(`${host}:${port}: connection closed`)));
  });
}

/** Resolves once the node answers PING, retrying every 50 ms until the deadline. */
export async function waitForNode(host: string, port: number, deadlineMs = 10_000, security?: LinkSecurity): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      const r = await callNode(host, port, ['PING'], 1000, security);
      if (typeof r === 'object' && r !== null && 'simple' in r && r.simple === 'PONG') return;
    } catch (err) {
      if (Date.now() > until) throw err;
    }
    if (Date.now() > until) throw new NodeLinkError(`${host}:${port} did not answer PING`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
