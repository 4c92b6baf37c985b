//! Policy settings (DESIGN §5): typed, unknown keys rejected, every problem reported at once.

#![forbid(unsafe_code)]

use crate::grammar::{hostport, regions, text, values};
use crate::rules::RuleId;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// How the policy decides that a pod runs on ECI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScopeMode {
    /// Only pods that show an ECI signal, carry ACR pull annotations, or live in a listed namespace.
    #[default]
    Detect,
    /// Every pod (ACK Serverless: all pods run on ECI).
    All,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EciScope {
    pub mode: ScopeMode,
    /// Namespaces (globs) whose pods are all on ECI.
    pub namespaces: Vec<String>,
}

/// An ACR Enterprise Edition instance reached through a custom domain (the classifier's own type).
pub use crate::acr::CustomDomain as CustomDomainSetting;
/// An ACR Enterprise Edition instance known by its default domain (the classifier's own type).
pub use crate::acr::Instance as InstanceSetting;

/// Who may borrow which roles and instances.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccessEntry {
    /// Namespace globs; the first entry that matches wins.
    pub namespaces: Vec<String>,
    pub service_role_arns: Vec<String>,
    pub user_role_arns: Vec<String>,
    pub instance_ids: Vec<String>,
    /// Globs of RAM role names for `k8s.aliyun.com/eci-ram-role-name`; `None`: not checked.
    pub ram_role_names: Option<Vec<String>>,
}

/// A per-rule override.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSetting {
    Deny,
    Warn,
    Off,
}

/// Everything the policy can be told. `Settings::default()` is what `{}` means.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settings {
    pub cluster_region: Option<String>,
    pub account_id: Option<String>,
    pub eci_scope: EciScope,
    pub custom_domains: Vec<CustomDomainSetting>,
    /// Enterprise Edition instances by default domain, with their owning accounts.
    pub instances: Vec<InstanceSetting>,
    pub anonymous_images: Vec<String>,
    /// `None`: access control off. `Some(entries)`: on, closed for namespaces no entry matches.
    pub access: Option<Vec<AccessEntry>>,
    pub mutate: bool,
    pub rules: BTreeMap<RuleId, RuleSetting>,
}

/// One problem in the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// Dotted path, e.g. `customDomains[0].instanceId`.
    pub path: String,
    pub message: String,
}

/// All problems found in the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsErrors(pub Vec<SettingsError>);

impl fmt::Display for SettingsErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} problem{} in settings: ",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            if e.path.is_empty() {
                write!(f, "{}", e.message)?;
            } else {
                write!(f, "{}: {}", e.path, e.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for SettingsErrors {}

const KEYS: &[&str] = &[
    "clusterRegion",
    "accountId",
    "eciScope",
    "customDomains",
    "instances",
    "anonymousImages",
    "access",
    "mutate",
    "rules",
];

struct Collector(Vec<SettingsError>);

impl Collector {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(SettingsError {
            path: path.into(),
            message: message.into(),
        });
    }

    fn unknown_keys(&mut self, map: &Map<String, Value>, known: &[&str], at: &str) {
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                let hint = known
                    .iter()
                    .filter_map(|k| {
                        text::edit_distance(&key.to_lowercase(), &k.to_lowercase(), 3)
                            .map(|d| (d, *k))
                    })
                    .min()
                    .map(|(_, k)| format!(" (did you mean {k}?)"))
                    .unwrap_or_default();
                self.err(
                    join(at, key),
                    format!("unknown key{hint}; known keys: {}", known.join(", ")),
                );
            }
        }
    }

    fn string(&mut self, v: &Value, path: &str) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            other => {
                self.err(
                    path,
                    format!("must be a string, found {}", type_name(other)),
                );
                None
            }
        }
    }

    fn strings(&mut self, v: &Value, path: &str) -> Vec<String> {
        match v {
            Value::Null => Vec::new(),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| self.string(item, &format!("{path}[{i}]")))
                .collect(),
            other => {
                self.err(
                    path,
                    format!("must be a list of strings, found {}", type_name(other)),
                );
                Vec::new()
            }
        }
    }

    /// An Alibaba Cloud account id: a string (or an integer) of 16 digits.
    fn account_id(&mut self, v: &Value, path: &str) -> Option<String> {
        let text = match v {
            Value::String(t) => t.clone(),
            Value::Number(n) if n.is_u64() => n.to_string(),
            other => {
                self.err(
                    path,
                    format!("must be a string of 16 digits, found {}", type_name(other)),
                );
                return None;
            }
        };
        if values::is_account_id(&text) {
            Some(text)
        } else {
            self.err(
                path,
                format!("{text:?} is not an Alibaba Cloud account id (16 digits)"),
            );
            None
        }
    }

    fn object<'a>(&mut self, v: &'a Value, path: &str) -> Option<&'a Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.err(
                    path,
                    format!("must be a mapping, found {}", type_name(other)),
                );
                None
            }
        }
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

