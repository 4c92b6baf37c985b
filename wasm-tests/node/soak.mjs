// Soak: n evaluations on ONE instance of the OPA module in the npm SDK
// @open-policy-agent/opa-wasm (fast path, default 5-page memory), one hostile request after
// every 100 corpus cases, every verdict checked against the native one.
//
//   node soak.mjs <policy.wasm> <plan.json> <n>
//
// plan.json (written by wasm-tests/tests/soak.rs): {data, normal: [{id, input, native}],
// hostile: [{id, file, native}]}; `input` is the `{"request", "settings"}` text, `file` holds it
// for the large hostile requests; `native` is the native verdict JSON text. Inputs go to the SDK
// as raw bytes (ArrayBuffer). Progress goes to stderr; stdout gets one JSON summary:
// {n, normal, hostile, wrong, firstWrong, pages: {afterFirstHostile, afterEveryHostile, end},
//  seconds, hostileSeconds}.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { loadPolicy } from "@open-policy-agent/opa-wasm";

const [modulePath, planPath, nArg] = process.argv.slice(2);
const n = Number(nArg);
if (!modulePath || !planPath || !Number.isInteger(n) || n < 0) {
  console.error("usage: node soak.mjs <policy.wasm> <plan.json> <n>");
  process.exit(2);
}
const plan = JSON.parse(readFileSync(planPath, "utf8"));
const policy = await loadPolicy(readFileSync(modulePath));
policy.setData(plan.data);

const encoder = new TextEncoder();
const buffer = (u8) => u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength);
const normal = plan.normal.map((c) => ({ id: c.id, native: c.native, input: buffer(encoder.encode(c.input)) }));
const hostile = plan.hostile.map((h) => ({ id: h.id, native: h.native, input: buffer(readFileSync(h.file)), hostile: true }));
const pages = () => policy.mem.buffer.byteLength / 65536;

let wrong = 0;
const firstWrong = [];
const seen = new Map();
const mem = { afterFirstHostile: null, afterEveryHostile: null, end: null };
let normalCount = 0;
let hostileCount = 0;
let hostileMs = 0;
const start = performance.now();
for (let i = 0; i < n; i++) {
  let item;
  if (i % 101 === 100 && hostile.length > 0) {
    item = hostile[hostileCount % hostile.length];
    hostileCount++;
  } else {
    item = normal[normalCount % normal.length];
    normalCount++;
  }
  const callStart = performance.now();
  const rs = policy.evaluate(item.input, "secretfree/verdict");
  if (item.hostile) hostileMs += performance.now() - callStart;
  const got = rs.length === 1 ? JSON.stringify(rs[0].result) : `result set ${JSON.stringify(rs)}`;
  if (got !== item.native) {
    wrong++;
    if (firstWrong.length < 5) firstWrong.push({ i, id: item.id, got: got.slice(0, 400), want: item.native.slice(0, 400) });
  }
  if (item.hostile) {
    if (mem.afterFirstHostile === null) mem.afterFirstHostile = pages();
    seen.set(item.id, (seen.get(item.id) ?? 0) + 1);
    if (mem.afterEveryHostile === null && seen.size === hostile.length && [...seen.values()].every((c) => c >= 2)) {
      mem.afterEveryHostile = pages();
    }
  }
  if ((i + 1) % 100000 === 0) {
    const s = (performance.now() - start) / 1000;
    console.error(`npm soak: ${i + 1}/${n} evaluations, ${wrong} wrong, ${pages()} pages, ${((i + 1) / s).toFixed(0)}/s`);
  }
}
const seconds = (performance.now() - start) / 1000;
mem.end = pages();
process.stdout.write(JSON.stringify({
  n, normal: normalCount, hostile: hostileCount, wrong, firstWrong, pages: mem, seconds, hostileSeconds: hostileMs / 1000,
}));
