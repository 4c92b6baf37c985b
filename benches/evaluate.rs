//! `just bench`: how long `evaluate_json` takes on realistic requests, next to the cost of
//! merely parsing the same bytes into a generic JSON tree (the floor any JSON policy pays).
//! Figures are ratios from one run on one machine; no timing is asserted anywhere.

use secretfree::{Settings, evaluate_json};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn request(kind: &str, group: &str, object: &str) -> Vec<u8> {
    format!(
        r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"b","kind":{{"group":"{group}","version":"v1","kind":"{kind}"}},"operation":"CREATE","namespace":"shop","object":{object}}}}}"#
    )
    .into_bytes()
}

fn deployment(containers: usize) -> String {
    let cs: Vec<String> = (0..containers)
        .map(|i| {
            format!(
                r#"{{"name":"c{i}","image":"registry.example.com/shop/app{i}:1.{i}","ports":[{{"containerPort":8080}}],"env":[{{"name":"A","value":"b"}}],"resources":{{"limits":{{"cpu":"1","memory":"1Gi"}}}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"web","namespace":"shop","labels":{{"app":"web"}},"annotations":{{"deployment.kubernetes.io/revision":"3"}}}},"spec":{{"replicas":3,"selector":{{"matchLabels":{{"app":"web"}}}},"template":{{"metadata":{{"labels":{{"app":"web","alibabacloud.com/eci":"true"}},"annotations":{{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234","k8s.aliyun.com/acr-service-arns":"acs:ram::1609982529000000:role/acr-pull"}}}},"spec":{{"containers":[{}]}}}}}}}}"#,
        cs.join(",")
    )
}

fn time(label: &str, bytes: &[u8], settings: &Settings) -> (f64, f64) {
    let run = |f: &dyn Fn()| {
        let mut n = 0u64;
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(700) {
            f();
            n += 1;
        }
        start.elapsed().as_nanos() as f64 / n as f64
    };
    let eval = run(&|| {
        black_box(evaluate_json(black_box(bytes), settings));
    });
    let tree = run(&|| {
        black_box(serde_json::from_slice::<serde_json::Value>(black_box(bytes)).ok());
    });
    println!(
        "{label:<44} {:>7} B  evaluate_json {:>9.1} µs  generic parse {:>9.1} µs  ratio {:.2}",
        bytes.len(),
        eval / 1000.0,
        tree / 1000.0,
        eval / tree
    );
    (eval, tree)
}

fn main() {
    let settings = Settings::from_json(
        r#"{"clusterRegion":"cn-hangzhou","accountId":"1609982529000000",
            "customDomains":[{"host":"registry.example.com","instanceId":"cri-j36zhodptmyq1234","region":"cn-hangzhou"}]}"#,
    )
    .unwrap_or_default();
    let mut mutate = settings.clone();
    mutate.mutate = true;
    let pod = request(
        "Pod",
        "",
        r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"alibabacloud.com/eci":"true"}},"spec":{"containers":[{"name":"a","image":"registry.example.com/shop/a:1"}]}}"#,
    );
    println!("secretfree bench (one run; compare the ratios, not the absolute times)");
    time(
        "pod, custom domain, instance missing (deny)",
        &pod,
        &settings,
    );
    time("same pod, mutate: true (patch)", &pod, &mutate);
    time(
        "deployment, 3 containers, allowed",
        &request("Deployment", "apps", &deployment(3)),
        &settings,
    );
    time(
        "deployment, 40 containers, allowed",
        &request("Deployment", "apps", &deployment(40)),
        &settings,
    );
    let mut big = deployment(3);
    big.insert_str(
        big.len() - 1,
        &format!(r#","status":{{"blob":"{}"}}"#, "x".repeat(512 * 1024)),
    );
    time(
        "deployment with 512 KiB of skipped status",
        &request("Deployment", "apps", &big),
        &settings,
    );
    time(
        "garbage (request-invalid)",
        b"{\"request\": [1, 2",
        &settings,
    );
}
