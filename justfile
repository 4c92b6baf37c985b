# secretfree: `just` lists the recipes. Recipe names say what they produce or check.

set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes.
default:
    @just --list --unsorted

# Check the example manifests (good and bad) against the strict settings.
demo:
    cargo run --quiet --release -- check policies/examples --settings policies/settings/strict.yaml || true

# Everything CI runs: formatting, lints, unit, case and CLI tests, reproducible artifacts within their size budgets, every artifact in real hosts, the playground in Chromium.
test: fmt-check clippy clippy-wasm doc deny deps-check test-native wasm-core artifacthub-check dist-reproducible size-check wasm-tests playground-test cases

# Formatting.
fmt-check:
    cargo fmt --all -- --check
    cd xtask && cargo fmt -- --check
    cd wasm-tests && cargo fmt -- --check
    cd fuzz && cargo fmt -- --check

# Lints, warnings are errors (every target, every feature).
clippy:
    cargo clippy --all-targets --all-features -- -D warnings

# Lints for each host adapter, built for wasm32 as it ships.
clippy-wasm:
    for f in kubewarden opa component browser; do cargo clippy --quiet --target wasm32-unknown-unknown --no-default-features --features $f -- -D warnings; done

# The API documentation builds without warnings (broken or private intra-doc links).
doc:
    RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps --all-features

# Supply chain: licenses, banned crates and sources (cargo-deny, installed when missing; no advisory database, so no network).
deny:
    command -v cargo-deny >/dev/null || cargo install --locked cargo-deny@0.20.2
    cargo deny check licenses bans sources

# No wasm artifact links two versions of one crate.
deps-check:
    #!/usr/bin/env bash
    set -euo pipefail
    for f in kubewarden opa component browser; do
        dups=$(cargo tree -q -d -e normal,no-proc-macro --target wasm32-unknown-unknown --no-default-features --features $f)
        if [ -n "$dups" ]; then echo "duplicate crates in the $f artifact:"; echo "$dups"; exit 1; fi
    done
    echo "no duplicate crates in the wasm artifacts"

# Unit tests, the case corpus (one test per case, snapshots), generated docs, CLI and robustness tests.
test-native:
    cargo test --all-features

# The core compiles for wasm32-unknown-unknown without default features (no I/O, no YAML).
wasm-core:
    cargo build --lib --release --target wasm32-unknown-unknown --no-default-features
    @ls -l target/wasm32-unknown-unknown/release/libsecretfree.rlib | awk '{print "core rlib for wasm32: " $5 " bytes"}'

# dist/: the Kubewarden policy, the OPA bundle (+ opa/gatekeeper-mode modules), the component, SHA256SUMS.
dist:
    cargo run --quiet --release --manifest-path xtask/Cargo.toml -- dist

# Write policies/kubewarden/artifacthub-pkg.yml from metadata.yml and questions-ui.yml (what `kwctl scaffold artifacthub` writes; createdAt changes with the version). Commit it: Artifact Hub reads it from the repository.
artifacthub:
    cargo run --quiet --release --manifest-path xtask/Cargo.toml -- artifacthub

# policies/kubewarden/artifacthub-pkg.yml is what the metadata generates (the xtask's own tests too).
artifacthub-check:
    cargo run --quiet --release --manifest-path xtask/Cargo.toml -- artifacthub --check
    cd xtask && cargo test --quiet --release

# Each wasm artifact in dist/ within its size budget (BENCHMARKS.md "Artifact sizes"): a table of bytes and gzip -9 bytes; fails when one is over.
size-check:
    test -f dist/SHA256SUMS || just dist
    cargo run --quiet --release --manifest-path xtask/Cargo.toml -- sizes

# Two clean builds of dist/ give the same SHA256SUMS.
dist-reproducible:
    rm -rf target/dist dist && just dist && cp dist/SHA256SUMS target/SHA256SUMS.first
    rm -rf target/dist dist && just dist && diff target/SHA256SUMS.first dist/SHA256SUMS && echo "dist is reproducible"

# Serve the browser playground (dist/playground, rebuilt when its sources changed) on http://127.0.0.1:8080/.
playground:
    cargo run --quiet --release --manifest-path xtask/Cargo.toml -- dist playground
    @echo "playground: http://127.0.0.1:8080/"
    python3 -m http.server 8080 --bind 127.0.0.1 --directory dist/playground

# The playground in Debian's Chromium (playwright-core): examples, editing, permalinks, the CLI's verdicts; screenshots in target/playground/.
playground-test:
    cargo run --quiet --release --manifest-path xtask/Cargo.toml -- dist playground
    command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
    cargo build --quiet --release
    cd playground/e2e && npm ci --no-audit --no-fund --loglevel=error && node --test e2e.test.mjs

