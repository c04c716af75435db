/**
 * The house's size rules, checked from the syntax tree (TypeScript's own parser, through its API):
 * no function, method or arrow in the Worker's code longer than `MAX_FUNCTION_LINES`, and no file
 * longer than `MAX_FILE_LINES` unless its opening comment says why it is long.
 *
 *   npm run long-code                    # workers/ without its *.test.ts files; exits 1 on a finding
 *   npm run long-code -- --tests         # the test files too (their describe blocks are long by nature)
 *   npm run long-code -- web/src         # other folders
 */
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Node, SourceFile } from "typescript/unstable/ast";
import {
  isArrowFunction,
  isConstructorDeclaration,
  isFunctionDeclaration,
  isFunctionExpression,
  isGetAccessorDeclaration,
  isMethodDeclaration,
  isSetAccessorDeclaration,
} from "typescript/unstable/ast/is";
import { API } from "typescript/unstable/sync";

export const MAX_FUNCTION_LINES = 80;
export const MAX_FILE_LINES = 400;
/** Words an opening comment gives its reason for the length with. */
const REASON = /\b(long|longer|over \d+ lines)\b/i;

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface Finding {
  file: string;
  line: number;
  what: string;
  lines: number;
}

function isTestFile(path: string): boolean {
  return /\.test\.tsx?$/.test(path);
}

function sourceFiles(dir: string, withTests: boolean): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .map((p) => join(dir, p))
    .filter((p) => /\.tsx?$/.test(p) && !p.endsWith(".d.ts"))
    .filter((p) => withTests || !isTestFile(p))
    .sort();
}

function functionName(node: Node, file: SourceFile): string {
  const named = node as Node & { name?: Node };
  if (named.name) return named.name.getText(file);
  if (isConstructorDeclaration(node)) return "constructor";
  // An arrow or function expression takes the name of what holds it (`const f = …`, `{ f: … }`).
  const holder = node.parent as Node & { name?: Node; expression?: Node; arguments?: readonly Node[] };
  if (holder?.name) return `${holder.name.getText(file)} (arrow)`;
  // A callback: what it is passed to, with the call's first argument (`describe("the ledger")`).
  if (holder?.expression && holder.arguments) {
    const first = holder.arguments[0];
    const label = first && first !== node ? first.getText(file).slice(0, 60) : "";
    return `${holder.expression.getText(file)}(${label}) callback`;
  }
  return "(anonymous)";
}

function isFunction(node: Node): boolean {
  return (
    isFunctionDeclaration(node) ||
    isFunctionExpression(node) ||
    isArrowFunction(node) ||
    isMethodDeclaration(node) ||
    isConstructorDeclaration(node) ||
    isGetAccessorDeclaration(node) ||
    isSetAccessorDeclaration(node)
  );
}

function lineOf(file: SourceFile, pos: number): number {
  return file.getLineAndCharacterOfPosition(pos).line + 1;
}

/** The findings of one parsed file. */
export function findingsOf(file: SourceFile, path: string): Finding[] {
  const findings: Finding[] = [];
  const visit = (node: Node): void => {
    if (isFunction(node)) {
      const first = lineOf(file, node.getStart(file));
      const lines = lineOf(file, node.getEnd()) - first + 1;
      if (lines > MAX_FUNCTION_LINES) {
        findings.push({ file: path, line: first, what: functionName(node, file), lines });
      }
    }
    node.forEachChild(visit);
  };
  file.forEachChild(visit);
  const total = file.getLineStarts().length;
  if (total > MAX_FILE_LINES) {
    const firstStatement = file.statements[0];
    const opening = file.text.slice(0, firstStatement ? firstStatement.getStart(file) : file.text.length);
    if (!REASON.test(opening))
      findings.push({ file: path, line: 1, what: "(file, no reason at its top)", lines: total });
  }
  return findings;
}

/** Every finding under `dirs`, parsed by one TypeScript API process. */
export function findings(dirs: string[], withTests: boolean): Finding[] {
  const api = new API({ cwd: ROOT });
  try {
    const snapshot = api.updateSnapshot({
      openProjects: ["workers/tsconfig.json", "web/tsconfig.json", "tsconfig.json"],
    });
    const out: Finding[] = [];
    for (const dir of dirs) {
      for (const path of sourceFiles(dir, withTests)) {
        const absolute = join(ROOT, path);
        const project = snapshot.getDefaultProjectForFile(absolute);
        const file = project?.program.getSourceFile(absolute);
        if (!file) throw new Error(`${path}: not in a project of the snapshot`);
        out.push(...findingsOf(file, relative(ROOT, absolute)));
      }
    }
    return out;
  } finally {
    api.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    options: { tests: { type: "boolean" } },
    allowPositionals: true,
  });
  const found = findings(positionals.length ? positionals : ["workers"], values.tests ?? false);
  for (const f of found) console.log(`${f.file}:${f.line}  ${f.what}  ${f.lines} lines`);
  console.log(found.length ? `${found.length} over the limits` : "nothing over the limits");
  process.exitCode = found.length ? 1 : 0;
}