impl Settings {
    /// Parse settings from JSON text.
    pub fn from_json(s: &str) -> Result<Settings, SettingsErrors> {
        if s.trim().is_empty() {
            return Ok(Settings::default());
        }
        let value: Value = serde_json::from_str(s).map_err(|e| {
            SettingsErrors(vec![SettingsError {
                path: String::new(),
                message: format!("settings are not valid JSON: {e}"),
            }])
        })?;
        Settings::from_value(&value)
    }

    /// Parse settings from YAML text (JSON is YAML too).
    #[cfg(feature = "yaml")]
    pub fn from_yaml(s: &str) -> Result<Settings, SettingsErrors> {
        let value = crate::yaml::to_value(s).map_err(|e| {
            SettingsErrors(vec![SettingsError {
                path: String::new(),
                message: format!("settings are not valid YAML: {e}"),
            }])
        })?;
        Settings::from_value(&value)
    }

    /// Validate and convert an already parsed settings document. `null` means defaults.
    pub fn from_value(value: &Value) -> Result<Settings, SettingsErrors> {
        let mut c = Collector(Vec::new());
        let mut s = Settings::default();
        let map = match value {
            Value::Null => return Ok(s),
            Value::Object(m) => m,
            other => {
                c.err(
                    "",
                    format!("settings must be a mapping, found {}", type_name(other)),
                );
                return Err(SettingsErrors(c.0));
            }
        };
        c.unknown_keys(map, KEYS, "");

        if let Some(v) = map.get("clusterRegion").filter(|v| !v.is_null())
            && let Some(region) = c.string(v, "clusterRegion")
        {
            if regions::is_region_grammar(&region) {
                s.cluster_region = Some(region);
            } else {
                c.err(
                    "clusterRegion",
                    format!("{region:?} is not a region id (expected e.g. cn-hangzhou)"),
                );
            }
        }

        if let Some(v) = map.get("accountId").filter(|v| !v.is_null()) {
            s.account_id = c.account_id(v, "accountId");
        }

        if let Some(v) = map.get("eciScope").filter(|v| !v.is_null())
            && let Some(m) = c.object(v, "eciScope")
        {
            c.unknown_keys(m, &["mode", "namespaces"], "eciScope");
            if let Some(mode) = m.get("mode").filter(|v| !v.is_null()) {
                match c.string(mode, "eciScope.mode").as_deref() {
                    Some("detect") => s.eci_scope.mode = ScopeMode::Detect,
                    Some("all") => s.eci_scope.mode = ScopeMode::All,
                    Some(other) => c.err(
                        "eciScope.mode",
                        format!("{other:?} is not a mode; use detect or all"),
                    ),
                    None => {}
                }
            }
            if let Some(ns) = m.get("namespaces") {
                s.eci_scope.namespaces = c.strings(ns, "eciScope.namespaces");
            }
        }

        // Where each accepted entry sits in the document, for messages.
        let mut domain_at = Vec::new();
        let mut instance_at = Vec::new();
        if let Some(v) = map.get("customDomains").filter(|v| !v.is_null()) {
            match v {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let at = format!("customDomains[{i}]");
                        if let Some(d) = parse_custom_domain(&mut c, item, &at) {
                            if s.custom_domains.iter().any(|o| o.host == d.host) {
                                c.err(
                                    format!("{at}.host"),
                                    format!("{:?} is listed twice", d.host),
                                );
                            } else {
                                s.custom_domains.push(d);
                                domain_at.push(i);
                            }
                        }
                    }
                }
                other => c.err(
                    "customDomains",
                    format!("must be a list, found {}", type_name(other)),
                ),
            }
        }

        if let Some(v) = map.get("instances").filter(|v| !v.is_null()) {
            match v {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let at = format!("instances[{i}]");
                        let Some(inst) = parse_instance(&mut c, item, &at) else {
                            continue;
                        };
                        if s.instances
                            .iter()
                            .any(|o| o.instance_id == inst.instance_id)
                        {
                            c.err(
                                format!("{at}.instanceId"),
                                format!("{:?} is listed twice", inst.instance_id),
                            );
                        } else if s
                            .instances
                            .iter()
                            .any(|o| o.name == inst.name && o.region == inst.region)
                        {
                            c.err(
                                format!("{at}.name"),
                                format!(
                                    "{:?} in {} is listed twice (an instance name is unique in its region)",
                                    inst.name, inst.region
                                ),
                            );
                        } else {
                            s.instances.push(inst);
                            instance_at.push(i);
                        }
                    }
                }
                other => c.err(
                    "instances",
                    format!("must be a list, found {}", type_name(other)),
                ),
            }
        }
        ownership_agrees(&mut c, &s, &domain_at, &instance_at);

        if let Some(v) = map.get("anonymousImages") {
            s.anonymous_images = c.strings(v, "anonymousImages");
            for (i, p) in s.anonymous_images.iter().enumerate() {
                if p.trim().is_empty() {
                    c.0.push(SettingsError {
                        path: format!("anonymousImages[{i}]"),
                        message: "empty pattern".into(),
                    });
                }
            }
        }

        if let Some(v) = map.get("access").filter(|v| !v.is_null()) {
            match v {
                Value::Array(items) => {
                    let mut entries = Vec::new();
                    for (i, item) in items.iter().enumerate() {
                        if let Some(e) = parse_access(&mut c, item, &format!("access[{i}]")) {
                            entries.push(e);
                        }
                    }
                    s.access = Some(entries);
                }
                other => c.err(
                    "access",
                    format!("must be a list, found {}", type_name(other)),
                ),
            }
        }

        if let Some(v) = map.get("mutate").filter(|v| !v.is_null()) {
            match v {
                Value::Bool(b) => s.mutate = *b,
                other => c.err(
                    "mutate",
                    format!("must be true or false, found {}", type_name(other)),
                ),
            }
        }

        if let Some(v) = map.get("rules").filter(|v| !v.is_null())
            && let Some(m) = c.object(v, "rules")
        {
            for (id, action) in m {
                let at = format!("rules.{id}");
                let Some(rule) = RuleId::from_id(id) else {
                    let hint = RuleId::ALL
                        .iter()
                        .filter_map(|r| text::edit_distance(id, r.id(), 4).map(|d| (d, r.id())))
                        .min()
                        .map(|(_, r)| format!(" (did you mean {r}?)"))
                        .unwrap_or_default();
                    c.err(
                        at,
                        format!("unknown rule id{hint}; `secretfree rules` lists them"),
                    );
                    continue;
                };
                // YAML 1.1 readers turn a bare `off` into false.
                let off = Value::String("off".into());
                let action = if *action == Value::Bool(false) {
                    &off
                } else {
                    action
                };
                let setting = match c.string(action, &at).as_deref() {
                    Some("deny") => RuleSetting::Deny,
                    Some("warn") => RuleSetting::Warn,
                    Some("off") => RuleSetting::Off,
                    Some(other) => {
                        c.err(
                            at,
                            format!("{other:?} is not an action; use deny, warn or off"),
                        );
                        continue;
                    }
                    None => continue,
                };
                if rule == RuleId::RequestInvalid && setting != RuleSetting::Deny {
                    c.err(
                        at,
                        "request-invalid always denies: malformed input fails closed",
                    );
                    continue;
                }
                s.rules.insert(rule, setting);
            }
        }

        if c.0.is_empty() {
            Ok(s)
        } else {
            // Same order on every host, whatever the map implementation.
            c.0.sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
            Err(SettingsErrors(c.0))
        }
    }

    /// The access entry that governs `namespace` (`*` for cluster-scoped objects).
    pub fn access_for(&self, namespace: &str) -> Option<Option<&AccessEntry>> {
        self.access.as_ref().map(|entries| {
            entries
                .iter()
                .find(|e| e.namespaces.iter().any(|p| text::glob_match(p, namespace)))
        })
    }
}

