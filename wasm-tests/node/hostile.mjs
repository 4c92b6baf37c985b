// The hostile requests through the OPA module in the npm SDK @open-policy-agent/opa-wasm (fast
// path, the SDK's default 5-page memory), all in ONE instance.
//
//   node hostile.mjs <policy.wasm> <plan.json>
//
// plan.json (written by wasm-tests/tests/opa.rs): {data, requests: [{name, file}], normal: {file}}
// where each file holds a `{"request", "settings"}` input, passed to the SDK as raw bytes (an
// ArrayBuffer), so the policy sees exactly the bytes the native oracle judged. Prints one JSON
// object: {results: [{name, verdict, pages, ms}], normal: {verdict, pages}}; each verdict is the
// `secretfree/verdict` decision as JSON text, compared with the native one by the Rust test.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { loadPolicy } from "@open-policy-agent/opa-wasm";

const [modulePath, planPath] = process.argv.slice(2);
if (!modulePath || !planPath) {
  console.error("usage: node hostile.mjs <policy.wasm> <plan.json>");
  process.exit(2);
}
const plan = JSON.parse(readFileSync(planPath, "utf8"));
const policy = await loadPolicy(readFileSync(modulePath));
policy.setData(plan.data);

const bytes = (file) => {
  const b = readFileSync(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
};
const pages = () => policy.mem.buffer.byteLength / 65536;
const verdict = (input) => {
  const rs = policy.evaluate(input, "secretfree/verdict");
  return rs.length === 1 ? JSON.stringify(rs[0].result) : `result set ${JSON.stringify(rs)}`;
};

const results = plan.requests.map(({ name, file }) => {
  const input = bytes(file);
  const start = performance.now();
  const text = verdict(input);
  const ms = performance.now() - start;
  return { name, verdict: text, pages: pages(), ms };
});
const normal = { verdict: verdict(bytes(plan.normal.file)), pages: pages() };
process.stdout.write(JSON.stringify({ results, normal }));
