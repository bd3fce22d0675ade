/** The result document (bench/results/<timestamp>.json) and its Markdown rendering. */
import { LOOKUP_ROWS, ROW, WRITE_ROWS } from './scenario.js';
import type { PhaseResult } from './stats.js';

export type Db = 'sqlite' | 'mysql' | 'postgres';

/** How the report names each database. */
export const DB_LABEL: Record<Db, string> = { sqlite: 'SQLite', mysql: 'MariaDB', postgres: 'PostgreSQL' };

export interface BenchResult {
  db: Db;
  users: number;
  concurrency: number;
  phases: PhaseResult[];
  baseline: Array<{ name: string; rps: number }>;
  /** raw rps / SCIM rps: how many times slower SCIM is. */
  ratios: Record<string, number>;
  /** The child's VmHWM at the end of the SCIM phases. */
  peakRssMb: number;
  // Context beyond the required shape.
  groups: number;
  startedAt: string;
  /** git HEAD of the code measured (+uncommitted when lib/, examples/ or migrations/ had changes). */
  revision: string;
  durationSeconds: number;
  /** 1-minute load average of the machine before and after the run (other work skews the numbers). */
  load: { cpus: number; before: number; after: number };
  storedUsersAtReads: number;
  /** Highest VmRSS sampled in each top-level phase. */
  rssByPhaseMb: Record<string, number>;
  /** Which top-level phase each row belongs to. */
  phaseGroups: Record<string, string>;
  /**
   * CPU time per request while a row's requests ran: `scim` = the child (the host, incl. SQLite
   * work but not MariaDB's), `raw` = the bench process (incl. SQLite work but not MariaDB's).
   * Rows of one interleaved cycle share that cycle's CPU time. Far less sensitive than req/s to
   * other work on the machine.
   */
  cpuMsPerRequest: { scim: Record<string, number>; raw: Record<string, number> };
  /** MariaDB only: mariadbd's CPU per SCIM request (the whole server: other clients' work adds to it). */
  dbCpuMsPerRequest?: Record<string, number>;
  baselineErrors: number;
  errorSamples: string[];
  childLogLines: string[];
}

/** Rows that aggregate the rows listed under them. */
const COMBINED: Record<string, string[]> = {
  [ROW.initial]: [ROW.lookupBeforeCreate, ROW.create],
  [ROW.groups]: [ROW.groupCreate, ROW.membership],
  [ROW.incremental]: [ROW.update, ROW.deactivate, ROW.delete],
};
const SUB_ROWS = new Set(Object.values(COMBINED).flat());

export function ratiosOf(
  phases: PhaseResult[],
  baseline: Array<{ name: string; rps: number }>,
): Record<string, number> {
  const ratios: Record<string, number> = {};
  for (const p of phases) {
    const raw = baseline.find((b) => b.name === p.name);
    if (raw && p.rps > 0) ratios[p.name] = Math.round((raw.rps / p.rps) * 100) / 100;
  }
  return ratios;
}

const num = (n: number | undefined, digits = 1) =>
  n === undefined ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });

