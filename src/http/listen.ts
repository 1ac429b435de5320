import type { FastifyInstance } from 'fastify';

/** A listen error as one sentence that says what to do. */
export class ListenError extends Error {
  override name = 'ListenError';
}

export async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  try {
    return await app.listen({ host, port });
  } catch (error) {
    const where = `${host}:${port}`;
    switch ((error as NodeJS.ErrnoException).code) {
      case 'EADDRINUSE':
        throw new ListenError(`cannot listen on ${where}: the address is already in use (another Verdict, or another program); stop it or set PORT or HOST`);
      case 'EACCES':
        throw new ListenError(`cannot listen on ${where}: permission denied (ports below 1024 need privileges); set PORT`);
      case 'EADDRNOTAVAIL':
      case 'ENOTFOUND':
        throw new ListenError(`cannot listen on ${where}: no such local address; set HOST`);
      default:
        throw error;
    }
  }
}
