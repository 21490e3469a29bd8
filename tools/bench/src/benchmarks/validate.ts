import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createSigningKey, freePort, signTestToken, startJwksServer, startRedisServer, waitFor } from '@platform/testing';
import { atLeast, median, report } from '../report.ts';

// Throughput of GET /auth/validate, four variants measured side by side in one run:
//   (a) bare:  a Fastify route returning 200, the ceiling for any validator on this machine;
//   (b) naive: verify the JWT signature, then one Redis GET for the blacklist, on every request;
//   (c) ours:  token-validation with its blacklist on, holding 10,000 entries;
//   (d) ours without the blacklist check, to show what the check costs.
// Each variant runs in its own Node process; autocannon drives them from this process over loopback
// with 100 distinct valid tokens in rotation. Rounds interleave the variants so that machine noise
// hits all of them alike, and the medians over the rounds are compared.

const require = createRequire(import.meta.url);

interface AutocannonResult {
  requests: { average: number };
  latency: { p99: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = require('autocannon') as Autocannon;

const ISSUER = 'http://127.0.0.1:9400';
const AUDIENCE = 'urn:platform:api';
const TOKENS = 100;
const BLACKLIST_ENTRIES = 10_000;
const CONNECTIONS = 32;
const ROUNDS = 3;
const WARM_UP_SECONDS = 2;
const MEASURE_SECONDS = 5;

const REPOSITORY = join(import.meta.dirname, '..', '..', '..', '..');
const SERVERS = join(import.meta.dirname, '..', 'servers');
const TOKEN_VALIDATION = join(REPOSITORY, 'apps', 'token-validation', 'bench', 'serve.ts');

interface Variant {
  key: 'a' | 'b' | 'c' | 'd';
  name: string;
  script: string;
  env: Record<string, string>;
}

export default async function validate(): Promise<boolean> {
  const redis = await startRedisServer();
  const key = await createSigningKey('RS256', 'bench-key');
  const jwks = await startJwksServer([key.publicJwk]);
  const tokens = await Promise.all(Array.from({ length: TOKENS }, (_, i) => signTestToken(key, {
    issuer: ISSUER,
    audience: AUDIENCE,
    subject: `bench-user-${i}`,
    expiresInSeconds: 3600,
    claims: { scope: 'openid transactions:read', client_id: 'session-gateway' },
  })));
  const trustedIssuers = JSON.stringify([{ issuer: ISSUER, jwksUri: jwks.url, audience: AUDIENCE, algorithms: ['RS256'] }]);
  const ours = { REDIS_URL: redis.url, TRUSTED_ISSUERS: trustedIssuers, LOG_LEVEL: 'warn' };
  const variants: Variant[] = [
    { key: 'a', name: '(a) bare Fastify 200', script: join(SERVERS, 'bare-fastify.ts'), env: {} },
    { key: 'b', name: '(b) naive: verify + Redis GET', script: join(SERVERS, 'naive-validator.ts'), env: { REDIS_URL: redis.url, ISSUER, AUDIENCE, JWKS_URI: jwks.url } },
    { key: 'c', name: `(c) ours, blacklist on (${BLACKLIST_ENTRIES.toLocaleString('en-US')} entries)`, script: TOKEN_VALIDATION, env: { ...ours, BENCH_BLACKLIST_ENTRIES: String(BLACKLIST_ENTRIES) } },
    { key: 'd', name: '(d) ours, blacklist off', script: TOKEN_VALIDATION, env: { ...ours, BENCH_BLACKLIST: 'off' } },
  ];

  const children: ChildProcess[] = [];
  const urls = new Map<string, string>();
  try {
    for (const variant of variants) {
      const port = await freePort();
      const child = spawn(process.execPath, [variant.script], { env: { PATH: process.env['PATH'], ...variant.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(child);
      const url = `http://127.0.0.1:${port}/auth/validate`;
      await waitFor(async () => (await probe(url, tokens[0]!)) === 200, `${variant.name} to answer 200`, 60_000);
      urls.set(variant.key, url);
    }

    for (const variant of variants) await load(urls.get(variant.key)!, tokens, WARM_UP_SECONDS);

    const rps = new Map<string, number[]>(variants.map((variant) => [variant.key, []]));
    const p99 = new Map<string, number[]>(variants.map((variant) => [variant.key, []]));
    const failures = new Map<string, number>(variants.map((variant) => [variant.key, 0]));
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const variant of variants) {
        const result = await load(urls.get(variant.key)!, tokens, MEASURE_SECONDS);
        rps.get(variant.key)!.push(result.requests.average);
        p99.get(variant.key)!.push(result.latency.p99);
        failures.set(variant.key, failures.get(variant.key)! + result.non2xx + result.errors);
      }
      console.log(`round ${round + 1} of ${ROUNDS} done`);
    }

    const rpsOf = (variantKey: string) => median(rps.get(variantKey)!);
    const measurements = variants.map((variant) => ({
      variant: variant.name,
      'requests/s (median)': Math.round(rpsOf(variant.key)),
      'p99 ms (median)': median(p99.get(variant.key)!),
      'non-2xx or errors': failures.get(variant.key)!,
    }));
    const everyAnswerOk = [...failures.values()].every((count) => count === 0);
    if (!everyAnswerOk) console.error('some requests got a status other than 200 or failed, so the figures are not comparable');

    const targets = [
      atLeast('c/d requests per second', rpsOf('c') / rpsOf('d'), 0.9),
      atLeast('c/b requests per second', rpsOf('c') / rpsOf('b'), 1.5),
      atLeast('c/a requests per second', rpsOf('c') / rpsOf('a'), 0.5),
    ];
    return report('validate', measurements, targets) && everyAnswerOk;
  } finally {
    await Promise.all(children.map((child) => stop(child)));
    await jwks.close();
    await redis.stop();
  }
}

async function probe(url: string, token: string): Promise<number> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, 'x-original-method': 'GET', 'x-original-uri': '/api/transactions' } });
  return response.status;
}

function load(url: string, tokens: string[], seconds: number): Promise<AutocannonResult> {
  let next = 0;
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{
      method: 'GET',
      setupRequest: (request: Record<string, unknown>) => {
        next = (next + 1) % tokens.length;
        return { ...request, headers: { authorization: `Bearer ${tokens[next]}`, 'x-original-method': 'GET', 'x-original-uri': '/api/transactions' } };
      },
    }],
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
