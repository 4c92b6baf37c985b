// End-to-end test of dist/playground in Debian's Chromium, driven by playwright-core (no browser
// download). The page is served by a tiny static server on 127.0.0.1; what it shows is compared
// with `secretfree check --format json` on the same manifest and settings.
//
//   node --test e2e.test.mjs        (from playground/e2e, after `just dist` built dist/playground)
//
// Environment: CHROMIUM (default /usr/bin/chromium), SECRETFREE_BIN (default
// target/release/secretfree, built when missing).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const site = path.join(root, "dist/playground");
const artifacts = path.join(root, "target/playground");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const cliPath = process.env.SECRETFREE_BIN || path.join(root, "target/release/secretfree");
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
};

let server;
let base;
let browser;
let context;
const offsite = [];
const pageErrors = [];

// ---------- the CLI ----------

function cli(args, input) {
  const r = spawnSync(cliPath, args, { cwd: root, input, encoding: "utf8" });
  if (r.error) throw r.error;
  return r;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "secretfree-e2e-"));
let tmpCount = 0;
function tmpFile(text, ext = "yaml") {
  const p = path.join(tmp, `doc${tmpCount++}.${ext}`);
  fs.writeFileSync(p, text);
  return p;
}

function statusOf(verdict) {
  if (!verdict.allowed) return "DENIED";
  return verdict.findings.some((f) => f.action === "warn") ? "ALLOWED with warnings" : "ALLOWED";
}

