//! Bad input never panics: it gives a `request-invalid` deny with a message.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use secretfree::{RuleId, Settings, evaluate_json};

fn assert_invalid(input: &[u8], needle: &str) {
    let v = evaluate_json(input, &Settings::default());
    assert!(
        !v.allowed,
        "input {:?} was allowed",
        String::from_utf8_lossy(&input[..input.len().min(80)])
    );
    assert_eq!(v.findings.len(), 1, "{}", v.to_json());
    let f = &v.findings[0];
    assert_eq!(f.rule, RuleId::RequestInvalid);
    assert!(
        f.message.contains(needle),
        "message {:?} lacks {needle:?}",
        f.message
    );
}

#[test]
fn garbage_is_request_invalid() {
    assert_invalid(b"", "truncated");
    assert_invalid(b"not json", "not valid JSON");
    assert_invalid(b"{\"kind\":", "truncated");
    assert_invalid(&[0xff, 0xfe, 0x00, 0x41], "not valid");
    assert_invalid(
        b"{\"kind\":\"Pod\",\"metadata\":{\"name\":\"\xff\"}}",
        "UTF-8",
    );
    assert_invalid(b"[1,2,3]", "wrong type");
    assert_invalid(b"42", "wrong type");
    assert_invalid(b"{}", "neither");
}

