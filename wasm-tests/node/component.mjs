// jco host for dist/component/secretfree.wasm.
//
//   node component.mjs <corpus.json>      (corpus written by wasm-tests/src/lib.rs write_corpus_json)
//
// Transpiles the component with jco into target/wasm-tests/jco/secretfree, checks the generated
// ESM imports nothing outside its own directory (in particular no @bytecodealliance/preview2-shim:
// zero WASI), runs `validate` on every case and prints `{results: [{id, verdict, verdictOfRequest}]}`
// where each verdict is the DESIGN §6 JSON text rebuilt from the WIT records (field order rule, action,
// path, message, fix; patch op, path, value). The Rust test compares it byte for byte.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const component = join(repo, 'dist/component/secretfree.wasm');
const outDir = join(repo, 'target/wasm-tests/jco/secretfree');

const corpusPath = process.argv[2];
if (!corpusPath) {
  console.error('usage: node component.mjs <corpus.json>');
  process.exit(2);
}

// 1. Transpile (fresh directory, so no stale file can satisfy an import). Capture jco's chatter:
//    stdout must carry only the JSON result.
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
execFileSync(join(here, 'node_modules/.bin/jco'),
  ['transpile', component, '-o', outDir, '--name', 'secretfree'],
  { cwd: here, stdio: ['ignore', 'pipe', 'pipe'] });

// 2. Zero WASI: no generated JS file mentions preview2-shim, and every module specifier it
//    imports (static or dynamic) is its own file or a Node builtin (`node:fs/promises`, used to
//    read the core wasm), never a package.
function jsFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return jsFiles(p);
    return /\.(m?js|d\.ts)$/.test(name) ? [p] : [];
  });
}
const files = jsFiles(outDir);
assert.ok(files.some((f) => f.endsWith('secretfree.js')), `jco wrote no secretfree.js: ${files}`);
const importPatterns = [
  /^\s*import\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm, // import x from '...'
  /^\s*import\s*['"]([^'"]+)['"]/gm, // import '...'
  /^\s*export\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm, // export ... from '...'
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, // import('...')
];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  assert.ok(!text.includes('@bytecodealliance/preview2-shim'),
    `${file} imports @bytecodealliance/preview2-shim: the component is not WASI-free`);
  if (file.endsWith('.d.ts')) continue;
  const specifiers = importPatterns.flatMap((re) => [...text.matchAll(re)].map((m) => m[1]));
  const external = specifiers.filter((s) => !/^(\.\.?\/|node:)/.test(s));
  assert.deepEqual(external, [], `${file} imports ${external.join(', ')}`);
}

// 3. Load the generated ESM.
const mod = await import(pathToFileURL(join(outDir, 'secretfree.js')).href);
const evaluator = mod.evaluator ?? mod['secretfree:policy/evaluator@0.1.0'];
assert.ok(evaluator && typeof evaluator.validate === 'function',
  `no evaluator export in the transpiled module: ${Object.keys(mod)}`);

// 4. The §6 JSON text, field by field. `valueJson` is already JSON text: spliced as is.
const str = (s) => JSON.stringify(s);
function verdictJson(v) {
  const findings = v.findings.map((f) =>
    `{"rule":${str(f.rule)},"action":${str(f.action)},"path":${str(f.path)},` +
    `"message":${str(f.message)},"fix":${str(f.fix)}}`);
  let out = `{"allowed":${v.allowed ? 'true' : 'false'},"findings":[${findings.join(',')}]`;
  if (v.patch.length > 0) {
    const ops = v.patch.map((p) =>
      `{"op":${str(p.op)},"path":${str(p.path)}` +
      (p.valueJson === undefined || p.valueJson === null ? '' : `,"value":${p.valueJson}`) + '}');
    out += `,"patch":[${ops.join(',')}]`;
  }
  return out + '}';
}

// 5. Every case, twice: the case's document (the AdmissionReview or AdmissionRequest the native
//    oracle judged) as `verdict`, and the unwrapped AdmissionRequest as `verdictOfRequest`.
//    A `result` error (invalid settings) is thrown by jco with the payload attached.
function judge(request, settings) {
  try {
    return verdictJson(evaluator.validate(JSON.stringify(request), JSON.stringify(settings)));
  } catch (e) {
    return `settings rejected: ${JSON.stringify(e.payload ?? String(e))}`;
  }
}
const corpus = JSON.parse(readFileSync(corpusPath, 'utf8'));
const results = corpus.map((c) => ({
  id: c.id,
  verdict: judge(c.document, c.settings),
  verdictOfRequest: judge(c.request, c.settings),
}));

// 6. The other two functions, as a smoke test (the Rust test checks them in depth in wasmtime).
const rules = evaluator.rules();
assert.ok(rules.length > 0 && rules.every((r) => typeof r.id === 'string' && typeof r.mutates === 'boolean'
  && ['deny', 'warn', 'mutated'].includes(r.defaultAction)), 'rules() shape');
evaluator.validateSettings('{}');
assert.throws(() => evaluator.validateSettings('{"noSuchSetting": 1}'),
  (e) => Array.isArray(e.payload) && e.payload.length === 1, 'validateSettings rejects an unknown key');

process.stdout.write(JSON.stringify({ results, rules: rules.length, files: files.map((f) => f.slice(outDir.length + 1)) }));
