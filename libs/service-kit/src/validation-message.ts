// Turns Ajv validation errors into one plain sentence for problem+json `detail`.

export interface SchemaError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * Describes the first invalid value. A union of literals (how TypeBox writes an enum) produces one
 * `const` error per member plus an `anyOf` error; those become "must be one of: a, b, c".
 */
export function describeValidationErrors(context: string, errors: readonly SchemaError[]): string {
  const first = errors[0];
  if (first === undefined) return `${context} is invalid.`;
  const path = `${context}${first.instancePath}`;
  const atPath = errors.filter((error) => error.instancePath === first.instancePath);

  const allowed = atPath.flatMap((error) => {
    if (error.keyword === 'const') return [error.params['allowedValue']];
    if (error.keyword === 'enum') return (error.params['allowedValues'] as unknown[] | undefined) ?? [];
    return [];
  });
  const onlyChoices = atPath.every((error) => ['const', 'enum', 'anyOf'].includes(error.keyword));
  if (allowed.length > 0 && onlyChoices) return `${path} must be one of: ${allowed.map((value) => String(value)).join(', ')}.`;

  if (first.keyword === 'additionalProperties') return `${path} has an unknown property ${JSON.stringify(first.params['additionalProperty'])}.`;
  if (first.keyword === 'required') return `${path} is missing the required property ${JSON.stringify(first.params['missingProperty'])}.`;
  if (first.keyword === 'pattern') return `${path} has characters or a form that are not allowed.`;
  return `${path} ${first.message ?? 'is invalid'}.`;
}

/** Stable problem codes for Fastify's own client errors, instead of its FST_ERR_* names. */
export const FASTIFY_CLIENT_ERROR_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'empty_body',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_EMPTY_TYPE: 'missing_content_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
};
