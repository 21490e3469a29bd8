// oidc-provider ships no type declarations; this makes ours visible to projects that import this one.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./oidc-provider.d.ts" />
export { startLocalIdp, type LocalIdp, type LocalIdpOptions } from './server.ts';
export { DEMO_ACCOUNTS, PLATFORM_PERMISSIONS, type DemoAccount } from './accounts.ts';
export { API_SCOPES, RESOURCE_SCOPES, CLIENT_AUTH_METHODS, CLIENT_IDS, CLIENT_PERMISSIONS, completeClientSecrets, type ClientId, type ClientSecrets } from './clients.ts';
export { DEFAULT_LIFETIMES, type TokenLifetimes } from './provider.ts';
