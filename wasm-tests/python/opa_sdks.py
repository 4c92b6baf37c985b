"""The OPA module in the two Python OPA-wasm SDKs from PyPI: opa-py-wasm and opa-wasmtime.

    python opa_sdks.py <policy.wasm> <corpus.json>

corpus.json is written by wasm-tests/tests/opa_python.rs (write_corpus_json): a list of
{id, request, document, settings, native, nativeNoMutation}. Every case is evaluated through
`secretfree/verdict` with {request, settings} and through `secretfree/violation` with
{review: request, parameters: settings}. Prints ONE JSON object on stdout:

    {"python": "3.x.y", "wasmtime": "<version>",
     "sdks": {"<sdk>": {"version", "abiVersion", "loadError"?,
                        "results": {<case id>: {"verdict": <decision re-serialised compactly,
                                                             key order kept>,
                                                 "violation": [...]} | {"error": "..."}},
                        "hostile": [{"label", "entrypoint", "denied", "detail"}],
                        "afterHostile": [{"after", "id", "verdict"}], ...}}}

and the Rust test compares it with the native verdicts. An SDK that cannot load the module or
raises on a case is reported in the JSON (never hidden): the Rust side fails on it.
"""

import json
import sys
import traceback
from importlib.metadata import version

try:
    import wasmtime
    from opa_wasmtime import OPAPolicy
    from opapywasm import OpaWasmPolicy, PolicyConfig
except ImportError as exc:  # the Rust test turns this into a failure with the message
    print(
        f"opa_sdks.py: cannot import the Python OPA SDKs ({exc}) with {sys.executable}; "
        "install wasm-tests/python/requirements.txt (`just python-deps`) and point "
        "SECRETFREE_PYTHON at that interpreter",
        file=sys.stderr,
    )
    sys.exit(3)

VERDICT = "secretfree/verdict"
VIOLATION = "secretfree/violation"
DATA = {"secretfree": {"settings": {}}}  # the bundle's data.json
MIB = 1024 * 1024


