/**
 * The JSDoc `@example` blocks of what the published packages export, extracted and type-checked as
 * code a user would write: each example becomes a small module that imports the package (and the
 * packages it builds on) by name and runs the example in an async function.
 *
 * What an example may assume besides the packages' exports is declared once per package in
 * {@link EXAMPLE_CONTEXT} (a request, a response, an app…). Everything else an example uses it must
 * define itself, so an example that calls a function with the wrong arguments, names an export that
 * is gone or reads a property that does not exist fails the check.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** The packages whose exports are the public API, and the packages their examples may import. */
export const PUBLIC_PACKAGES = {
  core: { name: '@ipgate/core', imports: ['@ipgate/core'] },
  node: { name: '@ipgate/node', imports: ['@ipgate/node', '@ipgate/core'] },
  express: { name: '@ipgate/express', imports: ['@ipgate/express', '@ipgate/node', '@ipgate/core'] },
  fastify: { name: '@ipgate/fastify', imports: ['@ipgate/fastify', '@ipgate/node', '@ipgate/core'] },
  hono: { name: '@ipgate/hono', imports: ['@ipgate/hono', '@ipgate/node', '@ipgate/core'] },
} as const;

export type PublicPackage = keyof typeof PUBLIC_PACKAGES;

/**
 * What every example of a package may use without defining it: the objects a reader has at hand
 * where the example would go. Kept short on purpose; an example that needs more defines it.
 */
export const EXAMPLE_CONTEXT: Readonly<Record<PublicPackage, string>> = {
  core: [
    "import type { IncomingMessage, ServerResponse } from 'node:http';",
    'declare const req: IncomingMessage;',
    'declare const res: ServerResponse;',
  ].join('\n'),
  node: [
    "import type { IncomingMessage, ServerResponse } from 'node:http';",
    'declare const req: IncomingMessage;',
    'declare const res: ServerResponse;',
  ].join('\n'),
  express: "declare const app: import('express').Express;",
  fastify: "declare const app: import('fastify').FastifyInstance;",
  hono: "declare const app: import('hono').Hono;",
};

/** One `@example` block. */
export interface Example {
  readonly pkg: PublicPackage;
  /** The exported name it documents, e.g. `IpSet.from`. */
  readonly name: string;
  /** Where the block is, relative to the repository root, 1-based line. */
  readonly file: string;
  readonly line: number;
  readonly code: string;
}

/** A type error in an example, placed in the source file the example was taken from. */
export interface ExampleProblem {
  readonly example: Example;
  readonly message: string;
}

function compilerOptions(root: string): ts.CompilerOptions {
  const paths: Record<string, string[]> = {};
  for (const key of Object.keys(PUBLIC_PACKAGES) as PublicPackage[]) {
    paths[PUBLIC_PACKAGES[key].name] = [join(root, 'packages', key, 'src', 'index.ts')];
  }
  return {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')],
    // The sources, not dist: the check must not depend on a build being current.
    paths,
  };
}

/** The examples of the public packages and the names each package exports, read from one program. */
export interface PublicApi {
  readonly examples: readonly Example[];
  /** Package name → every name it exports (values and types), for the examples' imports. */
  readonly exportNames: ReadonlyMap<string, readonly string[]>;
  /** The program they were read from; checking reuses its files. */
  readonly program: ts.Program;
}

/**
 * Every `@example` on the exports of the public packages, and on the public members of exported
 * classes and interfaces.
 *
 * @example
 * const { examples } = publicApi('/path/to/ipgate');
 * examples.find((e) => e.name === 'IpSet.from')?.code; // "IpSet.from(['10.0.0.0/8', …]);"
 */
export function publicApi(root: string): PublicApi {
  const options = compilerOptions(root);
  const entries = (Object.keys(PUBLIC_PACKAGES) as PublicPackage[]).map((pkg) =>
    join(root, 'packages', pkg, 'src', 'index.ts'),
  );
  const program = ts.createProgram(entries, options);
  const checker = program.getTypeChecker();
  const examples: Example[] = [];
  const exportNames = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const pkg of Object.keys(PUBLIC_PACKAGES) as PublicPackage[]) {
    const source = program.getSourceFile(join(root, 'packages', pkg, 'src', 'index.ts'));
    const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    if (moduleSymbol === undefined) throw new Error(`cannot read the exports of packages/${pkg}`);
    const exports = checker.getExportsOfModule(moduleSymbol);
    exportNames.set(
      PUBLIC_PACKAGES[pkg].name,
      exports.map((s) => s.name),
    );
    for (const exported of exports) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      for (const declaration of symbol.declarations ?? []) {
        const file = declaration.getSourceFile().fileName;
        // An export re-exported from another public package is that package's to document.
        if (!file.startsWith(join(root, 'packages', pkg, 'src'))) continue;
        collect(examples, seen, root, pkg, exported.name, declaration);
        for (const member of publicMembers(declaration)) {
          const memberName = member.name === undefined ? undefined : member.name.getText();
          if (memberName !== undefined) {
            collect(examples, seen, root, pkg, `${exported.name}.${memberName}`, member);
          }
        }
      }
    }
  }
  return { examples, exportNames, program };
}

