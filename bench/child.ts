/**
 * The demo host (examples/host-app.ts) as a child process on a fresh database, and its memory
 * as /proc/<pid>/status reports it: VmRSS sampled while it works, VmHWM (peak RSS) at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

export interface HostOptions {
  /** Repository root: the child runs examples/host-app.ts from there. */
  root: string;
  databaseUrl: string;
  token: string;
  secretKey: string;
  /** When set, the child writes a V8 CPU profile (.cpuprofile) there on exit. */
  profileDir?: string;
  /** The connector's Prometheus metrics on (DEMO_METRICS); off by default, so that figures compare with earlier runs. */
  metrics?: boolean;
  /** More environment for the child (e.g. IDENTITY_SQLITE_GROUP_COMMIT), over what it inherits. */
  env?: NodeJS.ProcessEnv;
}

export interface Host {
  pid: number;
  scimUrl: string;
  /** Lines the child printed after its start-up banner (warnings, errors). */
  logLines: string[];
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startHost(o: HostOptions): Promise<Host> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    BASE_URL: baseUrl,
    DATABASE_URL: o.databaseUrl,
    SCIM_BOOTSTRAP_TOKEN: o.token,
    IDENTITY_SECRET_KEY: o.secretKey,
    LOG_LEVEL: 'warn',
    DEMO_METRICS: o.metrics ? 'true' : 'false',
    ...o.env,
  };
  delete env.IDENTITY_TABLE_PREFIX;
  delete env.NODE_OPTIONS; // e.g. mocha's --import=tsx: the child gets exactly the flags below
  const args = [
    ...(o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : []),
    '--import',
    'tsx',
    'examples/host-app.ts',
  ];
  const child = spawn(process.execPath, args, { cwd: o.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logLines: string[] = [];
  let banner = true;
  let output = '';

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('the demo host did not start listening within 60 s')), 60_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n--- child output ---\n${output.slice(-4000)}`));
    };
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (banner) {
        output += text;
        if (/Demo host on http/.test(output)) {
          banner = false;
          clearTimeout(timer);
          resolve();
        }
        return;
      }
      for (const line of text.split('\n'))
        if (line.trim() && !/^\s{2}\S/.test(line) && logLines.length < 1000) logLines.push(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      if (banner) fail(new Error(`the demo host exited (code ${code}, signal ${signal}) before listening`));
    });
    child.once('error', fail);
  });

  return {
    pid: child.pid!,
    scimUrl: `${baseUrl}/identity/scim/v2`,
    logLines,
    stop: () => stopChild(child),
  };
}

/** SIGTERM (the host closes its server and Knex, and a CPU profile gets written), SIGKILL after 20 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/** VmRSS and VmHWM of a process in MB (undefined once it is gone). */
export function readMemory(pid: number): { rssMb: number; hwmMb: number } | undefined {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time (user + system, all threads) a process has used, in ms, from /proc/<pid>/stat. */
export function readCpuMs(pid: number, withReapedChildren = false): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from #3 (state) on
    // #14 utime, #15 stime; #16 cutime, #17 cstime: children waited for
    const ticks =
      Number(fields[11]) + Number(fields[12]) + (withReapedChildren ? Number(fields[13]) + Number(fields[14]) : 0);
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Samples VmRSS periodically and keeps the highest value seen in each named phase. */
export class MemorySampler {
  readonly peakRssByPhaseMb: Record<string, number> = {};
  private phase = 'start-up';
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 200,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  setPhase(name: string): void {
    this.sample();
    this.phase = name;
    this.sample();
  }

  sample(): void {
    const memory = readMemory(this.pid);
    if (memory)
      this.peakRssByPhaseMb[this.phase] = Math.max(
        this.peakRssByPhaseMb[this.phase] ?? 0,
        Math.round(memory.rssMb * 10) / 10,
      );
  }

  /** Takes a last sample and answers VmHWM, the kernel's peak RSS of the child. */
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return Math.round((readMemory(this.pid)?.hwmMb ?? 0) * 10) / 10;
  }
}

/** Every process on this machine: pid, command name, parent pid. */
function processes(): Array<{ pid: number; comm: string; ppid: number }> {
  const out: Array<{ pid: number; comm: string; ppid: number }> = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      out.push({ pid: Number(entry), comm, ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) });
    } catch {
      /* gone */
    }
  }
  return out;
}

/**
 * The CPU time (ms) of the database server on this machine, read beside ours, if it runs here:
 * MariaDB is one process; PostgreSQL is a postmaster whose backends (one per connection) come
 * and go, so its reading is the postmaster's own time, the time of the children it has reaped
 * (cutime, cstime) and that of the live ones.
 */
export function databaseCpu(db: 'sqlite' | 'mysql' | 'postgres'): (() => number) | undefined {
  if (db === 'sqlite') return undefined;
  const all = processes();
  if (db === 'mysql') {
    const server = all.find((p) => p.comm === 'mariadbd' || p.comm === 'mysqld');
    return server ? () => readCpuMs(server.pid) : undefined;
  }
  const byPid = new Map(all.map((p) => [p.pid, p]));
  const postmaster = all.find((p) => p.comm === 'postgres' && byPid.get(p.ppid)?.comm !== 'postgres');
  if (!postmaster) return undefined;
  return () =>
    readCpuMs(postmaster.pid, true) +
    processes()
      .filter((p) => p.ppid === postmaster.pid)
      .reduce((sum, p) => sum + readCpuMs(p.pid), 0);
}
