/**
 * Counts the exported names of lib/ that have no TSDoc comment (issue 20's "undocumented public surface"),
 * lists them with --list, and fails with --check when there is any (CI: TypeDoc sees only what lib/index.ts
 * reaches; this covers every module). Usage: npx tsx scripts/undocumented-exports.ts [--list] [--check]
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return files(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

const isExported = (node: ts.Node) =>
  ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
const hasDoc = (node: ts.Node) => ts.getJSDocCommentsAndTags(node).length > 0;

let total = 0;
const missing: string[] = [];
for (const file of files('lib')) {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  for (const statement of source.statements) {
    if (!isExported(statement)) continue;
    const names = ts.isVariableStatement(statement)
      ? statement.declarationList.declarations.map((d) => d.name.getText(source))
      : [(statement as ts.DeclarationStatement).name?.getText(source) ?? 'default'];
    // A variable's comment may sit on the statement or on its one declaration.
    const documented =
      hasDoc(statement) ||
      (ts.isVariableStatement(statement) && statement.declarationList.declarations.some((d) => hasDoc(d)));
    for (const name of names) {
      total += 1;
      if (!documented) missing.push(`${file}: ${name}`);
    }
  }
}
if (process.argv.includes('--list')) for (const line of missing) console.log(line);
console.log(`${missing.length} of ${total} exported names in lib/ have no TSDoc comment`);
if (process.argv.includes('--check') && missing.length > 0) process.exitCode = 1;
