import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { freePort } from '../support/net.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * Hosts made the way a new user makes one: the packed tarball installed with npm, next to Express,
 * express-session, Knex and a driver. npm installs once into `deps`; each host gets a
 * node_modules of links into it (its own Express and @types/express), plus its own copy of the
 * package, so that the package's `import 'express'` resolves to the host's Express as it would
 * in a real host.
 */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

export type HostKind = 'esm-ts' | 'cjs';
export type ExpressMajor = 4 | 5;
export interface Host {
  kind: HostKind;
  express: ExpressMajor;
  dir: string;
}
export interface Packed {
  tarball: string;
  files: string[];
}

const installedVersion = (name: string): string =>
  JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;

/** `npm pack`, which runs the prepack script (the build) as publishing does. */
export async function pack(dir: string): Promise<Packed> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: ROOT,
    env: cleanEnv(),
    maxBuffer: 16 << 20,
  });
  // prepack's own output comes first; npm's JSON report is the array that ends stdout.
  const [report] = JSON.parse(stdout.slice(stdout.lastIndexOf('\n[') + 1)) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  return { tarball: path.join(dir, report.filename), files: report.files.map((f) => f.path) };
}

/**
 * Installs the tarball with its dependencies once. Versions are pinned to the ones this checkout
 * has installed, so npm finds them in its cache (--prefer-offline); scripts are skipped and
 * better-sqlite3 gets this checkout's compiled binding rather than compiling again.
 */
export async function installDependencies(dir: string, tarball: string): Promise<string> {
  const deps = path.join(dir, 'deps');
  fs.mkdirSync(deps, { recursive: true });
  const pinned = [
    'express',
    'express-session',
    'knex',
    'mysql2',
    'pg',
    'better-sqlite3',
    'typescript',
    '@types/node',
    '@types/express',
    '@types/express-session',
  ];
  const dependencies: Record<string, string> = {
    'identity-connector': `file:${tarball}`,
    express4: `npm:express@${installedVersion('express4')}`,
    '@types/express4': 'npm:@types/express@^4.17.21',
    ...Object.fromEntries(pinned.map((name) => [name, installedVersion(name)])),
  };
  fs.writeFileSync(path.join(deps, 'package.json'), JSON.stringify({ private: true, dependencies }, null, 2));
  await run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: deps,
    env: cleanEnv(),
    maxBuffer: 16 << 20,
  });
  const binding = 'better-sqlite3/build/Release/better_sqlite3.node';
  fs.mkdirSync(path.dirname(path.join(deps, 'node_modules', binding)), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'node_modules', binding), path.join(deps, 'node_modules', binding));
  return deps;
}

/**
 * Runs the README's `npm install …` lines in a fresh folder, word for word but for the package,
 * which comes from the tarball, and npm's quiet flags. Scripts are skipped (better-sqlite3 gets
 * this checkout's compiled binding instead of compiling again, when npm chose the same version).
 */
