//! How `secretfree check` reads its input: which documents are requests, nested `List`s, the
//! directory walk (symlink loops, FIFOs, devices) and the size bound on every read.
#![cfg(unix)]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::string_slice
)]

use serde_json::Value;
use std::io::{Read, Write};
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const GOOD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: good\n  labels: {alibabacloud.com/eci: \"true\"}\n  annotations:\n    k8s.aliyun.com/acr-service-arns: acs:ram::1609982529000000:role/acr-pull\nspec:\n  containers:\n  - name: app\n    image: registry-vpc.cn-hangzhou.aliyuncs.com/shop/app:1.0\n";
const BAD: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\n  namespace: shop\n  annotations:\n    k8s.aliyun.com/acr-instance-ids: cri-j36zhodptmyq1234\nspec:\n  template:\n    metadata:\n      labels: {alibabacloud.com/eci: \"true\"}\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/shop/app:1.0\n";

/// The manifest bound of the binary: 16 times the API server's request limit.
const LIMIT: usize = secretfree::MAX_INPUT_BYTES * 16;

mod support;
use support::TempDir;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Vec<Value> {
        let v: Value = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", self.stdout, self.stderr));
        v.as_array().unwrap().clone()
    }
}

/// Run `secretfree` in `cwd` with `stdin`, killed (and the test failed) after 30 s: a read
/// that blocks or never ends must show up as a failure, not a hung test run.
fn run_in(cwd: &Path, args: &[&str], stdin: Vec<u8>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_secretfree"))
        .current_dir(cwd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn secretfree");
    let mut input = child.stdin.take().unwrap();
    // The binary may stop reading early (the size bound): a broken pipe here is expected.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("secretfree {args:?} did not finish within 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = writer.join();
    Run {
        code: status.code(),
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

fn sources(items: &[Value]) -> Vec<&str> {
    items
        .iter()
        .map(|i| i["source"].as_str().unwrap())
        .collect()
}

fn rules(item: &Value) -> Vec<&str> {
    item["verdict"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

#[test]
fn an_operation_key_on_an_object_does_not_make_it_a_request() {
    let dir = TempDir::new("delete");
    // The trick: a DELETE "operation" on a manifest used to skip every rule.
    dir.write("delete.yaml", &format!("operation: DELETE\n{BAD}"));
    dir.write(
        "nested.yaml",
        &format!("request: {{operation: DELETE, uid: x}}\n{BAD}"),
    );
    let run = run_in(dir.path(), &["check", "--format", "json", "."], Vec::new());
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let items = run.json();
    assert_eq!(sources(&items), ["./delete.yaml#0", "./nested.yaml#0"]);
    for item in &items {
        assert_eq!(item["kind"], "Deployment");
        assert_eq!(item["name"], "bad");
        assert_eq!(item["verdict"]["allowed"], false);
        assert!(rules(item).contains(&"annotation-misplaced"), "{item}");
    }
}

#[test]
fn a_plain_object_with_an_operation_key_is_judged_as_that_object() {
    let dir = TempDir::new("operation");
    dir.write(
        "objects.yaml",
        &format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings}}\noperation: backup\ndata: {{a: b}}\n---\noperation: CREATE\n{GOOD}"
        ),
    );
    let run = run_in(
        dir.path(),
        &["check", "--format", "json", "objects.yaml"],
        Vec::new(),
    );
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let items = run.json();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["kind"], "ConfigMap");
    assert_eq!(items[0]["name"], "settings");
    assert_eq!(items[1]["kind"], "Pod");
    assert_eq!(items[1]["name"], "good");
    for item in &items {
        assert_eq!(item["verdict"]["allowed"], true, "{item}");
        assert!(rules(item).is_empty(), "{item}");
    }
}

#[test]
fn only_an_admission_review_is_judged_as_its_request() {
    let object = secretfree::tools::manifest::yaml_to_value(BAD).unwrap();
    let review = serde_json::json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {"uid": "u", "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
                    "operation": "CREATE", "namespace": "shop", "object": object},
    });
    let bare = review["request"].clone();
    let dir = TempDir::new("review");
    dir.write("review.json", &review.to_string());
    dir.write("bare.json", &bare.to_string());
    let run = run_in(
        dir.path(),
        &["check", "--format", "json", "review.json", "bare.json"],
        Vec::new(),
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let items = run.json();
    assert_eq!(items[0]["kind"], "Deployment");
    assert!(rules(&items[0]).contains(&"annotation-misplaced"));
    // A bare AdmissionRequest is no manifest: it fails closed (`review` reads it).
    assert_eq!(rules(&items[1]), ["request-invalid"]);
}

#[test]
fn lists_inside_lists_are_unrolled() {
    let indent = |text: &str, n: usize| {
        text.lines()
            .enumerate()
            .map(|(i, l)| {
                let pad = " ".repeat(n);
                if i == 0 {
                    format!("{}- {l}\n", " ".repeat(n - 2))
                } else {
                    format!("{pad}{l}\n")
                }
            })
            .collect::<String>()
    };
    let text = format!(
        "apiVersion: v1\nkind: List\nitems:\n{}- kind: List\n  items:\n  - kind: DeploymentList\n    items:\n{}{}",
        indent(GOOD, 2),
        indent(BAD, 6),
        indent(GOOD, 4),
    );
    let dir = TempDir::new("lists");
    dir.write("list.yaml", &text);
    let run = run_in(
        dir.path(),
        &["check", "--format", "json", "list.yaml"],
        Vec::new(),
    );
    assert_eq!(run.code, Some(1), "{}\n{text}", run.stderr);
    let items = run.json();
    assert_eq!(
        sources(&items),
        [
            "list.yaml#0/items/0",
            "list.yaml#0/items/1/items/0/items/0",
            "list.yaml#0/items/1/items/1",
        ]
    );
    assert_eq!(items[1]["kind"], "Deployment");
    assert!(rules(&items[1]).contains(&"annotation-misplaced"));
    assert_eq!(items[2]["verdict"]["allowed"], true);
}

#[test]
fn a_fifo_in_a_directory_is_skipped_not_opened() {
    let dir = TempDir::new("fifo");
    dir.write("m/good.yaml", GOOD);
    let fifo = dir.path().join("m/x.yaml");
    match Command::new("mkfifo").arg(&fifo).status() {
        Ok(s) if s.success() => {}
        other => {
            println!("note: mkfifo unavailable ({other:?}); FIFO walk not tested");
            return;
        }
    }
    let run = run_in(dir.path(), &["check", "--format", "json", "m"], Vec::new());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(sources(&run.json()), ["m/good.yaml#0"]);
    assert!(
        run.stderr.contains("skipping m/x.yaml: not a regular file"),
        "{}",
        run.stderr
    );
}

#[test]
fn symlink_loops_end_and_each_directory_is_read_once() {
    let dir = TempDir::new("loops");
    dir.write("m/good.yaml", GOOD);
    dir.write("m/sub/bad.yaml", BAD);
    dir.write("other/extra.yaml", GOOD);
    dir.write("outside.yaml", BAD);
    let m = dir.path().join("m");
    // Two links to `.` at every level would make a walk that follows them exponential.
    symlink(".", m.join("a")).unwrap();
    symlink(".", m.join("b")).unwrap();
    symlink(".", m.join("sub/a")).unwrap();
    symlink(".", m.join("sub/b")).unwrap();
    symlink("..", m.join("sub/up")).unwrap();
    symlink("../sub", m.join("sub/again")).unwrap();
    // Followed: a linked directory not walked yet and a linked file.
    symlink("../other", m.join("z-other")).unwrap();
    symlink("../outside.yaml", m.join("linked.yaml")).unwrap();
    let run = run_in(dir.path(), &["check", "--format", "json", "m"], Vec::new());
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(
        sources(&run.json()),
        [
            "m/good.yaml#0",
            "m/linked.yaml#0",
            "m/sub/bad.yaml#0",
            "m/z-other/extra.yaml#0",
        ]
    );
    // Each path named on the command line is walked on its own (`other` a second time), and a
    // walk may start from a path through the links.
    let run = run_in(
        dir.path(),
        &["check", "--format", "json", "m/a/b/sub/up", "other"],
        Vec::new(),
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(run.json().len(), 5);
}

#[test]
fn a_device_behind_a_symlink_is_skipped_and_a_named_one_is_read_with_the_bound() {
    let dir = TempDir::new("zero");
    dir.write("m/good.yaml", GOOD);
    symlink("/dev/zero", dir.path().join("m/x.yaml")).unwrap();
    symlink("/nonexistent/secretfree", dir.path().join("m/gone.yaml")).unwrap();
    symlink("/nonexistent/secretfree", dir.path().join("m/gone-dir")).unwrap();
    let run = run_in(dir.path(), &["check", "--format", "json", "m"], Vec::new());
    // The broken link named like a manifest is an unreadable file; the device is skipped.
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert_eq!(sources(&run.json()), ["m/good.yaml#0"]);
    assert!(
        run.stderr.contains("skipping m/x.yaml: not a regular file"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("cannot read m/gone.yaml"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("gone-dir"), "{}", run.stderr);

    // Named on the command line, a device is read, but never past the bound.
    let run = run_in(dir.path(), &["check", "/dev/zero"], Vec::new());
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .contains(&format!("/dev/zero: more than the {LIMIT} bytes (48 MiB)")),
        "{}",
        run.stderr
    );
}

#[test]
fn oversized_files_and_stdin_are_errors_naming_the_limit() {
    let dir = TempDir::new("size");
    let big = dir.write("big.yaml", "");
    // Sparse: the size is checked before anything is read.
    std::fs::File::options()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(LIMIT as u64 + 1)
        .unwrap();
    dir.write("good.yaml", GOOD);
    let run = run_in(dir.path(), &["check", "big.yaml", "good.yaml"], Vec::new());
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains(&format!(
            "big.yaml: {} bytes, more than the {LIMIT} bytes (48 MiB) a manifest may hold",
            LIMIT + 1
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("1 object(s): 1 allowed"),
        "{}",
        run.stdout
    );

    let run = run_in(dir.path(), &["check", "-"], vec![b' '; LIMIT + 1]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .contains(&format!("<stdin>: more than the {LIMIT} bytes (48 MiB)")),
        "{}",
        run.stderr
    );
}

#[test]
fn stdin_and_named_pipes_are_still_read() {
    let dir = TempDir::new("pipes");
    let run = run_in(dir.path(), &["check", "-"], GOOD.as_bytes().to_vec());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    // `/dev/stdin` is the pipe the test writes into: a path named on the command line is read
    // whatever it is (so `<(kubectl get ...)` works).
    let run = run_in(
        dir.path(),
        &["check", "--format", "json", "/dev/stdin"],
        BAD.as_bytes().to_vec(),
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(sources(&run.json()), ["/dev/stdin#0"]);
}
