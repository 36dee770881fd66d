// CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR and CLIENT TRACKINGINFO, with Redis 7.0's
// option parsing, checks (in its order) and replies (networking.c). The bookkeeping and the
// invalidation messages are server/tracking.ts's.

import type { CommandContext } from '../../commands/context.js';
import { ERR_SYNTAX } from '../../commands/errors.js';
import { clientOf, serverOf } from './util.js';

export function clientTrackingCommand(c: CommandContext): void {
  const node = serverOf(c);
  const client = clientOf(c);
  let redirect = 0;
  let bcast = false;
  let optin = false;
  let optout = false;
  let noloop = false;
  const prefixes: string[] = [];
  for (let j = 3; j < c.argc; j++) {
    const more = c.argc - 1 - j > 0;
    if (c.is(j, 'redirect') && more) {
      j++;
      if (redirect !== 0) {
        c.w.error('ERR A client can only redirect to a single other client');
        return;
      }
      const id = c.int(j);
      if (id === undefined) {
        c.w.error('ERR value is not an integer or out of range');
        return;
      }
      if (!node.clients.has(id)) {
        c.w.error('ERR The client ID you want redirect to does not exist');
        return;
      }
      redirect = id;
    } else if (c.is(j, 'bcast')) bcast = true;
    else if (c.is(j, 'optin')) optin = true;
    else if (c.is(j, 'optout')) optout = true;
    else if (c.is(j, 'noloop')) noloop = true;
    else if (c.is(j, 'prefix') && more) prefixes.push(c.str(++j));
    else {
      c.w.error(ERR_SYNTAX);
      return;
    }
  }
  if (c.is(2, 'on')) {
    const st = client.tracking;
    const error =
      !bcast && prefixes.length !== 0
        ? 'ERR PREFIX option requires BCAST mode to be enabled'
        : st !== null && st.bcast !== bcast
          ? "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
          : bcast && (optin || optout)
            ? 'ERR OPTIN and OPTOUT are not compatible with BCAST'
            : optin && optout
              ? "ERR You can't specify both OPTIN mode and OPTOUT mode"
              : st !== null && ((optin && st.optout) || (optout && st.optin))
                ? "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
                : bcast
                  ? node.tracking.prefixCollision(client, prefixes)
                  : null;
    if (error !== null) {
      c.w.error(error);
      return;
    }
    node.tracking.enable(client, redirect, bcast, optin, optout, noloop, prefixes);
    node.refreshKeyHook();
  } else if (c.is(2, 'off')) {
    node.tracking.disable(client);
    node.refreshKeyHook();
  } else {
    c.w.error(ERR_SYNTAX);
    return;
  }
  c.w.ok();
}

export function clientCachingCommand(c: CommandContext): void {
  const st = clientOf(c).tracking;
  if (st === null) {
    c.w.error('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
    return;
  }
  if (c.is(2, 'yes')) {
    if (!st.optin) {
      c.w.error('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
      return;
    }
  } else if (c.is(2, 'no')) {
    if (!st.optout) {
      c.w.error('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
      return;
    }
  } else {
    c.w.error(ERR_SYNTAX);
    return;
  }
  st.caching = true;
  c.w.ok();
}

export function clientGetredirCommand(c: CommandContext): void {
  const st = clientOf(c).tracking;
  c.w.integer(st === null ? -1 : st.redirect);
}

export function clientTrackinginfoCommand(c: CommandContext): void {
  const st = clientOf(c).tracking;
  const flags: string[] = [st === null ? 'off' : 'on'];
  if (st !== null) {
    if (st.bcast) flags.push('bcast');
    if (st.optin) flags.push('optin');
    if (st.optin && st.caching) flags.push('caching-yes');
    if (st.optout) flags.push('optout');
    if (st.optout && st.caching) flags.push('caching-no');
    if (st.noloop) flags.push('noloop');
    if (st.brokenRedirect) flags.push('broken_redirect');
  }
  c.w.map(3);
  c.w.bulk('flags');
  c.w.set(flags.length);
  for (const f of flags) c.w.bulk(f);
  c.w.bulk('redirect');
  c.w.integer(st === null ? -1 : st.redirect);
  c.w.bulk('prefixes');
  const prefixes = st === null ? [] : [...st.prefixes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  c.w.array(prefixes.length);
  for (const p of prefixes) c.w.bulk(p);
}