function publicMembers(declaration: ts.Declaration): ts.NamedDeclaration[] {
  if (!ts.isClassDeclaration(declaration) && !ts.isInterfaceDeclaration(declaration)) return [];
  return declaration.members.filter((m) => {
    if (m.name !== undefined && ts.isPrivateIdentifier(m.name)) return false;
    const flags = ts.getCombinedModifierFlags(m as ts.Declaration);
    return (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) === 0;
  });
}

function collect(
  out: Example[],
  seen: Set<string>,
  root: string,
  pkg: PublicPackage,
  name: string,
  node: ts.Node,
): void {
  const sourceFile = node.getSourceFile();
  for (const doc of ts.getJSDocCommentsAndTags(node)) {
    if (!ts.isJSDoc(doc)) continue;
    const key = `${sourceFile.fileName}:${doc.pos}`;
    if (seen.has(key)) continue;
    seen.add(key);
    for (const block of exampleBlocks(sourceFile.text.slice(doc.pos, doc.end))) {
      const { line } = sourceFile.getLineAndCharacterOfPosition(doc.pos);
      out.push({
        pkg,
        name,
        file: relative(root, sourceFile.fileName),
        line: line + 1 + block.lineOffset,
        code: block.code,
      });
    }
  }
}

/**
 * The `@example` blocks of one JSDoc comment, as written: from the tag (or the line after it) to the
 * next tag or the end of the comment, with the leading ` * ` of each line removed.
 *
 * @example
 * exampleBlocks('/**\n * Adds.\n * @example\n * add(1, 2); // 3\n *\/'); // [{ code: 'add(1, 2); // 3', lineOffset: 3 }]
 */
export function exampleBlocks(comment: string): { code: string; lineOffset: number }[] {
  const lines = comment
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, ''));
  const blocks: { code: string; lineOffset: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*@example\b ?(.*)$/.exec(lines[i] as string);
    if (m === null) continue;
    const body: string[] = [];
    if ((m[1] as string).trim() !== '') body.push(m[1] as string);
    let j = i + 1;
    for (; j < lines.length && !/^\s*@[a-z]/i.test(lines[j] as string); j++) body.push(lines[j] as string);
    const code = body.join('\n').trim();
    if (code !== '') blocks.push({ code, lineOffset: (m[1] as string).trim() !== '' ? i : i + 1 });
    i = j - 1;
  }
  return blocks;
}

/** The module an example is checked as. */
export function exampleModule(example: Example, importNames: ReadonlyMap<string, readonly string[]>): string {
  const taken = new Set<string>();
  const imports: string[] = [];
  const body: string[] = [];
  const hoisted: string[] = [];
  for (const line of example.code.split('\n')) {
    if (/^import\s/.test(line)) hoisted.push(line);
    else body.push(line);
  }
  // Names the example imports itself are not imported again.
  for (const line of hoisted) {
    const named = /\{([^}]*)\}/.exec(line)?.[1] ?? '';
    for (const part of named.split(',')) {
      const local = part
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .pop()
        ?.trim();
      if (local) taken.add(local);
    }
    const def = /^import\s+(?:type\s+)?([A-Za-z_$][\w$]*)\s*(?:,|from)/.exec(line)?.[1];
    if (def !== undefined) taken.add(def);
  }
  for (const specifier of PUBLIC_PACKAGES[example.pkg].imports) {
    const names = (importNames.get(specifier) ?? []).filter((n) => !taken.has(n));
    for (const n of names) taken.add(n);
    if (names.length > 0) imports.push(`import { ${names.join(', ')} } from '${specifier}';`);
  }
  return [
    ...imports,
    ...hoisted,
    EXAMPLE_CONTEXT[example.pkg],
    '',
    'export async function example() {',
    ...body,
    '}',
    '',
  ].join('\n');
}

/**
 * Type-checks every example and returns what does not compile.
 *
 * @example
 * const api = publicApi(root);
 * const problems = checkExamples(root, api);
 * problems.map((p) => `${p.example.file}:${p.example.line}: ${p.message}`);
 */
export function checkExamples(root: string, api: PublicApi): ExampleProblem[] {
  const options = compilerOptions(root);
  // Inside the repository, so `express`, `fastify`, `hono` and `@types/node` resolve from its node_modules.
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'ipgate-examples-'));
  try {
    const files = api.examples.map((example, i) => {
      const file = join(dir, `example-${i}.ts`);
      writeFileSync(file, exampleModule(example, api.exportNames));
      return { file, example };
    });
    const program = ts.createProgram(
      files.map((f) => f.file),
      options,
      undefined,
      api.program,
    );
    const problems: ExampleProblem[] = [];
    const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
    if (global.length > 0) {
      throw new Error(`the example check itself does not compile: ${describe(global[0] as ts.Diagnostic)}`);
    }
    for (const { file, example } of files) {
      const sourceFile = program.getSourceFile(file);
      if (sourceFile === undefined) throw new Error(`${file} was not compiled`);
      const diagnostics = [
        ...program.getSyntacticDiagnostics(sourceFile),
        ...program.getSemanticDiagnostics(sourceFile),
      ];
      for (const diagnostic of diagnostics) problems.push({ example, message: describe(diagnostic) });
    }
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function describe(diagnostic: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  if (diagnostic.file === undefined || diagnostic.start === undefined) return message;
  const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  return `${message}\n    in: ${(diagnostic.file.text.split('\n')[line] ?? '').trim()}`;
}