export function markdownTable(r: BenchResult): string {
  const lines = [
    `### ${r.db === 'sqlite' ? 'SQLite' : 'MariaDB'}: ${num(r.users, 0)} users, ${r.groups} groups, concurrency ${r.concurrency}`,
    '',
    `Code ${r.revision}, started ${r.startedAt}, ${num(r.durationSeconds, 0)} s. Reads ran with ${num(r.storedUsersAtReads, 0)} users stored. Child peak RSS (VmHWM): **${num(r.peakRssMb)} MB**. Load average ${num(r.load.before, 2)} → ${num(r.load.after, 2)} on ${r.load.cpus} CPUs.`,
    '',
    `| phase | requests | req/s | p50 ms | p95 ms | p99 ms | errors | child CPU ms/req |${r.dbCpuMsPerRequest ? ' mariadbd CPU ms/req |' : ''} raw req/s | raw CPU ms/req | SCIM/raw × | child RSS max MB |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |${r.dbCpuMsPerRequest ? ' ---: |' : ''} ---: | ---: | ---: | ---: |`,
  ];
  for (const p of r.phases) {
    const raw = r.baseline.find((b) => b.name === p.name)?.rps;
    const label = SUB_ROWS.has(p.name) ? `&nbsp;&nbsp;· ${p.name}` : COMBINED[p.name] ? `**${p.name}**` : p.name;
    const cpu = (side: 'scim' | 'raw') => (SUB_ROWS.has(p.name) ? '″' : num(r.cpuMsPerRequest[side][p.name], 2));
    const dbCpu = r.dbCpuMsPerRequest ? ` ${SUB_ROWS.has(p.name) ? '″' : num(r.dbCpuMsPerRequest[p.name], 2)} |` : '';
    lines.push(
      `| ${label} | ${num(p.requests, 0)} | ${num(p.rps)} | ${num(p.p50Ms, 2)} | ${num(p.p95Ms, 2)} | ${num(p.p99Ms, 2)} | ${p.errors} | ${cpu('scim')} |${dbCpu} ${num(raw)} | ${cpu('raw')} | ${num(r.ratios[p.name], 2)} | ${num(r.rssByPhaseMb[r.phaseGroups[p.name]])} |`,
    );
  }
  lines.push(
    '',
    "req/s of a row inside a cycle = that request type served per second of the whole (interleaved) cycle (″ = CPU of the whole cycle, above). SCIM/raw × = raw req/s ÷ SCIM req/s. CPU ms/req: the child's CPU (SCIM) or the bench process's (raw) per request; neither includes MariaDB's own CPU.",
  );
  return lines.join('\n');
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

/** The targets, judged on this run (the lookup and memory targets are meant at 100,000 users). */
export function checkTargets(r: BenchResult): TargetCheck[] {
  const row = (name: string) => r.phases.find((p) => p.name === name);
  const checks: TargetCheck[] = [];
  const create = row(ROW.create);
  const createTarget = r.db === 'sqlite' ? 1000 : 600;
  if (create)
    checks.push({
      target: `user create ≥ ${createTarget}/s (POST /Users, concurrency ${r.concurrency})`,
      measured: `${num(create.rps)}/s`,
      met: create.rps >= createTarget,
    });
  const lookups = LOOKUP_ROWS.map(row).filter((p): p is PhaseResult => Boolean(p));
  if (lookups.length) {
    const worst = lookups.reduce((a, b) => (b.p99Ms > a.p99Ms ? b : a));
    checks.push({
      target: `lookups p99 ≤ 10 ms (${num(r.storedUsersAtReads, 0)} users stored)`,
      measured: lookups.map((p) => `${p.name.replace('lookup ', '')} ${num(p.p99Ms, 2)}`).join('; ') + ' ms',
      met: worst.p99Ms <= 10,
    });
  }
  const first = row(ROW.firstPage);
  const last = row(ROW.lastPage);
  if (first && last && first.p50Ms > 0) {
    const x50 = last.p50Ms / first.p50Ms;
    const x99 = first.p99Ms > 0 ? last.p99Ms / first.p99Ms : 0;
    checks.push({
      target: 'last-page list ≤ 3× first page latency',
      measured: `p50 ${num(last.p50Ms, 2)} vs ${num(first.p50Ms, 2)} ms (${num(x50, 2)}×), p99 ${num(x99, 2)}×`,
      met: x50 <= 3,
    });
  }
  const writes = WRITE_ROWS.filter((name) => r.ratios[name] !== undefined);
  if (writes.length) {
    const worst = writes.reduce((a, b) => (r.ratios[b] > r.ratios[a] ? b : a));
    checks.push({
      target: 'SCIM/raw ≤ 2.5 for writes',
      measured: writes.map((w) => `${w} ${num(r.ratios[w], 2)}×`).join('; '),
      met: r.ratios[worst] <= 2.5,
    });
  }
  checks.push({
    target: 'peak RSS < 300 MB (and flat in N: compare runs)',
    measured: `${num(r.peakRssMb)} MB`,
    met: r.peakRssMb < 300,
  });
  return checks;
}

export function markdownTargets(checks: TargetCheck[]): string {
  return [
    '| target | measured | |',
    '| --- | --- | --- |',
    ...checks.map((c) => `| ${c.target} | ${c.measured} | ${c.met ? 'met' : '**missed**'} |`),
  ].join('\n');
}
