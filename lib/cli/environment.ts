import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

export const DEFAULT_DATABASE_URL = 'sqlite:./data/identity.sqlite';

export function databaseUrl(): string {
  return process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
}

/**
 * IDENTITY_SECRET_KEY, or for local use a key kept in IDENTITY_SECRET_KEY_FILE
 * (default ./data/secret.key), created on first use with 0600 permissions.
 */
export function secretKey(options: { create: boolean; env?: NodeJS.ProcessEnv }): string | undefined {
  const env = options.env ?? process.env;
  if (env.IDENTITY_SECRET_KEY) return env.IDENTITY_SECRET_KEY;
  const file = env.IDENTITY_SECRET_KEY_FILE || './data/secret.key';
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  if (!options.create) return undefined;
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const key = randomBytes(48).toString('base64url');
  // Written whole under another name, then linked into place (link fails if the file exists): processes
  // started together all end up with the one key that won, never each their own or a half-written one.
  const written = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(written, key + '\n', { mode: 0o600 });
  try {
    fs.linkSync(written, file);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return fs.readFileSync(file, 'utf8').trim();
  } finally {
    fs.rmSync(written, { force: true });
  }
}

export function tablePrefix(): string | undefined {
  return process.env.IDENTITY_TABLE_PREFIX || undefined;
}

export const truthy = (value: string | undefined) => value === '1' || value === 'true' || value === 'yes';

/** This package's version, from the nearest package.json up from here (lib/cli in source, dist/lib/cli when built). */
export function packageVersion(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) continue;
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (manifest.name === 'identity-connector' && manifest.version) return manifest.version;
  }
  return 'unknown';
}