fn parse_custom_domain(c: &mut Collector, item: &Value, at: &str) -> Option<CustomDomainSetting> {
    let m = c.object(item, at)?;
    c.unknown_keys(m, &["host", "instanceId", "region", "accountId"], at);
    let host = match m.get("host") {
        Some(v) => c.string(v, &join(at, "host")),
        None => {
            c.err(
                join(at, "host"),
                "required: the custom domain, e.g. registry.example.com",
            );
            None
        }
    };
    let host = host.and_then(|h| {
        let h = h.trim().to_ascii_lowercase();
        if hostport::parse(&h).is_ok_and(|hp| hp.is_rfc1123()) {
            Some(h)
        } else {
            c.err(
                join(at, "host"),
                format!("{h:?} is not host[:port] (no scheme, no path)"),
            );
            None
        }
    });
    let instance_id = match m.get("instanceId") {
        Some(v) => c.string(v, &join(at, "instanceId")).and_then(|id| {
            if values::is_cri_id(&id) {
                Some(id)
            } else {
                c.err(join(at, "instanceId"), format!("{id:?} is not an ACR instance id (cri- and 16 lower-case letters or digits)"));
                None
            }
        }),
        None => {
            c.err(join(at, "instanceId"), "required: the ACR Enterprise Edition instance id (cri-...)");
            None
        }
    };
    let region = match m.get("region").filter(|v| !v.is_null()) {
        Some(v) => match c.string(v, &join(at, "region")) {
            Some(r) if regions::is_region_grammar(&r) => Some(Some(r)),
            Some(r) => {
                c.err(
                    join(at, "region"),
                    format!("{r:?} is not a region id (expected e.g. cn-beijing)"),
                );
                None
            }
            None => None,
        },
        None => Some(None),
    };
    let account_id = match m.get("accountId").filter(|v| !v.is_null()) {
        Some(v) => Some(c.account_id(v, &join(at, "accountId"))?),
        None => None,
    };
    Some(CustomDomainSetting {
        host: host?,
        instance_id: instance_id?,
        region: region?,
        account_id,
    })
}

