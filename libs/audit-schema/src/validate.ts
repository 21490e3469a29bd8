import { randomUUID } from 'node:crypto';
import { Compile, type Validator } from 'typebox/compile';
import { AUDIT_EVENT_SCHEMAS, type AuditEvent, type AuditEventKind, type AuditEventOf } from './kinds.ts';

export type AuditValidation = { valid: true; event: AuditEvent } | { valid: false; reason: string };

const validators = new Map<string, Validator>(
  Object.entries(AUDIT_EVENT_SCHEMAS).map(([kind, schema]) => [kind, Compile(schema) as unknown as Validator]),
);

/** Checks an event received from a queue or built by a producer against the schema of its kind. */
export function validateAuditEvent(candidate: unknown): AuditValidation {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    return { valid: false, reason: 'event is not a JSON object' };
  }
  const kind = (candidate as { kind?: unknown }).kind;
  const validator = typeof kind === 'string' ? validators.get(kind) : undefined;
  if (validator === undefined) return { valid: false, reason: `unknown audit event kind ${JSON.stringify(kind)}` };
  if (validator.Check(candidate)) return { valid: true, event: candidate as AuditEvent };
  const first = [...validator.Errors(candidate)][0] as { instancePath?: string; message?: string } | undefined;
  const where = first?.instancePath ? first.instancePath : '/';
  return { valid: false, reason: `${String(kind)} event is invalid at ${where}: ${first?.message ?? 'schema mismatch'}` };
}

type EventInput<K extends AuditEventKind> = Omit<AuditEventOf<K>, 'eventId' | 'kind' | 'version' | 'occurredAt'> & { eventId?: string; occurredAt?: Date };

/** Builds an event of one kind with a fresh id and timestamp, and validates it before it is sent. */
export function buildAuditEvent<K extends AuditEventKind>(kind: K, input: EventInput<K>): AuditEventOf<K> {
  const schema = AUDIT_EVENT_SCHEMAS[kind];
  const version = (schema.properties.version as unknown as { const: number }).const;
  const { occurredAt, eventId, ...rest } = input;
  const event = {
    ...rest,
    eventId: eventId ?? randomUUID(),
    kind,
    version,
    occurredAt: (occurredAt ?? new Date()).toISOString(),
  };
  const result = validateAuditEvent(event);
  if (!result.valid) throw new TypeError(`invalid audit event: ${result.reason}`);
  return event as unknown as AuditEventOf<K>;
}
