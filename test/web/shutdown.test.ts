import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from '../package/hosts.js';
import { connectKnex } from '../../lib/store/connect.js';
import { IdentityStore } from '../../lib/store/index.js';
import { IdentityEvents } from '../../lib/model/events.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The children run in a temporary folder (the demo writes ./data there), so tsx is named by its path.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** SIGTERM on a real child: what a process manager or `docker stop` sends. */
describe('Graceful shutdown on SIGTERM', function () {
  this.timeout(30_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-shutdown-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const programs: Array<[string, string[], RegExp]> = [
    ['the demo (npm start)', [path.join(ROOT, 'examples/host-app.ts')], /^Demo host on/m],
    [
      'identity-connector serve',
      [path.join(ROOT, 'bin/identity-connector.ts'), 'serve'],
      /^identity-connector serving/m,
    ],
  ];
  for (const [name, argv, ready] of programs) {
    it(`${name}: finishes the request in flight, closes idle keep-alive sockets and the pool, exits 0 within seconds`, async () => {
      const port = await freePort();
      const child = spawn(process.execPath, ['--import', TSX, ...argv], {
        cwd: dir,
        env: {
          ...process.env,
          PORT: String(port),
          DATABASE_URL: `sqlite:${path.join(dir, `${port}.sqlite`)}`,
          IDENTITY_SECRET_KEY: 'shutdown-test-secret-key-0123456789abcdef',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const output = await started(child, ready);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

      // An idle keep-alive connection, as a browser or load balancer leaves one.
      const agent = new http.Agent({ keepAlive: true });
      await new Promise<void>((resolve, reject) =>
        http
          .get(`http://127.0.0.1:${port}/identity/sso`, { agent }, (res) => {
            res.resume();
            res.on('end', resolve);
          })
          .on('error', reject),
      );
      const idleClosed = new Promise<void>((resolve) =>
        Object.values(agent.freeSockets)
          .flat()[0]!
          .once('close', () => resolve()),
      );

      // A request in flight: its body is only half sent when SIGTERM arrives.
      const body = 'email=pat%40contoso.com';
      const socket = net.connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        `POST /identity/sso HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 6)}`,
      );
      let response = '';
      socket.on('data', (chunk: Buffer) => {
        response += chunk.toString('utf8');
      });
      await new Promise((resolve) => setTimeout(resolve, 200));

      const signalled = Date.now();
      child.kill('SIGTERM');
      await idleClosed;
      await new Promise((resolve) => setTimeout(resolve, 300));
      socket.end(body.slice(6));
      const code = await exited;
      expect(Date.now() - signalled, 'seconds to exit').to.be.below(4000);
      // Home-realm discovery's answer (a page, or a redirect where a password login exists): the request completed.
      expect(response, output()).to.match(/^HTTP\/1\.1 (200 OK|303 See Other)/);
      expect(code, output()).to.equal(0);
      expect(output()).to.include('SIGTERM: finishing in-flight requests');
    });
  }
});

async function started(child: ChildProcess, ready: RegExp): Promise<() => string> {
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 20_000;
  while (!ready.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return () => output;
}

/** A host that mounts the library (README: "Stopping"), with keep-alive clients as Entra's and a load balancer's are. */
describe('Graceful shutdown of a library host with keep-alive clients', function () {
  this.timeout(40_000);
  const databases: Array<[string, string | undefined]> = [
    ['SQLite file', undefined],
    ['MariaDB', process.env.TEST_MYSQL_URL],
    ['PostgreSQL', process.env.TEST_PG_URL],
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-keepalive-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [name, serverUrl] of databases) {
    it(`[${name}] idle keep-alive sockets close at once, a slow request and a half-sent SCIM POST finish, the Knex pool drains, exit 0 within 10 s`, async function () {
      if (name !== 'SQLite file' && !serverUrl) this.skip();
      const port = await freePort();
      const prefix = `ka${process.pid.toString(36)}_`;
      const databaseUrl = serverUrl ?? `sqlite:${path.join(dir, `${port}.sqlite`)}`;
      const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, 'test/support/shutdown-host.ts')], {
        cwd: dir,
        env: { ...process.env, PORT: String(port), DATABASE_URL: databaseUrl, TABLE_PREFIX: prefix, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const output = await started(child, /^ready \S+/m);
      const token = /^ready (\S+)/m.exec(output())![1];
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const base = `http://127.0.0.1:${port}`;
      try {
        // Four keep-alive connections left idle after SCIM requests, as Entra's client pool leaves them.
        const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
        const scimGet = () =>
          new Promise<number>((resolve, reject) =>
            http
              .get(
                `${base}/identity/scim/v2/Users?count=1`,
                { agent, headers: { Authorization: `Bearer ${token}` } },
                (res) => {
                  res.resume();
                  res.on('end', () => resolve(res.statusCode!));
                },
              )
              .on('error', reject),
          );
        expect(await Promise.all([scimGet(), scimGet(), scimGet(), scimGet()])).to.deep.equal([200, 200, 200, 200]);
        const idle = Object.values(agent.freeSockets).flat();
        expect(idle).to.have.length(4);
        const idleClosed = Promise.all(
          idle.map((s) => new Promise<number>((resolve) => s!.once('close', () => resolve(Date.now())))),
        );

        // In flight: the host's slow route (1.5 s) on a keep-alive connection, and a SCIM POST whose body is half sent.
        const slowAgent = new http.Agent({ keepAlive: true });
        const slow = new Promise<{ status: number; body: string; connection?: string }>((resolve, reject) =>
          http
            .get(`${base}/slow?ms=1500`, { agent: slowAgent }, (res) => {
              let body = '';
              res.on('data', (c) => {
                body += c;
              });
              res.on('end', () => resolve({ status: res.statusCode!, body, connection: res.headers.connection }));
            })
            .on('error', reject),
        );
        const user = JSON.stringify({
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: 'inflight@contoso.com',
          active: true,
        });
        const socket = net.connect(port, '127.0.0.1');
        await new Promise((resolve) => socket.once('connect', resolve));
        socket.write(
          `POST /identity/scim/v2/Users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/scim+json\r\nContent-Length: ${Buffer.byteLength(user)}\r\n\r\n${user.slice(0, 20)}`,
        );
        let response = '';
        socket.on('data', (chunk: Buffer) => {
          response += chunk.toString('utf8');
        });
        await new Promise((resolve) => setTimeout(resolve, 200));

        const signalled = Date.now();
        child.kill('SIGTERM');
        const idleClosedAt = Math.max(...(await idleClosed));
        await new Promise((resolve) => setTimeout(resolve, 300));
        // write, not end: a client that half-closes its side has its request aborted by Node's server.
        socket.write(user.slice(20));
        const slowAnswer = await slow;
        const code = await exited;
        const exitMs = Date.now() - signalled;
        console.log(
          `      shutdown with keep-alive clients [${name}]: idle sockets closed after ${idleClosedAt - signalled} ms, exit after ${exitMs} ms`,
        );
        expect(idleClosedAt - signalled, 'ms until the idle keep-alive sockets closed').to.be.below(1000);
        expect(slowAnswer).to.deep.include({ status: 200, body: 'slow done' });
        expect(response, output()).to.match(/^HTTP\/1\.1 201 Created/);
        expect(code, output()).to.equal(0);
        expect(exitMs).to.be.below(10_000);
        expect(output()).to.match(/pool drained: 0 in use, 0 idle, 0 waiting/);
        // The POST that was in flight committed before the pool was released.
        const knex = connectKnex(databaseUrl);
        try {
          expect(
            await knex(`${prefix}users`)
              .where({ user_name: 'inflight@contoso.com' })
              .count({ n: '*' })
              .first()
              .then((r) => Number(r?.n)),
          ).to.equal(1);
        } finally {
          await knex.destroy();
        }
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        const knex = connectKnex(databaseUrl);
        await new IdentityStore(knex, prefix, new IdentityEvents()).rollbackAll().finally(() => knex.destroy());
      }
    });
  }
});
