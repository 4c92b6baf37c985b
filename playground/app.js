// secretfree playground: the page glue. Every decision comes from the policy compiled to
// WebAssembly (secretfree.js / secretfree_bg.wasm, built from src/adapters/browser.rs).
import init, { evaluate, rules, version } from "./secretfree.js";

const $ = (id) => document.getElementById(id);
const manifestBox = $("manifest");
const settingsBox = $("settings");
const contextBox = $("context");
const fixBox = $("fix");
const DEBOUNCE_MS = 200;
const DEFAULT_EXAMPLE = "bad-annotations-on-deployment.yaml";
const DEFAULT_SETTINGS = "strict.yaml";

let lastFixed = null;
let timer = 0;

// ---------- small DOM helpers ----------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c !== null && c !== undefined) node.append(c);
  }
  return node;
}

// Summaries and fixes use `backticks` for code, as in the README.
function withCode(text) {
  return text.split(/`([^`]*)`/).map((part, i) => (i % 2 ? el("code", { text: part }) : part));
}

function status(text) {
  $("status").textContent = text;
}

// ---------- permalink: #m=<manifest>&s=<settings>[&c=<context>][&fix=1], deflate-raw + base64url ----------

function toBase64Url(bytes) {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function pipe(bytes, stream) {
  const out = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

const canCompress = typeof CompressionStream === "function";

async function pack(text) {
  const bytes = new TextEncoder().encode(text);
  return canCompress ? toBase64Url(await pipe(bytes, new CompressionStream("deflate-raw"))) : toBase64Url(bytes);
}

async function unpack(text, compressed) {
  const bytes = fromBase64Url(text);
  const raw = compressed ? await pipe(bytes, new DecompressionStream("deflate-raw")) : bytes;
  return new TextDecoder().decode(raw);
}

async function permalink() {
  const params = new URLSearchParams();
  params.set("z", canCompress ? "1" : "0");
  params.set("m", await pack(manifestBox.value));
  params.set("s", await pack(settingsBox.value));
  if (contextBox.value.trim()) params.set("c", await pack(contextBox.value));
  if (fixBox.checked) params.set("fix", "1");
  return `${location.origin}${location.pathname}#${params}`;
}

// Restore the state a permalink holds; false when the fragment holds none.
async function restore() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has("m")) return false;
  const compressed = params.get("z") !== "0";
  try {
    manifestBox.value = await unpack(params.get("m"), compressed);
    settingsBox.value = params.has("s") ? await unpack(params.get("s"), compressed) : "";
    contextBox.value = params.has("c") ? await unpack(params.get("c"), compressed) : "";
    fixBox.checked = params.get("fix") === "1";
    return true;
  } catch (e) {
    status(`This link could not be read (${e.message}); showing an example instead.`);
    return false;
  }
}

let linkTimer = 0;
function updateLink() {
  clearTimeout(linkTimer);
  linkTimer = setTimeout(async () => history.replaceState(null, "", await permalink()), DEBOUNCE_MS);
}

async function copy(text, what) {
  try {
    await navigator.clipboard.writeText(text);
    status(`${what} copied to the clipboard.`);
  } catch {
    status(`Could not use the clipboard; ${what.toLowerCase()} is shown in the address bar or below.`);
  }
}

// ---------- rendering ----------

const ACTION_LABEL = { deny: "deny", warn: "warn", mutated: "repaired" };

function jumpToLine(line) {
  const lines = manifestBox.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  manifestBox.focus();
  manifestBox.setSelectionRange(start, start + (lines[line - 1] || "").length);
  const lineHeight = parseFloat(getComputedStyle(manifestBox).lineHeight) || 18;
  manifestBox.scrollTop = Math.max(0, (line - 3) * lineHeight);
}

function showRule(id) {
  selectTab("rules");
  const row = document.getElementById(`rule-${id}`);
  if (row) {
    row.scrollIntoView({ block: "center" });
    row.classList.add("flash");
    setTimeout(() => row.classList.remove("flash"), 1200);
  }
}

function finding(f) {
  return el(
    "li",
    { class: `finding ${f.action}`, "data-rule": f.rule, "data-action": f.action },
    el(
      "div",
      { class: "finding-head" },
      el("span", { class: `badge ${f.action}`, text: ACTION_LABEL[f.action] || f.action }),
      el("button", { type: "button", class: "rule-id", title: "Show this rule in the rule reference", onclick: () => showRule(f.rule) }, f.rule),
      el("span", { class: "path", title: "JSON pointer into the object" }, "at ", el("code", { text: f.path || "/" })),
      f.line > 0
        ? el("button", { type: "button", class: "line", title: "Show this finding in the manifest", onclick: () => jumpToLine(f.line) }, `line ${f.line}`)
        : null,
    ),
    el("p", { class: "message", text: f.message }),
    el("p", { class: "fix" }, el("strong", { text: "Fix: " }), f.fix),
  );
}

