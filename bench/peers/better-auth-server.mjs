/**
 * Better Auth 1.7 with its SCIM plugin (@better-auth/scim) on SQLite (better-sqlite3), one
 * static bearer connection, its schema migrated at start. Run by `npm run bench -- --peers`:
 * env PORT, DATABASE (a file), TOKEN, optional PRELOAD_FILE (JSON lines of users written straight
 * into its tables before listening); prints "listening". SCIM is at /api/auth/scim/v2.
 */
import fs from 'node:fs';
import http from 'node:http';
import readline from 'node:readline';
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
  plugins: [
    scim({ connections: [{ id: 'bench', credentials: [{ type: 'bearer', id: 'bench', token: process.env.TOKEN }] }] }),
  ],
});
const { runMigrations } = await getMigrations(auth.options);
await runMigrations();
if (process.env.PRELOAD_FILE) await preload(process.env.PRELOAD_FILE);

/**
 * The bench's preload: for each user, the rows the SCIM plugin's create writes (user, scimUser,
 * scimSubject), in transactions of 1,000. The plugin's lookup keys are HMACs under its secret;
 * here they are random (unique, as the indexes need), so preloaded users are not found by
 * filter, only counted and listed: the bench looks up only the users it created through SCIM.
 */
async function preload(file) {
  const key = (n = 32) => randomBytes(n).toString('base64url').slice(0, 43);
  const at = Date.now() - 86_400_000;
  const insertUser = database.prepare(
    'INSERT INTO "user" (id, name, email, emailVerified, image, createdAt, updatedAt) VALUES (?, ?, ?, 0, NULL, ?, ?)',
  );
  const insertScimUser =
    database.prepare(`INSERT INTO "scimUser" (id, connectionId, provisioningDomainId, userId, connectionUserKey, userName, userNameKey, primaryEmail,
    workEmailValueIndex, emailValueIndex, displayName, formattedName, givenName, familyName, serializedEmails, serializedAttributes, externalId, externalIdKey,
    active, orderKey, createdAt, updatedAt) VALUES (?, 'bench', 'bench', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertSubject = database.prepare(
    'INSERT INTO "scimSubject" (id, userId, profileSourceId, revision, createdAt, updatedAt) VALUES (?, ?, ?, 2, ?, ?)',
  );
  let n = 0;
  const insertMany = database.transaction((docs) => {
    for (const doc of docs) {
      const when = new Date(at + n).toISOString();
      const userId = key().slice(0, 32);
      const scimUserId = key().slice(0, 32);
      const email = doc.emails?.find((e) => e.primary)?.value ?? doc.emails?.[0]?.value ?? doc.userName;
      const formatted = doc.name?.formatted ?? [doc.name?.givenName, doc.name?.familyName].filter(Boolean).join(' ');
      const displayName = doc.displayName ?? formatted;
      // The plugin validates what it stored on read: the attributes of its own create, in its order.
      const emails = (doc.emails ?? []).map((e) => ({ value: e.value, primary: e.primary === true, type: e.type }));
      const attributes = {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        name: { formatted, givenName: doc.name?.givenName, familyName: doc.name?.familyName },
        emails,
      };
      insertUser.run(userId, displayName, email, when, when);
      insertScimUser.run(
        scimUserId,
        userId,
        key(),
        doc.userName,
        key(),
        email,
        `|${key()}|`,
        `|${key()}|`,
        displayName,
        formatted,
        doc.name?.givenName ?? null,
        doc.name?.familyName ?? null,
        JSON.stringify(emails.map((e) => ({ value: e.value, type: e.type, primary: e.primary }))),
        JSON.stringify(attributes),
        doc.externalId ?? null,
        doc.externalId ? key() : null,
        doc.active === false ? 0 : 1,
        `${String(at + n).padStart(15, '0')}:${key(12).slice(0, 16)}`,
        when,
        when,
      );
      insertSubject.run(key().slice(0, 32), userId, scimUserId, when, when);
      n++;
    }
  });
  let batch = [];
  for await (const line of readline.createInterface({ input: fs.createReadStream(file) })) {
    if (!line) continue;
    batch.push(JSON.parse(line));
    if (batch.length === 1000) {
      insertMany(batch);
      batch = [];
    }
  }
  insertMany(batch);
}
const server = http.createServer(toNodeHandler(auth));
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () =>
  server.close(() => {
    database.close();
    process.exit(0);
  }),
);
