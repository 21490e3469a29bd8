export { Authenticator, type AuthenticatorOptions } from './authenticator.ts';
export { principalFromToken, principalReference, type Caller, type CallerPrincipal, type CallerStanding } from './caller.ts';
export { callerOf, installAuthentication, requireAuthentication, requirePermission } from './require-permission.ts';
