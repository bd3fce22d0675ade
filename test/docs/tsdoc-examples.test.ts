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

/**
 * Every ```ts block that follows an @example tag (and its caption, if any) in a TSDoc comment of lib/, with where it
 * was found.
 */
function examples(): Array<{ where: string; code: string }> {
  const found: Array<{ where: string; code: string }> = [];
  for (const file of sources(path.join(ROOT, 'lib'))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
      const lines = comment[0].split('\n').map((line) => line.replace(/^\s*\* ?/, ''));
      const body = lines.join('\n');
      for (const block of body.matchAll(/@example[^\n]*\n```ts\n([\s\S]*?)```/g)) {
        const line = text.slice(0, comment.index).split('\n').length;
        found.push({ where: `${path.relative(ROOT, file)}:${line}`, code: block[1] });
      }
    }
  }
  return found;
}

/**
 * What a host calls, by the file that declares it: each needs an @example in its own doc comment (issue 20:
 * createIdentityConnector, the middleware, identity.users/groups/…, stopGracefully, connectKnex, the errors).
 */
const ENTRY_POINTS: Record<string, string[]> = {
  'lib/index.ts': [
    'createIdentityConnector',
    'users',
    'groups',
    'workspaces',
    'events',
    'requireWebRole',
    'requireLoginMethod',
    'checkLoginMethod',
    'configureOidc',
    'currentUser',
    'passport',
    'adminFromWebRole',
    'skipOnScim',
  ],
  'lib/web/shutdown.ts': ['stopGracefully'],
  'lib/store/connect.ts': ['connectKnex'],
  'lib/model/errors.ts': [
    'IdentityConnectorError',
    'InvalidInput',
    'PolicyRefusal',
    'NotFound',
    'Conflict',
    'PreconditionFailed',
    'Unavailable',
  ],
  'lib/store/errors.ts': ['StoreError', 'isStoreError'],
  'lib/model/settings.ts': ['SettingsError'],
  'lib/policy/oidc.ts': ['OidcSettingsError'],
  'lib/runtime/options.ts': ['OptionsError'],
};

/** The names declared in a file whose own doc comment carries an @example tag. */
function namesWithExample(file: string): Set<string> {
  const source = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.ES2022, true);
  const names = new Set<string>();
  const visit = (node: ts.Node) => {
    const name = (node as { name?: ts.Node }).name;
    if (name && ts.isIdentifier(name) && ts.getJSDocTags(node).some((tag) => tag.tagName.text === 'example'))
      names.add(name.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

describe('TSDoc @example blocks: each compiles as a host would write it', function () {
  this.timeout(120_000);

  it('the entry points a host calls have an example', () => {
    const missing = Object.entries(ENTRY_POINTS).flatMap(([file, names]) => {
      const documented = namesWithExample(file);
      return names.filter((name) => !documented.has(name)).map((name) => `${file}: ${name}`);
    });
    expect(missing).to.deep.equal([]);
  });

  it('every @example in lib/ is a ```ts block, so none escapes the type-check', () => {
    const tags = sources(path.join(ROOT, 'lib')).reduce(
      (n, file) => n + [...fs.readFileSync(file, 'utf8').matchAll(/^\s*\* @example\b/gm)].length,
      0,
    );
    expect(examples()).to.have.lengthOf(tags);
  });

  it("type-checks every example against the package's public entry point", () => {
    // Inside the checkout, so that express and the other packages resolve from its node_modules.
    fs.mkdirSync(path.join(ROOT, 'node_modules/.cache'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(ROOT, 'node_modules/.cache/idc-examples-'));
    try {
      // Each example is its own module importing 'identity-connector', resolved to lib/index.ts.
      // A wrong example of our own beside the real ones: the checker must report it, or it checks nothing.
      const canary = { where: 'canary', code: "import { connectKnex } from 'identity-connector';\nconnectKnex(42);" };
      const found = examples();
      expect(found.length).to.be.at.least(Object.values(ENTRY_POINTS).flat().length);
      const files = [...found, canary].map((example, i) => {
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
      expect(errors.filter((e) => e.startsWith('canary:'))).to.have.lengthOf(1);
      expect(errors.filter((e) => !e.startsWith('canary:'))).to.deep.equal([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
