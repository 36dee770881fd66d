// placeholder: zsets commands
import type { CommandDef } from './table.js';
export const zsetCommands: CommandDef[] = [];
