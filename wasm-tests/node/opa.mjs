// The OPA module in the npm SDK @open-policy-agent/opa-wasm, and in a hand-made context-path
// host on the same engine.
//
//   node opa.mjs <policy.wasm> <corpus.json>
//
// corpus.json is written by wasm-tests/tests/opa.rs (write_corpus_json). Prints one JSON object:
//   {abiVersion, results: {<case id>: {verdict: <verdict JSON text>, violation: [...], ctxMain: [...]}},
//    memoryPages: {fastFirst, fastLast, ctxFirst, ctxLast}}
// and the Rust test compares it with the native verdicts.
import { readFileSync } from "node:fs";
import { loadPolicy } from "@open-policy-agent/opa-wasm";

const [modulePath, corpusPath] = process.argv.slice(2);
if (!modulePath || !corpusPath) {
  console.error("usage: node opa.mjs <policy.wasm> <corpus.json>");
  process.exit(2);
}
const wasm = readFileSync(modulePath);
const corpus = JSON.parse(readFileSync(corpusPath, "utf8"));

// --- SDK fast path (ABI >= 1.2: opa_eval), default memory {initial: 5} -------------------
const policy = await loadPolicy(wasm);
policy.setData({ secretfree: { settings: {} } });
const abiVersion = `${policy.wasmInstance.exports.opa_wasm_abi_version.value}.${policy.minorVersion}`;

const results = {};
const fastPass = () => {
  for (const c of corpus) {
    const verdict = policy.evaluate({ request: c.request, settings: c.settings }, "secretfree/verdict");
    const violation = policy.evaluate({ review: c.request, parameters: c.settings }, "secretfree/violation");
    if (verdict.length !== 1 || violation.length !== 1) {
      throw new Error(`${c.id}: expected one result, got ${JSON.stringify([verdict, violation])}`);
    }
    results[c.id] = { verdict: JSON.stringify(verdict[0].result), violation: violation[0].result };
  }
};
fastPass();
const fastFirst = policy.mem.buffer.byteLength / 65536;
for (let i = 0; i < 3; i++) fastPass();
const fastLast = policy.mem.buffer.byteLength / 65536;

// --- Context path by hand: WebAssembly.instantiate, 5-page memory, entrypoint 0 ----------
const memory = new WebAssembly.Memory({ initial: 5 });
const cString = (addr) => {
  const bytes = new Uint8Array(memory.buffer);
  let end = addr;
  while (bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(addr, end));
};
const { instance } = await WebAssembly.instantiate(wasm, {
  env: {
    memory,
    opa_abort: (addr) => {
      throw new Error(`opa_abort: ${cString(addr)}`);
    },
  },
});
const x = instance.exports;
const loadJSON = (value) => {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  const addr = x.opa_malloc(bytes.length);
  new Uint8Array(memory.buffer).set(bytes, addr);
  const parsed = x.opa_json_parse(addr, bytes.length);
  if (parsed === 0) throw new Error("opa_json_parse refused valid JSON");
  x.opa_free(addr);
  return parsed;
};
const entrypoints = JSON.parse(cString(x.opa_json_dump(x.entrypoints())));
if (entrypoints["secretfree/main"] !== 0) throw new Error(`entrypoint 0 is not secretfree/main: ${JSON.stringify(entrypoints)}`);
const dataAddr = loadJSON({});
const dataHeap = x.opa_heap_ptr_get();
const ctxPass = () => {
  for (const c of corpus) {
    x.opa_heap_ptr_set(dataHeap);
    const input = loadJSON({ review: c.request, parameters: c.settings });
    const ctx = x.opa_eval_ctx_new();
    x.opa_eval_ctx_set_input(ctx, input);
    x.opa_eval_ctx_set_data(ctx, dataAddr);
    x.opa_eval_ctx_set_entrypoint(ctx, 0);
    x.eval(ctx);
    const set = JSON.parse(cString(x.opa_json_dump(x.opa_eval_ctx_get_result(ctx))));
    if (set.length !== 1) throw new Error(`${c.id}: context path result set ${JSON.stringify(set)}`);
    results[c.id].ctxMain = set[0].result;
  }
};
ctxPass();
const ctxFirst = memory.buffer.byteLength / 65536;
for (let i = 0; i < 3; i++) ctxPass();
const ctxLast = memory.buffer.byteLength / 65536;

process.stdout.write(JSON.stringify({ abiVersion, results, memoryPages: { fastFirst, fastLast, ctxFirst, ctxLast } }));
