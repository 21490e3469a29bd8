import { describe, expect, it } from 'vitest';
import { describeValidationErrors } from '../src/validation-message.ts';

describe('describeValidationErrors', () => {
  it('lists the members of a literal union', () => {
    const errors = [
      { keyword: 'const', instancePath: '/type', params: { allowedValue: 'jti' } },
      { keyword: 'const', instancePath: '/type', params: { allowedValue: 'user' } },
      { keyword: 'const', instancePath: '/type', params: { allowedValue: 'client' } },
      { keyword: 'anyOf', instancePath: '/type', params: {} },
    ];
    expect(describeValidationErrors('body', errors)).toBe('body/type must be one of: jti, user, client.');
  });

  it('names an unknown property', () => {
    const errors = [{ keyword: 'additionalProperties', instancePath: '', params: { additionalProperty: 'extra' } }];
    expect(describeValidationErrors('body', errors)).toBe('body has an unknown property "extra".');
  });

  it('names a missing property', () => {
    const errors = [{ keyword: 'required', instancePath: '', params: { missingProperty: 'reason' } }];
    expect(describeValidationErrors('body', errors)).toBe('body is missing the required property "reason".');
  });

  it('hides the pattern of a rejected id', () => {
    const errors = [{ keyword: 'pattern', instancePath: '/userId', message: 'must match pattern "^[a-z]+$"', params: { pattern: '^[a-z]+$' } }];
    expect(describeValidationErrors('params', errors)).toBe('params/userId has characters or a form that are not allowed.');
  });

  it('falls back to the schema message', () => {
    const errors = [{ keyword: 'maxLength', instancePath: '/reason', message: 'must NOT have more than 512 characters', params: {} }];
    expect(describeValidationErrors('body', errors)).toBe('body/reason must NOT have more than 512 characters.');
  });
});
