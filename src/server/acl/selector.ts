// One ACL selector (Redis 7.0's aclSelector): which commands it allows (a bitmap over the
// command catalog, plus first-argument exceptions such as `+select|0`), which keys (glob
// patterns with read/write permissions) and which pub/sub channels. A user has a root selector
// (the rules outside parentheses) and any number of `(...)` selectors; a command runs if one of
// them allows it all.
//
// describe() renders the selector as ACL LIST does, porting ACLDescribeSelector and its command
// rule compaction (ACLDescribeSelectorCommandRules): start from +@all or -@all, then greedily
// apply the category that best fits the bitmap (more commands in common than different, fewest
// differences, then most in common), never twice, and finish with single commands that still
// differ. A "fake" selector follows the emitted rules so that each step sees what is left.

import { CATEGORY_NAMES, categoryFlag, type AclCommand, type CommandCatalog } from './catalog.js';

/** Key pattern permissions (ACL_READ_PERMISSION, ACL_WRITE_PERMISSION). */
export const KEY_READ = 1;
export const KEY_WRITE = 2;
export const KEY_ALL = 3;

export const SELECTOR_ROOT = 1;
export const SELECTOR_ALLKEYS = 2;
export const SELECTOR_ALLCHANNELS = 4;
export const SELECTOR_ALLCOMMANDS = 8;

/** Why a rule was refused: Redis's errno values of ACLSetUser (see ruleErrorMessage in user.ts). */
export type RuleError = 'EINVAL' | 'ENOENT' | 'EEXIST' | 'EISDIR' | 'ENODEV' | 'EBADMSG' | 'ECHILD';

export interface KeyPattern {
  pattern: string;
  flags: number;
}

/** Redis's ACLStringHasSpaces: isspace() or NUL anywhere. */
export function hasSpaces(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c === 32 || (c >= 9 && c <= 13)) return true;
  }
  return false;
}

export class Selector {
  flags: number;
  /** One byte per catalog id, and a last one: "may run future commands" (set only by +@all). */
  allowed: Uint8Array;
  /** Allowed first arguments of otherwise denied commands, by command id. */
  firstArgs: Map<number, string[]> | null = null;
  patterns: KeyPattern[] = [];
  channels: string[] = [];

  constructor(
    readonly catalog: CommandCatalog,
    flags: number,
  ) {
    this.flags = flags;
    this.allowed = new Uint8Array(catalog.size + 1);
  }

  copy(): Selector {
    const s = new Selector(this.catalog, this.flags);
    s.allowed.set(this.allowed);
    if (this.firstArgs !== null) {
      s.firstArgs = new Map();
      for (const [id, args] of this.firstArgs) s.firstArgs.set(id, [...args]);
    }
    s.patterns = this.patterns.map((p) => ({ pattern: p.pattern, flags: p.flags }));
    s.channels = [...this.channels];
    return s;
  }

  get futureCommands(): boolean {
    return this.allowed[this.catalog.size] === 1;
  }

  commandBit(id: number): boolean {
    return this.allowed[id] === 1;
  }

  private setBit(id: number, allow: boolean): void {
    this.allowed[id] = allow ? 1 : 0;
    if (!allow) this.flags &= ~SELECTOR_ALLCOMMANDS;
  }

  /** ACLChangeSelectorPerm: a container command's rule applies to its subcommands too. */
  changePerm(cmd: AclCommand, allow: boolean): void {
    this.setBit(cmd.id, allow);
    if (this.firstArgs !== null) this.firstArgs.delete(cmd.id);
    for (const sub of cmd.subcommands) this.setBit(sub.id, allow);
  }

  private setCategory(flag: number, allow: boolean): void {
    for (const cmd of this.catalog.top) {
      if ((cmd.categories & flag) !== 0) this.changePerm(cmd, allow);
      for (const sub of cmd.subcommands) if ((sub.categories & flag) !== 0) this.changePerm(sub, allow);
    }
  }