/// One `instances` entry: `instanceId`, `name`, `region` required, `accountId` optional.
fn parse_instance(c: &mut Collector, item: &Value, at: &str) -> Option<InstanceSetting> {
    let m = c.object(item, at)?;
    c.unknown_keys(m, &["instanceId", "name", "region", "accountId"], at);
    let mut required = |key: &str, what: &str| match m.get(key).filter(|v| !v.is_null()) {
        Some(v) => c.string(v, &join(at, key)),
        None => {
            c.err(join(at, key), format!("required: {what}"));
            None
        }
    };
    let instance_id = required(
        "instanceId",
        "the ACR Enterprise Edition instance id (cri-...)",
    );
    let name = required(
        "name",
        "the instance name, as in <name>-registry.<region>.cr.aliyuncs.com",
    );
    let region = required("region", "the instance's region id, e.g. cn-shanghai");
    let instance_id = instance_id.filter(|id| {
        let ok = values::is_cri_id(id);
        if !ok {
            c.err(
                join(at, "instanceId"),
                format!(
                    "{id:?} is not an ACR instance id (cri- and 16 lower-case letters or digits)"
                ),
            );
        }
        ok
    });
    let name = name.filter(|n| {
        let ok = crate::acr::is_instance_name(n);
        if !ok {
            c.err(
                join(at, "name"),
                format!("{n:?} is not an instance name (3 to 30 lower-case letters, digits and '-', not starting or ending with '-'), as in <name>-registry.<region>.cr.aliyuncs.com"),
            );
        }
        ok
    });
    let region = region.filter(|r| {
        let ok = regions::is_region_grammar(r);
        if !ok {
            c.err(
                join(at, "region"),
                format!("{r:?} is not a region id (expected e.g. cn-shanghai)"),
            );
        }
        ok
    });
    let account_id = match m.get("accountId").filter(|v| !v.is_null()) {
        Some(v) => Some(c.account_id(v, &join(at, "accountId"))?),
        None => None,
    };
    Some(InstanceSetting {
        instance_id: instance_id?,
        name: name?,
        region: region?,
        account_id,
    })
}

