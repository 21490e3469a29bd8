import type { ColumnType, Generated } from 'kysely';

// Core tables of permission-service, typed for kysely. Every timestamp is `timestamptz` and comes
// back as a JavaScript Date. Actor columns (`*_by`) hold a principal reference such as
// `user:<subject>`, `m2m:<client id>` or `system:permission-service`.

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface UsersTable {
  id: Generated<string>;
  /** Subject (`sub`) of the user at the identity provider; unique among users that are not deleted. */
  subject: string;
  email: string | null;
  display_name: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  deleted_at: NullableTimestamp;
  deleted_by: string | null;
  suspended_at: NullableTimestamp;
  /** End of the current suspension; null with `suspended_at` set means open-ended. */
  suspension_expires_at: NullableTimestamp;
  suspension_reason: string | null;
  suspended_by: string | null;
  /** History row of the current suspension. */
  suspension_id: string | null;
}

export type SuspensionEndReason = 'expired' | 'lifted' | 'superseded';

export interface UserSuspensionsTable {
  id: Generated<string>;
  user_id: string;
  reason: string;
  suspended_at: Timestamp;
  suspended_by: string;
  expires_at: NullableTimestamp;
  ended_at: NullableTimestamp;
  end_reason: SuspensionEndReason | null;
  lifted_by: string | null;
}

export interface PermissionsTable {
  /** `resource:action`, for example `users:suspend`. */
  name: string;
  description: string | null;
  created_at: CreatedAt;
}

export interface RolesTable {
  id: Generated<string>;
  name: string;
  description: string | null;
  parent_role_id: string | null;
  /** False for the system administrator role, which no API call can grant, change or delete. */
  grantable: Generated<boolean>;
  /** True for roles created by migrations; their name cannot change. */
  built_in: Generated<boolean>;
  created_at: CreatedAt;
  created_by: string;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  deleted_at: NullableTimestamp;
  deleted_by: string | null;
}

interface AssignmentColumns {
  id: Generated<string>;
  granted_at: CreatedAt;
  granted_by: string;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  revoked_by: string | null;
}

export interface RolePermissionsTable extends AssignmentColumns {
  role_id: string;
  permission: string;
}

export interface UserRolesTable extends AssignmentColumns {
  user_id: string;
  role_id: string;
}

/** A permission on one resource instance for one user, for example `accounts:read` on account 42. */
export interface ResourceGrantsTable extends AssignmentColumns {
  user_id: string;
  resource_type: string;
  resource_id: string;
  permission: string;
}

/** One outgoing message for BullMQ, stored in the outbox row until the relay publishes it. */
export interface OutboxMessage {
  queue: string;
  name: string;
  jobId: string;
  data: unknown;
  /** Epoch ms before which the job must not run (delayed job); absent for immediate jobs. */
  runAt?: number;
}

export interface OutboxTable {
  id: Generated<string>;
  /** Name of the event that wrote the row, for example `user.suspended`, for operators and logs. */
  topic: string;
  messages: ColumnType<OutboxMessage[], string, string>;
  created_at: CreatedAt;
  published_at: NullableTimestamp;
  attempts: Generated<number>;
  last_error: string | null;
}

export interface CoreTables {
  users: UsersTable;
  user_suspensions: UserSuspensionsTable;
  permissions: PermissionsTable;
  roles: RolesTable;
  role_permissions: RolePermissionsTable;
  user_roles: UserRolesTable;
  resource_grants: ResourceGrantsTable;
  outbox: OutboxTable;
}
