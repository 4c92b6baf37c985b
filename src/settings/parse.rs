//! Reading settings: every problem collected with its path (the `Collector`), and the parsers
//! of the list entries (custom domains, instances, access entries).

use super::{AccessEntry, CustomDomainSetting, InstanceSetting, Settings, SettingsError};
use crate::grammar::text::Quoted;
use crate::grammar::{hostport, regions, text, values};
pub(super) use crate::json::type_name;
use serde_json::{Map, Value};
use std::fmt;

pub(super) struct Collector(pub(super) Vec<SettingsError>);

impl Collector {
    /// A problem at `path` (written only here: most settings have none).
    pub(super) fn err(&mut self, path: impl fmt::Display, message: impl Into<String>) {
        self.push(path.to_string(), message.into());
    }

    /// [`Collector::err`] past its conversions: one copy, not one per argument type.
    fn push(&mut self, path: String, message: String) {
        self.0.push(SettingsError { path, message });
    }

    pub(super) fn unknown_keys(
        &mut self,
        map: &Map<String, Value>,
        known: &[&str],
        at: &str,
        ignored: &[&str],
    ) {
        for key in map.keys() {
            if !known.contains(&key.as_str()) && !ignored.contains(&key.as_str()) {
                // Known keys are ASCII: ASCII case folding is enough to compare with them (and
                // needs no Unicode case tables, 17 KB of the wasm artifacts).
                let hint = known
                    .iter()
                    .filter_map(|k| {
                        text::edit_distance(&key.to_ascii_lowercase(), &k.to_ascii_lowercase(), 3)
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

    pub(super) fn string(&mut self, v: &Value, path: impl fmt::Display) -> Option<String> {
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

    pub(super) fn strings(&mut self, v: &Value, path: &dyn fmt::Display) -> Vec<String> {
        match v {
            Value::Null => Vec::new(),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| self.string(item, Indexed(&path, i)))
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
    pub(super) fn account_id(&mut self, v: &Value, path: impl fmt::Display) -> Option<String> {
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
                format!(
                    "{text:?} is not an Alibaba Cloud account id (16 digits)",
                    text = Quoted(&text)
                ),
            );
            None
        }
    }

    pub(super) fn object<'a>(
        &mut self,
        v: &'a Value,
        path: impl fmt::Display,
    ) -> Option<&'a Map<String, Value>> {
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

/// `at.key` (or `key` at the top), written only when a problem is reported there.
pub(super) fn join<'a>(at: &'a str, key: &'a str) -> Join<'a> {
    Join(at, key)
}

/// See [`join`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Join<'a>(&'a str, &'a str);

impl fmt::Display for Join<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str(self.1)
        } else {
            write!(f, "{}.{}", self.0, self.1)
        }
    }
}

/// `path[i]`, written only when shown.
struct Indexed<'a, P>(&'a P, usize);

impl<P: fmt::Display> fmt::Display for Indexed<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.0, self.1)
    }
}

