import { createServer } from 'node:net';
import { freePort } from '@platform/testing';
import { StackError } from './errors.ts';
import { PORT_VARIABLES, type StackPorts } from './options.ts';

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Fails with one line naming the first busy port and the variable that moves it. */
export async function assertPortsFree(ports: StackPorts): Promise<void> {
  const seen = new Map<number, string>();
  for (const [key, port] of Object.entries(ports) as Array<[keyof StackPorts, number]>) {
    const { variable, label } = PORT_VARIABLES[key];
    const other = seen.get(port);
    if (other !== undefined) throw new StackError(`port ${port} is configured twice (${other} and ${variable}); set ${variable} to another port`);
    seen.set(port, variable);
    if (!(await canListen(port))) throw new StackError(`port ${port} (${label}) is already in use; stop what uses it or set ${variable} to another port`);
  }
}

/**
 * Picks a distinct free port for every stack port, for tests that run the stack beside others.
 * The kernel may hand out a port again once it was released, so repeats are skipped.
 */
export async function freeStackPorts(): Promise<StackPorts> {
  const taken = new Set<number>();
  const ports = {} as StackPorts;
  for (const key of Object.keys(PORT_VARIABLES) as Array<keyof StackPorts>) {
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    ports[key] = port;
  }
  return ports;
}