# Print each artifact's imports, exports and custom sections.
inspect: dist
    cargo run --quiet --release --manifest-path xtask/Cargo.toml -- inspect dist/kubewarden/policy.wasm dist/opa/policy.wasm dist/component/secretfree.wasm

# Optional, needs kwctl (KWCTL=path, default kwctl on PATH; not part of `just test`): replay the recorded context lookups of policies/kubewarden/replay with `kwctl run --allow-context-aware`, each session against its module (<mode>-<allow|deny>-*.yml: wapc, opa, gatekeeper).
kwctl-context:
    #!/usr/bin/env bash
    set -euo pipefail
    kwctl="${KWCTL:-kwctl}"
    command -v "$kwctl" >/dev/null || { echo "kwctl not found (set KWCTL=/path/to/kwctl)"; exit 1; }
    test -f dist/SHA256SUMS || just dist
    dist="$PWD/dist/kubewarden"
    cd policies/kubewarden/replay
    for session in *.yml; do
        mode=${session%%-*}
        case $mode in
            wapc) args=("file://$dist/policy.wasm") ;;
            *) args=(-e "$mode" "file://$dist/$mode-policy.wasm") ;;
        esac
        want=true; [[ $session == *-deny-* ]] && want=false
        got=$("$kwctl" run --allow-context-aware --replay-host-capabilities-interactions "$session" -r request.json --settings-path settings.json "${args[@]}" 2>/dev/null | python3 -c 'import json, sys; print(str(json.load(sys.stdin)["allowed"]).lower())')
        echo "$session: allowed $got"
        [ "$got" = "$want" ] || { echo "expected allowed $want"; exit 1; }
    done

# Optional, needs kwctl (KWCTL=path, default kwctl on PATH; not part of `just test`): the Kubewarden package as kwctl sees it. `kwctl annotate` of the built module gives the metadata our build wrote (usage included), `kwctl inspect` reads it, and `kwctl scaffold artifacthub` gives the committed artifacthub-pkg.yml (but createdAt).
kwctl-package:
    #!/usr/bin/env bash
    set -euo pipefail
    kwctl="${KWCTL:-kwctl}"
    command -v "$kwctl" >/dev/null || { echo "kwctl not found (set KWCTL=/path/to/kwctl)"; exit 1; }
    test -f dist/SHA256SUMS || just dist
    out=target/kwctl-package
    rm -rf "$out" && mkdir -p "$out"
    kw=policies/kubewarden
    "$kwctl" annotate -m $kw/metadata.yml -u $kw/README.md -o "$out/annotated.wasm" dist/kubewarden/policy.wasm 2>/dev/null
    "$kwctl" inspect -o yaml "file://$PWD/$out/annotated.wasm" 2>/dev/null > "$out/kwctl.yml"
    "$kwctl" inspect -o yaml "file://$PWD/dist/kubewarden/policy.wasm" 2>/dev/null > "$out/ours.yml"
    # kwctl adds only its own version annotation.
    diff <(grep -v 'io.kubewarden.kwctl:' "$out/kwctl.yml") "$out/ours.yml" && echo "kwctl annotate writes the metadata dist/kubewarden/policy.wasm carries"
    grep -q 'io.kubewarden.policy.usage:' "$out/ours.yml" && grep -q 'io.kubewarden.policy.ociUrl:' "$out/ours.yml"
    "$kwctl" inspect "file://$PWD/dist/kubewarden/policy.wasm" 2>/dev/null > "$out/inspect.txt"
    sed -n '1,/^Rules/p' "$out/inspect.txt"
    "$kwctl" scaffold artifacthub -m $kw/metadata.yml -q $kw/questions-ui.yml -o "$out/artifacthub-pkg.yml" 2>/dev/null
    diff <(grep -v '^#\|^createdAt:' "$out/artifacthub-pkg.yml") <(grep -v '^#\|^createdAt:' $kw/artifacthub-pkg.yml) && echo "kwctl scaffold artifacthub gives the committed $kw/artifacthub-pkg.yml (createdAt aside)"

# Node packages of the Node hosts (OPA npm SDK, jco), from the lockfile.
node-deps:
    cd wasm-tests/node && npm ci --no-audit --no-fund --loglevel=error

# Python packages of the Python hosts (OPA SDKs opa-py-wasm, opa-wasmtime), pinned, in a venv at target/pyvenv.
python-deps:
    python3 -m venv target/pyvenv
    target/pyvenv/bin/python -m pip install --quiet --disable-pip-version-check -r wasm-tests/python/requirements.txt

