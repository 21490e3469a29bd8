const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a UUID in its text form. Ids that are not UUIDs name no row, so callers return 404 without a query. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
