// The user a node's own clients run as (replication streams, slot imports, clients made before
// the node's ACL state exists): named "default" and allowed everything. Connections made by the
// node start as its ACL's default user instead (server/acl/registry.ts).

import { REDIS_CATALOG } from './catalog.js';
import { AclUser } from './user.js';

export const UNRESTRICTED_USER: AclUser = new AclUser('default', REDIS_CATALOG);
for (const rule of ['+@all', '~*', '&*', 'on', 'nopass']) UNRESTRICTED_USER.setRule(rule);