function objectCard(o) {
  const tone = o.status === "DENIED" ? "denied" : o.status === "ALLOWED" ? "allowed" : "warned";
  const findings = o.verdict.findings;
  return el(
    "article",
    { class: `object ${tone}`, "data-source": o.source, "aria-label": `${o.label}: ${o.status}` },
    el(
      "header",
      { class: "object-head" },
      el("span", { class: `verdict ${tone}`, text: o.status }),
      el("h3", { class: "label", text: o.label }),
      o.line > 0
        ? el("button", { type: "button", class: "line", title: "Show this document in the manifest", onclick: () => jumpToLine(o.line) }, `line ${o.line}`)
        : null,
    ),
    findings.length
      ? el("ul", { class: "findings" }, findings.map(finding))
      : el("p", { class: "clean", text: "No findings." }),
    o.patched
      ? el(
          "details",
          { class: "patched" },
          el("summary", { text: `Patched object (${o.verdict.patch.length} patch operation${o.verdict.patch.length === 1 ? "" : "s"})` }),
          el("pre", { text: o.patched }),
        )
      : null,
  );
}

function render(result) {
  const problems = $("settings-problems");
  problems.replaceChildren(
    ...result.settingsProblems.map((p) => el("li", {}, p.path ? el("code", { text: p.path }) : null, p.path ? ": " : "", p.message)),
  );
  problems.hidden = result.settingsProblems.length === 0;
  settingsBox.setAttribute("aria-invalid", result.settingsProblems.length ? "true" : "false");
  const contextProblem = $("context-problem");
  contextProblem.textContent = result.contextProblem || "";
  contextProblem.hidden = !result.contextProblem;
  contextBox.setAttribute("aria-invalid", result.contextProblem ? "true" : "false");

  const box = $("results");
  const summary = $("summary");
  summary.className = "summary";
  if (result.error) {
    summary.classList.add("error");
    summary.textContent = "The manifest cannot be read.";
    box.replaceChildren(el("pre", { class: "parse-error", text: result.error }));
  } else if (result.objects.length === 0) {
    summary.textContent = "No objects yet: paste a manifest or load an example.";
    box.replaceChildren();
  } else {
    const denied = result.objects.filter((o) => !o.verdict.allowed).length;
    const warnings = result.objects.reduce((n, o) => n + o.verdict.findings.filter((f) => f.action === "warn").length, 0);
    const n = result.objects.length;
    summary.classList.add(denied ? "denied" : warnings ? "warned" : "allowed");
    summary.textContent = `${n} object${n === 1 ? "" : "s"}: ${n - denied} allowed, ${denied} denied, ${warnings} warning${warnings === 1 ? "" : "s"}`;
    box.replaceChildren(...result.objects.map(objectCard));
  }
  if (result.settingsProblems.length) {
    box.prepend(el("p", { class: "note", text: `The settings have ${result.settingsProblems.length} problem${result.settingsProblems.length === 1 ? "" : "s"} (listed under the settings); these results use the default settings.` }));
  }
  if (result.contextProblem) {
    box.prepend(el("p", { class: "note context-note", text: "The context cannot be read (see under it); these results use no context." }));
  }

  lastFixed = result.fixed;
  $("copy-fixed").disabled = !lastFixed;
  $("copy-fixed").title = lastFixed ? "Copy every object, repaired where the policy could" : "Turn on Repair (or mutate: true) to get a patched manifest";
  $("fixed-block").hidden = !lastFixed;
  $("fixed-text").textContent = lastFixed || "";
}

function run() {
  const t0 = performance.now();
  const result = JSON.parse(evaluate(manifestBox.value, settingsBox.value, fixBox.checked, contextBox.value));
  render(result);
  document.body.dataset.evaluated = String(Number(document.body.dataset.evaluated || 0) + 1);
  status(`evaluated in ${(performance.now() - t0).toFixed(1)} ms`);
  updateLink();
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(run, DEBOUNCE_MS);
}