# Every artifact over every case and the hostile requests in real hosts (wapc+wasmtime, opa-wasm, npm and Python OPA SDKs, wasmtime components, jco), then a short soak.
wasm-tests: node-deps python-deps
    test -f dist/SHA256SUMS || just dist
    cd wasm-tests && SECRETFREE_PYTHON="{{justfile_directory()}}/target/pyvenv/bin/python" cargo test --quiet -- --test-threads=2
    cd wasm-tests && SECRETFREE_SOAK=20000 cargo test --quiet --test soak -- --nocapture --test-threads=1

# n evaluations on ONE OPA instance (npm SDK), then ONE waPC instance (wapc+wasmtime): corpus cases with a hostile request after every 100; no wrong verdict, memory flat once every hostile request was seen.
soak n="1000000": node-deps
    test -f dist/SHA256SUMS || just dist
    cd wasm-tests && SECRETFREE_SOAK={{n}} cargo test --quiet --test soak -- --nocapture --test-threads=1

# Run the case suites through the CLI (prints "N passed, M failed").
cases:
    cargo run --quiet -- test policies/cases --require-coverage

# Time evaluate_json against a plain JSON parse of the same bytes (ratios from one run).
bench:
    cargo bench --quiet --bench evaluate

# Per-evaluation time of each artifact in wasmtime (waPC call, OPA opa_eval, component call, and a fresh waPC instance per request) as ratios to native evaluate_json in the same run, on policies/bench; module compile times (release build of wasm-tests).
bench-hosts:
    test -f dist/SHA256SUMS || just dist
    cd wasm-tests && SECRETFREE_TIMING=1 cargo test --release --quiet --test timing -- --nocapture

# Hostile request families at 16 KiB to 3 MiB: native evaluate_json time, the release CLI's peak RSS and response size, PASS/FAIL against the targets (GNU time).
bench-hostile:
    cargo build --quiet --release
    cargo bench --quiet --bench hostile

# The mutation fuzzer of tests/robustness.rs for longer (no input may panic; every deny names a rule).
fuzz-mutation rounds="20000":
    SECRETFREE_FUZZ_ROUNDS={{rounds}} cargo test --release --quiet --test robustness mutated_inputs_never_panic

# Coverage-guided fuzzing (cargo-fuzz on stable Rust, no sanitizer), each target of fuzz/ for `seconds`, one after the other; prints executions and crashes per target (logs and crash inputs in fuzz/).
fuzz seconds="60": fuzz-seeds
    #!/usr/bin/env bash
    set -uo pipefail
    cargo fuzz build -s none
    mkdir -p fuzz/logs
    failed=0
    for spec in evaluate_json:65536 decode:65536 settings:16384 manifest:65536 image_ref:1024 opa_value:65536 json_tree:65536; do
        target=${spec%%:*}
        log=fuzz/logs/$target.log
        cargo fuzz run -s none "$target" "fuzz/corpus/$target" -- \
            -max_total_time={{seconds}} -max_len=${spec#*:} -dict=fuzz/secretfree.dict \
            -print_final_stats=1 >"$log" 2>&1
        status=$?
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
        if [ "$status" -eq 0 ]; then
            result="no crash"
        else
            failed=1
            result="CRASHED: $(grep -o 'fuzz/artifacts/[^ ]*' "$log" | head -n 1) (see $log)"
        fi
        printf '%-14s %12s executions %8s exec/s  %s\n' "$target" "${execs:-?}" "${rate:-?}" "$result"
    done
    exit $failed

# Write the fuzz seed corpora (fuzz/corpus/<target>/) from policies/cases, policies/examples and policies/settings; installs cargo-fuzz if missing.
fuzz-seeds:
    command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
    cargo run --quiet --manifest-path fuzz/Cargo.toml --example seeds

# Build the fuzz targets only (for CI); installs cargo-fuzz if missing.
fuzz-check:
    command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
    cargo fuzz build -s none

# Regenerate the rule tables from src/rules.rs: policies/README.md (`secretfree rules --markdown`) and README.md between its rules markers (tests/docs.rs writes them).
rules-readme:
    SECRETFREE_WRITE_DOCS=1 cargo test --quiet --test docs -- --nocapture

# Regenerate policies/gatekeeper: the tables in src.rego from the Rust tables, and template.yaml's Rego from src.rego (tests/gatekeeper.rs writes them).
gatekeeper:
    SECRETFREE_WRITE_GATEKEEPER=1 cargo test --quiet --all-features --test gatekeeper generated -- --nocapture

# Accept changed case snapshots after reviewing them (needs cargo-insta).
snap:
    cargo insta review
