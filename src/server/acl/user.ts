// An ACL user (Redis 7.0's `user`): its flags (on/off, nopass, payload sanitizing), its password
// hashes (SHA-256 hex: a password is never kept in clear) and its selectors, the first being the
// root one. setRule() ports ACLSetUser; setRules() ports ACLStringSetUser (selector arguments
// merged, every rule staged on a copy, nothing applied unless all of them are valid); describe()
// ports ACLDescribeUser, the form ACL LIST and ACL SAVE write.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { CommandCatalog } from './catalog.js';
import { SELECTOR_ALLCHANNELS, SELECTOR_ALLCOMMANDS, SELECTOR_ALLKEYS, SELECTOR_ROOT, Selector, type RuleError } from './selector.js';

export const USER_ENABLED = 1;
export const USER_DISABLED = 2;
export const USER_NOPASS = 4;
export const USER_SKIP_SANITIZE = 8;
export const USER_SANITIZE = 16;

/** ACLUserFlags: the order ACL LIST and GETUSER show them in. */
export const USER_FLAG_NAMES: Array<[number, string]> = [
  [USER_ENABLED, 'on'],
  [USER_DISABLED, 'off'],
  [USER_NOPASS, 'nopass'],
  [USER_SKIP_SANITIZE, 'skip-sanitize-payload'],
  [USER_SANITIZE, 'sanitize-payload'],
];

/** SHA-256 of a password's bytes (latin1 string), as lowercase hex. */
export function hashPassword(password: string): string {
  return createHash('sha256').update(password, 'latin1').digest('hex');
}

function validHash(hash: string): boolean {
  return /^[0-9a-f]{64}$/.test(hash);
}

/** ACLSetUserStringError. */
export function ruleErrorMessage(error: RuleError | 'EALREADY'): string {
  switch (error) {
    case 'ENOENT':
      return 'Unknown command or category name in ACL';
    case 'EINVAL':
      return 'Syntax error';
    case 'EEXIST':
      return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    case 'EISDIR':
      return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels";
    case 'ENODEV':
      return 'The password you are trying to remove from the user does not exist';
    case 'EBADMSG':
      return 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters';
    case 'EALREADY':
      return 'Duplicate user found. A user can only be defined once in config files';
    case 'ECHILD':
      return 'Allowing first-arg of a subcommand is not supported';
  }
}

/**
 * ACLMergeSelectorArguments: a selector may be spread over several arguments ("(~x*", "+get)");
 * they are joined with spaces. Returns the merged rules, or the index of an unclosed "(".
 */
export function mergeSelectorArgs(args: string[]): string[] | number {
  const out: string[] = [];
  let open = -1;
  let selector = '';
  for (let j = 0; j < args.length; j++) {
    const op = args[j];
    if (op[0] === '(' && op[op.length - 1] !== ')') {
      selector = op;
      open = j;
      continue;
    }
    if (open !== -1) {
      selector += ` ${op}`;
      if (op[op.length - 1] === ')') {
        open = -1;
        out.push(selector);
      }
      continue;
    }
    out.push(op);
  }
  return open !== -1 ? open : out;
}

/** sdssplitargs as ACL selectors need it: words split on spaces, quotes honoured; null if unbalanced. */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && /\s/.test(line[i])) i++;
    if (i >= n) return out;
    let word = '';
    let inDq = false;
    let inSq = false;
    for (;;) {
      const ch = line[i];
      if (inDq) {
        if (i >= n) return null;
        if (ch === '\\' && i + 1 < n) {
          i++;
          const e = line[i];
          word += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (ch === '"') {
          if (i + 1 < n && !/\s/.test(line[i + 1])) return null;
          inDq = false;
          i++;
          break;
        } else word += ch;
      } else if (inSq) {
        if (i >= n) return null;
        if (ch === '\\' && line[i + 1] === "'") {
          i++;
          word += "'";
        } else if (ch === "'") {
          if (i + 1 < n && !/\s/.test(line[i + 1])) return null;
          inSq = false;
          i++;
          break;
        } else word += ch;
      } else {
        if (i >= n || /\s/.test(ch)) break;
        if (ch === '"') inDq = true;
        else if (ch === "'") inSq = true;
        else word += ch;
      }
      i++;
    }
    out.push(word);
  }
}

export class AclUser {
  flags = USER_DISABLED;
  passwords: string[] = [];
  selectors: Selector[];
  /** describe()'s result, until a rule changes the user (Redis's acl_string). */
  private described: string | null = null;
  /**
   * Every command, key and channel allowed by the root selector: the dispatcher skips the ACL
   * check for such a user with this one test (kept by setRule/copyFrom).
   */
  unrestricted = false;

  /**
   * `pubsubDefault`: SELECTOR_ALLCHANNELS when acl-pubsub-default is allchannels (new selectors,
   * and `reset`, then allow every channel), else 0.
   */
  constructor(
    readonly name: string,
    readonly catalog: CommandCatalog,
    public pubsubDefault = 0,
  ) {
    this.selectors = [new Selector(catalog, SELECTOR_ROOT | pubsubDefault)];
  }