  private addFirstArg(id: number, arg: string): void {
    if (this.firstArgs === null) this.firstArgs = new Map();
    const list = this.firstArgs.get(id);
    if (list === undefined) {
      this.firstArgs.set(id, [arg]);
      return;
    }
    const lower = arg.toLowerCase();
    if (!list.some((a) => a.toLowerCase() === lower)) list.push(arg);
  }

  /** ACLSetSelector: applies one rule; null when done, else why it was refused. */
  apply(op: string): RuleError | null {
    const lower = op.toLowerCase();
    if (lower === 'allkeys' || op === '~*') {
      this.flags |= SELECTOR_ALLKEYS;
      this.patterns = [];
    } else if (lower === 'resetkeys') {
      this.flags &= ~SELECTOR_ALLKEYS;
      this.patterns = [];
    } else if (lower === 'allchannels' || op === '&*') {
      this.flags |= SELECTOR_ALLCHANNELS;
      this.channels = [];
    } else if (lower === 'resetchannels') {
      this.flags &= ~SELECTOR_ALLCHANNELS;
      this.channels = [];
    } else if (lower === 'allcommands' || lower === '+@all') {
      this.allowed.fill(1);
      this.flags |= SELECTOR_ALLCOMMANDS;
      this.firstArgs = null;
    } else if (lower === 'nocommands' || lower === '-@all') {
      this.allowed.fill(0);
      this.flags &= ~SELECTOR_ALLCOMMANDS;
      this.firstArgs = null;
    } else if (op[0] === '~' || op[0] === '%') {
      return this.addKeyPattern(op);
    } else if (op[0] === '&') {
      if ((this.flags & SELECTOR_ALLCHANNELS) !== 0) return 'EISDIR';
      const pattern = op.slice(1);
      if (hasSpaces(pattern)) return 'EINVAL';
      if (!this.channels.includes(pattern)) this.channels.push(pattern);
      this.flags &= ~SELECTOR_ALLCHANNELS;
    } else if (op[0] === '+' && op[1] !== '@') {
      return this.allowCommand(op.slice(1));
    } else if (op[0] === '-' && op[1] !== '@') {
      const cmd = this.catalog.lookup(op.slice(1));
      if (cmd === undefined) return 'ENOENT';
      this.changePerm(cmd, false);
    } else if ((op[0] === '+' || op[0] === '-') && op[1] === '@') {
      const flag = categoryFlag(op.slice(2));
      if (flag === 0) return 'ENOENT';
      this.setCategory(flag, op[0] === '+');
    } else {
      return 'EINVAL';
    }
    return null;
  }

  private addKeyPattern(op: string): RuleError | null {
    if ((this.flags & SELECTOR_ALLKEYS) !== 0) return 'EEXIST';
    let flags = 0;
    let offset = 1;
    if (op[0] === '%') {
      for (; offset < op.length; offset++) {
        const c = op[offset].toUpperCase();
        if (c === 'R' && (flags & KEY_READ) === 0) flags |= KEY_READ;
        else if (c === 'W' && (flags & KEY_WRITE) === 0) flags |= KEY_WRITE;
        else if (op[offset] === '~') {
          offset++;
          break;
        } else return 'EINVAL';
      }
    } else {
      flags = KEY_ALL;
    }
    const pattern = op.slice(offset);
    if (hasSpaces(pattern)) return 'EINVAL';
    const existing = this.patterns.find((p) => p.pattern === pattern);
    if (existing === undefined) this.patterns.push({ pattern, flags });
    else existing.flags |= flags;
    this.flags &= ~SELECTOR_ALLKEYS;
    return null;
  }

