/** Tables of the M2M client registry, as kysely sees them; part of the `Database` interface. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ClientTables {}
