import { Type, type Static } from 'typebox';
import { NullableTimestamp, Timestamp } from '../http/schemas.ts';
import type { UserStatus } from './status.ts';

export const CurrentSuspension = Type.Object({
  id: Type.String(),
  reason: Type.String(),
  suspendedAt: Timestamp,
  suspendedBy: Type.String(),
  expiresAt: NullableTimestamp,
});

export const UserView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  subject: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  displayName: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('deleted')]),
  /** The current suspension while status is `suspended`, else null. */
  suspension: Type.Union([CurrentSuspension, Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  deletedAt: NullableTimestamp,
  deletedBy: Type.Union([Type.String(), Type.Null()]),
});
export type UserView = Static<typeof UserView>;

/** A users row with its derived status, as the queries in this folder select it. */
export interface UserRecord {
  id: string;
  subject: string;
  email: string | null;
  display_name: string | null;
  status: UserStatus;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  deleted_by: string | null;
  suspended_at: Date | null;
  suspension_expires_at: Date | null;
  suspension_reason: string | null;
  suspended_by: string | null;
  suspension_id: string | null;
}

export const USER_COLUMNS = [
  'id', 'subject', 'email', 'display_name', 'created_at', 'updated_at', 'deleted_at', 'deleted_by',
  'suspended_at', 'suspension_expires_at', 'suspension_reason', 'suspended_by', 'suspension_id',
] as const;

export function toUserView(user: UserRecord): UserView {
  const suspended = user.status === 'suspended' && user.suspended_at !== null;
  return {
    id: user.id,
    subject: user.subject,
    email: user.email,
    displayName: user.display_name,
    status: user.status,
    suspension: suspended
      ? {
          id: user.suspension_id ?? '',
          reason: user.suspension_reason ?? '',
          suspendedAt: user.suspended_at!.toISOString(),
          suspendedBy: user.suspended_by ?? '',
          expiresAt: user.suspension_expires_at?.toISOString() ?? null,
        }
      : null,
    createdAt: user.created_at.toISOString(),
    updatedAt: user.updated_at.toISOString(),
    deletedAt: user.deleted_at?.toISOString() ?? null,
    deletedBy: user.deleted_by,
  };
}
