import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '@platform/service-kit';
import { buildApp } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import { createContext, type ServiceContext } from '../../src/context.ts';
import { ALL_PERMISSIONS, startInfrastructure, type TestInfrastructure } from '../support/service.ts';

let infrastructure: TestInfrastructure;
let context: ServiceContext;
const lines: string[] = [];

beforeAll(async () => {
  infrastructure = await startInfrastructure();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  // The service's own logger options (redaction included) at the most verbose level.
  const logger = pino(loggerOptions('permission-service', 'trace'), sink);
  context = createContext(readConfig(infrastructure.environment({ LOG_LEVEL: 'trace' })), logger);
});

afterAll(async () => {
  await context?.close();
  await infrastructure?.close();
});

describe('client secrets in logs', () => {
  it('never appear, even at trace level', async () => {
    const app = await buildApp(context);
    const admin = await infrastructure.userToken('admin', ALL_PERMISSIONS);
    const headers = { authorization: `Bearer ${admin}` };

    const registered = await app.inject({ method: 'POST', url: '/v1/clients', headers, payload: { name: 'Logged', owner: 'team-logs' } });
    expect(registered.statusCode).toBe(201);
    const { client, secret } = registered.json<{ client: { id: string }; secret: { value: string } }>();
    const rotated = await app.inject({ method: 'POST', url: `/v1/clients/${client.id}/secrets`, headers, payload: {} });
    expect(rotated.statusCode).toBe(201);
    const newSecret = rotated.json<{ secret: string }>().secret;
    await app.close();

    const output = lines.join('');
    expect(output).toContain('M2M client registered');
    expect(output).toContain('M2M client secret rotated');
    expect(output).not.toContain(secret.value);
    expect(output).not.toContain(newSecret);
    expect(output).not.toContain(secret.value.slice(4, 20));
  });
});
