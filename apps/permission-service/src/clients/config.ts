import type { VariableSpec } from '@platform/service-kit';

/** Environment variables of the M2M client registry; merged into the service configuration. */
export const clientConfigSpec = {} satisfies Record<string, VariableSpec<unknown>>;