#[test]
fn wrong_shapes_name_the_path() {
    let v = evaluate_json(
        br#"{"kind":"Pod","spec":{"containers":[{"name":"a","image":3}]}}"#,
        &Settings::default(),
    );
    assert_eq!(v.findings[0].rule, RuleId::RequestInvalid);
    assert_eq!(v.findings[0].path, "/spec/containers/0/image");
    let v = evaluate_json(
        br#"{"request":{"uid":"1","operation":"CREATE","kind":{"kind":"Pod"},"object":{"metadata":{"annotations":{"k8s.aliyun.com/acr-instance-ids":true}}}}}"#,
        &Settings::default(),
    );
    assert_eq!(
        v.findings[0].path,
        "/metadata/annotations/k8s.aliyun.com~1acr-instance-ids"
    );
    let v = evaluate_json(
        br#"{"uid":"1","operation":"CREATE","kind":{"group":"","version":"v1","kind":"Pod"}}"#,
        &Settings::default(),
    );
    assert_eq!(v.findings[0].rule, RuleId::RequestInvalid);
    assert!(v.findings[0].message.contains("no object"));
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    for depth in [200usize, 100_000] {
        let mut s = String::from(r#"{"kind":"Pod","metadata":{"labels":{"x":"#);
        s.push_str(&"[".repeat(depth));
        s.push_str(&"]".repeat(depth));
        s.push_str("}}}");
        assert_invalid(s.as_bytes(), "");
        // Nesting inside fields the policy skips is refused too.
        let mut s = String::from(r#"{"kind":"Pod","status":"#);
        s.push_str(&"{\"a\":".repeat(depth));
        s.push('1');
        s.push_str(&"}".repeat(depth));
        s.push('}');
        assert_invalid(s.as_bytes(), "");
    }
}

#[test]
fn oversized_input_is_refused() {
    let mut s = String::from(r#"{"kind":"Pod","metadata":{"name":""#);
    s.push_str(&"a".repeat(secretfree::MAX_INPUT_BYTES));
    s.push_str("\"}}");
    assert_invalid(s.as_bytes(), "3 MiB");
}

#[test]
fn large_but_legal_input_is_evaluated() {
    // 2 MiB of unrelated data the policy skips, plus a real finding.
    let filler = "x".repeat(2 * 1024 * 1024);
    let s = format!(
        r#"{{"kind":"Pod","apiVersion":"v1","metadata":{{"name":"p","annotations":{{"big":"{filler}","k8s.aliyun.com/acr-user-arns":"acs:ram::1609982529000000:role/r"}}}},"spec":{{"containers":[{{"name":"a","image":"registry-vpc.cn-hangzhou.aliyuncs.com/a/b:1"}}]}}}}"#
    );
    let v = evaluate_json(s.as_bytes(), &Settings::default());
    assert!(
        v.rule_ids().contains(&"user-arn-without-service-arn"),
        "{}",
        v.to_json()
    );
}

/// A cheap deterministic mutation fuzzer over real requests: no input may panic, every verdict
/// serialises, and a deny always names a rule.
#[test]
fn mutated_inputs_never_panic() {
    let seeds: Vec<Vec<u8>> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/policies/cases"))
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
        .filter(|f| f.file_name().to_string_lossy().ends_with(".json"))
        .filter_map(|f| std::fs::read(f.path()).ok())
        .chain([
            br#"{"kind":"Pod","apiVersion":"v1","metadata":{"annotations":{"k8s.aliyun.com/acr-instance-ids":"cn-beijing:cri-j36zhodptmyq1234"}},"spec":{"containers":[{"name":"a","image":"registry.example.com/a/b:1"}]}}"#.to_vec(),
            br#"{"request":{"uid":"u","operation":"CREATE","kind":{"group":"apps","version":"v1","kind":"Deployment"},"object":{"metadata":{"annotations":{"k8s.aliyun.com/acr-service-arns":"acs:ram::1609982529000000:role/x"}},"spec":{"template":{"metadata":{"labels":{"alibabacloud.com/eci":"true"}},"spec":{"containers":[{"name":"a","image":"nginx"}]}}}}}}"#.to_vec(),
        ])
        .collect();
    let settings = Settings::from_json(
        r#"{"clusterRegion":"cn-hangzhou","accountId":"1609982529000000","mutate":true,
            "customDomains":[{"host":"registry.example.com","instanceId":"cri-j36zhodptmyq1234","region":"cn-beijing"}],
            "access":[{"namespaces":["*"],"instanceIds":["cri-*"]}]}"#,
    )
    .unwrap();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"{}[]\":,\\ 0a-/*<>\xff\x00ek";
    // `just fuzz-mutation` raises this; the default keeps `cargo test` quick.
    let rounds: usize = std::env::var("SECRETFREE_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    for seed in &seeds {
        for _ in 0..rounds {
            let mut input = seed.clone();
            for _ in 0..(next() % 4 + 1) {
                if input.is_empty() {
                    break;
                }
                let pos = (next() as usize) % input.len();
                let byte = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 => input[pos] = byte,
                    1 => input.insert(pos, byte),
                    _ => {
                        input.remove(pos);
                    }
                }
            }
            #[cfg(feature = "fuzzing")]
            decode_paths_agree(&input);
            let v = evaluate_json(&input, &settings);
            let json = v.to_json();
            assert!(json.starts_with("{\"allowed\":"));
            if !v.allowed {
                assert!(
                    v.findings
                        .iter()
                        .any(|f| f.action == secretfree::Action::Deny)
                );
            }
        }
    }
}

/// The request decoder and the typed serde_json decode it replaced agree on `input`
/// (`secretfree::fuzzing::decode_paths_disagree`; `fuzz/` checks the same).
#[cfg(feature = "fuzzing")]
fn decode_paths_agree(input: &[u8]) {
    assert_eq!(secretfree::fuzzing::decode_paths_disagree(input), None);
}

/// Every request of the corpus, the benchmark inputs and the hostile families: the reader
/// gives what serde_json gives.
#[cfg(feature = "fuzzing")]
#[test]
fn the_one_pass_reader_agrees_with_serde_json() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for dir in ["policies/cases", "policies/bench", "policies/examples"] {
        let mut stack = vec![std::path::Path::new(root).join(dir)];
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                stack.extend(
                    std::fs::read_dir(&path)
                        .unwrap()
                        .flatten()
                        .map(|e| e.path()),
                );
            } else if path.extension().is_some_and(|e| e == "json") {
                inputs.push(std::fs::read(&path).unwrap());
            }
        }
    }
    assert!(inputs.len() > 20, "{} inputs", inputs.len());
    let mut decoded = 0;
    for input in &inputs {
        decode_paths_agree(input);
        decoded += usize::from(secretfree::decode(input).is_ok());
    }
    // A few of them are invalid on purpose.
    assert!(
        decoded * 4 > inputs.len() * 3,
        "{decoded} of {}",
        inputs.len()
    );
}
