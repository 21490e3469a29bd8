import { readFileSync } from 'node:fs';
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { ConfigError } from '@platform/service-kit';

const Requirement = Type.Array(Type.String({ minLength: 1, maxLength: 256, pattern: '^[\\x21-\\x7e]+$' }), { maxItems: 64 });

export const RouteRule = Type.Object({
  /** HTTP methods in upper case, or `*` for every method. */
  methods: Type.Array(Type.String({ pattern: '^([A-Z]{1,16}|\\*)$' }), { minItems: 1 }),
  /** Path prefix matched segment by segment: `/api/a` matches `/api/a` and `/api/a/1`, not `/api/ab`. */
  pathPrefix: Type.String({ pattern: '^/', maxLength: 1024 }),
  /** Scopes that must all be in the token's `scope` claim. */
  scopes: Type.Optional(Requirement),
  /** Permissions that must all be in the token's `permissions` claim or `scope` claim. */
  permissions: Type.Optional(Requirement),
}, { additionalProperties: false });

export const RouteRulesFile = Type.Object({
  /** What a valid token may do where no rule matches: `authenticated` allows it, `deny` responds with 403. */
  defaultAction: Type.Union([Type.Literal('authenticated'), Type.Literal('deny')]),
  rules: Type.Array(RouteRule, { maxItems: 1000 }),
}, { additionalProperties: false });

export type RouteRule = Static<typeof RouteRule>;
export type RouteRulesFile = Static<typeof RouteRulesFile>;

const rulesValidator = Compile(RouteRulesFile);

export const ROUTE_RULES_EXPECTED =
  'a readable JSON file {"defaultAction": "authenticated" | "deny", "rules": [{"methods": ["GET"], "pathPrefix": "/api/x", "scopes": [...], "permissions": [...]}]}';

/** What a request needs: `deny` when no token can pass, else the scopes and permissions to hold. */
export type RouteRequirement = { kind: 'deny' } | { kind: 'require'; scopes: readonly string[]; permissions: readonly string[]; all: readonly string[] };

interface CompiledRule {
  readonly methods: ReadonlySet<string>;
  readonly prefix: string;
  readonly requirement: RouteRequirement;
}

const NOTHING_REQUIRED: RouteRequirement = { kind: 'require', scopes: [], permissions: [], all: [] };

/**
 * Route rules: the rule with the longest matching path prefix for the method wins, the first in the
 * file among equals; where none matches, `defaultAction` applies.
 */
export class RouteRules {
  private readonly rules: CompiledRule[];
  private readonly fallback: RouteRequirement;

  constructor(file: RouteRulesFile) {
    this.fallback = file.defaultAction === 'deny' ? { kind: 'deny' } : NOTHING_REQUIRED;
    const compiled = file.rules.map((rule, index) => ({
      index,
      methods: new Set(rule.methods),
      prefix: rule.pathPrefix.length > 1 && rule.pathPrefix.endsWith('/') ? rule.pathPrefix.slice(0, -1) : rule.pathPrefix,
      requirement: {
        kind: 'require' as const,
        scopes: rule.scopes ?? [],
        permissions: rule.permissions ?? [],
        all: [...(rule.scopes ?? []), ...(rule.permissions ?? [])],
      },
    }));
    compiled.sort((a, b) => b.prefix.length - a.prefix.length || a.index - b.index);
    this.rules = compiled;
  }

  static fromFile(path: string): RouteRules {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      throw new ConfigError('ROUTE_RULES_FILE', ROUTE_RULES_EXPECTED, 'invalid');
    }
    if (!rulesValidator.Check(parsed)) throw new ConfigError('ROUTE_RULES_FILE', ROUTE_RULES_EXPECTED, 'invalid');
    return new RouteRules(parsed);
  }

  requirementFor(method: string, path: string): RouteRequirement {
    for (const rule of this.rules) {
      if (!rule.methods.has(method) && !rule.methods.has('*')) continue;
      if (matchesPrefix(path, rule.prefix)) return rule.requirement;
    }
    return this.fallback;
  }
}

function matchesPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || path.charCodeAt(prefix.length) === 47; // '/'
}
