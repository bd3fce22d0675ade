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
    ['identity-connector serve', [path.join(ROOT, 'bin/identity-connector.ts'), 'serve'], /^identity-connector serving/m],
  ];
  for (const [name, argv, ready] of programs) {
    it(`${name}: finishes the request in flight, closes idle keep-alive sockets and the pool, exits 0 within seconds`, async () => {
      const port = await freePort();
      const child = spawn(process.execPath, ['--import', TSX, ...argv], {
        cwd: dir,
        env: { ...process.env, PORT: String(port), DATABASE_URL: `sqlite:${path.join(dir, `${port}.sqlite`)}`, IDENTITY_SECRET_KEY: 'shutdown-test-secret-key-0123456789abcdef' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const output = await started(child, ready);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

      // An idle keep-alive connection, as a browser or load balancer leaves one.
      const agent = new http.Agent({ keepAlive: true });
      await new Promise<void>((resolve, reject) => http.get(`http://127.0.0.1:${port}/identity/sso`, { agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject));
      const idleClosed = new Promise<void>((resolve) => Object.values(agent.freeSockets).flat()[0]!.once('close', () => resolve()));

      // A request in flight: its body is only half sent when SIGTERM arrives.
      const body = 'email=pat%40contoso.com';
      const socket = net.connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(`POST /identity/sso HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 6)}`);
      let response = '';
      socket.on('data', (chunk) => { response += chunk; });
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
  child.stdout!.on('data', (chunk) => { output += chunk; });
  child.stderr!.on('data', (chunk) => { output += chunk; });
  const deadline = Date.now() + 20_000;
  while (!ready.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return () => output;
}
