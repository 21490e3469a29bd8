import { HttpProblem } from '@platform/service-kit';

/**
 * The grant policy: a caller may give a role to someone, or shape a role, only when the caller
 * holds every permission the role carries (including inherited ones), so no caller can hand out
 * more than it has. The system administrator role (not grantable) is refused whatever the caller holds.
 */
export function assertMayGrant(callerPermissions: ReadonlySet<string>, role: { name: string; grantable: boolean }, rolePermissions: readonly string[]): void {
  if (!role.grantable) {
    throw new HttpProblem(403, 'role_not_grantable', `The role ${role.name} cannot be granted or changed through the API.`);
  }
  const missing = rolePermissions.filter((permission) => !callerPermissions.has(permission));
  if (missing.length > 0) {
    throw new HttpProblem(403, 'grant_exceeds_caller_permissions', `The role carries permissions the caller does not hold: ${missing.join(', ')}.`, {
      extensions: { missingPermissions: missing },
    });
  }
}
