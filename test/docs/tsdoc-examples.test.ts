import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every ```ts block that follows an @example tag in a TSDoc comment of lib/, with where it was found. */
function examples(): Array<{ where: string; code: string }> {
  const found: Array<{ where: string; code: string }> = [];
  for (const file of sources(path.join(ROOT, 'lib'))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
      const lines = comment[0].split('\n').map((line) => line.replace(/^\s*\* ?/, ''));
      const body = lines.join('\n');
      for (const block of body.matchAll(/@example\s*\n```ts\n([\s\S]*?)```/g)) {
        const line = text.slice(0, comment.index).split('\n').length;
        found.push({ where: `${path.relative(ROOT, file)}:${line}`, code: block[1] });
      }
    }
  }
  return found;
}

describe('TSDoc @example blocks: each compiles as a host would write it', function () {
  this.timeout(120_000);

  it('the entry points a host calls have an example', () => {
    const where = examples().map((e) => e.where.split(':')[0]);
    for (const file of ['lib/index.ts', 'lib/web/shutdown.ts', 'lib/store/connect.ts']) expect(where).to.include(file);
  });

  it("type-checks every example against the package's public entry point", () => {
    // Inside the checkout, so that express and the other packages resolve from its node_modules.
    fs.mkdirSync(path.join(ROOT, 'node_modules/.cache'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(ROOT, 'node_modules/.cache/idc-examples-'));
    try {
      // Each example is its own module importing 'identity-connector', resolved to lib/index.ts.
      const files = examples().map((example, i) => {
        const file = path.join(dir, `example-${i}.ts`);
        fs.writeFileSync(file, `// ${example.where}\n${example.code}\nexport {};\n`);
        return { file, where: example.where };
      });
      const program = ts.createProgram(
        files.map((f) => f.file),
        {
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.ESNext,
          moduleResolution: ts.ModuleResolutionKind.Bundler,
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          esModuleInterop: true,
          types: ['node'],
          typeRoots: [path.join(ROOT, 'node_modules/@types')],
          baseUrl: ROOT,
          paths: { 'identity-connector': ['lib/index.ts'] },
        },
      );
      const errors = ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file && files.some((f) => f.file === d.file!.fileName))
        .map((d) => {
          const where = files.find((f) => f.file === d.file!.fileName)!.where;
          return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
        });
      expect(errors).to.deep.equal([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