  /** `+cmd`, `+container|sub`, or `+cmd|firstarg` (an exception for an otherwise denied command). */
  private allowCommand(name: string): RuleError | null {
    const bar = name.lastIndexOf('|');
    if (bar < 0) {
      const cmd = this.catalog.lookup(name);
      if (cmd === undefined) return 'ENOENT';
      this.changePerm(cmd, true);
      return null;
    }
    const cmd = this.catalog.lookup(name.slice(0, bar));
    if (cmd === undefined) return 'ENOENT';
    if (cmd.parent !== null) return 'ECHILD';
    const sub = name.slice(bar + 1);
    if (sub.length === 0) return 'EINVAL';
    if (cmd.subcommands.length > 0) {
      const subcommand = this.catalog.lookup(name);
      if (subcommand === undefined) return 'ENOENT';
      this.changePerm(subcommand, true);
    } else {
      this.addFirstArg(cmd.id, sub);
    }
    return null;
  }

  /** ACLDescribeSelector: keys, channels, then the command rules. */
  describe(): string {
    let out = '';
    if ((this.flags & SELECTOR_ALLKEYS) !== 0) out += '~* ';
    else for (const p of this.patterns) out += `${patternString(p)} `;
    if ((this.flags & SELECTOR_ALLCHANNELS) !== 0) out += '&* ';
    else {
      out += 'resetchannels ';
      for (const ch of this.channels) out += `&${ch} `;
    }
    return out + this.describeCommandRules();
  }

  /** ACLDescribeSelectorCommandRules (see the header). */
  describeCommandRules(): string {
    const catalog = this.catalog;
    const additive = !this.futureCommands;
    const fake = new Selector(catalog, 0);
    let rules = additive ? '-@all ' : '+@all ';
    fake.apply(additive ? '-@all' : '+@all');
    const temp = new Selector(catalog, 0);
    temp.allowed.set(this.allowed);
    const applied = new Array<boolean>(CATEGORY_NAMES.length).fill(false);
    for (;;) {
      let best = -1;
      let minDiff = Number.MAX_SAFE_INTEGER;
      let maxSame = 0;
      for (let j = 0; j < CATEGORY_NAMES.length; j++) {
        if (applied[j]) continue;
        const [on, off] = temp.countCategory(1 << j);
        const diff = additive ? off : on;
        const same = additive ? on : off;
        if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
          best = j;
          minDiff = diff;
          maxSame = same;
        }
      }
      if (best === -1) break;
      const name = CATEGORY_NAMES[best];
      fake.apply(`${additive ? '+' : '-'}@${name}`);
      temp.apply(`${additive ? '-' : '+'}@${name}`);
      rules += `${additive ? '+' : '-'}@${name} `;
      applied[best] = true;
    }
    for (const cmd of catalog.top) rules = this.singleCommandRules(cmd, fake, rules);
    return rules.slice(0, -1);
  }

  private countCategory(flag: number): [number, number] {
    let on = 0;
    let off = 0;
    this.catalog.forEach((cmd) => {
      if ((cmd.categories & flag) === 0) return;
      if (this.allowed[cmd.id] === 1) on++;
      else off++;
    });
    return [on, off];
  }

  /** ACLDescribeSelectorCommandRulesSingleCommands for one command and its subcommands. */
  private singleCommandRules(cmd: AclCommand, fake: Selector, rules: string): string {
    const userBit = this.commandBit(cmd.id);
    if (userBit !== fake.commandBit(cmd.id)) {
      rules += `${userBit ? '+' : '-'}${cmd.fullName} `;
      fake.changePerm(cmd, userBit);
    }
    for (const sub of cmd.subcommands) rules = this.singleCommandRules(sub, fake, rules);
    const firstArgs = this.firstArgs?.get(cmd.id);
    if (!userBit && firstArgs !== undefined) for (const arg of firstArgs) rules += `+${cmd.fullName}|${arg} `;
    return rules;
  }
}

/** sdsCatPatternString: `~pat`, `%R~pat` or `%W~pat`. */
export function patternString(p: KeyPattern): string {
  if (p.flags === KEY_ALL) return `~${p.pattern}`;
  if (p.flags === KEY_READ) return `%R~${p.pattern}`;
  if (p.flags === KEY_WRITE) return `%W~${p.pattern}`;
  // A `%~pat` rule gives a pattern no permission; Redis would abort here, corral shows it so.
  return `%~${p.pattern}`;
}
