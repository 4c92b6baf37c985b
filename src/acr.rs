//! Alibaba Cloud Container Registry (ACR) host classification.
//!
//! Classification order (first match wins): configured custom domain, Personal
//! Edition (new, `crpi-`), Enterprise Edition default domain, Personal Edition
//! (legacy), otherwise [`AcrHost::NotAcr`]. Built-in forms are recognised by host
//! name alone, whatever the port (`.distributed.` hosts normally use :65001).
//! Input is compared case-insensitively; a trailing dot never matches.

#![forbid(unsafe_code)]

use crate::grammar::hostport;
use crate::grammar::regions::is_region_grammar;
use std::borrow::Cow;

/// Network an ACR endpoint is reached over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    Public,
    Vpc,
    /// Classic network `registry[-intl]-internal.` endpoint (legacy Personal Edition): for ECS
    /// instances on the classic network; a VPC, where ECI runs, does not reach it.
    Classic,
}

impl Network {
    fn label(self) -> &'static str {
        match self {
            Network::Public => "public",
            Network::Vpc => "VPC",
            Network::Classic => "classic network",
        }
    }
}

/// What kind of ACR endpoint a registry host is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcrHost<'a> {
    /// `registry[-intl][-vpc|-internal].<region>.aliyuncs.com`
    PersonalLegacy {
        region: Cow<'a, str>,
        network: Network,
        intl: bool,
    },
    /// `crpi-<id>[-vpc].<region>.personal.cr.aliyuncs.com`
    PersonalNew {
        /// "crpi-<id>"
        instance: Cow<'a, str>,
        region: Cow<'a, str>,
        network: Network,
    },
    /// `<instance-name>-registry[-vpc][.distributed].<region>.cr.aliyuncs.com`
    EnterpriseDefault {
        instance_name: Cow<'a, str>,
        region: Cow<'a, str>,
        network: Network,
        distributed: bool,
    },
    /// A host configured in `settings.customDomains`.
    CustomDomain {
        host: &'a str,
        instance_id: &'a str,
        region: Option<&'a str>,
    },
    NotAcr,
}

/// One configured custom domain (`settings.customDomains` entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomDomain {
    /// Lower-case host, may carry ":port".
    pub host: String,
    pub instance_id: String,
    pub region: Option<String>,
    /// The account that owns the instance, when the settings say.
    pub account_id: Option<String>,
}

/// One catalogued Enterprise Edition instance (`settings.instances` entry): its default
/// domains are `<name>-registry[-vpc].<region>.cr.aliyuncs.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub instance_id: String,
    /// The instance name as in its default domain (lower-case).
    pub name: String,
    pub region: String,
    /// The account that owns the instance, when the settings say.
    pub account_id: Option<String>,
}

/// The ACR instance behind a registry host, as far as the settings know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownInstance<'a> {
    pub instance_id: &'a str,
    /// The owning account, from the custom domain's or the catalogued instance's `accountId`.
    pub account_id: Option<&'a str>,
    /// Reached through a configured custom domain (else a catalogued default domain).
    pub custom_domain: bool,
}

/// The instance behind `host`: a configured custom domain's, or the catalogued instance
/// whose default domain it is. The owning account comes from any entry for that instance.
pub fn known_instance<'a>(
    host: &AcrHost<'a>,
    custom: &'a [CustomDomain],
    instances: &'a [Instance],
) -> Option<KnownInstance<'a>> {
    let (instance_id, custom_domain) = match host {
        AcrHost::CustomDomain { instance_id, .. } => (*instance_id, true),
        AcrHost::EnterpriseDefault {
            instance_name,
            region,
            ..
        } => (
            instances
                .iter()
                .find(|i| i.name == **instance_name && i.region == **region)?
                .instance_id
                .as_str(),
            false,
        ),
        _ => return None,
    };
    let account_id = custom
        .iter()
        .filter(|d| d.instance_id == instance_id)
        .find_map(|d| d.account_id.as_deref())
        .or_else(|| {
            instances
                .iter()
                .filter(|i| i.instance_id == instance_id)
                .find_map(|i| i.account_id.as_deref())
        });
    Some(KnownInstance {
        instance_id,
        account_id,
        custom_domain,
    })
}

