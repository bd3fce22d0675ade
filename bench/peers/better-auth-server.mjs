/**
 * Better Auth 1.7 with its SCIM plugin (@better-auth/scim) on SQLite (better-sqlite3), one
 * static bearer connection, its schema migrated at start. Run by `npm run bench -- --peers`:
 * env PORT, DATABASE (a file), TOKEN; prints "listening". SCIM is at /api/auth/scim/v2.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import { scim } from '@better-auth/scim';
import Database from 'better-sqlite3';

const database = new Database(process.env.DATABASE);
database.pragma('journal_mode = WAL');
database.pragma('synchronous = NORMAL');
const auth = betterAuth({
  database,
  secret: randomBytes(32).toString('base64url'),
  baseURL: `http://127.0.0.1:${process.env.PORT}`,
  // The bench measures throughput; Better Auth's own limiter would refuse it.
  rateLimit: { enabled: false },
  plugins: [scim({ connections: [{ id: 'bench', credentials: [{ type: 'bearer', id: 'bench', token: process.env.TOKEN }] }] })],
});
const { runMigrations } = await getMigrations(auth.options);
await runMigrations();
const server = http.createServer(toNodeHandler(auth));
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => { database.close(); process.exit(0); }));