/// Entries that name the same instance must agree on its owner and region.
fn ownership_agrees(c: &mut Collector, s: &Settings, domain_at: &[usize], instance_at: &[usize]) {
    let domains = s.custom_domains.iter().zip(domain_at).enumerate();
    for (i, (d, di)) in domains {
        let at = format!("customDomains[{di}]");
        for (inst, j) in s.instances.iter().zip(instance_at) {
            if inst.instance_id != d.instance_id {
                continue;
            }
            if let (Some(a), Some(b)) = (&d.account_id, &inst.account_id)
                && a != b
            {
                c.err(
                    format!("{at}.accountId"),
                    format!("{a:?} disagrees with instances[{j}].accountId {b:?} for the same instance {}", d.instance_id),
                );
            }
            if let Some(r) = &d.region
                && *r != inst.region
            {
                c.err(
                    format!("{at}.region"),
                    format!(
                        "{r:?} disagrees with instances[{j}].region {:?} for the same instance {}",
                        inst.region, d.instance_id
                    ),
                );
            }
        }
        for (other, k) in s.custom_domains.iter().zip(domain_at).take(i) {
            if let (true, Some(a), Some(b)) = (
                other.instance_id == d.instance_id,
                &d.account_id,
                &other.account_id,
            ) && a != b
            {
                c.err(
                    format!("{at}.accountId"),
                    format!("{a:?} disagrees with customDomains[{k}].accountId {b:?} for the same instance {}", d.instance_id),
                );
            }
        }
    }
}

