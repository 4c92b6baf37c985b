# secretfree: `just` lists the recipes. Recipe names say what they produce or check.

set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes.
default:
    @just --list --unsorted

# Check the example manifests (good and bad) against the strict settings.
demo:
    cargo run --quiet --release -- check policies/examples --settings policies/settings/strict.yaml || true

# Everything CI runs: formatting, lints, unit, case and CLI tests, the core built for wasm32.
test: fmt-check clippy test-native wasm-core cases

# Formatting.
fmt-check:
    cargo fmt --all -- --check

# Lints, warnings are errors (every target, every feature).
clippy:
    cargo clippy --all-targets --all-features -- -D warnings

# Unit tests, case-corpus snapshots, CLI and robustness tests.
test-native:
    cargo test --all-features

# The core compiles for wasm32-unknown-unknown without default features (no I/O, no YAML).
wasm-core:
    cargo build --lib --release --target wasm32-unknown-unknown --no-default-features
    @ls -l target/wasm32-unknown-unknown/release/libsecretfree.rlib | awk '{print "core rlib for wasm32: " $5 " bytes"}'

# Run the case suites through the CLI (prints "N passed, M failed").
cases:
    cargo run --quiet -- test policies/cases

# Regenerate policies/README.md from the rule table.
rules-readme:
    cargo run --quiet -- rules --markdown > policies/README.md

# Accept changed case snapshots after reviewing them (needs cargo-insta).
snap:
    cargo insta review
