//! Policy settings (DESIGN §5): typed, unknown keys rejected, every problem reported at once.

#![forbid(unsafe_code)]

mod parse;

use crate::grammar::text::Quoted;
use crate::grammar::{regions, text};
use crate::rules::RuleId;
use parse::{
    Collector, ownership_agrees, parse_access, parse_custom_domain, parse_instance, type_name,
};
use serde_json::Value;
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

/// The per-rule overrides, at most one per rule, in rule order (a list: a map type would add
/// its own code, and there are a few dozen rules at most).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleSettings(Vec<(RuleId, RuleSetting)>);

impl RuleSettings {
    /// The override of `rule`, if any.
    pub fn get(&self, rule: &RuleId) -> Option<&RuleSetting> {
        self.0.iter().find(|(r, _)| r == rule).map(|(_, s)| s)
    }

    /// Set the override of `rule`; returns the one it replaces.
    pub fn insert(&mut self, rule: RuleId, setting: RuleSetting) -> Option<RuleSetting> {
        if let Some((_, s)) = self.0.iter_mut().find(|(r, _)| *r == rule) {
            return Some(std::mem::replace(s, setting));
        }
        let at = self
            .0
            .iter()
            .position(|(r, _)| *r > rule)
            .unwrap_or(self.0.len());
        self.0.insert(at, (rule, setting));
        None
    }

    /// Every override, in rule order.
    pub fn iter(&self) -> impl Iterator<Item = (RuleId, RuleSetting)> + '_ {
        self.0.iter().copied()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
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
    pub rules: RuleSettings,
    /// The rules an object may turn off with `secretfree.io/skip`. `None`: every rule but the
    /// access gate (see [`Settings::may_skip`]).
    pub allow_skip: Option<Vec<RuleId>>,
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

/// ` (did you mean <rule>?)` for a near-miss of a rule id, else empty.
pub(crate) fn rule_hint(id: &str) -> String {
    RuleId::ALL
        .iter()
        .filter_map(|r| text::edit_distance(id, r.id(), 4).map(|d| (d, r.id())))
        .min()
        .map(|(_, r)| format!(" (did you mean {r}?)"))
        .unwrap_or_default()
}

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
    "allowSkip",
];

