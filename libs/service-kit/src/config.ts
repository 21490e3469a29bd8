// Typed configuration read from environment variables and validated once at start.
//
// Each variable is described by a spec that parses the raw string. A missing or malformed variable
// raises ConfigError naming the variable and the expected form. The value itself is never echoed,
// because configuration strings often carry credentials.

export class ConfigError extends Error {
  readonly variable: string;

  constructor(variable: string, expected: string, problem: 'missing' | 'invalid') {
    super(`${problem} configuration: ${variable} ${problem === 'missing' ? 'is not set' : 'is malformed'}; expected ${expected}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

export interface VariableSpec<T> {
  readonly expected: string;
  readonly defaultValue?: T;
  readonly optional?: boolean;
  parse(raw: string): T | undefined;
}

type SpecValue<S> = S extends VariableSpec<infer T> ? (S extends { optional: true } ? T | undefined : T) : never;

export type ConfigOf<S extends Record<string, VariableSpec<unknown>>> = { readonly [K in keyof S]: SpecValue<S[K]> };

interface CommonOptions<T> {
  default?: T;
}

function spec<T>(expected: string, parse: (raw: string) => T | undefined, options: CommonOptions<T> = {}): VariableSpec<T> {
  return options.default === undefined ? { expected, parse } : { expected, parse, defaultValue: options.default };
}

export const env = {
  string(options: CommonOptions<string> & { pattern?: RegExp; minLength?: number; expected?: string } = {}) {
    const minLength = options.minLength ?? 1;
    const expected = options.expected ?? (options.pattern ? `a string matching ${options.pattern}` : 'a non-empty string');
    return spec(expected, (raw) => {
      if (raw.length < minLength) return undefined;
      if (options.pattern && !options.pattern.test(raw)) return undefined;
      return raw;
    }, options);
  },

  url(options: CommonOptions<string> & { protocols: readonly string[]; example: string }) {
    return spec(`a ${options.protocols.map((p) => `${p}//`).join(' or ')} URL such as ${options.example}`, (raw) => {
      if (!URL.canParse(raw)) return undefined;
      const url = new URL(raw);
      return options.protocols.includes(url.protocol) && url.host !== '' ? raw : undefined;
    }, options);
  },

  port(options: CommonOptions<number> = {}) {
    return env.integer({ ...options, min: 1, max: 65535, expected: 'a TCP port number from 1 to 65535' });
  },

  integer(options: CommonOptions<number> & { min?: number; max?: number; expected?: string } = {}) {
    const min = options.min ?? Number.MIN_SAFE_INTEGER;
    const max = options.max ?? Number.MAX_SAFE_INTEGER;
    return spec(options.expected ?? `an integer from ${min} to ${max}`, (raw) => {
      if (!/^-?\d+$/.test(raw)) return undefined;
      const value = Number(raw);
      return value >= min && value <= max ? value : undefined;
    }, options);
  },

  boolean(options: CommonOptions<boolean> = {}) {
    return spec('true or false', (raw) => {
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      return undefined;
    }, options);
  },

  oneOf<const T extends string>(values: readonly T[], options: CommonOptions<T> = {}) {
    return spec(`one of ${values.join(', ')}`, (raw) => (values as readonly string[]).includes(raw) ? (raw as T) : undefined, options);
  },

  list(options: CommonOptions<string[]> & { item?: RegExp } = {}) {
    return spec('a comma-separated list', (raw) => {
      const items = raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
      if (options.item && !items.every((item) => options.item!.test(item))) return undefined;
      return items;
    }, options);
  },

  /** Parses a 32-byte key given as base64, for AES-256 and HMAC keys. */
  key256(options: CommonOptions<Buffer> = {}) {
    return spec('32 bytes encoded as base64 (for example the output of `openssl rand -base64 32`)', (raw) => {
      const bytes = Buffer.from(raw, 'base64');
      return bytes.length === 32 && /^[A-Za-z0-9+/]+={0,2}$/.test(raw) ? bytes : undefined;
    }, options);
  },

  json<T>(options: CommonOptions<T> & { expected: string; validate: (value: unknown) => value is T }) {
    return spec(options.expected, (raw) => {
      try {
        const value: unknown = JSON.parse(raw);
        return options.validate(value) ? value : undefined;
      } catch {
        return undefined;
      }
    }, options);
  },

  optional<T>(inner: VariableSpec<T>): VariableSpec<T> & { optional: true } {
    return { ...inner, optional: true };
  },
};

export function loadConfig<S extends Record<string, VariableSpec<unknown>>>(
  specs: S,
  source: Record<string, string | undefined> = process.env,
): ConfigOf<S> {
  const config: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(specs)) {
    const raw = source[name];
    if (raw === undefined || raw === '') {
      if (variable.defaultValue !== undefined) {
        config[name] = variable.defaultValue;
        continue;
      }
      if (variable.optional) {
        config[name] = undefined;
        continue;
      }
      throw new ConfigError(name, variable.expected, 'missing');
    }
    const value = variable.parse(raw);
    if (value === undefined) throw new ConfigError(name, variable.expected, 'invalid');
    config[name] = value;
  }
  return config as ConfigOf<S>;
}
