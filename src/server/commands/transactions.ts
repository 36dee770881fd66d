// placeholder: transactions commands
import type { CommandDef } from '../../commands/table.js';
export const transactionsCommands: CommandDef[] = [];
