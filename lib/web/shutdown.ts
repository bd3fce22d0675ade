import type { Server } from 'node:http';

/** How long in-flight requests get after SIGTERM before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 5000;

/**
 * For a host's server as for `serve` and the demo: `stopGracefully(server, async () => {
 * await identity.close(); await knex.destroy(); }, console.log)`. On SIGTERM or SIGINT: stop accepting connections, let in-flight requests finish, close idle
 * keep-alive sockets at once (a browser's or load balancer's would otherwise hold the process
 * until their timeout), cut what remains after the grace period, then release the pool.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { connectKnex, createIdentityConnector, stopGracefully } from 'identity-connector';
 *
 * const knex = connectKnex('sqlite:./data/app.sqlite');
 * const identity = await createIdentityConnector({
 *   knex, baseUrl: 'http://localhost:3000', mountPath: '/identity', secretKey: 'x'.repeat(32),
 * });
 * const server = express().use('/identity', identity.router).listen(3000);
 * stopGracefully(server, async () => { await identity.close(); await knex.destroy(); }, (line) => console.log(line));
 * ```
 */
export function stopGracefully(server: Server, release: () => Promise<void>, say: (line: string) => void): void {
  const stop = (signal: NodeJS.Signals) => {
    say(`${signal}: finishing in-flight requests, then exiting`);
    server.close(() => {
      release().catch((error: unknown) => {
        say(`shutdown: ${(error as Error).message}`);
        process.exitCode = 1;
      });
    });
    server.closeIdleConnections();
    // Responses that finish now still hold keep-alive sockets: close them as they go idle.
    const sweep = setInterval(() => server.closeIdleConnections(), 100).unref();
    setTimeout(() => {
      clearInterval(sweep);
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS).unref();
    // Whatever else a host left running (timers, clients) must not keep the process past its grace.
    setTimeout(() => process.exit(), SHUTDOWN_GRACE_MS + 2000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
