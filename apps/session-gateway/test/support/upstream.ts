import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface UpstreamRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface Upstream {
  readonly url: string;
  readonly requests: UpstreamRequest[];
  close(): Promise<void>;
}

/**
 * Stands in for NGINX's API server: records each request and answers 200 with a JSON echo. It also
 * tries to set a cookie, which the gateway must not pass on.
 */
export async function startUpstream(): Promise<Upstream> {
  const requests: UpstreamRequest[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      if (request.url?.startsWith('/api/rejects-token')) {
        // The response NGINX sends when token-validation rejects the bearer token.
        response.writeHead(401, { 'content-type': 'application/problem+json', 'www-authenticate': 'Bearer realm="api", error="invalid_token"' });
        response.end('{"status":401,"code":"user_revoked"}');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'upstream=1; Path=/', 'x-upstream': 'yes' });
      response.end(JSON.stringify({ method: request.method, url: request.url, body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
