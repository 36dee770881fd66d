// A node's ACL state (Redis 7.0's Users, DefaultUser and ACLLog globals): the users by name, the
// `default` user every new connection starts as (its password bound to requirepass), the
// security log, and the ACL file's load and save. aclFor(node) gives a node its one Acl, made
// on first use (with requirepass and the aclfile read then).

import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { REDIS_CATALOG, type CommandCatalog } from './catalog.js';
import { AclLog } from './acl-log.js';
import { SELECTOR_ALLCHANNELS, hasSpaces } from './selector.js';
import { AclUser, USER_DISABLED, USER_NOPASS, mergeSelectorArgs, ruleErrorMessage } from './user.js';

export class Acl {
  private users = new Map<string, AclUser>();
  readonly defaultUser: AclUser;
  readonly log = new AclLog();
  /** acl-pubsub-default: SELECTOR_ALLCHANNELS (allchannels) or 0 (resetchannels, 7.0's default). */
  pubsubDefault = 0;
  /** Why the aclfile could not be loaded when the state was made (the node then refuses to start). */
  startupError: string | null = null;

  constructor(
    readonly catalog: CommandCatalog = REDIS_CATALOG,
    requirepass = '',
    pubsubDefault = 0,
  ) {
    this.pubsubDefault = pubsubDefault;
    this.defaultUser = this.createDefaultUser();
    this.users.set('default', this.defaultUser);
    this.setRequirepass(requirepass);
  }

  /** ACLCreateDefaultUser: everything allowed, no password. */
  private createDefaultUser(): AclUser {
    const u = new AclUser('default', this.catalog);
    for (const rule of ['+@all', '~*', '&*', 'on', 'nopass']) u.setRule(rule);
    return u;
  }

  /** ACLUpdateDefaultUserPassword: requirepass is the default user's one password ('' for nopass). */
  setRequirepass(password: string): void {
    this.defaultUser.setRule('resetpass');
    this.defaultUser.setRule(password !== '' ? `>${password}` : 'nopass');
  }

  /** Redis's authRequired for a new connection: the default user needs a password or is off. */
  get defaultRequiresAuth(): boolean {
    const f = this.defaultUser.flags;
    return (f & USER_NOPASS) === 0 || (f & USER_DISABLED) !== 0;
  }

  get(name: string): AclUser | undefined {
    return this.users.get(name);
  }