pub(super) fn parse_custom_domain(
    c: &mut Collector,
    item: &Value,
    at: &str,
) -> Option<CustomDomainSetting> {
    let m = c.object(item, at)?;
    c.unknown_keys(m, &["host", "instanceId", "region", "accountId"], at, &[]);
    let host = match m.get("host") {
        Some(v) => c.string(v, join(at, "host")),
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
                format!(
                    "{h:?} is not host[:port] (no scheme, no path)",
                    h = Quoted(&h)
                ),
            );
            None
        }
    });
    let instance_id = match m.get("instanceId") {
        Some(v) => c.string(v, join(at, "instanceId")).and_then(|id| {
            if values::is_cri_id(&id) {
                Some(id)
            } else {
                c.err(join(at, "instanceId"), format!("{id:?} is not an ACR instance id (cri- and 16 lower-case letters or digits)", id = Quoted(&id)));
                None
            }
        }),
        None => {
            c.err(join(at, "instanceId"), "required: the ACR Enterprise Edition instance id (cri-...)");
            None
        }
    };
    let region = match m.get("region").filter(|v| !v.is_null()) {
        Some(v) => match c.string(v, join(at, "region")) {
            Some(r) if regions::is_region_grammar(&r) => Some(Some(r)),
            Some(r) => {
                c.err(
                    join(at, "region"),
                    format!(
                        "{r:?} is not a region id (expected e.g. cn-beijing)",
                        r = Quoted(&r)
                    ),
                );
                None
            }
            None => None,
        },
        None => Some(None),
    };
    let account_id = match m.get("accountId").filter(|v| !v.is_null()) {
        Some(v) => Some(c.account_id(v, join(at, "accountId"))?),
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
pub(super) fn parse_instance(c: &mut Collector, item: &Value, at: &str) -> Option<InstanceSetting> {
    let m = c.object(item, at)?;
    c.unknown_keys(m, &["instanceId", "name", "region", "accountId"], at, &[]);
    let mut required = |key: &str, what: &str| match m.get(key).filter(|v| !v.is_null()) {
        Some(v) => c.string(v, join(at, key)),
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
                    "{id:?} is not an ACR instance id (cri- and 16 lower-case letters or digits)",
                    id = Quoted(id)
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
                format!("{n:?} is not an instance name (3 to 30 lower-case letters, digits and '-', not starting or ending with '-'), as in <name>-registry.<region>.cr.aliyuncs.com", n = Quoted(n)),
            );
        }
        ok
    });
    let region = region.filter(|r| {
        let ok = regions::is_region_grammar(r);
        if !ok {
            c.err(
                join(at, "region"),
                format!(
                    "{r:?} is not a region id (expected e.g. cn-shanghai)",
                    r = Quoted(r)
                ),
            );
        }
        ok
    });
    let account_id = match m.get("accountId").filter(|v| !v.is_null()) {
        Some(v) => Some(c.account_id(v, join(at, "accountId"))?),
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
pub(super) fn ownership_agrees(
    c: &mut Collector,
    s: &Settings,
    domain_at: &[usize],
    instance_at: &[usize],
) {
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
                    format!("{a:?} disagrees with instances[{j}].accountId {b:?} for the same instance {}", d.instance_id, a = Quoted(a), b = Quoted(b)),
                );
            }
            if let Some(r) = &d.region
                && *r != inst.region
            {
                c.err(
                    format!("{at}.region"),
                    format!(
                        "{r:?} disagrees with instances[{j}].region {:?} for the same instance {}",
                        Quoted(&inst.region),
                        d.instance_id,
                        r = Quoted(r)
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
                    format!("{a:?} disagrees with customDomains[{k}].accountId {b:?} for the same instance {}", d.instance_id, a = Quoted(a), b = Quoted(b)),
                );
            }
        }
    }
}

pub(super) fn parse_access(c: &mut Collector, item: &Value, at: &str) -> Option<AccessEntry> {
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
        &[],
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
                    format!(
                        "{arn:?} is not a RAM role ARN (acs:ram::<16 digits>:role/<name>)",
                        arn = Quoted(arn)
                    ),
                );
            }
        }
    }
    for (i, name) in entry.ram_role_names.iter().flatten().enumerate() {
        if !name.contains('*') && !name.contains('?') && !values::is_role_name(name) {
            c.err(
                format!("{at}.ramRoleNames[{i}]"),
                format!(
                    "{name:?} is not a RAM role name (1 to 64 letters, digits, '.', '-' or '_')",
                    name = Quoted(name)
                ),
            );
        }
    }
    for (i, id) in entry.instance_ids.iter().enumerate() {
        if !id.contains('*') && !id.contains('?') && !values::is_cri_id(id) {
            c.err(
                format!("{at}.instanceIds[{i}]"),
                format!(
                    "{id:?} is not an ACR instance id (cri-...; without region prefix)",
                    id = Quoted(id)
                ),
            );
        }
    }
    Some(entry)
}
