import path from 'node:path';
import ts from 'typescript';

/**
 * Type-checks plain objects (parsed YAML) against TypeScript interfaces, as object literals: what
 * JSON schema validation lets through, an unknown field (a misspelt `readinesProbe`, a field at the
 * wrong level), TypeScript's excess property check reports. `objects[i].type` is an import type
 * such as `import('kubernetes-models/apps/v1/Deployment').IDeployment`; `root` is where node_modules
 * are resolved from. Returns one line per problem, naming the object's label.
 */
export function typeCheckObjects(root: string, objects: readonly { label: string; type: string; value: unknown }[]): string[] {
  const file = path.join(root, 'test/deploy/.manifests-typecheck.ts');
  const lines = objects.map((o, i) => `export const object${i}: ${o.type} = ${JSON.stringify(o.value)};`);
  const source = `${lines.join('\n')}\n`;
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) =>
    path.resolve(name) === file ? ts.createSourceFile(name, source, languageVersion) : getSourceFile(name, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (path.resolve(name) === file ? source : readFile(name));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined && path.resolve(d.file.fileName) === file ? d.file.getLineAndCharacterOfPosition(d.start).line : undefined;
    const label = line === undefined ? 'typecheck' : (objects[line]?.label ?? 'typecheck');
    return `${label}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}
