import { sql, type Kysely } from 'kysely';

// The permissions the platform's own APIs check and the built-in roles that carry them.
// Inheritance: administrator > security-operator > auditor. The system administrator role holds
// every platform permission and is not grantable: only a database operator can assign it.

const SEEDED_BY = 'system:migration';

export const PLATFORM_PERMISSIONS: Record<string, string> = {
  'sessions:revoke': 'End sessions of any user at the session gateway',
  'tokens:revoke': 'Blacklist access tokens of users and clients',
  'users:read': 'Read users, their suspensions, roles and permissions',
  'users:provision': 'Find or create users at login',
  'users:suspend': 'Suspend users and lift suspensions',
  'users:delete': 'Soft-delete and restore users',
  'roles:manage': 'Create, change and delete roles and assign them to users',
  'audit:read': 'Query the audit trail',
  'clients:manage': 'Register and manage M2M clients',
};

interface SeedRole {
  name: string;
  description: string;
  parent?: string;
  grantable: boolean;
  permissions: string[];
}

export const BUILT_IN_ROLES: SeedRole[] = [
  { name: 'auditor', description: 'Reads the audit trail and users', grantable: true, permissions: ['audit:read', 'users:read'] },
  {
    name: 'security-operator',
    description: 'Responds to threats: ends sessions, revokes tokens, suspends users',
    parent: 'auditor',
    grantable: true,
    permissions: ['sessions:revoke', 'tokens:revoke', 'users:suspend'],
  },
  { name: 'user-provisioner', description: 'Service role of the session gateway: provisions users at login', grantable: true, permissions: ['users:provision', 'users:read'] },
  {
    name: 'administrator',
    description: 'Administers users, roles and clients',
    parent: 'security-operator',
    grantable: true,
    permissions: ['users:provision', 'users:delete', 'roles:manage', 'clients:manage'],
  },
  {
    name: 'system-administrator',
    description: 'Break-glass role with every platform permission; never grantable through the API',
    grantable: false,
    permissions: Object.keys(PLATFORM_PERMISSIONS),
  },
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [name, description] of Object.entries(PLATFORM_PERMISSIONS)) {
    await sql`insert into permissions (name, description) values (${name}, ${description}) on conflict (name) do nothing`.execute(db);
  }
  // Parents come before children in BUILT_IN_ROLES, so each parent exists when its child is inserted.
  for (const role of BUILT_IN_ROLES) {
    await sql`
      insert into roles (name, description, parent_role_id, grantable, built_in, created_by)
      values (${role.name}, ${role.description},
              (select id from roles where name = ${role.parent ?? null} and deleted_at is null),
              ${role.grantable}, true, ${SEEDED_BY})`.execute(db);
    for (const permission of role.permissions) {
      await sql`
        insert into role_permissions (role_id, permission, granted_by)
        values ((select id from roles where name = ${role.name} and deleted_at is null), ${permission}, ${SEEDED_BY})`.execute(db);
    }
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const builtIn = sql`(select id from roles where built_in)`;
  await sql`delete from user_roles where role_id in ${builtIn}`.execute(db);
  await sql`delete from role_permissions where role_id in ${builtIn}`.execute(db);
  await sql`update roles set parent_role_id = null where parent_role_id in ${builtIn}`.execute(db);
  await sql`delete from roles where built_in`.execute(db);
  for (const name of Object.keys(PLATFORM_PERMISSIONS)) {
    await sql`
      delete from permissions p where p.name = ${name}
        and not exists (select 1 from role_permissions rp where rp.permission = p.name)
        and not exists (select 1 from resource_grants rg where rg.permission = p.name)`.execute(db);
  }
}
