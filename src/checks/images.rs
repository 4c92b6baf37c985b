//! Images and registries: image references, which registry each image pulls from, custom
//! domains whose instance must be listed (and its region prefix), endpoints that cannot work
//! from ECI, and pull secrets that secret-free pulling makes redundant. Plans the rewrite of
//! the instance-id list that mutation applies.

#![forbid(unsafe_code)]

use super::access;
use super::values::InstanceIds;
use super::{Report, Shown, ShownImage, listing};
use crate::acr::{self, AcrHost, KnownInstance, Network};
use crate::grammar::text::{Quoted, glob_match};
use crate::grammar::values::{InstanceToken, looks_like_placeholder, parse_instance_ids};
use crate::image::ImageRef;
use crate::keys::{INSTANCE_ID_LEGACY, INSTANCE_IDS, SERVICE_ARNS, USER_ARNS};
use crate::repair::{InstanceList, Moves};
use crate::rules::RuleId;
use crate::settings::Settings;
use crate::workload::{ImageSite, Shape, Workload};

/// Instance ids, sorted and unique (a sorted list: a set type would add its own code).
#[derive(Debug, Default)]
struct Ids<'a>(Vec<&'a str>);

impl<'a> Ids<'a> {
    fn insert(&mut self, id: &'a str) {
        if let Err(at) = self.0.binary_search(&id) {
            self.0.insert(at, id);
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.0.binary_search(&id).is_ok()
    }
}

/// A parsed image with its registry class and, where the settings know it, the instance
/// behind the registry and its owner.
#[derive(Debug)]
pub struct Parsed<'a> {
    pub site: &'a ImageSite<'a>,
    pub raw: &'a str,
    pub image: ImageRef<'a>,
    pub host: AcrHost<'a>,
    pub known: Option<KnownInstance<'a>>,
}

/// The images family over the images [`parse`] read. Returns the rewritten instance-id list
/// when mutation repairs it.
pub fn check(
    r: &mut Report,
    w: &Workload,
    on_eci: bool,
    moves: &Moves,
    ids: Option<&InstanceIds>,
    parsed: &[Parsed],
) -> Option<InstanceList> {
    endpoints(r, w, on_eci, moves, parsed);
    let (listed, rewrite) = instance_list(r, w, moves, parsed, ids);
    let pair = [SERVICE_ARNS, USER_ARNS]
        .iter()
        .all(|k| moves.effective.contains_key(k));
    pull_secrets(r, w, parsed, &listed, pair);
    rewrite
}

/// Parse every image reference and classify its registry (image-invalid, placeholders).
pub fn parse<'a, 's: 'a>(r: &mut Report<'s>, w: &'a Workload) -> Vec<Parsed<'a>> {
    let invalid_rule = if w.shape == Shape::ImageCache {
        RuleId::ImagecacheImagesInvalid
    } else {
        RuleId::ImageInvalid
    };
    let mut out = Vec::with_capacity(w.images.len());
    for site in &w.images {
        let raw = site.image.as_deref().unwrap_or("");
        if raw.is_empty() {
            r.report(
                invalid_rule,
                site.path,
                format_args!("{} has no image", site.who),
                "set the image, e.g. registry.cn-hangzhou.aliyuncs.com/<namespace>/<repo>:<tag>",
            );
            continue;
        }
        if looks_like_placeholder(raw) {
            r.report(
                RuleId::PlaceholderValue,
                site.path,
                format_args!(
                    "{} image {raw:?} is {}",
                    site.who,
                    super::placeholder_text(raw),
                    raw = ShownImage(raw)
                ),
                "replace it with the real image address (ACR console, repository details)",
            );
            continue;
        }
        match ImageRef::parse(raw) {
            Ok(image) => {
                let settings = r.settings;
                let host =
                    acr::classify_host(image.host.clone(), image.port, &settings.custom_domains);
                let known =
                    acr::known_instance(&host, &settings.custom_domains, &settings.instances);
                out.push(Parsed {
                    site,
                    raw,
                    image,
                    host,
                    known,
                });
            }
            Err(e) => r.report(
                invalid_rule,
                site.path,
                format_args!("{} image {raw:?} is not a valid image reference: {}", site.who, e.reason, raw = ShownImage(raw)),
                "write the image as [registry/]namespace/repository[:tag][@digest], with a lower-case repository path",
            ),
        }
    }
    out
}