fn custom_matches(configured: &str, host: &str, port: Option<u16>) -> bool {
    let configured = configured.trim();
    let default_port = |p: Option<u16>| matches!(p, None | Some(443));
    // A configured name without port or brackets (the settings check it is a DNS name).
    if !configured.bytes().any(|b| b == b':' || b == b'[') {
        return configured.eq_ignore_ascii_case(host) && default_port(port);
    }
    // Most configured domains are not the image's: compare the names before parsing.
    if !configured.starts_with('[') {
        let name = configured.split_once(':').map_or(configured, |(h, _)| h);
        if !name.eq_ignore_ascii_case(host) {
            return false;
        }
    }
    let Ok(c) = hostport::parse(configured) else {
        return false;
    };
    if !c.host.eq_ignore_ascii_case(host) {
        return false;
    }
    match (c.port, port) {
        (Some(a), Some(b)) => a == b,
        (a, b) => default_port(a) && default_port(b),
    }
}

/// `crpi-<id>[-vpc].<region>.personal.cr.aliyuncs.com`
fn personal_new(host: &str) -> Option<AcrHost<'_>> {
    let rest = host.strip_suffix(".personal.cr.aliyuncs.com")?;
    let (first, region) = rest.split_once('.')?;
    if !is_region_grammar(region) {
        return None;
    }
    let (instance, network) = match first.strip_suffix("-vpc") {
        Some(i) => (i, Network::Vpc),
        None => (first, Network::Public),
    };
    let id = instance.strip_prefix("crpi-")?;
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        return None;
    }
    Some(AcrHost::PersonalNew {
        instance: Cow::Borrowed(instance),
        region: Cow::Borrowed(region),
        network,
    })
}

/// An Enterprise Edition instance name: 3 to 30 of `[a-z0-9-]`, not starting or ending with `-`.
pub fn is_instance_name(s: &str) -> bool {
    let n = s.chars().count();
    (3..=30).contains(&n)
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `<name>-registry[-vpc][.distributed].<region>.cr.aliyuncs.com`
fn enterprise_default(host: &str) -> Option<AcrHost<'_>> {
    let rest = host.strip_suffix(".cr.aliyuncs.com")?;
    let (left, region) = rest.rsplit_once('.')?;
    if !is_region_grammar(region) {
        return None;
    }
    let (left, distributed) = match left.strip_suffix(".distributed") {
        Some(l) => (l, true),
        None => (left, false),
    };
    if left.contains('.') {
        return None;
    }
    let (name, network) = if let Some(n) = left.strip_suffix("-registry-vpc") {
        (n, Network::Vpc)
    } else if let Some(n) = left.strip_suffix("-registry") {
        (n, Network::Public)
    } else {
        return None;
    };
    if !is_instance_name(name) {
        return None;
    }
    Some(AcrHost::EnterpriseDefault {
        instance_name: Cow::Borrowed(name),
        region: Cow::Borrowed(region),
        network,
        distributed,
    })
}

/// `registry[-intl][-vpc|-internal].<region>.aliyuncs.com`
fn personal_legacy(host: &str) -> Option<AcrHost<'_>> {
    let rest = host.strip_suffix(".aliyuncs.com")?;
    let (first, region) = rest.split_once('.')?;
    if !is_region_grammar(region) {
        return None;
    }
    let kind = first.strip_prefix("registry")?;
    let (kind, intl) = match kind.strip_prefix("-intl") {
        Some(k) => (k, true),
        None => (kind, false),
    };
    let network = match kind {
        "" => Network::Public,
        "-vpc" => Network::Vpc,
        "-internal" => Network::Classic,
        _ => return None,
    };
    Some(AcrHost::PersonalLegacy {
        region: Cow::Borrowed(region),
        network,
        intl,
    })
}

