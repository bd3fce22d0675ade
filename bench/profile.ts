/**
 * Hot spots of a V8 .cpuprofile (`npm run bench -- --profile`, or `tsx bench/profile.ts FILE`):
 * self time by area (lib/, each node_modules package, node internals, GC), then the functions
 * with the most self and the most inclusive time.
 *
 * The child runs TypeScript through tsx, which minifies whitespace: V8 positions are in the
 * transformed code. They are mapped back to source lines through the source maps tsx keeps in
 * its disk cache (os.tmpdir()/tsx-<uid>); failing that, a project function's line is looked up
 * in its source by name.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** A span of the bench (one phase row) in CLOCK_MONOTONIC µs, the clock of V8's profile timestamps. */
export interface ProfileWindow {
  name: string;
  startUs: number;
  endUs: number;
}

/**
 * Summarises the biggest profile in `dir` (the child's main thread; tsx's loader thread writes
 * another) into dir/summary.txt, and answers that file's path (or why there is none).
 */
export function summarizeProfileDir(dir: string, root: string, windows: ProfileWindow[] = []): string {
  const profiles = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size);
  if (!profiles.length) return `no profile was written in ${dir}`;
  const file = path.join(dir, 'summary.txt');
  fs.writeFileSync(file, summarizeProfile(profiles[0], root, windows) + '\n');
  return file;
}

export function summarizeProfile(file: string, root: string, windows: ProfileWindow[] = [], top = 25): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const rootPath = root.endsWith(path.sep) ? root : root + path.sep;
  const relative = (url: string) => {
    const p = url.startsWith('file://') ? fileURLToPath(url) : url;
    return p.startsWith(rootPath) ? p.slice(rootPath.length) : p;
  };
  const area = (url: string) => {
    const rel = relative(url);
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(rel);
    if (pkg) return `node_modules/${pkg[1]}`;
    if (rel.startsWith('node:')) return 'node internals';
    return rel
      .split('/')
      .slice(0, rel.startsWith('lib/') ? 2 : 1)
      .join('/');
  };
  const maps = new SourceLines(root);
  // One display label per frame: "name file:line", with project lines mapped back to the source.
  const labelCache = new Map<ProfileNode, string>();
  const label = (n: ProfileNode) => {
    let l = labelCache.get(n);
    if (l) return l;
    const { functionName, url, lineNumber, columnNumber } = n.callFrame;
    if (!url) l = functionName;
    else {
      const rel = relative(url);
      const project = /^(lib|examples|bench|migrations)\//.test(rel);
      const line = project ? maps.line(rel, lineNumber, columnNumber, functionName) : `${lineNumber + 1}`;
      l = `${functionName || '(anonymous)'} ${rel}:${line}`;
    }
    labelCache.set(n, l);
    return l;
  };

  // Sample timestamps: startTime plus the running sum of timeDeltas.
  const times: number[] = [];
  let clock = profile.startTime;
  for (const delta of profile.timeDeltas) times.push((clock += delta));

  const summarize = (from: number, to: number, n: number, sections: { areas: boolean; deps: boolean }) => {
    const self = new Map<string, number>();
    const inclusive = new Map<string, number>();
    const areas = new Map<string, number>();
    let total = 0;
    profile.samples.forEach((id, i) => {
      if (times[i] < from || times[i] >= to) return;
      const ms = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
      const leaf = byId.get(id)!;
      if (leaf.callFrame.functionName === '(idle)') return;
      total += ms;
      self.set(label(leaf), (self.get(label(leaf)) ?? 0) + ms);
      const leafArea = leaf.callFrame.url ? area(leaf.callFrame.url) : leaf.callFrame.functionName;
      areas.set(leafArea, (areas.get(leafArea) ?? 0) + ms);
      const seen = new Set<string>();
      for (
        let node: ProfileNode | undefined = leaf;
        node;
        node = parent.has(node.id) ? byId.get(parent.get(node.id)!) : undefined
      ) {
        if (!node.callFrame.url) continue;
        const k = label(node);
        if (seen.has(k)) continue;
        seen.add(k);
        inclusive.set(k, (inclusive.get(k) ?? 0) + ms);
      }
    });
    const pct = (ms: number) => `${((100 * ms) / (total || 1)).toFixed(1).padStart(5)}%`;
    const list = (m: Map<string, number>, filter: (k: string) => boolean, count: number) =>
      [...m.entries()]
        .filter(([k]) => filter(k))
        .sort((a, b) => b[1] - a[1])
        .slice(0, count)
        .map(([k, ms]) => `  ${pct(ms)} ${ms.toFixed(0).padStart(7)} ms  ${k}`);
    const project = (k: string) => / (lib|examples)\//.test(k);
    return [
      `busy ${total.toFixed(0)} ms of ${((Math.min(to, profile.endTime) - Math.max(from, profile.startTime)) / 1000).toFixed(0)} ms`,
      ...(sections.areas ? ['self time by area:', ...list(areas, () => true, 15)] : []),
      'top self time:',
      ...list(self, () => true, n),
      'top inclusive time, project code (lib/, examples/):',
      ...list(inclusive, project, n + 10),
      ...(sections.deps
        ? ['top inclusive time, dependencies:', ...list(inclusive, (k) => !project(k) && /node_modules/.test(k), n)]
        : []),
    ];
  };

  const out = ['== whole run', ...summarize(-Infinity, Infinity, top, { areas: true, deps: true })];
  for (const w of windows)
    out.push('', `== ${w.name}`, ...summarize(w.startUs, w.endUs, 12, { areas: true, deps: false }));
  return out.join('\n');
}

