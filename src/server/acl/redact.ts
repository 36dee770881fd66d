// Secrets kept out of the SLOWLOG, as Redis's redactClientCommandArgument does: AUTH's password
// (and user), HELLO AUTH's user and password, every rule of ACL SETUSER, and the values of
// sensitive parameters in CONFIG SET (requirepass). Redis redacts while the command runs, so an
// argument after a syntax error stays: AUTH with too many arguments, HELLO with a bad version
// or option before AUTH, are shown as given.

import type { CommandArgs } from '../../protocol/request-parser.js';
import { latin1 } from '../../util/bytes.js';
import { PARAMS } from '../config.js';

export const REDACTED = '(redacted)';

const SENSITIVE = new Set(PARAMS.filter((p) => p.sensitive === true).flatMap((p) => (p.alias !== undefined ? [p.name, p.alias] : [p.name])));

/** The argument indexes a command's call hides, by the command's full name; empty for most commands. */
export function redactedPositions(fullName: string, args: CommandArgs): number[] {
  const arg = (i: number): string => latin1(args.buf, args.start[i], args.end[i]).toLowerCase();
  const argc = args.argc;
  switch (fullName) {
    case 'auth':
      return argc > 3 ? [] : argc === 3 ? [1, 2] : [1];
    case 'acl|setuser': {
      const out: number[] = [];
      for (let i = 2; i < argc; i++) out.push(i);
      return out;
    }
    case 'hello': {
      if (argc < 2) return [];
      const v = arg(1);
      if (v !== '2' && v !== '3') return [];
      const out: number[] = [];
      for (let j = 2; j < argc; j++) {
        const more = argc - 1 - j;
        if (arg(j) === 'auth' && more >= 2) {
          out.push(j + 1, j + 2);
          j += 2;
        } else if (arg(j) === 'setname' && more >= 1) j++;
        else break;
      }
      return out;
    }
    case 'config|set': {
      const out: number[] = [];
      for (let i = 2; i + 1 < argc; i += 2) if (SENSITIVE.has(arg(i))) out.push(i + 1);
      return out;
    }
    default:
      return [];
  }
}

/** The call as the SLOWLOG should keep it: args itself, or a copy with secrets replaced. */
export function redactedArgs(fullName: string, args: CommandArgs): CommandArgs {
  const hide = redactedPositions(fullName, args);
  if (hide.length === 0) return args;
  const parts: Buffer[] = [];
  for (let i = 0; i < args.argc; i++) parts.push(hide.includes(i) ? Buffer.from(REDACTED, 'latin1') : args.buf.subarray(args.start[i], args.end[i]));
  const start: number[] = [];
  const end: number[] = [];
  let at = 0;
  for (const p of parts) {
    start.push(at);
    end.push((at += p.length));
  }
  return { buf: Buffer.concat(parts), argc: args.argc, start, end };
}
