// placeholder: admin commands
import type { CommandDef } from '../../commands/table.js';
export const adminCommands: CommandDef[] = [];
