import type { JWTPayload } from 'jose';

/** Returns the permissions a token grants, from its `permissions` array and its `scope` string. */
export function grantedPermissions(payload: JWTPayload & Record<string, unknown>): Set<string> {
  const granted = new Set<string>();
  const permissions = payload['permissions'];
  if (Array.isArray(permissions)) {
    for (const permission of permissions) if (typeof permission === 'string') granted.add(permission);
  }
  const scope = payload['scope'] ?? payload['scp'];
  if (typeof scope === 'string') for (const item of scope.split(' ')) if (item !== '') granted.add(item);
  if (Array.isArray(scope)) for (const item of scope) if (typeof item === 'string') granted.add(item);
  return granted;
}
