import type { FastifyInstance } from 'fastify';
import { SrekitError, isSystemError } from './errors.js';

/**
 * Starts `app` listening on `host` and `port` and returns the URL clients
 * use. A port in use raises PORT_IN_USE with a hint that names `flag`, the
 * option that chooses the port.
 */
export async function listenOnTcp(
  app: FastifyInstance,
  host: string,
  port: number,
  flag = '--port',
): Promise<string> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    if (isSystemError(error, 'EADDRINUSE')) {
      throw new SrekitError('PORT_IN_USE',
        `could not listen on ${host}:${port}: port ${port} is already in use`, {
          hint: `stop the process that uses port ${port} or choose another port with ${flag}`,
          cause: error,
        });
    }
    throw error;
  }
  const address = app.server.address();
  if (address === null || typeof address === 'string') {
    throw new Error(`the server is not listening on a TCP port (address: ${String(address)})`);
  }
  return `http://${clientHost(address.address)}:${address.port}`;
}

/** Returns a host name that clients can connect to for a bound address. */
function clientHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}
