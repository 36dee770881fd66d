// HELP replies, as Redis's addReplyHelp writes them: an array of status lines, for CLIENT HELP
// and the HELP subcommands of the other server-level commands.

import type { CommandContext } from '../../commands/context.js';

/** Writes a HELP reply: an array of status lines, as Redis's addReplyHelp. */
export function writeHelp(c: CommandContext, lines: readonly string[]): void {
  c.w.array(lines.length);
  for (const l of lines) c.w.simple(l);
}
