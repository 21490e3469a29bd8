/** Tables of the audit trail, as kysely sees them; part of the `Database` interface. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AuditTables {}
