import type { Caller } from '../auth/caller.ts';

/** The principal that performed a change, as recorded in `*_by` columns and audit events. */
export interface Actor {
  readonly principal: { readonly type: 'user' | 'm2m' | 'system'; readonly id: string };
  /** `user:<subject>`, `m2m:<client id>` or `system:<component>`. */
  readonly reference: string;
  readonly requestId?: string;
  readonly traceId?: string;
}

export const SYSTEM_ACTOR: Actor = { principal: { type: 'system', id: 'permission-service' }, reference: 'system:permission-service' };

export function actorOf(caller: Caller, request: { id: string; traceId?: string }): Actor {
  return { principal: caller.principal, reference: caller.reference, requestId: request.id, ...(request.traceId ? { traceId: request.traceId } : {}) };
}