fn anonymous(settings: &Settings, img: &Parsed) -> bool {
    let name = img.image.name();
    let full = img.image.to_string();
    settings.anonymous_images.iter().any(|p| {
        let p = p.trim();
        glob_match(p, img.raw) || glob_match(p, &name) || glob_match(p, &full)
    })
}

/// Registries secret-free pulling cannot use from ECI.
fn endpoints(r: &mut Report, w: &Workload, on_eci: bool, moves: &Moves, parsed: &[Parsed]) {
    let has_secrets = w.pull_secret_names().next().is_some();
    let lists_instances = [INSTANCE_IDS, INSTANCE_ID_LEGACY]
        .iter()
        .any(|k| moves.effective.contains_key(k));
    let settings = r.settings;
    let cluster_region = &settings.cluster_region;
    for img in parsed {
        match &img.host {
            AcrHost::NotAcr if !has_secrets && !anonymous(settings, img) => {
                let registry = img.image.registry();
                if lists_instances {
                    r.report(
                        RuleId::ExternalImageWithoutSecret,
                        img.site.path,
                        format_args!(
                            "{} pulls {} from {registry}, which is not a custom domain in the policy's customDomains, while the {} lists ACR instances in {INSTANCE_IDS} and has no imagePullSecrets: unless {registry} is the custom domain of a listed instance, ECI's secret-free pull cannot authenticate there",
                            img.site.who,
                            img.raw,
                            w.pod_word()
                        ),
                        format_args!(
                            "if {registry} is the custom domain of a listed instance, add it to the policy's customDomains (host and instanceId); otherwise add imagePullSecrets for it, or list a public image in anonymousImages"
                        ),
                    );
                } else {
                    r.report(
                        RuleId::ExternalImageWithoutSecret,
                        img.site.path,
                        format_args!(
                            "{} pulls {} from {registry}, which is neither an ACR endpoint nor a custom domain in the policy's customDomains, and the {} has no imagePullSecrets: ECI's secret-free pull cannot authenticate there",
                            img.site.who,
                            img.raw,
                            w.pod_word()
                        ),
                        format_args!(
                            "add imagePullSecrets for {registry}, or, if the image is public, list it in the policy's anonymousImages"
                        ),
                    );
                }
            }
            AcrHost::PersonalLegacy {
                network: Network::Classic,
                ..
            } if on_eci => r.report(
                RuleId::ClassicNetworkEndpoint,
                img.site.path,
                format_args!(
                    "{} pulls {} through {}, the classic network endpoint of ACR Personal Edition; ECI runs in a VPC, and a VPC does not reach the classic network endpoint",
                    img.site.who, img.raw, img.image.host
                ),
                format_args!(
                    "use the VPC endpoint {} instead, or the public endpoint with Internet egress",
                    img.host.vpc_host().unwrap_or_default()
                ),
            ),
            AcrHost::PersonalNew {
                network: Network::Public,
                ..
            } => r.report(
                RuleId::PersonalPublicEndpoint,
                img.site.path,
                format_args!(
                    "{} pulls {} through the public endpoint of a new Personal Edition instance ({}), which cannot be used to pull images",
                    img.site.who, img.raw, img.image.host
                ),
                format_args!(
                    "use the instance's VPC endpoint ({}) instead",
                    vpc_variant(&img.image.host)
                ),
            ),
            _ => {}
        }
        if let (Some(cluster), Some(Network::Vpc), Some(region)) = (
            cluster_region.as_deref(),
            img.host.network(),
            img.host.region(),
        ) && region != cluster
        {
            r.report(
                RuleId::VpcEndpointOtherRegion,
                img.site.path,
                format_args!(
                    "{} pulls {} through a VPC endpoint in {region}, but the cluster runs in {cluster}; VPC endpoints resolve only inside VPCs of their own region",
                    img.site.who, img.raw
                ),
                format_args!("use the registry's endpoint for {cluster}, its public endpoint (with Internet egress), or connect the VPCs (CEN) and its DNS"),
            );
        }
    }
}

