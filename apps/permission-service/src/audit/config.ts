import type { VariableSpec } from '@platform/service-kit';

/** Environment variables of the audit trail; merged into the service configuration. */
export const auditConfigSpec = {} satisfies Record<string, VariableSpec<unknown>>;