// What `secretfree check --format json` says, in the shape the page is read into.
function cliView(manifest, settings, ext, context = "") {
  const args = ["check", "--format", "json", tmpFile(manifest, ext)];
  if (settings.trim()) args.push("--settings", tmpFile(settings, "yaml"));
  if (context.trim()) args.push("--context", tmpFile(context, "yaml"));
  const r = cli(args);
  assert.ok(r.status === 0 || r.status === 1, `secretfree check exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout).map((o) => ({
    locator: o.source.slice(o.source.lastIndexOf("#") + 1),
    status: statusOf(o.verdict),
    findings: o.verdict.findings.map((f) => ({ rule: f.rule, action: f.action, path: f.path || "/", message: f.message, fix: f.fix })),
  }));
}

// ---------- the page ----------

async function pageView(page) {
  return page.$$eval("#results article.object", (cards) =>
    cards.map((card) => ({
      locator: card.dataset.source.slice(card.dataset.source.lastIndexOf("#") + 1),
      status: card.querySelector(".verdict").textContent,
      findings: [...card.querySelectorAll("li.finding")].map((li) => ({
        rule: li.dataset.rule,
        action: li.dataset.action,
        path: li.querySelector(".path code").textContent,
        message: li.querySelector(".message").textContent,
        fix: li.querySelector(".fix").textContent.replace(/^Fix: /, ""),
      })),
    })),
  );
}

// Click a copy button and read what reached the clipboard.
async function copied(page, button, what) {
  await page.evaluate(() => (document.getElementById("status").textContent = ""));
  await page.click(button);
  await page.waitForFunction((w) => document.getElementById("status").textContent === `${w} copied to the clipboard.`, what);
  return page.evaluate(() => navigator.clipboard.readText());
}

async function evaluations(page) {
  return Number(await page.getAttribute("body", "data-evaluated"));
}

// Wait until the page has evaluated more often than `since` and the debounce has settled.
async function settled(page, since) {
  await page.waitForFunction((n) => Number(document.body.dataset.evaluated) > n, since);
  await page.waitForTimeout(260);
}

async function openPage(url = base) {
  const page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
  return page;
}

async function setManifest(page, text) {
  const n = await evaluations(page);
  await page.fill("#manifest", text);
  await settled(page, n);
}

async function setSettings(page, text) {
  const n = await evaluations(page);
  await page.fill("#settings", text);
  await settled(page, n);
}

async function setContext(page, text) {
  if ((await page.inputValue("#context")) === text) return;
  const n = await evaluations(page);
  await page.fill("#context", text);
  await settled(page, n);
}

const examples = (dir) => fs.readdirSync(path.join(root, dir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();

// ---------- set-up ----------

before(async () => {
  assert.ok(fs.existsSync(path.join(site, "index.html")), "dist/playground is missing: run `just dist` first");
  if (!fs.existsSync(cliPath)) {
    const b = spawnSync("cargo", ["build", "--quiet", "--release"], { cwd: root, stdio: "inherit" });
    assert.equal(b.status, 0, "cargo build --release failed");
  }
  server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, "http://x").pathname).replace(/^\/+/, "") || "index.html";
    const file = path.join(site, rel);
    if (!file.startsWith(site + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] || "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: FLAGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base.slice(0, -1) });
  // Everything the page loads must come from dist/playground (no CDN).
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.origin === base.slice(0, -1)) return route.continue();
    offsite.push(url.href);
    return route.abort();
  });
  fs.mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

// ---------- tests ----------

test("the page loads the policy from dist/playground only, with every example and the rule table", async () => {
  const page = await openPage();
  const exampleOptions = await page.$$eval("#example-picker option[value^='example:']", (os) => os.map((o) => o.value.slice(8)));
  assert.deepEqual(exampleOptions.sort(), examples("policies/examples"));
  const settingsOptions = await page.$$eval("#settings-picker option[value^='settings:']", (os) => os.map((o) => o.value.slice(9)));
  assert.deepEqual(settingsOptions.sort(), examples("policies/settings"));

  // The default state: a common mistake under the strict settings, judged as the CLI judges it.
  const strict = fs.readFileSync(path.join(root, "policies/settings/strict.yaml"), "utf8");
  assert.equal(await page.inputValue("#settings"), strict);
  const manifest = await page.inputValue("#manifest");
  assert.deepEqual(await pageView(page), cliView(manifest, strict));

  // The rule reference is the CLI's rule table.
  await page.click("#tab-rules");
  const ids = await page.$$eval("#rules dt code", (cs) => cs.map((c) => c.textContent));
  const cliIds = cli(["rules"]).stdout.trim().split("\n").map((l) => l.split(/\s+/)[0]);
  assert.deepEqual(ids, cliIds);
  assert.ok(await page.isVisible("#rule-request-invalid"));
  await page.click("#tab-results");
  assert.deepEqual(offsite, []);
  await page.close();
});

test("pick an example, see it denied, fix it by typing, see it allowed; a permalink restores it", async () => {
  const page = await openPage();
  let n = await evaluations(page);
  await page.selectOption("#example-picker", "example:bad-masked-instance-id.yaml");
  await settled(page, n);
  assert.equal(await page.textContent(".object .verdict"), "DENIED");
  assert.match(await page.textContent("#summary"), /^1 object: 0 allowed, 1 denied/);
  const rules = await page.$$eval("li.finding", (lis) => lis.map((li) => li.dataset.rule));
  // One mistake, one deny: the masked id is placeholder-value's alone.
  assert.deepEqual(rules, ["placeholder-value"]);
  assert.equal(await page.textContent("li.finding .rule-id >> nth=0"), "placeholder-value");
  const text = await page.inputValue("#manifest");
  assert.deepEqual(await pageView(page), cliView(text, await page.inputValue("#settings")));

  // Replace the masked "****" in the annotation (not the comment) with the real digits, typing
  // as a person would.
  const at = text.lastIndexOf("****");
  assert.ok(at > 0);
  await page.focus("#manifest");
  await page.evaluate((i) => document.getElementById("manifest").setSelectionRange(i, i + 4), at);
  n = await evaluations(page);
  await page.keyboard.type("1234", { delay: 40 });
  await settled(page, n);
  assert.equal(await evaluations(page), n + 1, "typing four characters within the debounce evaluates once");
  const fixed = await page.inputValue("#manifest");
  assert.ok(fixed.includes("cri-j36zhodptmyq1234"));
  assert.equal(await page.textContent(".object .verdict"), "ALLOWED");
  assert.match(await page.textContent("#summary"), /^1 object: 1 allowed, 0 denied, 0 warnings$/);
  assert.equal(await page.$$eval("li.finding", (l) => l.length), 0);
  assert.deepEqual(await pageView(page), cliView(fixed, await page.inputValue("#settings")));

  // The permalink holds the edited manifest, the settings and the repair switch.
  await page.check("#fix");
  const link = await copied(page, "#copy-link", "Permalink");
  assert.ok(link.startsWith(`${base}#`), link);
  await page.waitForFunction((l) => location.href === l, link); // the address bar is the permalink
  const before = await pageView(page);
  const settings = await page.inputValue("#settings");
  const again = await openPage(link);
  assert.equal(await again.inputValue("#manifest"), fixed);
  assert.equal(await again.inputValue("#settings"), settings);
  assert.equal(await again.isChecked("#fix"), true);
  assert.deepEqual(await pageView(again), before);
  await again.close();
  await page.close();
});

