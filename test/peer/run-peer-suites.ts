/**
 * Starts the demo host on a fresh SQLite database (or PEER_DATABASE_URL), adds an empty connector, and runs the two peer SCIM suites
 * (../shared/peer-tests: Microsoft's Postman collection, then Okta's SPEC test) with newman.
 * Passes when every failed assertion is a listed deviation (deviations.json) and every
 * listed deviation still fails. Prints a closing "N passed, N failed" line.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { createDemoApp } from '../../examples/host-app.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const peerDir = process.env.PEER_TESTS_DIR ?? path.resolve(here, '../../../shared/peer-tests');
const deviations = (JSON.parse(fs.readFileSync(path.join(here, 'deviations.json'), 'utf8')) as { deviations: Array<{ suite: string; request: string; assertion: string }> }).deviations;

interface Case { suite: string; request: string; assertion: string; failed: boolean }

function readJunit(file: string, suite: string): Case[] {
  const xml = fs.readFileSync(file, 'utf8');
  const cases: Case[] = [];
  const suiteRe = /<testsuite name="([^"]*)"[^>]*>([\s\S]*?)<\/testsuite>/g;
  for (const [, request, body] of xml.matchAll(suiteRe)) {
    const caseRe = /<testcase name="([^"]*)"[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g;
    for (const [, assertion, inner] of body.matchAll(caseRe)) {
      cases.push({ suite, request: decode(request), assertion: decode(assertion), failed: /<failure|<error/.test(inner ?? '') });
    }
  }
  return cases;
}

const decode = (s: string) => s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

function runScript(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', () => resolve({ stdout, stderr }));
  });
}

async function main(): Promise<number> {
  if (!fs.existsSync(path.join(peerDir, 'run.sh'))) {
    console.error(`peer suites not found at ${peerDir} (set PEER_TESTS_DIR)`);
    return 2;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-peer-'));
  // PEER_DATABASE_URL (e.g. postgres://…/fresh_db) runs the demo on that database instead of a fresh SQLite file.
  const databaseUrl = process.env.PEER_DATABASE_URL ?? `sqlite:${path.join(work, 'peer.sqlite')}`;
  const demo = await createDemoApp({ ...process.env, DATABASE_URL: databaseUrl, IDENTITY_SECRET_KEY: 'peer-suite-secret-key-0123456789abcdef', PORT: '0' });
  // Microsoft's suite needs an empty connector: the demo's own holds its built-in admin.
  const connector = await demo.identity.store.connectors.create({ organizationId: 'peer-suites', name: 'peer' });
  const { token } = await demo.identity.store.tokens.create(connector.id, { label: 'peer suites' });
  const server = demo.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    // Asynchronous: the server under test runs in this very process.
    const run = await runScript(path.join(peerDir, 'run.sh'), [`http://127.0.0.1:${port}/identity/scim/v2`, token, 'all'], { ...process.env, OUT: work, NEWMAN: path.resolve(here, '../../node_modules/.bin/newman') });
    if (process.env.PEER_VERBOSE) process.stdout.write(run.stdout);
    const cases = [...readJunit(path.join(work, 'ms.xml'), 'ms'), ...readJunit(path.join(work, 'okta.xml'), 'okta')];
    const isDeviation = (c: Case) => deviations.some((d) => d.suite === c.suite && d.request === c.request && d.assertion === c.assertion);
    const unexpected = cases.filter((c) => c.failed && !isDeviation(c));
    const fixed = deviations.filter((d) => !cases.some((c) => c.failed && c.suite === d.suite && c.request === d.request && c.assertion === d.assertion));
    const count = (suite: string, failed: boolean) => cases.filter((c) => c.suite === suite && c.failed === failed).length;
    console.log(`Microsoft SCIMReferenceCode suite: ${count('ms', false)} assertions passed, ${count('ms', true)} failed (${deviations.filter((d) => d.suite === 'ms').length} listed deviations)`);
    console.log(`Okta SCIM 2.0 SPEC test: ${count('okta', false)} assertions passed, ${count('okta', true)} failed`);
    for (const c of unexpected) console.log(`UNEXPECTED FAILURE [${c.suite}] ${c.request} :: ${c.assertion}`);
    for (const d of fixed) console.log(`LISTED DEVIATION NOW PASSES (remove it from deviations.json) [${d.suite}] ${d.request} :: ${d.assertion}`);
    if (!cases.length) { console.log(run.stdout, run.stderr); console.log('0 passed, 1 failed'); return 1; }
    const failed = unexpected.length + fixed.length;
    console.log(`${cases.length - failed} passed, ${failed} failed`);
    return failed ? 1 : 0;
  } finally {
    server.close();
    await demo.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (error) => { console.error(error); process.exit(1); });
