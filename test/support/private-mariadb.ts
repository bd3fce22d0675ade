import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import knexFactory from 'knex';
import { accepts } from './net.js';

export const MARIADBD = '/usr/sbin/mariadbd';
export const INSTALL_DB = '/usr/bin/mariadb-install-db';
/** Whether this machine can run a private server. */
export const privateMariaDbAvailable = fs.existsSync(MARIADBD) && fs.existsSync(INSTALL_DB);

/** A MariaDB server of the test's own (datadir under /tmp, own port): killed, frozen and restarted at will. */
export class PrivateMariaDb {
  readonly name = 'mariadb';
  private process?: ChildProcess;
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-faults-'));
  constructor(readonly port: number) {}

  get url() {
    return `mysql://root:@127.0.0.1:${this.port}/faults`;
  }

  async install(): Promise<void> {
    await promisify(execFile)(
      INSTALL_DB,
      [
        '--no-defaults',
        `--datadir=${this.dir}/data`,
        '--auth-root-authentication-method=normal',
        '--user=root',
        '--skip-test-db',
      ],
      { timeout: 60_000 },
    );
  }

  async start(): Promise<void> {
    this.process = spawn(
      MARIADBD,
      [
        '--no-defaults',
        `--datadir=${this.dir}/data`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        `--socket=${this.dir}/sock`,
        '--user=root',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=32M',
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 300; i += 1) {
      if (await accepts(this.port)) return;
      await sleep(100);
    }
    throw new Error('private mariadbd did not start');
  }

  /** Creates the `faults` database. */
  async createDatabase(): Promise<void> {
    const admin = knexFactory({
      client: 'mysql2',
      connection: { host: '127.0.0.1', port: this.port, user: 'root', password: '' },
    });
    await admin.raw('CREATE DATABASE faults');
    await admin.destroy();
  }

  signal(signal: NodeJS.Signals): void {
    this.process?.kill(signal);
  }

  async kill(): Promise<void> {
    const exited = new Promise((resolve) => this.process?.once('exit', resolve));
    this.signal('SIGKILL');
    await exited;
  }

  async remove(): Promise<void> {
    if (this.process && this.process.exitCode === null) {
      this.signal('SIGCONT');
      await this.kill();
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export { accepts };