impl Settings {
    /// Parse settings from JSON text.
    pub fn from_json(s: &str) -> Result<Settings, SettingsErrors> {
        if s.trim().is_empty() {
            return Ok(Settings::default());
        }
        let value = crate::json::tree::from_str(s).map_err(|e| {
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
        Settings::from_value_ignoring(value, &[])
    }

    /// [`Settings::from_value`], passing over the top-level keys `ignored` (a host's own keys
    /// beside the settings) instead of calling them unknown.
    pub(crate) fn from_value_ignoring(
        value: &Value,
        ignored: &[&str],
    ) -> Result<Settings, SettingsErrors> {
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
        c.unknown_keys(map, KEYS, "", ignored);

        if let Some(v) = map.get("clusterRegion").filter(|v| !v.is_null())
            && let Some(region) = c.string(v, "clusterRegion")
        {
            if regions::is_region_grammar(&region) {
                s.cluster_region = Some(region);
            } else {
                c.err(
                    "clusterRegion",
                    format!(
                        "{region:?} is not a region id (expected e.g. cn-hangzhou)",
                        region = Quoted(&region)
                    ),
                );
            }
        }

        if let Some(v) = map.get("accountId").filter(|v| !v.is_null()) {
            s.account_id = c.account_id(v, "accountId");
        }

        if let Some(v) = map.get("eciScope").filter(|v| !v.is_null())
            && let Some(m) = c.object(v, "eciScope")
        {
            c.unknown_keys(m, &["mode", "namespaces"], "eciScope", &[]);
            if let Some(mode) = m.get("mode").filter(|v| !v.is_null()) {
                match c.string(mode, "eciScope.mode").as_deref() {
                    Some("detect") => s.eci_scope.mode = ScopeMode::Detect,
                    Some("all") => s.eci_scope.mode = ScopeMode::All,
                    Some(other) => c.err(
                        "eciScope.mode",
                        format!(
                            "{other:?} is not a mode; use detect or all",
                            other = Quoted(other)
                        ),
                    ),
                    None => {}
                }
            }
            if let Some(ns) = m.get("namespaces") {
                s.eci_scope.namespaces = c.strings(ns, &"eciScope.namespaces");
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
                                    format!("{:?} is listed twice", Quoted(&d.host)),
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
                                format!("{:?} is listed twice", Quoted(&inst.instance_id)),
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
                                    Quoted(&inst.name), inst.region
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
            s.anonymous_images = c.strings(v, &"anonymousImages");
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
                    c.err(
                        at,
                        format!(
                            "unknown rule id{}; `secretfree rules` lists them",
                            rule_hint(id)
                        ),
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
                            format!(
                                "{other:?} is not an action; use deny, warn or off",
                                other = Quoted(other)
                            ),
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

        if let Some(v) = map.get("allowSkip").filter(|v| !v.is_null()) {
            let mut allowed = Vec::new();
            for (i, id) in c.strings(v, &"allowSkip").iter().enumerate() {
                let at = format!("allowSkip[{i}]");
                match RuleId::from_id(id) {
                    None => c.err(at, format!("unknown rule id{}; `secretfree rules` lists them", rule_hint(id))),
                    Some(rule @ (RuleId::RequestInvalid | RuleId::RuleSkipped)) => c.err(
                        at,
                        format!("{rule} cannot be skipped: malformed input fails closed, and a skip is always reported"),
                    ),
                    Some(rule) if !allowed.contains(&rule) => allowed.push(rule),
                    Some(_) => {}
                }
            }
            s.allow_skip = Some(allowed);
        }

        if c.0.is_empty() {
            Ok(s)
        } else {
            // Same order on every host, whatever the map implementation.
            crate::sort::sort_by(&mut c.0, |a, b| {
                (&a.path, &a.message).cmp(&(&b.path, &b.message))
            });
            Err(SettingsErrors(c.0))
        }
    }

    /// What the settings name that is valid but likely a mistake, one warning per problem (the
    /// policy runs with them as written): a region id (`clusterRegion`, `customDomains[].region`,
    /// `instances[].region`) that fits the grammar but is not a known region, with the closest
    /// known one ("did you mean cn-hangzhou?"). A mistyped `clusterRegion` would otherwise make
    /// every same-region instance look like another region's.
    pub fn warnings(&self) -> Vec<SettingsError> {
        let mut out = Vec::new();
        let mut check = |path: String, region: &str| {
            if regions::is_known_region(region) {
                return;
            }
            let hint = nearest_region(region)
                .map(|r| format!("; did you mean {r}?"))
                .unwrap_or_default();
            out.push(SettingsError {
                path,
                message: format!("{region} is not a known region{hint}"),
            });
        };
        if let Some(r) = &self.cluster_region {
            check("clusterRegion".into(), r);
        }
        for (i, d) in self.custom_domains.iter().enumerate() {
            if let Some(r) = &d.region {
                check(format!("customDomains[{i}].region"), r);
            }
        }
        for (i, inst) in self.instances.iter().enumerate() {
            check(format!("instances[{i}].region"), &inst.region);
        }
        out
    }

    /// Whether an object may turn `rule` off with `secretfree.io/skip`: the rules `allowSkip`
    /// lists, or by default every rule but the access gate (which limits what the writer of
    /// the object may borrow), `request-invalid` and `rule-skipped` itself.
    pub fn may_skip(&self, rule: RuleId) -> bool {
        if matches!(rule, RuleId::RequestInvalid | RuleId::RuleSkipped) {
            return false;
        }
        match &self.allow_skip {
            Some(allowed) => allowed.contains(&rule),
            None => rule.category() != crate::rules::Category::Access,
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

/// The known region closest to `s` by edit distance (at most 3), when one is closest.
fn nearest_region(s: &str) -> Option<&'static str> {
    if let Some(r) = regions::closest_region(s) {
        return Some(r);
    }
    let mut best: Option<(usize, &'static str)> = None;
    let mut tie = false;
    for &r in regions::KNOWN_REGIONS {
        if let Some(d) = text::edit_distance(s, r, 3) {
            match best {
                Some((b, _)) if d > b => {}
                Some((b, _)) if d == b => tie = true,
                _ => {
                    best = Some((d, r));
                    tie = false;
                }
            }
        }
    }
    best.filter(|_| !tie).map(|(_, r)| r)
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
    fn unknown_regions_warn_with_the_closest_known_one() {
        let s = Settings::from_yaml(
            "clusterRegion: cn-hangzhu\ncustomDomains: [{host: r.example.com, instanceId: cri-j36zhodptmyq1234, region: cn-beijing}]\ninstances: [{instanceId: cri-nwj395hgf6f3abcd, name: shop, region: xx-nowhere-9}]\n",
        )
        .unwrap();
        let w = s.warnings();
        assert_eq!(w.len(), 2, "{w:?}");
        assert_eq!(w[0].path, "clusterRegion");
        assert_eq!(
            w[0].message,
            "cn-hangzhu is not a known region; did you mean cn-hangzhou?"
        );
        assert_eq!(w[1].path, "instances[0].region");
        assert_eq!(w[1].message, "xx-nowhere-9 is not a known region");
        let known = Settings::from_yaml("clusterRegion: cn-hangzhou\n").unwrap();
        assert!(known.warnings().is_empty());
    }

    #[test]
    fn allow_skip_names_rules_and_replaces_the_default() {
        let s = Settings::default();
        assert!(s.may_skip(RuleId::PlaceholderValue));
        for gate in [
            RuleId::RoleNotAllowed,
            RuleId::InstanceNotAllowed,
            RuleId::RamRoleNotAllowed,
            RuleId::RequestInvalid,
            RuleId::RuleSkipped,
        ] {
            assert!(!s.may_skip(gate), "{gate}");
        }
        let s = Settings::from_json(r#"{"allowSkip":["role-not-allowed","role-not-allowed"]}"#)
            .unwrap();
        assert_eq!(s.allow_skip, Some(vec![RuleId::RoleNotAllowed]));
        assert!(s.may_skip(RuleId::RoleNotAllowed) && !s.may_skip(RuleId::PlaceholderValue));
        let errs = Settings::from_json(
            r#"{"allowSkip":["role-not-alowed","request-invalid","rule-skipped"]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            errs.contains("allowSkip[0]: unknown rule id (did you mean role-not-allowed?)"),
            "{errs}"
        );
        assert!(
            errs.contains("allowSkip[1]: request-invalid cannot be skipped"),
            "{errs}"
        );
        assert!(
            errs.contains("allowSkip[2]: rule-skipped cannot be skipped"),
            "{errs}"
        );
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