fn parse_access(c: &mut Collector, item: &Value, at: &str) -> Option<AccessEntry> {
    let m = c.object(item, at)?;
    c.unknown_keys(
        m,
        &[
            "namespaces",
            "serviceRoleArns",
            "userRoleArns",
            "instanceIds",
            "ramRoleNames",
        ],
        at,
    );
    let namespaces = match m.get("namespaces") {
        Some(v) => c.strings(v, &join(at, "namespaces")),
        None => Vec::new(),
    };
    if namespaces.is_empty() {
        c.err(join(at, "namespaces"), "required: at least one namespace (glob; \"*\" matches all, and cluster-scoped ImageCache objects)");
    }
    let mut list = |key: &str| {
        m.get(key)
            .map(|v| c.strings(v, &join(at, key)))
            .unwrap_or_default()
    };
    let entry = AccessEntry {
        namespaces,
        service_role_arns: list("serviceRoleArns"),
        user_role_arns: list("userRoleArns"),
        instance_ids: list("instanceIds"),
        ram_role_names: m
            .get("ramRoleNames")
            .map(|v| c.strings(v, &join(at, "ramRoleNames"))),
    };
    for (key, arns) in [
        ("serviceRoleArns", &entry.service_role_arns),
        ("userRoleArns", &entry.user_role_arns),
    ] {
        for (i, arn) in arns.iter().enumerate() {
            if !arn.contains('*') && !arn.contains('?') && values::parse_role_arn(arn).is_err() {
                c.err(
                    format!("{at}.{key}[{i}]"),
                    format!("{arn:?} is not a RAM role ARN (acs:ram::<16 digits>:role/<name>)"),
                );
            }
        }
    }
    for (i, name) in entry.ram_role_names.iter().flatten().enumerate() {
        if !name.contains('*') && !name.contains('?') && !values::is_role_name(name) {
            c.err(
                format!("{at}.ramRoleNames[{i}]"),
                format!(
                    "{name:?} is not a RAM role name (1 to 64 letters, digits, '.', '-' or '_')"
                ),
            );
        }
    }
    for (i, id) in entry.instance_ids.iter().enumerate() {
        if !id.contains('*') && !id.contains('?') && !values::is_cri_id(id) {
            c.err(
                format!("{at}.instanceIds[{i}]"),
                format!("{id:?} is not an ACR instance id (cri-...; without region prefix)"),
            );
        }
    }
    Some(entry)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn empty_means_default() {
        assert_eq!(Settings::from_json("{}").unwrap(), Settings::default());
        assert_eq!(Settings::from_json("").unwrap(), Settings::default());
        assert_eq!(Settings::from_json("null").unwrap(), Settings::default());
    }

    #[test]
    fn every_problem_is_reported() {
        let errs = Settings::from_json(
            r#"{"clusterRegion":"cn_hangzhou","accountId":"123","mutate":"yes","colour":1,
               "customDomains":[{"host":"https://x.example.com","instanceId":"cri-1"}],
               "rules":{"pull-secret-redundnat":"deny","image-invalid":"maybe"}}"#,
        )
        .unwrap_err();
        let paths: Vec<&str> = errs.0.iter().map(|e| e.path.as_str()).collect();
        for p in [
            "clusterRegion",
            "accountId",
            "mutate",
            "colour",
            "customDomains[0].host",
            "customDomains[0].instanceId",
            "rules.pull-secret-redundnat",
            "rules.image-invalid",
        ] {
            assert!(paths.contains(&p), "{p} missing in {paths:?}");
        }
        assert!(
            errs.to_string()
                .contains("did you mean pull-secret-redundant")
        );
    }

    #[test]
    fn registry_ownership() {
        let s = Settings::from_json(
            r#"{"accountId":"1609982529000000",
               "customDomains":[{"host":"images.example.com","instanceId":"cri-j36zhodptmyq1234","accountId":"1300000000000002"}],
               "instances":[{"instanceId":"cri-nwj395hgf6f3abcd","name":"shop","region":"cn-shanghai","accountId":1609982529000000},
                            {"instanceId":"cri-j36zhodptmyq1234","name":"partner","region":"cn-beijing"}]}"#,
        )
        .unwrap();
        assert_eq!(
            s.custom_domains[0].account_id.as_deref(),
            Some("1300000000000002")
        );
        assert_eq!(s.instances[0].name, "shop");
        assert_eq!(
            s.instances[0].account_id.as_deref(),
            Some("1609982529000000")
        );
        assert_eq!(s.instances[1].account_id, None);

        let errs = Settings::from_json(
            r#"{"customDomains":[{"host":"a.example.com","instanceId":"cri-j36zhodptmyq1234","accountId":"13","acountId":"x"},
                                 {"host":"b.example.com","instanceId":"cri-nwj395hgf6f3abcd","accountId":"1300000000000002","region":"cn-beijing"}],
               "instance":[],
               "instances":[{"instanceId":"cri-1","name":"-bad","region":"Shanghai","accountId":true,"nmae":"x"},
                            {"name":"shop"},
                            {"instanceId":"cri-nwj395hgf6f3abcd","name":"shop","region":"cn-shanghai","accountId":"1300000000000003"},
                            {"instanceId":"cri-nwj395hgf6f3abcd","name":"shop2","region":"cn-shanghai"},
                            {"instanceId":"cri-aaaaaaaaaaaaaaaa","name":"shop","region":"cn-shanghai"}]}"#,
        )
        .unwrap_err();
        let text = errs.to_string();
        for want in [
            "customDomains[0].accountId: \"13\" is not an Alibaba Cloud account id",
            "customDomains[0].acountId: unknown key (did you mean accountId?)",
            "instance: unknown key (did you mean instances?)",
            "instances[0].instanceId: \"cri-1\" is not an ACR instance id",
            "instances[0].name: \"-bad\" is not an instance name",
            "instances[0].region: \"Shanghai\" is not a region id",
            "instances[0].accountId: must be a string of 16 digits, found a boolean",
            "instances[0].nmae: unknown key (did you mean name?)",
            "instances[1].instanceId: required",
            "instances[1].region: required",
            "instances[3].instanceId: \"cri-nwj395hgf6f3abcd\" is listed twice",
            "instances[4].name: \"shop\" in cn-shanghai is listed twice",
            "customDomains[1].accountId: \"1300000000000002\" disagrees with instances[2].accountId \"1300000000000003\"",
            "customDomains[1].region: \"cn-beijing\" disagrees with instances[2].region \"cn-shanghai\"",
        ] {
            assert!(text.contains(want), "{want} missing in {text}");
        }
    }

    #[test]
    fn full_settings_parse() {
        let s = Settings::from_json(
            r#"{"clusterRegion":"cn-hangzhou","accountId":1609982529000000,
               "eciScope":{"mode":"all","namespaces":["a"]},
               "customDomains":[{"host":"Registry.Example.com","instanceId":"cri-j36zhodptmyq1234","region":"cn-beijing"}],
               "anonymousImages":["docker.io/library/*"],
               "access":[{"namespaces":["team-a"],"serviceRoleArns":["acs:ram::1609982529000000:role/acr"],"instanceIds":["cri-j36zhodptmyq1234"]}],
               "mutate":true,"rules":{"annotations-off-eci":"off"}}"#,
        )
        .unwrap();
        assert_eq!(s.account_id.as_deref(), Some("1609982529000000"));
        assert_eq!(s.custom_domains[0].host, "registry.example.com");
        assert_eq!(s.eci_scope.mode, ScopeMode::All);
        assert!(s.mutate);
        assert_eq!(
            s.rules.get(&RuleId::AnnotationsOffEci),
            Some(&RuleSetting::Off)
        );
        assert!(s.access_for("team-a").unwrap().is_some());
        assert!(s.access_for("team-b").unwrap().is_none());
    }
}