/// Classify a parsed registry address. A configured host without port also matches the
/// registry with no port or :443 (and a configured ":443" matches the registry without port).
/// `host` is lower-case, as [`crate::image::ImageRef`] and registry list entries give it; the
/// result borrows from it when it is borrowed.
pub fn classify_host<'a>(
    host: Cow<'a, str>,
    port: Option<u16>,
    custom: &'a [CustomDomain],
) -> AcrHost<'a> {
    if let Some(cd) = custom
        .iter()
        .find(|cd| custom_matches(&cd.host, &host, port))
    {
        return AcrHost::CustomDomain {
            host: cd.host.trim(),
            instance_id: &cd.instance_id,
            region: cd.region.as_deref(),
        };
    }
    match host {
        Cow::Borrowed(host) => builtin(host),
        Cow::Owned(host) => builtin(&host).owned(),
    }
}

/// The built-in endpoint forms.
fn builtin(host: &str) -> AcrHost<'_> {
    personal_new(host)
        .or_else(|| enterprise_default(host))
        .or_else(|| personal_legacy(host))
        .unwrap_or(AcrHost::NotAcr)
}

impl AcrHost<'_> {
    /// A built-in form that owns its texts (a custom domain borrows the settings: not one).
    fn owned(self) -> AcrHost<'static> {
        let own = |s: Cow<'_, str>| Cow::Owned(s.into_owned());
        match self {
            AcrHost::PersonalLegacy {
                region,
                network,
                intl,
            } => AcrHost::PersonalLegacy {
                region: own(region),
                network,
                intl,
            },
            AcrHost::PersonalNew {
                instance,
                region,
                network,
            } => AcrHost::PersonalNew {
                instance: own(instance),
                region: own(region),
                network,
            },
            AcrHost::EnterpriseDefault {
                instance_name,
                region,
                network,
                distributed,
            } => AcrHost::EnterpriseDefault {
                instance_name: own(instance_name),
                region: own(region),
                network,
                distributed,
            },
            AcrHost::CustomDomain { .. } | AcrHost::NotAcr => AcrHost::NotAcr,
        }
    }

    /// Anything but [`AcrHost::NotAcr`].
    pub fn is_acr(&self) -> bool {
        !matches!(self, AcrHost::NotAcr)
    }

    /// Region from the host name, or the configured region of a custom domain.
    pub fn region(&self) -> Option<&str> {
        match self {
            AcrHost::PersonalLegacy { region, .. }
            | AcrHost::PersonalNew { region, .. }
            | AcrHost::EnterpriseDefault { region, .. } => Some(region),
            AcrHost::CustomDomain { region, .. } => region.as_deref(),
            AcrHost::NotAcr => None,
        }
    }

    /// Network of a built-in endpoint; `None` for custom domains and non-ACR hosts.
    pub fn network(&self) -> Option<Network> {
        match self {
            AcrHost::PersonalLegacy { network, .. }
            | AcrHost::PersonalNew { network, .. }
            | AcrHost::EnterpriseDefault { network, .. } => Some(*network),
            AcrHost::CustomDomain { .. } | AcrHost::NotAcr => None,
        }
    }

    /// The VPC endpoint of the same registry, for the built-in forms (a custom domain's
    /// network is its owner's business).
    pub fn vpc_host(&self) -> Option<String> {
        match self {
            AcrHost::PersonalLegacy { region, intl, .. } => {
                let site = if *intl { "-intl" } else { "" };
                Some(format!("registry{site}-vpc.{region}.aliyuncs.com"))
            }
            AcrHost::PersonalNew {
                instance, region, ..
            } => Some(format!("{instance}-vpc.{region}.personal.cr.aliyuncs.com")),
            AcrHost::EnterpriseDefault {
                instance_name,
                region,
                distributed,
                ..
            } => {
                let p2p = if *distributed { ".distributed" } else { "" };
                Some(format!(
                    "{instance_name}-registry-vpc{p2p}.{region}.cr.aliyuncs.com"
                ))
            }
            AcrHost::CustomDomain { .. } | AcrHost::NotAcr => None,
        }
    }

    /// Short human phrase, e.g. `ACR Enterprise Edition default domain (instance name "test", cn-hangzhou, VPC)`.
    pub fn describe(&self) -> String {
        match self {
            AcrHost::PersonalLegacy {
                region,
                network,
                intl,
            } => {
                let site = if *intl { ", international site" } else { "" };
                format!(
                    "ACR Personal Edition shared domain ({region}, {}{site})",
                    network.label()
                )
            }
            AcrHost::PersonalNew {
                instance,
                region,
                network,
            } => format!(
                "ACR Personal Edition instance domain (instance {instance}, {region}, {})",
                network.label()
            ),
            AcrHost::EnterpriseDefault {
                instance_name,
                region,
                network,
                distributed,
            } => {
                let p2p = if *distributed {
                    ", P2P distributed"
                } else {
                    ""
                };
                format!(
                    "ACR Enterprise Edition default domain (instance name \"{instance_name}\", {region}, {}{p2p})",
                    network.label()
                )
            }
            AcrHost::CustomDomain {
                host,
                instance_id,
                region,
            } => match region {
                Some(r) => format!(
                    "ACR Enterprise Edition custom domain \"{host}\" (instance {instance_id}, {r})"
                ),
                None => format!(
                    "ACR Enterprise Edition custom domain \"{host}\" (instance {instance_id})"
                ),
            },
            AcrHost::NotAcr => "neither an ACR endpoint nor a configured custom domain".to_string(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Classify `registry` ("host[:port]"); text that is not `host[:port]` is `NotAcr`.
    fn classify<'a>(registry: &'a str, custom: &'a [CustomDomain]) -> AcrHost<'a> {
        match hostport::parse(registry.trim()) {
            Ok(hp) => classify_host(Cow::Owned(hp.host.to_ascii_lowercase()), hp.port, custom),
            Err(_) => AcrHost::NotAcr,
        }
    }

    fn legacy(region: &'static str, network: Network, intl: bool) -> AcrHost<'static> {
        AcrHost::PersonalLegacy {
            region: region.into(),
            network,
            intl,
        }
    }
    fn crpi(instance: &'static str, region: &'static str, network: Network) -> AcrHost<'static> {
        AcrHost::PersonalNew {
            instance: instance.into(),
            region: region.into(),
            network,
        }
    }
    fn ee(
        name: &'static str,
        region: &'static str,
        network: Network,
        distributed: bool,
    ) -> AcrHost<'static> {
        AcrHost::EnterpriseDefault {
            instance_name: name.into(),
            region: region.into(),
            network,
            distributed,
        }
    }
    fn custom(
        host: &'static str,
        id: &'static str,
        region: Option<&'static str>,
    ) -> AcrHost<'static> {
        AcrHost::CustomDomain {
            host,
            instance_id: id,
            region,
        }
    }

    #[test]
    fn builtin_forms() {
        use Network::*;
        let cases: Vec<(&str, AcrHost)> = vec![
            (
                "registry.cn-hangzhou.aliyuncs.com",
                legacy("cn-hangzhou", Public, false),
            ),
            (
                "registry-vpc.cn-hangzhou.aliyuncs.com",
                legacy("cn-hangzhou", Vpc, false),
            ),
            (
                "registry-internal.cn-shanghai.aliyuncs.com",
                legacy("cn-shanghai", Classic, false),
            ),
            (
                "registry-intl.ap-southeast-1.aliyuncs.com",
                legacy("ap-southeast-1", Public, true),
            ),
            (
                "registry-intl-vpc.ap-southeast-1.aliyuncs.com",
                legacy("ap-southeast-1", Vpc, true),
            ),
            (
                "registry-intl-internal.eu-central-1.aliyuncs.com",
                legacy("eu-central-1", Classic, true),
            ),
            (
                "registry.cn-shanghai-finance-1.aliyuncs.com",
                legacy("cn-shanghai-finance-1", Public, false),
            ),
            (
                "registry.cn-hangzhou.aliyuncs.com:443",
                legacy("cn-hangzhou", Public, false),
            ),
            (
                "REGISTRY-VPC.CN-Beijing.AliyunCS.com",
                legacy("cn-beijing", Vpc, false),
            ),
            (
                "crpi-ds0j5gxjdmixc0v8.cn-hangzhou.personal.cr.aliyuncs.com",
                crpi("crpi-ds0j5gxjdmixc0v8", "cn-hangzhou", Public),
            ),
            (
                "crpi-ds0j5gxjdmixc0v8-vpc.cn-hangzhou.personal.cr.aliyuncs.com",
                crpi("crpi-ds0j5gxjdmixc0v8", "cn-hangzhou", Vpc),
            ),
            (
                "CRPI-DS0J5GXJDMIXC0V8-VPC.cn-hangzhou.Personal.CR.aliyuncs.com",
                crpi("crpi-ds0j5gxjdmixc0v8", "cn-hangzhou", Vpc),
            ),
            (
                "test-registry.cn-hangzhou.cr.aliyuncs.com",
                ee("test", "cn-hangzhou", Public, false),
            ),
            (
                "test-registry-vpc.cn-beijing.cr.aliyuncs.com",
                ee("test", "cn-beijing", Vpc, false),
            ),
            (
                "cltx-her-ck-registry-vpc.cn-hangzhou.cr.aliyuncs.com",
                ee("cltx-her-ck", "cn-hangzhou", Vpc, false),
            ),
            (
                "ali-sg-acr-registry-vpc.ap-southeast-1.cr.aliyuncs.com",
                ee("ali-sg-acr", "ap-southeast-1", Vpc, false),
            ),
            (
                "my-registry-registry.cn-hangzhou.cr.aliyuncs.com",
                ee("my-registry", "cn-hangzhou", Public, false),
            ),
            (
                "test-registry.distributed.cn-hangzhou.cr.aliyuncs.com:65001",
                ee("test", "cn-hangzhou", Public, true),
            ),
            (
                "test-registry-vpc.distributed.cn-hangzhou.cr.aliyuncs.com:65001",
                ee("test", "cn-hangzhou", Vpc, true),
            ),
            (
                "abc-registry-vpc.cn-heyuan-acdr-1.cr.aliyuncs.com",
                ee("abc", "cn-heyuan-acdr-1", Vpc, false),
            ),
            (
                "fin-registry.cn-shanghai-finance-1.cr.aliyuncs.com",
                ee("fin", "cn-shanghai-finance-1", Public, false),
            ),
            (
                "Test-Registry.CN-Hangzhou.cr.aliyuncs.com:5000",
                ee("test", "cn-hangzhou", Public, false),
            ),
            (
                "dsw-registry.cn-qingdao-nebula.cr.aliyuncs.com",
                ee("dsw", "cn-qingdao-nebula", Public, false),
            ),
        ];
        for (host, want) in &cases {
            assert_eq!(classify(host, &[]), *want, "{host:?}");
            assert!(want.is_acr());
        }
    }

    #[test]
    fn known_instances_and_owners() {
        let custom = vec![CustomDomain {
            host: "acr.example.com".into(),
            instance_id: "cri-f34lmbk2rxqx41u8".into(),
            region: Some("cn-beijing".into()),
            account_id: None,
        }];
        let instances = vec![
            Instance {
                instance_id: "cri-f34lmbk2rxqx41u8".into(),
                name: "shop".into(),
                region: "cn-beijing".into(),
                account_id: Some("1300000000000002".into()),
            },
            Instance {
                instance_id: "cri-abcdefgh12345678".into(),
                name: "tools".into(),
                region: "cn-hangzhou".into(),
                account_id: None,
            },
        ];
        let known =
            |host: &'static str| known_instance(&classify(host, &custom), &custom, &instances);
        let shop = |custom_domain| {
            Some(KnownInstance {
                instance_id: "cri-f34lmbk2rxqx41u8",
                account_id: Some("1300000000000002"),
                custom_domain,
            })
        };
        // The custom domain's owner comes from the catalogued instance with the same id.
        assert_eq!(known("acr.example.com"), shop(true));
        assert_eq!(
            known("shop-registry.cn-beijing.cr.aliyuncs.com"),
            shop(false)
        );
        assert_eq!(
            known("SHOP-registry-vpc.cn-beijing.cr.aliyuncs.com"),
            shop(false)
        );
        assert_eq!(
            known("shop-registry-vpc.distributed.cn-beijing.cr.aliyuncs.com:65001"),
            shop(false)
        );
        assert_eq!(
            known("tools-registry-vpc.cn-hangzhou.cr.aliyuncs.com"),
            Some(KnownInstance {
                instance_id: "cri-abcdefgh12345678",
                account_id: None,
                custom_domain: false,
            })
        );
        // Same name in another region, other names, other kinds: unknown.
        assert_eq!(known("shop-registry.cn-hangzhou.cr.aliyuncs.com"), None);
        assert_eq!(known("other-registry.cn-beijing.cr.aliyuncs.com"), None);
        assert_eq!(known("registry.cn-beijing.aliyuncs.com"), None);
        assert_eq!(known("docker.io"), None);
    }

    #[test]
    fn classic_network_and_vpc_hosts() {
        let cases: &[(&str, bool, Option<&str>)] = &[
            (
                "registry-internal.cn-shanghai.aliyuncs.com",
                true,
                Some("registry-vpc.cn-shanghai.aliyuncs.com"),
            ),
            (
                "registry-intl-internal.eu-central-1.aliyuncs.com",
                true,
                Some("registry-intl-vpc.eu-central-1.aliyuncs.com"),
            ),
            (
                "Registry-Internal.CN-Hangzhou.aliyuncs.com:443",
                true,
                Some("registry-vpc.cn-hangzhou.aliyuncs.com"),
            ),
            (
                "registry.cn-hangzhou.aliyuncs.com",
                false,
                Some("registry-vpc.cn-hangzhou.aliyuncs.com"),
            ),
            (
                "registry-vpc.cn-hangzhou.aliyuncs.com",
                false,
                Some("registry-vpc.cn-hangzhou.aliyuncs.com"),
            ),
            (
                "crpi-ds0j5gxjdmixc0v8.cn-hangzhou.personal.cr.aliyuncs.com",
                false,
                Some("crpi-ds0j5gxjdmixc0v8-vpc.cn-hangzhou.personal.cr.aliyuncs.com"),
            ),
            (
                "shop-registry.cn-beijing.cr.aliyuncs.com",
                false,
                Some("shop-registry-vpc.cn-beijing.cr.aliyuncs.com"),
            ),
            (
                "shop-registry.distributed.cn-beijing.cr.aliyuncs.com:65001",
                false,
                Some("shop-registry-vpc.distributed.cn-beijing.cr.aliyuncs.com"),
            ),
            ("docker.io", false, None),
        ];
        for (host, classic, vpc) in cases {
            let c = classify(host, &[]);
            assert_eq!(c.network() == Some(Network::Classic), *classic, "{host:?}");
            assert_eq!(c.vpc_host().as_deref(), *vpc, "{host:?}");
        }
        // "-internal" exists only on the legacy shared domain.
        for host in [
            "shop-registry-internal.cn-beijing.cr.aliyuncs.com",
            "registry-internal-vpc.cn-beijing.aliyuncs.com",
            "crpi-ds0j5gxjdmixc0v8-internal.cn-hangzhou.personal.cr.aliyuncs.com",
        ] {
            assert_eq!(classify(host, &[]), AcrHost::NotAcr, "{host:?}");
        }
    }

    #[test]
    fn look_alikes() {
        let hosts = [
            "registry.cn-hangzhou.aliyuncs.com.evil.io",
            "evil-registry.cn-hangzhou.cr.aliyuncs.com.attacker.net",
            "registry.cn-hangzhou.aliyuncs.co",
            "registryx.cn-hangzhou.aliyuncs.com",
            "xregistry.cn-hangzhou.aliyuncs.com",
            "registry.aliyuncs.com",
            "cr.aliyuncs.com",
            "registry.x.cn-hangzhou.aliyuncs.com",
            "registry.cn-hangzhou.cr.aliyuncs.com",
            "registry.cn-hangzhou.aliyuncs.com.",
            "test-registry.cn-hangzhou.cr.aliyuncs.com.",
            "registry-vpc-intl.cn-hangzhou.aliyuncs.com",
            "registry-foo.cn-hangzhou.aliyuncs.com",
            "test-registry.hangzhou.cr.aliyuncs.com",
            "test-registry.a.cn-hangzhou.cr.aliyuncs.com",
            "-registry.cn-hangzhou.cr.aliyuncs.com",
            "ab-registry.cn-hangzhou.cr.aliyuncs.com",
            "-ab-registry.cn-hangzhou.cr.aliyuncs.com",
            "ab_c-registry.cn-hangzhou.cr.aliyuncs.com",
            &format!("{}-registry.cn-hangzhou.cr.aliyuncs.com", "a".repeat(31)),
            "test-registryx.cn-hangzhou.cr.aliyuncs.com",
            "test-registry.distributed.distributed.cn-hangzhou.cr.aliyuncs.com",
            "crpi-.cn-hangzhou.personal.cr.aliyuncs.com",
            "crpix.cn-hangzhou.personal.cr.aliyuncs.com",
            "crpi-abc.personal.cr.aliyuncs.com",
            "crpi-abc.x.cn-hangzhou.personal.cr.aliyuncs.com",
            "crpi-ds0j5gxjdmixc0v8.cn-hangzhou.personal.cr.aliyuncs.com.evil.io",
            "aliyuncs.com",
            "docker.io",
            "registry.example.com:5000",
            "localhost",
            "",
            "registry.cn-hangzhou.aliyuncs.com:abc",
            "registry.cn-hangzhou.aliyuncs.com:",
        ];
        for h in hosts {
            assert_eq!(classify(h, &[]), AcrHost::NotAcr, "{h:?}");
        }
    }

    #[test]
    fn custom_domains() {
        let cfg = vec![
            CustomDomain {
                host: "acr.example.com".into(),
                instance_id: "cri-f34lmbk2rxqx41u8".into(),
                region: Some("cn-beijing".into()),
                account_id: None,
            },
            CustomDomain {
                host: "reg.example.com:8443".into(),
                instance_id: "cri-abcdefgh12345678".into(),
                region: None,
                account_id: None,
            },
            CustomDomain {
                host: "tls.example.com:443".into(),
                instance_id: "cri-tlstlstlstlstls1".into(),
                region: None,
                account_id: None,
            },
            // A custom domain that shadows a built-in pattern wins.
            CustomDomain {
                host: "mirror-registry.cn-hangzhou.cr.aliyuncs.com".into(),
                instance_id: "cri-mirrormirror1234".into(),
                region: Some("cn-hangzhou".into()),
                account_id: None,
            },
        ];
        let a = custom(
            "acr.example.com",
            "cri-f34lmbk2rxqx41u8",
            Some("cn-beijing"),
        );
        let b = custom("reg.example.com:8443", "cri-abcdefgh12345678", None);
        let t = custom("tls.example.com:443", "cri-tlstlstlstlstls1", None);
        let m = custom(
            "mirror-registry.cn-hangzhou.cr.aliyuncs.com",
            "cri-mirrormirror1234",
            Some("cn-hangzhou"),
        );
        let cases: Vec<(&str, AcrHost)> = vec![
            ("acr.example.com", a.clone()),
            ("ACR.Example.com", a.clone()),
            ("acr.example.com:443", a.clone()),
            ("acr.example.com:5000", AcrHost::NotAcr),
            ("reg.example.com:8443", b),
            ("reg.example.com", AcrHost::NotAcr),
            ("reg.example.com:443", AcrHost::NotAcr),
            ("tls.example.com", t.clone()),
            ("tls.example.com:443", t),
            ("tls.example.com:444", AcrHost::NotAcr),
            ("x.acr.example.com", AcrHost::NotAcr),
            ("acr.example.com.evil.io", AcrHost::NotAcr),
            ("mirror-registry.cn-hangzhou.cr.aliyuncs.com", m),
            (
                "other-registry.cn-hangzhou.cr.aliyuncs.com",
                ee("other", "cn-hangzhou", Network::Public, false),
            ),
        ];
        for (host, want) in &cases {
            assert_eq!(classify(host, &cfg), *want, "{host:?}");
        }
        // Upper-case configuration is tolerated (the settings lower-case it; the variant keeps
        // the host as configured).
        let upper = vec![CustomDomain {
            host: "ACR.Example.COM".into(),
            instance_id: "cri-f34lmbk2rxqx41u8".into(),
            region: None,
            account_id: None,
        }];
        assert_eq!(
            classify("acr.example.com", &upper),
            custom("ACR.Example.COM", "cri-f34lmbk2rxqx41u8", None)
        );
    }

    #[test]
    fn accessors_and_describe() {
        let cases: Vec<(&str, Option<&str>, Option<Network>, &str)> = vec![
            (
                "registry-intl-vpc.ap-southeast-1.aliyuncs.com",
                Some("ap-southeast-1"),
                Some(Network::Vpc),
                "ACR Personal Edition shared domain (ap-southeast-1, VPC, international site)",
            ),
            (
                "registry-internal.cn-shanghai.aliyuncs.com",
                Some("cn-shanghai"),
                Some(Network::Classic),
                "ACR Personal Edition shared domain (cn-shanghai, classic network)",
            ),
            (
                "crpi-ds0j5gxjdmixc0v8.cn-hangzhou.personal.cr.aliyuncs.com",
                Some("cn-hangzhou"),
                Some(Network::Public),
                "ACR Personal Edition instance domain (instance crpi-ds0j5gxjdmixc0v8, cn-hangzhou, public)",
            ),
            (
                "test-registry-vpc.cn-hangzhou.cr.aliyuncs.com",
                Some("cn-hangzhou"),
                Some(Network::Vpc),
                "ACR Enterprise Edition default domain (instance name \"test\", cn-hangzhou, VPC)",
            ),
            (
                "test-registry.distributed.cn-hangzhou.cr.aliyuncs.com:65001",
                Some("cn-hangzhou"),
                Some(Network::Public),
                "ACR Enterprise Edition default domain (instance name \"test\", cn-hangzhou, public, P2P distributed)",
            ),
            (
                "acr.example.com",
                Some("cn-beijing"),
                None,
                "ACR Enterprise Edition custom domain \"acr.example.com\" (instance cri-f34lmbk2rxqx41u8, cn-beijing)",
            ),
            (
                "docker.io",
                None,
                None,
                "neither an ACR endpoint nor a configured custom domain",
            ),
        ];
        let cfg = vec![CustomDomain {
            host: "acr.example.com".into(),
            instance_id: "cri-f34lmbk2rxqx41u8".into(),
            region: Some("cn-beijing".into()),
            account_id: None,
        }];
        for (host, region, network, text) in &cases {
            let c = classify(host, &cfg);
            assert_eq!(c.region(), *region, "{host:?}");
            assert_eq!(c.network(), *network, "{host:?}");
            assert_eq!(c.describe(), *text, "{host:?}");
            assert_eq!(c.is_acr(), *host != "docker.io", "{host:?}");
        }
        assert_eq!(
            custom("h", "cri-f34lmbk2rxqx41u8", None).describe(),
            "ACR Enterprise Edition custom domain \"h\" (instance cri-f34lmbk2rxqx41u8)"
        );
    }

    #[test]
    fn with_image_ref() {
        let cases: &[(&str, bool)] = &[
            ("Registry.CN-Hangzhou.aliyuncs.com/ns/app:v1", true),
            (
                "test-registry-vpc.cn-beijing.cr.aliyuncs.com/ns/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                true,
            ),
            ("nginx", false),
            ("aliyuncs.com/ns/app", false),
        ];
        for (image, want) in cases {
            let r = crate::image::ImageRef::parse(image).unwrap();
            assert_eq!(
                classify(&r.registry().to_string(), &[]).is_acr(),
                *want,
                "{image:?}"
            );
        }
    }
}