test("settings problems are shown inline, one line per problem, as the CLI lists them", async () => {
  const page = await openPage();
  const bad = "clusterRegion: cn-nowhere\naccountId: 12\nmutate: maybe\nrules:\n  no-such-rule: deny\ncolour: blue\n";
  await setSettings(page, bad);
  const lines = await page.$$eval("#settings-problems li", (lis) => lis.map((li) => li.textContent));
  const r = cli(["settings", "validate", tmpFile(bad)]);
  assert.equal(r.status, 1);
  const cliLines = r.stderr.trim().split("\n").slice(1).map((l) => l.replace(/^\s+- /, ""));
  assert.ok(cliLines.length >= 4, r.stderr);
  assert.deepEqual(lines, cliLines);
  assert.equal(await page.getAttribute("#settings", "aria-invalid"), "true");
  assert.match(await page.textContent("#results .note"), /use the default settings/);
  // The results are the default settings' results.
  assert.deepEqual(await pageView(page), cliView(await page.inputValue("#manifest"), ""));
  await setSettings(page, "clusterRegion: cn-hangzhou\n");
  assert.equal(await page.isHidden("#settings-problems"), true);
  await page.close();
});

test("context (namespaces, eci-profile) decides scope as `secretfree check --context` does; a permalink keeps it", async () => {
  const page = await openPage();
  const cases = path.join(root, "policies/cases/custom-domain-missing-instance");
  const read = (f) => fs.readFileSync(path.join(cases, f), "utf8");
  const settings = fs.readFileSync(path.join(root, "policies/settings/minimal.yaml"), "utf8");
  await setSettings(page, settings);
  const pairs = [
    ["deny_deployment_namespace_labelled_for_eci.yaml", "context_namespace_labelled_for_eci.yaml", "DENIED"],
    ["allow_deployment_instance_from_eci_profile.yaml", "context_eci_profile_injects_instance.yaml", "ALLOWED"],
    ["allow_deployment_instance_from_selector_resource.yaml", "context_selector_resources.yaml", "ALLOWED"],
  ];
  for (const [file, contextFile, want] of pairs) {
    const manifest = read(file);
    await setContext(page, "");
    await setManifest(page, manifest);
    assert.deepEqual(await pageView(page), cliView(manifest, settings));
    const context = read(contextFile);
    await setContext(page, context);
    const view = await pageView(page);
    assert.deepEqual(view, cliView(manifest, settings, "yaml", context), file);
    assert.deepEqual(view.map((o) => o.status), [want], file);
  }
  assert.equal(await page.isHidden("#context-problem"), true);

  // The permalink holds the context.
  const link = await copied(page, "#copy-link", "Permalink");
  const again = await openPage(link);
  assert.equal(await again.inputValue("#context"), await page.inputValue("#context"));
  assert.deepEqual(await pageView(again), await pageView(page));
  await again.close();

  // A context that does not read is shown under it, and the results use no context.
  await setManifest(page, read("deny_deployment_namespace_labelled_for_eci.yaml"));
  await setContext(page, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n");
  assert.equal(await page.isHidden("#context-problem"), false);
  assert.match(await page.textContent("#context-problem"), /context#0 \(line 1\): a Pod \(v1\) is not context/);
  assert.equal(await page.getAttribute("#context", "aria-invalid"), "true");
  assert.match(await page.textContent("#results .context-note"), /use no context/);
  assert.deepEqual(await pageView(page), cliView(await page.inputValue("#manifest"), settings));
  await page.close();
});

test("with Repair on, the patched manifest is the file `secretfree check --fix --write` writes", async () => {
  const page = await openPage();
  const settings = fs.readFileSync(path.join(root, "policies/settings/strict.yaml"), "utf8");
  for (const file of ["bad-annotations-on-deployment.yaml", "bad-list-region-prefix-missing.yaml"]) {
    const manifest = fs.readFileSync(path.join(root, "policies/examples", file), "utf8");
    await setManifest(page, manifest);
    assert.equal(await page.isDisabled("#copy-fixed"), true);
    const n = await evaluations(page);
    await page.check("#fix");
    await settled(page, n);
    const target = tmpFile(manifest);
    const r = cli(["check", "--fix", "--write", "--settings", tmpFile(settings), target]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(await page.isDisabled("#copy-fixed"), false);
    assert.equal(await copied(page, "#copy-fixed", "Patched manifest"), fs.readFileSync(target, "utf8"), file);
    assert.ok((await page.$$eval("li.finding[data-action=mutated]", (l) => l.length)) > 0);
    await page.uncheck("#fix");
  }
  await page.close();
});

// Manifests that are in no example: JSON, Lists, several kinds, AdmissionReviews, warnings,
// an object without kind. The page must say what the CLI says, object by object.
const UNSEEN = [
  [
    "json",
    JSON.stringify({
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "nightly", namespace: "team-a" },
      spec: {
        schedule: "0 3 * * *",
        jobTemplate: {
          metadata: { annotations: { "k8s.aliyun.com/acr-service-arns": "acs:ram::1609982529000000:role/acr-pull" } },
          spec: { template: { metadata: { labels: { "alibabacloud.com/eci": "true" } }, spec: { containers: [{ name: "job", image: "registry-vpc.cn-beijing.aliyuncs.com/ops/job:2" }] } } },
        },
      },
    }, null, 2),
  ],
  [
    "yaml",
    `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: a
    namespace: prod-pay
    annotations:
      k8s.aliyun.com/acr-user-arns: acs:ram::1111111111111111:role/x
      k8s.aliyun.com/ACR-instance-ids: cri-abcdefghij012345
  spec:
    nodeSelector: {type: virtual-kubelet}
    imagePullSecrets: [{name: reg}]
    containers:
    - {name: c, image: "docker.io/nginx:1.27"}
    - {name: d, image: "crpi-abc123.cn-hangzhou.personal.cr.aliyuncs.com/me/app:1"}
- apiVersion: eci.alibabacloud.com/v1
  kind: ImageCache
  metadata: {name: warm}
  spec:
    images: []
    imageCacheSize: 5
---
metadata: {name: no-kind}
---
apiVersion: admission.k8s.io/v1
kind: AdmissionReview
request:
  uid: "42"
  kind: {group: apps, version: v1, kind: Deployment}
  operation: CREATE
  namespace: serverless
  object:
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api, annotations: {k8s.aliyun.com/acr-instance-id: cri-j36zhodptmyq1234}}
    spec:
      template:
        metadata: {labels: {alibabacloud.com/eci: "true"}}
        spec:
          containers: [{name: api, image: "images.beijing.example.com/shop/api:1"}]
`,
  ],
];

test("unseen manifests: the page shows what `secretfree check --format json` says", async () => {
  const page = await openPage();
  for (const settingsFile of ["", "minimal.yaml", "strict.yaml", "multi-team.yaml"]) {
    const settings = settingsFile ? fs.readFileSync(path.join(root, "policies/settings", settingsFile), "utf8") : "";
    await setSettings(page, settings);
    for (const [ext, manifest] of UNSEEN) {
      await setManifest(page, manifest);
      const shown = await pageView(page);
      assert.ok(shown.length > 0);
      assert.deepEqual(shown, cliView(manifest, settings, ext), `${ext} manifest with settings ${settingsFile || "{}"}`);
    }
  }
  // Text that is not a manifest: the page says so, the CLI exits 2.
  await setManifest(page, "kind: [Pod\n");
  assert.equal(await page.textContent("#summary"), "The manifest cannot be read.");
  assert.match(await page.textContent(".parse-error"), /not valid YAML/);
  assert.equal(cli(["check", tmpFile("kind: [Pod\n")]).status, 2);
  await page.close();
});

test("loading the page logs no error and no request fails (the favicon included)", async () => {
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console error: ${m.text()}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
  await page.goto(base);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
  await page.waitForLoadState("networkidle");
  assert.deepEqual(problems, []);
  assert.ok(await page.$("link[rel=icon]"), "the page names its icon, so the browser asks for no /favicon.ico");
  await page.close();
});

test("at a 420 px wide window the footer does not cover the results", async () => {
  const narrow = await browser.newContext({ viewport: { width: 420, height: 800 } });
  const page = await narrow.newPage();
  await page.goto(base);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
  const n = await evaluations(page);
  await page.selectOption("#example-picker", "example:bad-annotations-on-deployment.yaml");
  await settled(page, n);
  const boxes = () =>
    page.evaluate(() => {
      const box = (sel) => {
        const r = document.querySelector(sel).getBoundingClientRect();
        return { top: r.top + window.scrollY, bottom: r.bottom + window.scrollY, left: r.left, right: r.right };
      };
      return { foot: box("footer.foot"), output: box("section.output"), results: box("#results") };
    });
  const overlaps = (a, b) => a.top < b.bottom && b.top < a.bottom && a.left < b.right && b.left < a.right;
  for (const scroll of ["top", "bottom"]) {
    await page.evaluate((s) => window.scrollTo(0, s === "top" ? 0 : document.documentElement.scrollHeight), scroll);
    const b = await boxes();
    assert.ok(!overlaps(b.foot, b.output), `scrolled to the ${scroll}: footer ${JSON.stringify(b.foot)} overlaps the output ${JSON.stringify(b.output)}`);
    assert.ok(b.foot.top >= b.results.bottom, `scrolled to the ${scroll}: the footer starts above the end of the results`);
    // What the window shows at the footer's place is the footer, not a result under it.
    const hit = await page.evaluate(() => {
      const r = document.querySelector("footer.foot").getBoundingClientRect();
      if (r.bottom < 0 || r.top > window.innerHeight) return "footer";
      const el = document.elementFromPoint(r.left + r.width / 2, Math.max(0, r.top) + 2);
      return el?.closest("footer") ? "footer" : el?.closest("#results") ? "results" : "other";
    });
    assert.notEqual(hit, "results");
  }
  await page.screenshot({ path: path.join(artifacts, "playground-420.png"), fullPage: true });
  await narrow.close();
});

test("screenshots at 1280x800 (target/playground/)", async () => {
  const page = await openPage();
  // The first view: a common mistake, denied, every finding with its rule, path and fix.
  let n = await evaluations(page);
  await page.selectOption("#example-picker", "example:bad-annotations-on-deployment.yaml");
  await settled(page, n);
  await page.mouse.move(0, 0);
  const file = path.join(artifacts, "playground.png");
  await page.screenshot({ path: file });
  assert.ok(fs.statSync(file).size > 10000);
  // Repaired, with the patched object open.
  n = await evaluations(page);
  await page.check("#fix");
  await settled(page, n);
  await page.click(".object details.patched summary");
  await page.mouse.move(0, 0);
  await page.screenshot({ path: path.join(artifacts, "playground-fixed.png") });
  await page.click("#tab-rules");
  await page.screenshot({ path: path.join(artifacts, "playground-rules.png") });
  await page.close();
  assert.deepEqual(pageErrors, [], "the page logged no errors");
  assert.deepEqual(offsite, [], "the page loaded nothing from elsewhere");
});