def compact(value):
    """The decision as JSON text: compact, key order as the SDK parsed it, UTF-8 kept."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def one_result(result_set, what):
    """`[{"result": X}]` -> X; anything else is an error (the decision is never undefined)."""
    if not (isinstance(result_set, list) and len(result_set) == 1 and isinstance(result_set[0], dict)):
        raise AssertionError(f"{what}: expected one result, got {compact(result_set)[:300]}")
    if list(result_set[0]) != ["result"]:
        raise AssertionError(f"{what}: result entry keys {list(result_set[0])}")
    return result_set[0]["result"]


def denies(entrypoint, decision):
    if entrypoint == VERDICT:
        return isinstance(decision, dict) and decision.get("allowed") is False
    return isinstance(decision, list) and len(decision) > 0


def err(exc):
    return f"{type(exc).__name__}: {exc}"


# Hostile inputs. Both SDKs serialise Python objects with json.dumps, so these are JSON strings
# standing where the AdmissionRequest belongs (a JSON string is not a request: deny).
DEEP = "[" * 5000 + "]" * 5000
HOSTILE_VALUES = [
    ("garbage string", "\x00\xff\ufffegarbage{{{"),
    ("truncated JSON text as a string", '{"uid":"x","operation":"CREATE","object":{"spec":'),
    ("3 MiB string", "a" * (3 * MIB)),
    ("deep nesting as a JSON string", DEEP),
]
# opa-py-wasm also takes the input as raw JSON text (str/bytes; parse_raw_json_input=False passes
# it to the module verbatim), so the module's own parser sees invalid and deeply nested documents.
RAW_HOSTILE = [
    ("raw garbage bytes", lambda key: b"{\"" + key + b"\":\x00\xff\xfegarbage{{{"),
    ("raw empty input", lambda key: b""),
    (
        "raw deep nesting (5000 levels)",
        lambda key: b"{\"" + key + b"\":{\"uid\":\"d\",\"operation\":\"CREATE\",\"kind\":{\"group\":\"\","
        b"\"version\":\"v1\",\"kind\":\"Pod\"},\"object\":{\"metadata\":{\"labels\":"
        + DEEP.encode()
        + b"}}}}",
    ),
    (
        "raw 3 MiB annotation",
        lambda key: b"{\"" + key + b"\":{\"uid\":\"b\",\"operation\":\"CREATE\",\"kind\":{\"group\":\"\","
        b"\"version\":\"v1\",\"kind\":\"Pod\"},\"object\":{\"metadata\":{\"annotations\":{\"x\":\""
        + b"a" * (3 * MIB)
        + b"\"}}}}}",
    ),
]


def verdict_input(case):
    return {"request": case["request"], "settings": case["settings"]}


def violation_input(case):
    return {"review": case["request"], "parameters": case["settings"]}


def run_sdk(name, evaluate_raw, corpus, raw_ok):
    """Every case, then the hostile inputs, each followed by a normal case on the same object."""
    out = {"results": {}, "hostile": [], "afterHostile": []}
    for case in corpus:
        try:
            verdict = one_result(evaluate_raw(verdict_input(case), VERDICT), f"{name} {case['id']} verdict")
            violation = one_result(evaluate_raw(violation_input(case), VIOLATION), f"{name} {case['id']} violation")
            out["results"][case["id"]] = {"verdict": compact(verdict), "violation": violation}
        except Exception as exc:  # reported, the Rust side fails on it
            out["results"][case["id"]] = {"error": err(exc)}

    normal = corpus[0]
    hostile = []
    for label, value in HOSTILE_VALUES:
        hostile.append((label, VERDICT, {"request": value, "settings": {}}))
        hostile.append((label, VIOLATION, {"review": value, "parameters": {}}))
    if raw_ok:
        for label, make in RAW_HOSTILE:
            hostile.append((label, VERDICT, make(b"request")))
            hostile.append((label, VIOLATION, make(b"review")))
    for label, entrypoint, value in hostile:
        entry = {"label": label, "entrypoint": entrypoint, "denied": False}
        try:
            decision = one_result(evaluate_raw(value, entrypoint), f"{name} {label}")
            entry["denied"] = denies(entrypoint, decision)
            entry["detail"] = compact(decision)[:200]
        except Exception as exc:
            entry["detail"] = err(exc)[:500]
        out["hostile"].append(entry)
        # The same policy object still evaluates a normal case.
        try:
            verdict = one_result(evaluate_raw(verdict_input(normal), VERDICT), f"{name} after {label}")
            out["afterHostile"].append({"after": f"{label} ({entrypoint})", "id": normal["id"], "verdict": compact(verdict)})
        except Exception as exc:
            out["afterHostile"].append({"after": f"{label} ({entrypoint})", "id": normal["id"], "error": err(exc)})
    return out


def opa_py_wasm(module_path, corpus):
    # One pooled instance, so every evaluation (hostile ones included) runs in the same wasm
    # instance; inputs up to 16 MiB (the SDK's default max_input_bytes of 1,000,000 would refuse
    # the 3 MiB inputs in Python before they reach the module); raw text passed verbatim.
    config = PolicyConfig(pool_size=1, max_input_bytes=16 * MIB, parse_raw_json_input=False)
    policy = OpaWasmPolicy.from_wasm_file(module_path, config)
    policy.set_data(DATA)
    out = {"abiVersion": "%d.%d" % policy.abi_version, "entrypoints": policy.entrypoints}
    out.update(run_sdk("opa-py-wasm", policy.evaluate_raw, corpus, raw_ok=True))
    # The default config's input limit, for the record (a Python-side guard, not the module).
    with OpaWasmPolicy.from_wasm_file(module_path) as default:
        try:
            default.evaluate_raw({"request": "a" * (3 * MIB), "settings": {}}, VERDICT)
            out["defaultConfig3MiB"] = "evaluated"
        except Exception as exc:
            out["defaultConfig3MiB"] = err(exc)
    out["instancesCreated"] = policy.instances_created
    out["instancesRecreated"] = policy.instances_recreated
    policy.close()
    return out


def opa_wasmtime(module_path, corpus):
    # Defaults: a host memory of 2024..5120 pages, fast path only (minor >= 2 required).
    policy = OPAPolicy(module_path)
    policy.set_data(DATA)
    out = {
        "abiVersion": f"{policy.get_export('opa_wasm_abi_version')}.{policy.get_export('opa_wasm_abi_minor_version')}",
        "entrypoints": policy.entrypoints,
    }
    out.update(run_sdk("opa-wasmtime", policy.evaluate, corpus, raw_ok=False))
    out["memoryPages"] = policy.memory.size(policy.store)
    return out


def main():
    if len(sys.argv) != 3:
        print("usage: python opa_sdks.py <policy.wasm> <corpus.json>", file=sys.stderr)
        sys.exit(2)
    module_path, corpus_path = sys.argv[1:]
    with open(corpus_path, encoding="utf-8") as f:
        corpus = json.load(f)
    report = {"python": sys.version.split()[0], "wasmtime": version("wasmtime"), "sdks": {}}
    for name, dist, run in [("opa-py-wasm", "opa-py-wasm", opa_py_wasm), ("opa-wasmtime", "opa-wasmtime", opa_wasmtime)]:
        try:
            entry = {"version": version(dist)}
            entry.update(run(module_path, corpus))
        except Exception as exc:
            entry["loadError"] = err(exc) + "\n" + traceback.format_exc()
        report["sdks"][name] = entry
    sys.stdout.write(json.dumps(report, ensure_ascii=False))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