function renderRules() {
  const table = JSON.parse(rules());
  const groups = [];
  for (const r of table) {
    if (!groups.length || groups[groups.length - 1].title !== r.category) groups.push({ title: r.category, rules: [] });
    groups[groups.length - 1].rules.push(r);
  }
  $("rules").replaceChildren(
    ...groups.map((g) =>
      el(
        "section",
        { class: "rule-group" },
        el("h3", {}, withCode(g.title)),
        el(
          "dl",
          {},
          g.rules.map((r) => [
            el(
              "dt",
              { id: `rule-${r.id}` },
              el("code", { text: r.id }),
              el("span", { class: `badge ${r.defaultAction}`, text: r.defaultAction }),
              r.mutates ? el("span", { class: "badge mutated", text: "repairs" }) : null,
            ),
            el("dd", {}, withCode(r.summary)),
          ]),
        ),
      ),
    ),
  );
  $("tab-rules").textContent = `Rule reference (${table.length})`;
}

// ---------- tabs ----------

function selectTab(name) {
  for (const t of ["results", "rules"]) {
    const on = t === name;
    $(`tab-${t}`).setAttribute("aria-selected", String(on));
    $(`tab-${t}`).tabIndex = on ? 0 : -1;
    $(`panel-${t}`).hidden = !on;
  }
}

// ---------- examples ----------

function fillPicker(select, files, prefix) {
  for (const f of files) select.append(el("option", { value: `${prefix}${f.file}`, text: f.file.replace(/\.(ya?ml|json)$/, "") }));
}

async function main() {
  await init(new URL("secretfree_bg.wasm", import.meta.url));
  $("version").textContent = `secretfree ${version()}`;
  renderRules();

  const catalogue = await (await fetch("examples.json")).json();
  const byName = new Map();
  for (const f of catalogue.examples) byName.set(`example:${f.file}`, f.text);
  for (const f of catalogue.settings) byName.set(`settings:${f.file}`, f.text);
  const examplePicker = $("example-picker");
  const good = catalogue.examples.filter((f) => !f.file.startsWith("bad-"));
  const bad = catalogue.examples.filter((f) => f.file.startsWith("bad-"));
  const badGroup = el("optgroup", { label: "Common mistakes" });
  const goodGroup = el("optgroup", { label: "Good set-ups (and warnings)" });
  fillPicker(badGroup, bad, "example:");
  fillPicker(goodGroup, good, "example:");
  examplePicker.append(badGroup, goodGroup);
  fillPicker($("settings-picker"), catalogue.settings, "settings:");

  examplePicker.addEventListener("change", () => {
    if (!examplePicker.value) return;
    manifestBox.value = byName.get(examplePicker.value) ?? "";
    manifestBox.scrollTop = 0;
    run();
  });
  $("settings-picker").addEventListener("change", (e) => {
    const v = e.target.value;
    if (!v) return;
    settingsBox.value = v === "{}" ? "{}\n" : byName.get(v) ?? "";
    run();
  });

  manifestBox.addEventListener("input", () => {
    examplePicker.value = "";
    schedule();
  });
  settingsBox.addEventListener("input", () => {
    $("settings-picker").value = "";
    schedule();
  });
  contextBox.addEventListener("input", schedule);
  fixBox.addEventListener("change", run);
  $("copy-link").addEventListener("click", async () => copy(await permalink(), "Permalink"));
  $("copy-fixed").addEventListener("click", () => lastFixed && copy(lastFixed, "Patched manifest"));
  $("tab-results").addEventListener("click", () => selectTab("results"));
  $("tab-rules").addEventListener("click", () => selectTab("rules"));
  document.querySelector("[role=tablist]").addEventListener("keydown", (e) => {
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
    const next = $("tab-results").getAttribute("aria-selected") === "true" ? "rules" : "results";
    selectTab(next);
    $(`tab-${next}`).focus();
  });
  window.addEventListener("hashchange", async () => {
    if (await restore()) run();
  });

  if (!(await restore())) {
    manifestBox.value = byName.get(`example:${DEFAULT_EXAMPLE}`) ?? "";
    settingsBox.value = byName.get(`settings:${DEFAULT_SETTINGS}`) ?? "";
    examplePicker.value = `example:${DEFAULT_EXAMPLE}`;
    $("settings-picker").value = `settings:${DEFAULT_SETTINGS}`;
  }
  run();
  document.body.dataset.ready = "true";
}

main().catch((e) => {
  $("summary").textContent = `The policy could not be loaded: ${e.message}`;
  $("summary").className = "summary error";
  console.error(e);
});
