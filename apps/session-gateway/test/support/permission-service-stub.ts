import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export type StubBehaviour =
  | { kind: 'user'; status: 'active' | 'suspended' | 'deleted'; suspensionExpiresAt?: string }
  | { kind: 'fail'; times: number; status: number; then: StubBehaviour }
  | { kind: 'hang' };

export interface PermissionServiceStub {
  readonly url: string;
  readonly calls: Array<{ headers: IncomingHttpHeaders; body: Record<string, unknown> }>;
  /** Sets the find-or-create response for one subject. Unknown subjects are active users. */
  behave(subject: string, behaviour: StubBehaviour): void;
  close(): Promise<void>;
}

/** Stands in for permission-service's `POST /v1/users/find-or-create`. */
export async function startPermissionServiceStub(): Promise<PermissionServiceStub> {
  const calls: PermissionServiceStub['calls'] = [];
  const behaviours = new Map<string, StubBehaviour>();
  const server: Server = createServer((request, response) => {
    let raw = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      raw += chunk;
    });
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/users/find-or-create') {
        response.writeHead(404).end();
        return;
      }
      const body = JSON.parse(raw) as Record<string, unknown>;
      calls.push({ headers: request.headers, body });
      const subject = String(body['subject']);
      const behaviour = behaviours.get(subject) ?? { kind: 'user', status: 'active' };
      if (behaviour.kind === 'hang') return;
      if (behaviour.kind === 'fail') {
        if (behaviour.times > 0) {
          behaviours.set(subject, { ...behaviour, times: behaviour.times - 1 });
          response.writeHead(behaviour.status, { 'content-type': 'application/json' }).end('{}');
          return;
        }
        behaviours.set(subject, behaviour.then);
      }
      const answer = behaviours.get(subject) ?? behaviour;
      const user = answer.kind === 'user' ? answer : { kind: 'user', status: 'active' as const };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        id: `user-${subject}`,
        subject,
        status: user.status,
        ...('suspensionExpiresAt' in user && user.suspensionExpiresAt ? { suspensionExpiresAt: user.suspensionExpiresAt } : {}),
      }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    behave: (subject, behaviour) => behaviours.set(subject, behaviour),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