export async function installAsReadme(dir: string, tarball: string, lines: string[]): Promise<void> {
  for (const line of lines) {
    const words = line.replace(/#.*$/, '').trim().split(/\s+/);
    if (words[0] !== 'npm' || words[1] !== 'install') throw new Error(`not an npm install line: ${line}`);
    const args = words.slice(1).map((word) => (word === 'identity-connector' ? tarball : word));
    await run('npm', [...args, '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: dir,
      env: cleanEnv(),
      maxBuffer: 16 << 20,
    });
  }
  const sqlite = path.join(dir, 'node_modules/better-sqlite3');
  if (!fs.existsSync(sqlite)) return;
  const version = (at: string) => JSON.parse(fs.readFileSync(path.join(at, 'package.json'), 'utf8')).version as string;
  const own = path.join(ROOT, 'node_modules/better-sqlite3');
  if (version(sqlite) !== version(own))
    throw new Error(`npm chose better-sqlite3 ${version(sqlite)}; this checkout's binding is for ${version(own)}`);
  const binding = 'build/Release/better_sqlite3.node';
  fs.mkdirSync(path.dirname(path.join(sqlite, binding)), { recursive: true });
  fs.copyFileSync(path.join(own, binding), path.join(sqlite, binding));
}

/** The version a host's `npx tsc --version` reports. */
export async function tscVersion(dir: string): Promise<string> {
  const { stdout } = await run(path.join(dir, 'node_modules/typescript/bin/tsc'), ['--version'], { cwd: dir });
  return stdout.replace(/^Version\s+/, '').trim();
}

/** A host folder whose node_modules links into `deps`, with the given Express major version; an ESM host compiles with `tsconfig` (the README's). */
export function makeHost(
  dir: string,
  deps: string,
  kind: HostKind,
  express: ExpressMajor,
  source: string,
  tsconfig: string,
  name = `${kind}-express${express}`,
): Host {
  const host = path.join(dir, name);
  const modules = path.join(host, 'node_modules');
  const from = path.join(deps, 'node_modules');
  const expressName = express === 4 ? 'express4' : 'express';
  fs.mkdirSync(path.join(modules, '@types'), { recursive: true });
  fs.mkdirSync(path.join(modules, '.bin'));
  const own = new Set(['.bin', '.package-lock.json', '@types', 'express', 'express4', 'identity-connector']);
  for (const name of fs.readdirSync(from))
    if (!own.has(name)) fs.symlinkSync(path.join(from, name), path.join(modules, name));
  fs.symlinkSync(path.join(from, expressName), path.join(modules, 'express'));
  // The Express 4 types bring their own express-serve-static-core; a host of Express 4 has it at the top.
  const types = {
    ...entries(path.join(from, '@types')),
    express: path.join(from, '@types', expressName),
    ...entries(path.join(from, '@types', expressName, 'node_modules', '@types')),
  };
  delete (types as Record<string, string>).express4;
  for (const [name, target] of Object.entries(types)) fs.symlinkSync(target, path.join(modules, '@types', name));
  fs.cpSync(path.join(from, 'identity-connector'), path.join(modules, 'identity-connector'), { recursive: true });
  fs.symlinkSync('../knex/bin/cli.js', path.join(modules, '.bin', 'knex'));
  fs.symlinkSync(
    '../identity-connector/dist/bin/identity-connector.js',
    path.join(modules, '.bin', 'identity-connector'),
  );

  if (kind === 'esm-ts') {
    fs.writeFileSync(path.join(host, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
    const readme = JSON.parse(tsconfig) as { compilerOptions: Record<string, unknown> };
    // Resolve types through the host's links (its own @types/express), as in a real install.
    readme.compilerOptions.preserveSymlinks = true;
    fs.writeFileSync(path.join(host, 'tsconfig.json'), JSON.stringify(readme));
    fs.writeFileSync(path.join(host, 'app.ts'), source);
  } else {
    fs.writeFileSync(path.join(host, 'package.json'), JSON.stringify({ private: true, type: 'commonjs' }));
    fs.writeFileSync(path.join(host, 'app.cjs'), source);
  }
  return { kind, express, dir: host };
}

function entries(dir: string): Record<string, string> {
  if (!fs.existsSync(dir)) return {};
  return Object.fromEntries(fs.readdirSync(dir).map((name) => [name, path.join(dir, name)]));
}

/** Strict tsc over the host's app.ts, with the TypeScript the host installed (its own `tsc` program, 5.9's JavaScript or 7's native one). */
export async function compile(host: Pick<Host, 'dir'> & Partial<Host>): Promise<void> {
  await run(path.join(host.dir, 'node_modules/typescript/bin/tsc'), ['-p', host.dir], {
    cwd: host.dir,
  }).catch((error: { stdout?: string }) => {
    throw new Error(`tsc failed in ${host.dir}:\n${error.stdout}`);
  });
}

/** The environment of a shell in the host: none of the npm variables this test may run under. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(npm_|INIT_CWD$|NODE_OPTIONS$|IDENTITY_|DATABASE_URL$)/.test(name),
    ),
  );
  return { ...env, ...extra };
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `npx …` in the host folder, as the README tells a host to. */
export function npx(host: Host, args: string[], env: Record<string, string>): Promise<CommandResult> {
  return command(host, 'npx', ['--no-install', ...args], env);
}

/** Runs one of the host's installed programs (node_modules/.bin) directly: npx costs most of a second. */
export function bin(host: Host, name: string, args: string[], env: Record<string, string>): Promise<CommandResult> {
  return command(host, path.join(host.dir, 'node_modules/.bin', name), args, env);
}

async function command(host: Host, file: string, args: string[], env: Record<string, string>): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd: host.dir, env: cleanEnv(env) });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
export { freePort };

export interface Running {
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts the host's app and waits until its sign-in page answers. */
export async function start(host: Host, env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const entry = host.kind === 'esm-ts' ? 'dist/app.js' : 'app.cjs';
  const child: ChildProcess = spawn(process.execPath, [entry], {
    cwd: host.dir,
    env: cleanEnv({ ...env, PORT: String(port), BASE_URL: url }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the ${host.kind} host on Express ${host.express} exited:\n${output}`);
    const status = await fetch(`${url}/identity/sso`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`the host did not answer within 20 s (last status ${status}):\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