  /** Users in name order (byte order, as Redis's radix tree lists them). */
  list(): AclUser[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** ACLCheckUserCredentials: the user, when it exists, is enabled and the password fits. */
  authenticate(name: string, password: string): AclUser | null {
    const u = this.users.get(name);
    return u !== undefined && u.checkPassword(password) ? u : null;
  }

  /**
   * ACLStringSetUser: applies rules to the user (created when missing) all at once. Returns the
   * error reply's text, or the user and the rules it had before (to find clients to drop).
   */
  setUser(name: string, rules: string[]): string | { user: AclUser; before: AclUser | null } {
    const existing = this.users.get(name);
    const base = existing ?? new AclUser(name, this.catalog, this.pubsubDefault);
    base.pubsubDefault = this.pubsubDefault;
    const staged = base.staged(rules);
    if (typeof staged === 'string') return staged;
    let before: AclUser | null = null;
    if (existing !== undefined) {
      before = new AclUser(name, this.catalog);
      before.copyFrom(existing);
    }
    base.copyFrom(staged);
    this.users.set(name, base);
    return { user: base, before };
  }

  /** Removes a user (never "default"); the caller disconnects its clients. */
  delete(name: string): AclUser | undefined {
    const u = this.users.get(name);
    if (u === undefined || u === this.defaultUser) return undefined;
    this.users.delete(name);
    return u;
  }

  /**
   * ACLLoadFromFile: every line is checked, and nothing changes unless the whole file is valid.
   * Returns the error reply's text, or the users replaced (all but the default user, whose
   * object stays and takes the file's rules), whose clients the caller disconnects.
   */
  loadFile(path: string): string | AclUser[] {
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch (err) {
      return `Error loading ACLs, opening file '${path}': ${systemMessage(err)}`;
    }
    return this.loadText(text, path);
  }

  /** loadFile's work on the file's text; `path` names it in errors. */
  loadText(text: string, path: string): string | AclUser[] {
    const fresh = new Map<string, AclUser>();
    let errors = '';
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = trimChars(lines[i], ' \t\r\n');
      const linenum = i + 1;
      if (line === '') continue;
      const argv = line.split(' ');
      if (argv[0] !== 'user' || argv.length < 2) {
        errors += `${path}:${linenum} should start with user keyword followed by the username. `;
        continue;
      }
      const name = argv[1];
      if (hasSpaces(name)) {
        errors += `'${path}:${linenum}: username '${name}' contains invalid characters. `;
        continue;
      }
      if (fresh.has(name)) {
        errors += `WARNING: Duplicate user '${name}' found on line ${linenum}. `;
        continue;
      }
      const u = new AclUser(name, this.catalog, this.pubsubDefault);
      fresh.set(name, u);
      const merged = mergeSelectorArgs(argv.slice(2));
      if (typeof merged === 'number') {
        errors += `${path}:${linenum}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      let syntaxError = false;
      for (const raw of merged) {
        const op = trimChars(raw, '\t\r\n');
        const error = u.setRule(op);
        if (error === null) continue;
        if (error === 'ENOENT') errors += `${path}:${linenum}: Error in applying operation '${op}': ${ruleErrorMessage(error)}. `;
        else if (!syntaxError) {
          errors += `${path}:${linenum}: ${ruleErrorMessage(error)}. `;
          syntaxError = true;
        }
      }
    }
    if (errors !== '') return `${errors}WARNING: ACL errors detected, no change to the previously active ACL rules was performed`;
    const replaced = [...this.users.values()].filter((u) => u !== this.defaultUser);
    const newDefault = fresh.get('default');
    if (newDefault !== undefined) this.defaultUser.copyFrom(newDefault);
    else this.defaultUser.copyFrom(this.createDefaultUser());
    fresh.set('default', this.defaultUser);
    this.users = fresh;
    return replaced;
  }

  /** ACLSaveToFile: every user as a "user <name> <rules>" line, written to a temp file then renamed. */
  saveFile(path: string): boolean {
    let text = '';
    for (const u of this.list()) text += `user ${u.name} ${u.describe()}\n`;
    const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
    try {
      writeFileSync(tmp, text, { encoding: 'latin1', mode: 0o644 });
      renameSync(tmp, path);
      return true;
    } catch {
      try {
        unlinkSync(tmp);
      } catch {
        // nothing was written
      }
      return false;
    }
  }
}

function trimChars(s: string, chars: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && chars.includes(s[a])) a++;
  while (b > a && chars.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

/** strerror() of a Node file error. */
function systemMessage(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'EACCES') return 'Permission denied';
  if (code === 'EISDIR') return 'Is a directory';
  return String((err as Error).message);
}

/** What aclFor needs of a node: its config. */
export interface AclConfigSource {
  readonly config: { str(name: string): string; int(name: string): number; readonly userLines?: readonly string[] };
}

/** Redis's refusal of `user` lines in the config file alongside an aclfile. */
const CONFIG_AND_ACLFILE =
  'Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.';

const ACLS = new WeakMap<object, Acl>();

/** The node's ACL state, made on first use from its requirepass (and its aclfile, when set). */
export function aclFor(node: AclConfigSource): Acl {
  let acl = ACLS.get(node);
  if (acl === undefined) {
    const pubsubDefault = node.config.str('acl-pubsub-default') === 'allchannels' ? SELECTOR_ALLCHANNELS : 0;
    acl = new Acl(REDIS_CATALOG, node.config.str('requirepass'), pubsubDefault);
    ACLS.set(node, acl);
    acl.log.maxLen = node.config.int('acllog-max-len');
    const file = aclFileOf(node);
    const declared = node.config.userLines ?? [];
    if (declared.length > 0) {
      // As ACLLoadConfiguredUsers: users from the config file, and never together with an aclfile.
      if (file !== '') acl.startupError = CONFIG_AND_ACLFILE;
      else {
        const loaded = acl.loadText(declared.map((rules) => `user ${rules}`).join('\n'), 'config');
        if (typeof loaded === 'string') acl.startupError = loaded;
      }
    } else if (file !== '') {
      const loaded = acl.loadFile(file);
      if (typeof loaded === 'string') acl.startupError = loaded;
    }
  }
  return acl;
}

/** The aclfile parameter ('' when unset or unknown to the config). */
export function aclFileOf(node: AclConfigSource): string {
  try {
    return node.config.str('aclfile');
  } catch {
    return '';
  }
}