  get root(): Selector {
    return this.selectors[0];
  }

  get enabled(): boolean {
    return (this.flags & USER_DISABLED) === 0;
  }

  private changed(): void {
    this.described = null;
    const f = this.root.flags;
    const all = SELECTOR_ALLKEYS | SELECTOR_ALLCHANNELS | SELECTOR_ALLCOMMANDS;
    this.unrestricted = (f & all) === all;
  }

  /** ACLCopyUser: takes src's rules (the name stays). */
  copyFrom(src: AclUser): void {
    this.flags = src.flags;
    this.passwords = [...src.passwords];
    this.selectors = src.selectors.map((s) => s.copy());
    this.changed();
  }

  /** ACLSetUser: one rule; null when applied, else why it was refused. */
  setRule(op: string): RuleError | null {
    this.changed();
    const result = this.applyRule(op);
    this.changed();
    return result;
  }

  private applyRule(op: string): RuleError | null {
    if (op.length === 0) return null;
    const lower = op.toLowerCase();
    switch (lower) {
      case 'on':
        this.flags = (this.flags | USER_ENABLED) & ~USER_DISABLED;
        return null;
      case 'off':
        this.flags = (this.flags | USER_DISABLED) & ~USER_ENABLED;
        return null;
      case 'skip-sanitize-payload':
        this.flags = (this.flags | USER_SKIP_SANITIZE) & ~USER_SANITIZE;
        return null;
      case 'sanitize-payload':
        this.flags = (this.flags | USER_SANITIZE) & ~USER_SKIP_SANITIZE;
        return null;
      case 'nopass':
        this.flags |= USER_NOPASS;
        this.passwords = [];
        return null;
      case 'resetpass':
        this.flags &= ~USER_NOPASS;
        this.passwords = [];
        return null;
      case 'clearselectors':
        this.selectors.length = 1;
        return null;
      case 'reset':
        this.applyRule('resetpass');
        this.applyRule('resetkeys');
        this.applyRule('resetchannels');
        if (this.pubsubDefault !== 0) this.applyRule('allchannels');
        this.applyRule('off');
        this.applyRule('sanitize-payload');
        this.applyRule('clearselectors');
        this.applyRule('-@all');
        return null;
    }
    const first = op[0];
    if (first === '>' || first === '#') {
      let hash: string;
      if (first === '>') hash = hashPassword(op.slice(1));
      else {
        hash = op.slice(1);
        if (!validHash(hash)) return 'EBADMSG';
      }
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.flags &= ~USER_NOPASS;
      return null;
    }
    if (first === '<' || first === '!') {
      let hash: string;
      if (first === '<') hash = hashPassword(op.slice(1));
      else {
        hash = op.slice(1);
        if (!validHash(hash)) return 'EBADMSG';
      }
      const at = this.passwords.indexOf(hash);
      if (at < 0) return 'ENODEV';
      this.passwords.splice(at, 1);
      return null;
    }
    if (first === '(' && op[op.length - 1] === ')') {
      const selector = new Selector(this.catalog, this.pubsubDefault);
      const words = splitArgs(op.slice(1, -1)) ?? [];
      for (const word of words) {
        const error = selector.apply(word);
        if (error !== null) return error;
      }
      this.selectors.push(selector);
      return null;
    }
    return this.root.apply(op);
  }

  /**
   * ACLStringSetUser's staging: applies every rule to a copy of this user; on success returns
   * the copy (the caller swaps it in), else the error reply's text.
   */
  staged(rules: string[]): AclUser | string {
    const merged = mergeSelectorArgs(rules);
    if (typeof merged === 'number') return `Unmatched parenthesis in acl selector starting at '${rules[merged]}'.`;
    const temp = new AclUser(this.name, this.catalog, this.pubsubDefault);
    temp.copyFrom(this);
    for (const op of merged) {
      const error = temp.setRule(op);
      if (error !== null) return `Error in ACL SETUSER modifier '${op}': ${ruleErrorMessage(error)}`;
    }
    return temp;
  }

  /** ACLCheckUserCredentials for an existing user: enabled, and nopass or one password matches. */
  checkPassword(password: string): boolean {
    if (!this.enabled) return false;
    if ((this.flags & USER_NOPASS) !== 0) return true;
    const hashed = Buffer.from(hashPassword(password), 'latin1');
    let ok = false;
    for (const pass of this.passwords) if (timingSafeEqual(hashed, Buffer.from(pass, 'latin1'))) ok = true;
    return ok;
  }

  /** ACLDescribeUser: flags, #hashes, the root selector, then each other selector in parentheses. */
  describe(): string {
    if (this.described !== null) return this.described;
    let out = '';
    for (const [flag, name] of USER_FLAG_NAMES) if ((this.flags & flag) !== 0) out += `${name} `;
    for (const pass of this.passwords) out += `#${pass} `;
    for (const s of this.selectors) {
      const text = s.describe();
      out += (s.flags & SELECTOR_ROOT) !== 0 ? text : ` (${text})`;
    }
    this.described = out;
    return out;
  }
}
