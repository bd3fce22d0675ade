/**
 * SCIMMY 1.3 + scimmy-routers as their documentation shows them, backed by SQLite: one JSON
 * row per user (and per group), userName and externalId kept as columns, userName indexed; or,
 * with STORE=memory, by Maps (no durability at all: the ceiling a durable store is measured against).
 * Run by `npm run bench -- --peers`: env PORT, DATABASE (a file), TOKEN, STORE, optional PRELOAD_FILE
 * (JSON lines of users written straight into the table before listening); prints "listening".
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import readline from 'node:readline';
import express from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';
import Database from 'better-sqlite3';

/**
 * The statements the resource handlers below run: on SQLite (STORE unset), or with STORE=memory
 * on Maps with the same shapes (`get`, `all`, `run`), the in-memory store SCIMMY's own examples
 * keep (ids and userNames as keys; nothing written anywhere).
 */
const { q, transaction, close } = process.env.STORE === 'memory' ? memoryStatements() : sqliteStatements();

function sqliteStatements() {
  const db = new Database(process.env.DATABASE);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, user_name TEXT NOT NULL UNIQUE, external_id TEXT, doc TEXT NOT NULL);
           CREATE TABLE IF NOT EXISTS groups (id TEXT PRIMARY KEY, doc TEXT NOT NULL);`);
  const q = {
    userById: db.prepare('SELECT doc FROM users WHERE id = ?'),
    userByName: db.prepare('SELECT doc FROM users WHERE user_name = ?'),
    allUsers: db.prepare('SELECT doc FROM users ORDER BY rowid'),
    insertUser: db.prepare('INSERT INTO users (id, user_name, external_id, doc) VALUES (?, ?, ?, ?)'),
    updateUser: db.prepare('UPDATE users SET user_name = ?, external_id = ?, doc = ? WHERE id = ?'),
    deleteUser: db.prepare('DELETE FROM users WHERE id = ?'),
    groupById: db.prepare('SELECT doc FROM groups WHERE id = ?'),
    allGroups: db.prepare('SELECT doc FROM groups ORDER BY rowid'),
    insertGroup: db.prepare('INSERT INTO groups (id, doc) VALUES (?, ?)'),
    updateGroup: db.prepare('UPDATE groups SET doc = ? WHERE id = ?'),
    deleteGroup: db.prepare('DELETE FROM groups WHERE id = ?'),
  };
  return { q, transaction: (fn) => db.transaction(fn), close: () => db.close() };
}

function memoryStatements() {
  const users = new Map(); // id → { userName, doc }, in insertion order (as rowid)
  const byName = new Map(); // userName → id
  const groups = new Map(); // id → doc
  const row = (doc) => (doc === undefined ? undefined : { doc });
  const q = {
    userById: { get: (id) => row(users.get(id)?.doc) },
    userByName: {
      get: (name) => row(users.get(byName.get(name))?.doc),
      all: (name) => (byName.has(name) ? [row(users.get(byName.get(name)).doc)] : []),
    },
    allUsers: { all: () => [...users.values()].map((u) => row(u.doc)) },
    insertUser: {
      run: (id, userName, _externalId, doc) => {
        if (byName.has(userName)) throw new Error('UNIQUE constraint failed: users.user_name');
        users.set(id, { userName, doc });
        byName.set(userName, id);
        return { changes: 1 };
      },
    },
    updateUser: {
      run: (userName, _externalId, doc, id) => {
        const current = users.get(id);
        if (!current) return { changes: 0 };
        byName.delete(current.userName);
        byName.set(userName, id);
        users.set(id, { userName, doc });
        return { changes: 1 };
      },
    },
    deleteUser: {
      run: (id) => {
        const current = users.get(id);
        if (!current) return { changes: 0 };
        users.delete(id);
        byName.delete(current.userName);
        return { changes: 1 };
      },
    },
    groupById: { get: (id) => row(groups.get(id)) },
    allGroups: { all: () => [...groups.values()].map(row) },
    insertGroup: { run: (id, doc) => (groups.set(id, doc), { changes: 1 }) },
    updateGroup: { run: (doc, id) => (groups.has(id) ? (groups.set(id, doc), { changes: 1 }) : { changes: 0 }) },
    deleteGroup: { run: (id) => ({ changes: groups.delete(id) ? 1 : 0 }) },
  };
  return { q, transaction: (fn) => fn, close: () => {} };
}
if (process.env.PRELOAD_FILE) {
  // The bench's preload: the rows ingress would write, in transactions of 1,000.
  const created = new Date(Date.now() - 86_400_000).toISOString();
  const insertMany = transaction((docs) => {
    for (const user of docs) {
      const doc = { ...user, id: randomUUID(), meta: { resourceType: 'User', created, lastModified: created } };
      q.insertUser.run(doc.id, doc.userName, doc.externalId ?? null, JSON.stringify(doc));
    }
  });
  let batch = [];
  for await (const line of readline.createInterface({ input: fs.createReadStream(process.env.PRELOAD_FILE) })) {
    if (!line) continue;
    batch.push(JSON.parse(line));
    if (batch.length === 1000) {
      insertMany(batch);
      batch = [];
    }
  }
  insertMany(batch);
}
const parse = (row) => (row ? JSON.parse(row.doc) : undefined);
const notFound = (id) => new SCIMMY.Types.Error(404, null, `Resource ${id} not found`);

/** `userName eq "…"` is answered by the index; any other filter by SCIMMY over every row. */
function userNameEq(filter) {
  if (!filter || filter.length !== 1) return undefined;
  const keys = Object.keys(filter[0]);
  const expr = filter[0].userName;
  return keys.length === 1 && Array.isArray(expr) && expr[0] === 'eq' ? expr[1] : undefined;
}

SCIMMY.Resources.declare(SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser))
  .ingress((resource, instance) => {
    const now = new Date().toISOString();
    if (resource.id) {
      const current = parse(q.userById.get(resource.id));
      if (!current) throw notFound(resource.id);
      const doc = { ...instance, id: resource.id, meta: { ...current.meta, lastModified: now } };
      q.updateUser.run(doc.userName, doc.externalId ?? null, JSON.stringify(doc), resource.id);
      return doc;
    }
    if (q.userByName.get(instance.userName))
      throw new SCIMMY.Types.Error(409, 'uniqueness', `userName ${instance.userName} is taken`);
    const doc = { ...instance, id: randomUUID(), meta: { created: now, lastModified: now } };
    q.insertUser.run(doc.id, doc.userName, doc.externalId ?? null, JSON.stringify(doc));
    return doc;
  })
  .egress((resource) => {
    if (resource.id) {
      const doc = parse(q.userById.get(resource.id));
      if (!doc) throw notFound(resource.id);
      return doc;
    }
    const userName = userNameEq(resource.filter);
    if (userName !== undefined) return q.userByName.all(userName).map(parse);
    const all = q.allUsers.all().map(parse);
    return resource.filter ? resource.filter.match(all) : all;
  })
  .degress((resource) => {
    if (q.deleteUser.run(resource.id).changes === 0) throw notFound(resource.id);
  });

SCIMMY.Resources.declare(SCIMMY.Resources.Group)
  .ingress((resource, instance) => {
    const now = new Date().toISOString();
    if (resource.id) {
      const current = parse(q.groupById.get(resource.id));
      if (!current) throw notFound(resource.id);
      const doc = { ...instance, id: resource.id, meta: { ...current.meta, lastModified: now } };
      q.updateGroup.run(JSON.stringify(doc), resource.id);
      return doc;
    }
    const doc = { ...instance, id: randomUUID(), meta: { created: now, lastModified: now } };
    q.insertGroup.run(doc.id, JSON.stringify(doc));
    return doc;
  })
  .egress((resource) => {
    if (resource.id) {
      const doc = parse(q.groupById.get(resource.id));
      if (!doc) throw notFound(resource.id);
      return doc;
    }
    const all = q.allGroups.all().map(parse);
    return resource.filter ? resource.filter.match(all) : all;
  })
  .degress((resource) => {
    if (q.deleteGroup.run(resource.id).changes === 0) throw notFound(resource.id);
  });

const app = express();
app.use(
  '/scim/v2',
  new SCIMMYRouters({
    type: 'bearer',
    handler: (request) => {
      if (request.header('Authorization') !== `Bearer ${process.env.TOKEN}`)
        throw new Error('Authorization not detected!');
      return 'bench';
    },
  }),
);
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () =>
  server.close(() => {
    db.close();
    process.exit(0);
  }),
);
