// Minimal types for the parts of oidc-provider 9 that the test provider uses; the package ships none.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface KoaContextWithOIDC {
    path: string;
    method: string;
    status: number;
    body: unknown;
    oidc?: { params?: Record<string, unknown> };
  }

  export interface ClientLike {
    grantTypeAllowed(type: string): boolean;
  }

  export interface TokenLike {
    clientId?: string;
    accountId?: string;
  }

  export type Configuration = Record<string, unknown> & {
    clients?: Array<Record<string, unknown>>;
    features?: Record<string, unknown> & {
      resourceIndicators?: {
        enabled: boolean;
        defaultResource?: (ctx: KoaContextWithOIDC) => string | undefined;
        useGrantedResource?: (ctx: KoaContextWithOIDC) => boolean;
        getResourceServerInfo?: (ctx: KoaContextWithOIDC, resource: string) => Record<string, unknown>;
      };
    };
    issueRefreshToken?: (ctx: KoaContextWithOIDC, client: ClientLike) => Promise<boolean>;
    findAccount?: (ctx: KoaContextWithOIDC, id: string) => Promise<{ accountId: string; claims: () => Promise<Record<string, unknown>> } | undefined>;
    extraTokenClaims?: (ctx: KoaContextWithOIDC, token: TokenLike) => Promise<Record<string, unknown> | undefined>;
  };

  export interface InteractionDetails {
    uid: string;
    params: Record<string, unknown>;
    prompt: { name: string; details: Record<string, unknown> };
  }

  export class Grant {
    constructor(properties: { accountId: string; clientId: string });
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export class Provider {
    constructor(issuer: string, configuration: Configuration);
    proxy: boolean;
    readonly Grant: typeof Grant;
    use(middleware: (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>): void;
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    interactionDetails(request: IncomingMessage, response: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(request: IncomingMessage, response: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  }

  export const errors: { InvalidTarget: new (description?: string) => Error };
}