/** Maps a position in tsx's transformed code back to a 1-based source line. */
class SourceLines {
  private cache?: Map<string, { mappings: string }>;
  private decoded = new Map<string, number[][][] | null>();
  constructor(private readonly root: string) {}

  line(rel: string, line0: number, column0: number, functionName: string): string {
    const segments = this.segmentsOf(rel);
    const found = segments?.[line0]?.filter((s) => s[0] <= column0).pop();
    if (found) return String(found[2] + 1);
    const byName = definitionLine(path.join(this.root, rel), functionName);
    return byName ? String(byName) : `?(V8 ${line0 + 1}:${column0 + 1})`;
  }

  /** Decoded mappings per generated line: [generatedColumn, sourceIndex, sourceLine, sourceColumn]. */
  private segmentsOf(rel: string): number[][][] | null {
    if (this.decoded.has(rel)) return this.decoded.get(rel)!;
    const entry = this.tsxCache().get(path.join(this.root, rel));
    const result = entry ? decodeMappings(entry.mappings) : null;
    this.decoded.set(rel, result);
    return result;
  }

  /**
   * ESM transforms in tsx's disk cache by source path; of several versions of a file, the one
   * written last (the profile is read right after the run, so that is the code that ran).
   */
  private tsxCache(): Map<string, { mappings: string }> {
    if (this.cache) return this.cache;
    const newest = new Map<string, { mtime: number; map: { mappings: string } }>();
    const dir = path.join(os.tmpdir(), `tsx-${os.userInfo().uid}`);
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      /* no cache */
    }
    for (const name of names) {
      try {
        const file = path.join(dir, name);
        const entry = JSON.parse(fs.readFileSync(file, 'utf8')) as {
          code?: string;
          map?: { mappings: string; sources?: string[] };
        };
        const source = entry.map?.sources?.[0];
        if (!source || !entry.code || entry.code.startsWith('__filename=')) continue;
        const mtime = fs.statSync(file).mtimeMs;
        if ((newest.get(source)?.mtime ?? -1) < mtime) newest.set(source, { mtime, map: entry.map! });
      } catch {
        /* not an entry */
      }
    }
    this.cache = new Map([...newest].map(([source, { map }]) => [source, map]));
    return this.cache;
  }
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decodeMappings(mappings: string): number[][][] {
  const lines: number[][][] = [];
  const state = [0, 0, 0, 0];
  for (const lineText of mappings.split(';')) {
    const segments: number[][] = [];
    state[0] = 0;
    for (const segment of lineText.split(',')) {
      if (!segment) continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const digit = BASE64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
          continue;
        }
        values.push(value & 1 ? -(value >>> 1) : value >>> 1);
        value = 0;
        shift = 0;
      }
      for (let i = 0; i < Math.min(4, values.length); i++) state[i] += values[i];
      if (values.length >= 4) segments.push([state[0], state[1], state[2], state[3]]);
    }
    lines.push(segments);
  }
  return lines;
}

/** The 1-based line defining `name` in a source file (method, function or const), if any. */
function definitionLine(file: string, name: string): number | undefined {
  if (!name || !fs.existsSync(file)) return undefined;
  const escaped = name.replace(/[$]/g, '\\$');
  const definition = new RegExp(
    `^\\s*(export\\s+)?(default\\s+)?(async\\s+)?(function\\s*\\*?\\s*${escaped}\\b|(private\\s+|static\\s+|readonly\\s+|get\\s+)*${escaped}\\s*[(<]|(const|let)\\s+${escaped}\\s*=|class\\s+${escaped}\\b)`,
  );
  const index = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => definition.test(l));
  return index >= 0 ? index + 1 : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: tsx bench/profile.ts FILE.cpuprofile\n');
    process.exitCode = 2;
  } else {
    process.stdout.write(summarizeProfile(file, fileURLToPath(new URL('..', import.meta.url))) + '\n');
  }
}