fn vpc_variant(host: &str) -> String {
    match host.split_once('.') {
        Some((first, rest)) => format!("{first}-vpc.{rest}"),
        None => host.to_owned(),
    }
}

fn written(tok: &InstanceToken) -> String {
    match tok.region {
        Some(r) => format!("{r}:{}", tok.id),
        None => tok.id.to_owned(),
    }
}

/// custom-domain-missing-instance and instance-region-prefix-missing, which share one repair:
/// rewriting the instance-id list. Returns the ids the pod ends up listing, and the rewritten
/// list when mutation repairs it.
fn instance_list<'x, 's: 'x>(
    r: &mut Report<'s>,
    w: &'x Workload,
    moves: &Moves,
    parsed: &'x [Parsed<'x>],
    ids: Option<&'x InstanceIds<'x>>,
) -> (Ids<'x>, Option<InstanceList>) {
    let settings = r.settings;
    let cluster_region = settings.cluster_region.as_deref();
    let key = ids.map_or(INSTANCE_IDS, |i| i.key);
    let clean = ids.is_none_or(|i| i.clean);
    let mut tokens: Vec<InstanceToken> =
        ids.map(|i| i.ids().cloned().collect()).unwrap_or_default();
    let mut changed = false;

    // Region prefixes of listed instances whose region the settings know.
    if let Some(cluster) = cluster_region {
        let path = moves.value_path(w, key);
        for tok in tokens.iter_mut() {
            let Some(region) = settings
                .custom_domains
                .iter()
                .find(|d| d.instance_id == tok.id)
                .and_then(|d| d.region.as_deref())
            else {
                continue;
            };
            let want = (region != cluster).then_some(region);
            let problem = match (&tok.region, &want) {
                (None, Some(r)) => format!(
                    "{key} lists {} without a region prefix, but that instance is in {r} and the cluster in {cluster}; the documentation requires the <region>: prefix for an instance in another region than the pod",
                    tok.id
                ),
                (Some(p), Some(r)) if p != r => {
                    format!("{key} lists {p}:{} but that instance is in {r}", tok.id)
                }
                (Some(p), None) if *p != cluster => format!(
                    "{key} lists {p}:{} but that instance is in {cluster}, the cluster's region",
                    tok.id
                ),
                _ => continue,
            };
            let fixed = InstanceToken {
                region: want,
                id: tok.id,
            };
            let fix = format!("write it as {:?} in {key}", Quoted(&written(&fixed)));
            let repair = clean && r.can_mutate(RuleId::InstanceRegionPrefixMissing);
            if repair {
                *tok = fixed;
                changed = true;
            }
            r.report_repair(
                repair,
                RuleId::InstanceRegionPrefixMissing,
                path,
                problem,
                fix,
            );
        }
    }

    // Images on custom domains need their instance listed.
    let cross_account = moves.effective.contains_key(USER_ARNS);
    let mut listed = Ids::default();
    for t in &tokens {
        listed.insert(t.id);
    }
    // An instance listed only in a misplaced copy is annotation-misplaced's finding: one
    // mistake, one deny.
    let misplaced = if r.is_on(RuleId::AnnotationMisplaced) {
        misplaced_ids(w)
    } else {
        Ids::default()
    };
    for img in parsed {
        let AcrHost::CustomDomain {
            instance_id,
            region,
            ..
        } = &img.host
        else {
            continue;
        };
        // An instance the namespace may not use is the access gate's finding alone (listing
        // it would not help), and a masked list is placeholder-value's: one mistake, one deny.
        if listed.contains(instance_id)
            || ids.is_some_and(|i| i.placeholder)
            || misplaced.contains(instance_id)
            || !access::allows_instance(settings, w, instance_id)
        {
            continue;
        }
        let tok = InstanceToken {
            region: match (region.as_deref(), cluster_region) {
                (Some(r), Some(c)) if r != c => Some(r),
                _ => None,
            },
            id: instance_id,
        };
        let text = written(&tok);
        let mut msg = format!(
            "{} pulls {} from custom domain {} (ACR instance {instance_id}) but {INSTANCE_IDS} does not list {instance_id}, so ECI cannot pull it secret-free",
            img.site.who,
            img.raw,
            img.image.registry()
        );
        if cross_account {
            msg.push_str(
                "; a cross-account pull through a custom domain needs all three annotations",
            );
        }
        let fix = match moves.effective.get(key) {
            Some(v) if moves.is_injected(key) => format!(
                "set {key}: {joined:?} in {} (eci-profile selector {by:?} injects {key}: {v:?}, and a key the pod carries replaces the injected one)",
                w.meta_dots,
                joined = Shown(&format!("{v},{text}")),
                v = Shown(v),
                by = Shown(moves.injected_by.as_deref().unwrap_or("")),
            ),
            Some(v) => format!(
                "add {text:?} to {key} (now {v:?}) in {}",
                w.meta_dots,
                v = Shown(v),
                text = Quoted(&text)
            ),
            None => format!(
                "add {INSTANCE_IDS}: {text:?} to {}",
                w.meta_dots,
                text = Quoted(&text)
            ),
        };
        let repair = clean && r.can_mutate(RuleId::CustomDomainMissingInstance);
        if repair {
            listed.insert(tok.id);
            tokens.push(tok);
            changed = true;
        }
        r.report_repair(
            repair,
            RuleId::CustomDomainMissingInstance,
            format!("{}/annotations", w.meta_path),
            msg,
            fix,
        );
    }
    let rewrite = changed.then(|| InstanceList {
        key,
        value: tokens
            .iter()
            .map(written)
            .enumerate()
            .fold(String::new(), |mut list, (i, tok)| {
                if i > 0 {
                    list.push(',');
                }
                list.push_str(&tok);
                list
            }),
    });
    (listed, rewrite)
}

