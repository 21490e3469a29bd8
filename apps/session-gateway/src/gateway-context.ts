import type { Logger } from 'pino';
import type { AuditPublisher } from '@platform/queues';
import type { TokenVerifier } from '@platform/token-verifier';
import type { OidcClient } from './auth/oidc-client.ts';
import type { PendingLoginStore } from './auth/pending-login.ts';
import type { GatewayConfig } from './config/config.ts';
import type { TokenRefresher } from './proxy/token-refresher.ts';
import type { RevocationService } from './revocation/revocation-service.ts';
import type { CookiePolicy } from './security/cookies.ts';
import type { SessionStore } from './sessions/session-store.ts';
import type { PermissionServiceClient } from './users/permission-service-client.ts';

/** Everything the routes use, built once per gateway instance. */
export interface GatewayContext {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly sessions: SessionStore;
  readonly pendingLogins: PendingLoginStore;
  readonly oidc: OidcClient;
  /** Undefined when PERMISSION_SERVICE_URL is unset: logins are then not checked against user status. */
  readonly users: PermissionServiceClient | undefined;
  readonly revocations: RevocationService;
  readonly refresher: TokenRefresher;
  readonly verifier: TokenVerifier;
  readonly audit: AuditPublisher;
  readonly cookies: CookiePolicy;
  readonly now: () => number;
}
