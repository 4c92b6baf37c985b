//! Hostile request families: requests built to make an evaluation slow, its memory large or its
//! verdict long. Shared by `benches/hostile.rs` (native time and CLI memory at growing sizes)
//! and `wasm-tests` (every artifact in its hosts, the soak); judged with
//! `policies/settings/multi-team.yaml`.
//!
//! [`Family::canonical`] gives the requests of `tests/hostile.rs` (plus one of 3 MiB just under
//! the API server's limit); [`Family::sized`] the same shape grown to about a given size.

/// The settings every hostile request is judged with (YAML text).
pub const SETTINGS_YAML: &str = include_str!("../../policies/settings/multi-team.yaml");

/// The largest request the policy reads (the API server's limit).
pub const LIMIT: usize = 3 * 1024 * 1024;

/// One shape of hostile request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `acr-instance-ids` made of commas only.
    Commas,
    /// `acr-instance-ids` listing distinct well-formed ids.
    DistinctIds,
    /// `acr-instance-ids` made of spaces, and images from a custom domain of another team.
    SpacesAndImages,
    /// `acr-service-arns` with many ARNs, and a very long container name.
    ArnsAndLongName,
    /// Containers with invalid images (a finding each).
    InvalidImages,
    /// One huge misplaced value on a Deployment's metadata (`mutate: true` would move it).
    MisplacedValue,
    /// Up to the API server's limit: containers pulling from another team's custom domain.
    NearLimit,
}

impl Family {
    pub const ALL: [Family; 7] = [
        Family::Commas,
        Family::DistinctIds,
        Family::SpacesAndImages,
        Family::ArnsAndLongName,
        Family::InvalidImages,
        Family::MisplacedValue,
        Family::NearLimit,
    ];

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Family::Commas => "commas",
            Family::DistinctIds => "distinct-ids",
            Family::SpacesAndImages => "spaces+images",
            Family::ArnsAndLongName => "arns+long-name",
            Family::InvalidImages => "invalid-images",
            Family::MisplacedValue => "misplaced-value",
            Family::NearLimit => "near-limit",
        }
    }

    /// What the canonical request is.
    pub fn label(self) -> &'static str {
        match self {
            Family::Commas => "100,000 commas in acr-instance-ids",
            Family::DistinctIds => "120,000 distinct ids",
            Family::SpacesAndImages => "1 MB of spaces and 400 custom-domain images",
            Family::ArnsAndLongName => "60,000 ARNs and a 500 KB container name",
            Family::InvalidImages => "20,000 invalid images",
            Family::MisplacedValue => "1 MB misplaced value, mutate: true",
            Family::NearLimit => "3 MiB of custom-domain containers",
        }
    }

    /// The request with the family's one size parameter.
    fn build(self, n: usize) -> Vec<u8> {
        match self {
            Family::Commas => pod(&ids_annotation(&",".repeat(n)), APP),
            Family::DistinctIds => {
                let ids: Vec<String> = (0..n).map(|i| format!("cri-{i:016}")).collect();
                pod(&ids_annotation(&ids.join(",")), APP)
            }
            Family::SpacesAndImages => {
                let images = (n / 2500).clamp(1, 400);
                let containers: Vec<String> = (0..images)
                    .map(|i| {
                        format!(
                            r#"{{"name":"c{i}","image":"registry.team-b.example.com/x/app{i}:1"}}"#
                        )
                    })
                    .collect();
                pod(&ids_annotation(&" ".repeat(n)), &containers.join(","))
            }
            Family::ArnsAndLongName => {
                let arns = vec!["acs:ram::1609982529000000:role/x"; n].join(",");
                let name = "a".repeat(n * 25 / 3);
                pod(
                    &format!(r#"{{"k8s.aliyun.com/acr-service-arns":"{arns}"}}"#),
                    &format!(r#"{{"name":"{name}","image":"quay.io/x/y:1"}}"#),
                )
            }
            Family::InvalidImages => {
                let containers: Vec<String> = (0..n)
                    .map(|i| format!(r#"{{"name":"c{i}","image":"BAD IMAGE {i}"}}"#))
                    .collect();
                pod("{}", &containers.join(","))
            }
            Family::MisplacedValue => {
                let value = "a".repeat(n);
                format!(
                    r#"{{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"d","namespace":"team-a","annotations":{{"k8s.aliyun.com/acr-service-arns":"{value}"}}}},
        "spec":{{"template":{{"metadata":{{"labels":{{"app":"d"}}}},"spec":{{"containers":[{APP}]}}}}}}}}"#
                )
                .into_bytes()
            }
            Family::NearLimit => {
                let containers: Vec<String> = (0..n)
                    .map(|i| {
                        format!(r#"{{"name":"c{i}","image":"registry.team-b.example.com/team-b/app{i}:1.0"}}"#)
                    })
                    .collect();
                pod(
                    r#"{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234"}"#,
                    &containers.join(","),
                )
            }
        }
    }

    /// The request of `tests/hostile.rs` (for [`Family::NearLimit`]: the largest one that fits
    /// in 3 MiB).
    pub fn canonical(self) -> Vec<u8> {
        match self {
            Family::Commas => self.build(100_000),
            Family::DistinctIds => self.build(120_000),
            Family::SpacesAndImages => self.build(1_000_000),
            Family::ArnsAndLongName => self.build(60_000),
            Family::InvalidImages => self.build(20_000),
            Family::MisplacedValue => self.build(1_000_000),
            Family::NearLimit => self.sized(LIMIT),
        }
    }

    /// The largest request of this family that is at most `bytes` long (sizes grow linearly
    /// with the parameter, so two probes and a few steps find it).
    pub fn sized(self, bytes: usize) -> Vec<u8> {
        let (small, large) = (16, 4096);
        let (a, b) = (self.build(small).len(), self.build(large).len());
        let per = (b.saturating_sub(a) as f64 / (large - small) as f64).max(1e-9);
        let mut n = small + (bytes.saturating_sub(a) as f64 / per) as usize;
        loop {
            let request = self.build(n);
            if request.len() <= bytes || n <= 1 {
                return request;
            }
            n -= (((request.len() - bytes) as f64 / per).ceil() as usize).clamp(1, n - 1);
        }
    }
}

const APP: &str = r#"{"name":"app","image":"registry-vpc.cn-hangzhou.aliyuncs.com/team-a/app:1"}"#;

fn ids_annotation(value: &str) -> String {
    format!(r#"{{"k8s.aliyun.com/acr-instance-ids":"{value}"}}"#)
}

/// An AdmissionReview of a Pod in `team-a`, as `tests/hostile.rs` writes it.
fn pod(annotations: &str, containers: &str) -> Vec<u8> {
    format!(
        r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"u","kind":{{"group":"","version":"v1","kind":"Pod"}},"operation":"CREATE","namespace":"team-a",
        "object":{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"p","namespace":"team-a","annotations":{annotations}}},"spec":{{"containers":[{containers}]}}}}}}}}"#
    )
    .into_bytes()
}