/// The instance ids that copies of the instance-id keys where ECI never reads them
/// (controller metadata, labels) list.
fn misplaced_ids<'a>(w: &Workload<'a>) -> Ids<'a> {
    let maps = w
        .ignored_meta
        .iter()
        .map(|m| m.annotations)
        .chain(std::iter::once(w.labels));
    let mut ids = Ids::default();
    for map in maps {
        for key in [INSTANCE_IDS, INSTANCE_ID_LEGACY] {
            if let Some(value) = map.get(key) {
                let list = parse_instance_ids(value);
                for t in list.tokens.into_iter().flatten() {
                    ids.insert(t.id);
                }
            }
        }
    }
    ids
}

/// `listed`: the instance ids the pod ends up listing (after any repair); `pair`: the pod
/// names both cross-account roles.
fn pull_secrets(r: &mut Report, w: &Workload, parsed: &[Parsed], listed: &Ids, pair: bool) {
    let secrets: Vec<&str> = w
        .pull_secret_names()
        .filter(|s| !s.starts_with("acr-credential-"))
        .collect();
    if secrets.is_empty() || parsed.is_empty() || parsed.len() != w.images.len() {
        return;
    }
    // A registry of another account pulls secret-free only with the cross-account roles.
    let other_account = |img: &Parsed| {
        img.known
            .as_ref()
            .and_then(|k| k.account_id)
            .zip(r.settings.account_id.as_deref())
            .is_some_and(|(owner, eci)| owner != eci)
    };
    let secret_free = |img: &Parsed| {
        (pair || !other_account(img))
            && match &img.host {
                AcrHost::PersonalLegacy { network, .. } => *network != Network::Classic,
                AcrHost::EnterpriseDefault { .. } => true,
                // Whether ECI's secret-free pull covers new Personal Edition instances is not
                // documented: the secret may be what makes the pull work.
                AcrHost::PersonalNew { .. } => false,
                AcrHost::CustomDomain { instance_id, .. } => listed.contains(instance_id),
                AcrHost::NotAcr => anonymous(r.settings, img),
            }
    };
    if parsed.iter().all(secret_free) {
        r.report(
            RuleId::PullSecretRedundant,
            format!("{}/imagePullSecrets", w.spec_path),
            format!(
                "every image of the {} can be pulled secret-free (ACR through ECI's RAM role, or anonymous), yet imagePullSecrets lists {}; stored registry passwords are what secret-free pulling avoids",
                w.kind,
                listing(secrets)
            ),
            "remove imagePullSecrets (and the Secret, if nothing else uses it)",
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::checks::testing::{object, settings, summary, workload};
    use crate::checks::values;

    const DOMAINS: &str = r#""clusterRegion":"cn-hangzhou","customDomains":[{"host":"registry.example.com","instanceId":"cri-j36zhodptmyq1234","region":"cn-beijing"}]"#;

    fn run(
        pod: &str,
        settings_json: &str,
    ) -> (
        Vec<(&'static str, &'static str, String)>,
        Option<InstanceList>,
    ) {
        let o = object(pod);
        let w = workload(Shape::Pod, "team-a", &o);
        let s = settings(settings_json);
        let mut r = Report::new(&s);
        let moves = Moves::none(&w);
        let ids = values::check(&mut Report::new(&s), &w, &moves);
        let parsed = parse(&mut r, &w);
        let rewrite = check(&mut r, &w, true, &moves, ids.ids.as_ref(), &parsed);
        (summary(&r.finish()), rewrite)
    }

    #[test]
    fn custom_domain_instance_added_with_region_prefix() {
        let pod = r#"{"spec":{"containers":[{"name":"app","image":"registry.example.com/shop/web:1.4"}]}}"#;
        let (findings, rewrite) = run(pod, &format!("{{{DOMAINS}}}"));
        assert_eq!(
            findings,
            [(
                "custom-domain-missing-instance",
                "deny",
                "/metadata/annotations".into()
            )]
        );
        assert_eq!(rewrite, None);
        let (findings, rewrite) = run(pod, &format!(r#"{{{DOMAINS},"mutate":true}}"#));
        assert_eq!(
            findings,
            [(
                "custom-domain-missing-instance",
                "mutated",
                "/metadata/annotations".into()
            )]
        );
        assert_eq!(rewrite.unwrap().value, "cn-beijing:cri-j36zhodptmyq1234");
        // Not added when the access gate refuses the instance (the gate reports it).
        let closed = format!(r#"{{{DOMAINS},"mutate":true,"access":[]}}"#);
        let (findings, rewrite) = run(pod, &closed);
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(rewrite, None);
    }

    #[test]
    fn region_prefix_fixed() {
        let pod = r#"{"metadata":{"annotations":{"k8s.aliyun.com/acr-instance-ids":"cri-j36zhodptmyq1234"}},
            "spec":{"containers":[{"image":"registry.example.com/shop/web:1.4"}]}}"#;
        let (findings, rewrite) = run(pod, &format!(r#"{{{DOMAINS},"mutate":true}}"#));
        assert_eq!(
            findings,
            [(
                "instance-region-prefix-missing",
                "mutated",
                "/metadata/annotations/k8s.aliyun.com~1acr-instance-ids".into()
            )]
        );
        assert_eq!(rewrite.unwrap().value, "cn-beijing:cri-j36zhodptmyq1234");
    }

    #[test]
    fn endpoints_and_secrets() {
        let pod = r#"{"spec":{"containers":[
            {"name":"a","image":"crpi-abc.cn-hangzhou.personal.cr.aliyuncs.com/ns/app:1"},
            {"name":"b","image":"registry-vpc.cn-beijing.aliyuncs.com/ns/app:1"},
            {"name":"c","image":"quay.io/org/app:1"}]}}"#;
        let (findings, _) = run(pod, r#"{"clusterRegion":"cn-hangzhou"}"#);
        assert_eq!(
            findings,
            [
                (
                    "external-image-without-secret",
                    "warn",
                    "/spec/containers/2/image".into()
                ),
                (
                    "personal-public-endpoint",
                    "warn",
                    "/spec/containers/0/image".into()
                ),
                (
                    "vpc-endpoint-other-region",
                    "warn",
                    "/spec/containers/1/image".into()
                ),
            ]
        );
        let pod = r#"{"spec":{"imagePullSecrets":[{"name":"old"}],"containers":[{"image":"registry.cn-hangzhou.aliyuncs.com/ns/app:1"}]}}"#;
        let (findings, _) = run(pod, "{}");
        assert_eq!(
            findings,
            [(
                "pull-secret-redundant",
                "warn",
                "/spec/imagePullSecrets".into()
            )]
        );
    }
}
