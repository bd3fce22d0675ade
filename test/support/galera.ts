import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import knexFactory from 'knex';
import { accepts, freePort } from './net.js';
import { sleep } from './private-mariadb.js';

const MARIADBD = '/usr/sbin/mariadbd';
const INSTALL_DB = '/usr/bin/mariadb-install-db';
const PROVIDER = '/usr/lib/galera/libgalera_smm.so';

/** Whether this machine can run a private Galera cluster (MariaDB server and Debian's galera-4). */
export const galeraAvailable = (): boolean => [MARIADBD, INSTALL_DB, PROVIDER].every((file) => fs.existsSync(file));

interface NodePorts {
  sql: number;
  group: number;
  ist: number;
  sst: number;
}

/**
 * One node of a private cluster: its own data directory under /tmp and its own ports. mariadbd
 * runs as the `mysql` user (it drops privileges from root), which the rsync state transfer of a
 * joining node needs.
 */
class GaleraNode {
  process?: ChildProcess;
  constructor(
    readonly index: number,
    readonly dir: string,
    readonly ports: NodePorts,
    private readonly cluster: GaleraCluster,
  ) {}

  get url(): string {
    return `mysql://root:@127.0.0.1:${this.ports.sql}/${this.cluster.database}`;
  }

  async start(bootstrap = false): Promise<void> {
    const args = [
      '--no-defaults',
      `--datadir=${this.dir}/data`,
      `--port=${this.ports.sql}`,
      '--bind-address=127.0.0.1',
      `--socket=${this.dir}/sock`,
      '--user=mysql',
      '--skip-log-bin',
      '--innodb-buffer-pool-size=32M',
      '--binlog-format=ROW',
      '--innodb-autoinc-lock-mode=2',
      '--innodb-flush-log-at-trx-commit=2',
      '--wsrep-on=ON',
      `--wsrep-provider=${PROVIDER}`,
      `--wsrep-cluster-address=gcomm://${this.cluster.addresses()}`,
      '--wsrep-cluster-name=idc-test',
      `--wsrep-node-name=node${this.index}`,
      `--wsrep-node-address=127.0.0.1:${this.ports.group}`,
      `--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${this.ports.group};ist.recv_addr=127.0.0.1:${this.ports.ist}`,
      '--wsrep-sst-method=rsync',
      `--wsrep-sst-receive-address=127.0.0.1:${this.ports.sst}`,
      `--log-error=${this.dir}/error.log`,
      `--tmpdir=${path.dirname(this.dir)}/tmp`,
      ...(bootstrap ? ['--wsrep-new-cluster'] : []),
    ];
    this.process = spawn(MARIADBD, args, { stdio: 'ignore' });
    await this.waitSynced();
  }

  /** Until the node accepts connections and says it is part of the primary component, synced. */
  private async waitSynced(): Promise<void> {
    for (let i = 0; i < 600; i += 1) {
      if (this.process?.exitCode !== null && this.process?.exitCode !== undefined) break;
      if (!(await accepts(this.ports.sql))) {
        await sleep(200);
        continue;
      }
      try {
        const knex = knexFactory({
          client: 'mysql2',
          connection: { host: '127.0.0.1', port: this.ports.sql, user: 'root', password: '' },
        });
        try {
          const [rows] = await knex.raw("SHOW STATUS LIKE 'wsrep_local_state_comment'");
          if (rows[0]?.Value === 'Synced') return;
        } finally {
          await knex.destroy();
        }
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`galera node ${this.index} did not join: ${this.tail()}`);
  }

  tail(): string {
    try {
      return fs.readFileSync(`${this.dir}/error.log`, 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '(no error log)';
    }
  }

  async kill(): Promise<void> {
    if (!this.process || this.process.exitCode !== null) return;
    const exited = new Promise((resolve) => this.process?.once('exit', resolve));
    this.process.kill('SIGKILL');
    await exited;
  }
}

/**
 * A three-node MariaDB Galera cluster of the test's own: data directories under /tmp, free
 * ports, node 1 bootstraps and the others join by rsync state transfer. One database,
 * `database`, created through node 1 (and replicated).
 */
export class GaleraCluster {
  readonly nodes: GaleraNode[] = [];
  private readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-galera-'));
  readonly database = 'idc_galera';

  addresses(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.ports.group}`).join(',');
  }

  async start(size = 3): Promise<void> {
    fs.chmodSync(this.root, 0o755);
    for (let i = 1; i <= size; i += 1) {
      const dir = path.join(this.root, `node${i}`);
      fs.mkdirSync(dir);
      const ports = { sql: await freePort(), group: await freePort(), ist: await freePort(), sst: await freePort() };
      this.nodes.push(new GaleraNode(i, dir, ports, this));
    }
    const tmp = path.join(this.root, 'tmp');
    fs.mkdirSync(tmp);
    await promisify(execFile)('chown', ['-R', 'mysql:mysql', this.root]);
    // One system database, copied: the joiners' data is replaced by the state transfer anyway.
    const first = this.nodes[0];
    await promisify(execFile)(
      INSTALL_DB,
      [
        '--no-defaults',
        `--datadir=${first.dir}/data`,
        '--auth-root-authentication-method=normal',
        '--user=mysql',
        '--skip-test-db',
      ],
      { timeout: 120_000, env: { ...process.env, TMPDIR: tmp } },
    );
    for (const node of this.nodes.slice(1))
      await promisify(execFile)('cp', ['-a', `${first.dir}/data`, `${node.dir}/data`]);
    await this.nodes[0].start(true);
    const admin = knexFactory({
      client: 'mysql2',
      connection: { host: '127.0.0.1', port: this.nodes[0].ports.sql, user: 'root', password: '' },
    });
    await admin.raw(`CREATE DATABASE ${this.database} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await admin.destroy();
    // One at a time: two joiners asking the same donor for a state transfer at once wait on each other.
    for (const node of this.nodes.slice(1)) await node.start();
  }

  /** Every table's CHECKSUM TABLE on every node, to compare them after a node rejoined. */
  async checksums(prefix: string): Promise<string[][]> {
    const out: string[][] = [];
    for (const node of this.nodes) {
      const knex = knexFactory({
        client: 'mysql2',
        connection: { host: '127.0.0.1', port: node.ports.sql, user: 'root', password: '', database: this.database },
      });
      try {
        const [tables] = await knex.raw(
          'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? AND table_name LIKE ? ORDER BY table_name',
          [this.database, `${prefix}%`],
        );
        const names = (tables as Array<{ t: string }>).map((r) => r.t);
        const [sums] = await knex.raw(`CHECKSUM TABLE ${names.map((n) => `\`${n}\``).join(', ')}`);
        out.push(
          (sums as Array<{ Table: string; Checksum: number }>).map((r) => `${r.Table.split('.')[1]}=${r.Checksum}`),
        );
      } finally {
        await knex.destroy();
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
    fs.rmSync(this.root, { recursive: true, force: true, maxRetries: 5 });
  }
}
