export { Decision, EVENT_ID_PATTERN, Principal, PrincipalType, auditEvent } from './envelope.ts';
export * from './kinds.ts';
export { buildAuditEvent, validateAuditEvent, type AuditValidation } from './validate.ts';
export type { AuditEventInsertRow, AuditEventRow } from './row.ts';
export { auditEventToInsertRow, auditEventToRow } from './to-row.ts';
