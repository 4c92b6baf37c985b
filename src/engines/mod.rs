//! Host protocol mappings: what each engine sends and must get back, as pure functions over
//! bytes.
//!
//! This module is the public API for host implementers. The adapters in `src/adapters/` only
//! move bytes across an ABI; every decision about payload shapes, settings and the verdict
//! mapping (DESIGN §6) lives here, where it is tested natively and shared:
//!
//! - [`kubewarden`]: waPC `validate` / `validate_settings` (ValidationResponse);
//! - [`opa`]: the OPA module's entrypoints and decisions (Gatekeeper violations, Kubewarden's
//!   opa mode, the verdict);
//! - [`admission`]: AdmissionReview responses (the `review` command, OPA mode);
//! - [`opa_value`]: the OPA ABI's value text (JSON and Rego values, sets, path edits).

#![forbid(unsafe_code)]

pub mod admission;
pub mod gatekeeper;
pub mod kubewarden;
pub mod opa;
pub mod opa_value;
// What the OPA module keeps across heap resets: used by the wasm adapter, tested natively.
#[cfg(any(test, all(target_arch = "wasm32", feature = "opa")))]
pub(crate) mod opa_cache;

use crate::context::Context;
use crate::model::AdmissionRequest;
use crate::settings::{Settings, SettingsErrors};
use crate::verdict::Verdict;
use serde_json::Value;

/// The `{request, settings}` / `{review, parameters}` envelopes hosts send: the text of each
/// field, and the request as the pass that read the envelope decoded it.
#[derive(Debug, Default)]
struct Envelope<'a> {
    request: Option<&'a str>,
    settings: Option<&'a str>,
    review: Option<&'a str>,
    parameters: Option<&'a str>,
    decoded: Option<crate::model::Input<'a>>,
    /// Which field was the known settings text, byte for byte (1: `settings`, 3: `parameters`).
    known: Option<usize>,
}

impl<'a> Envelope<'a> {
    /// The request: decoded already, or read from its text now.
    fn request(&mut self) -> Option<(&'a str, Result<AdmissionRequest<'a>, Box<Verdict>>)> {
        let text = self.request?;
        Some((text, crate::decode::decode_text(text, self.decoded.take())))
    }
}

/// The envelope as serde_json reads it: the reference `json::tree::fields`, which reads what the
/// one-pass reader does not take, is checked against.
#[cfg(test)]
#[derive(serde::Deserialize)]
pub(crate) struct RawEnvelope<'a> {
    #[serde(borrow, default)]
    pub(crate) request: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    pub(crate) settings: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    pub(crate) review: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    pub(crate) parameters: Option<&'a serde_json::value::RawValue>,
}

#[cfg(test)]
fn envelope(bytes: &[u8]) -> Result<Envelope<'_>, Verdict> {
    envelope_known(bytes, None)
}

/// [`envelope`], where the settings (or parameters) may be `known`: a settings text an
/// envelope gave before, not read again where the payload carries it byte for byte.
fn envelope_known<'a>(bytes: &'a [u8], known: Option<&[u8]>) -> Result<Envelope<'a>, Verdict> {
    if bytes.len() > crate::MAX_INPUT_BYTES + 64 * 1024 {
        return Err(Verdict::invalid(
            "",
            format!(
                "the request is {} bytes, more than the 3 MiB the Kubernetes API server accepts",
                bytes.len()
            ),
        ));
    }
    // One pass: the reader bounds the nesting as it reads, and decodes the request on the way.
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Ok(([request, settings, review, parameters], decoded, known_seen)) =
            crate::json::reader::object_fields(
                text,
                crate::MAX_DEPTH,
                ["request", "settings", "review", "parameters"],
                0,
                known.map(|k| (&[1, 3][..], k)),
            )
    {
        return Ok(Envelope {
            request,
            settings,
            review,
            parameters,
            decoded,
            known: known_seen,
        });
    }
    if let Some(offset) = crate::json::nesting_exceeds(bytes, crate::MAX_DEPTH) {
        return Err(Verdict::invalid(
            "",
            format!(
                "the payload nests objects or lists deeper than {} levels (at byte {offset})",
                crate::MAX_DEPTH
            ),
        ));
    }
    match crate::json::tree::fields(
        bytes,
        ["request", "settings", "review", "parameters"],
        "struct RawEnvelope",
    ) {
        Ok([request, settings, review, parameters]) => Ok(Envelope {
            request,
            settings,
            review,
            parameters,
            decoded: None,
            known: None,
        }),
        Err(err) => Err(Verdict::invalid(
            "",
            format!("the host's payload is not a JSON object with the expected fields: {err}"),
        )),
    }
}

fn settings_from(value: Option<&Value>) -> Result<Settings, SettingsErrors> {
    match value {
        None => Ok(Settings::default()),
        // Kubewarden's opa mode puts context-aware data under `kubernetes`: not a setting.
        Some(value) => Settings::from_value_ignoring(value, &["kubernetes"]),
    }
}

/// How a settings text is read: as the settings of a host's payload ([`settings_from`], which
/// drops Kubewarden's `kubernetes` context key) or as plain settings JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SettingsText {
    Payload,
    // The component reads its `settings-json` argument so.
    #[cfg_attr(
        not(any(test, all(target_arch = "wasm32", feature = "component"))),
        allow(dead_code)
    )]
    Plain,
}

/// What a settings text gave, shared by every evaluation while the text stays the same.
pub(crate) type SharedSettings = std::rc::Rc<Result<Settings, SettingsErrors>>;

/// A settings text read, how, and what it gave.
type SettingsRead = (SettingsText, String, SharedSettings);

thread_local! {
    /// The last settings text read and what it gave: hosts send the same settings with every
    /// request, and parsing them costs as much as judging a small pod.
    static LAST_SETTINGS: std::cell::RefCell<Option<SettingsRead>> =
        const { std::cell::RefCell::new(None) };
}

/// The settings a text gives.
fn settings_read(text: &str, how: SettingsText) -> Result<Settings, SettingsErrors> {
    let payload = match how {
        SettingsText::Payload => crate::json::tree::from_str(text).ok(),
        SettingsText::Plain => None,
    };
    match payload {
        Some(value) => settings_from(Some(&value)),
        // Plain settings, or text that is not JSON (whose error `from_json` words).
        None => Settings::from_json(text),
    }
}

/// [`settings_read`], once while the text stays the same. Only for hosts whose instance keeps
/// its memory between calls (waPC, the component): an OPA host may reset the module's heap
/// after every evaluation (`opa_heap_ptr_set`), which this cache would not survive; the OPA
/// module keeps what settings give outside its heap instead (`engines::opa_cache`).
/// What it gives is shared, not copied: copying the settings costs a good part of reading them.
pub(crate) fn settings_cached(text: &str, how: SettingsText) -> SharedSettings {
    let cached = LAST_SETTINGS.with(|last| {
        last.borrow()
            .as_ref()
            .filter(|(seen_how, seen, _)| *seen_how == how && seen.as_str() == text)
            .map(|(_, _, result)| std::rc::Rc::clone(result))
    });
    if let Some(result) = cached {
        return result;
    }
    let result = std::rc::Rc::new(settings_read(text, how));
    LAST_SETTINGS.with(|last| {
        *last.borrow_mut() = Some((how, text.to_owned(), std::rc::Rc::clone(&result)));
    });
    result
}

/// [`envelope`] of a payload whose settings are likely the last ones [`settings_cached`] read
/// from a payload: those are not scanned again where the payload carries them byte for byte.
fn envelope_cached(bytes: &[u8]) -> Result<Envelope<'_>, Verdict> {
    LAST_SETTINGS.with(|last| {
        let last = last.borrow();
        let known = last
            .as_ref()
            .filter(|(how, _, _)| *how == SettingsText::Payload)
            .map(|(_, text, _)| text.as_bytes());
        envelope_known(bytes, known)
    })
}

/// The settings of a payload, read every time (see [`settings_cached`]).
fn payload_settings(raw: Option<&str>) -> Result<Settings, SettingsErrors> {
    raw.map_or_else(
        || Ok(Settings::default()),
        |raw| settings_read(raw, SettingsText::Payload),
    )
}

/// The settings of a payload, read once while they stay the same (see [`settings_cached`]).
/// `raw` is the settings text of an envelope, which the envelope's read checked (JSON, within
/// the nesting bound): [`envelope_cached`] relies on the last one being such a text.
fn payload_settings_cached(raw: Option<&str>) -> SharedSettings {
    raw.map_or_else(
        || std::rc::Rc::new(Ok(Settings::default())),
        |raw| settings_cached(raw, SettingsText::Payload),
    )
}

fn settings_denial(errors: &SettingsErrors) -> Verdict {
    Verdict::invalid(
        "",
        format!("the policy settings are invalid, so every request is refused: {errors}"),
    )
}

/// The request's uid and verdict: `request` is the request's text and what decoding it gave.
fn evaluate_raw(
    request: Option<(&str, Result<AdmissionRequest, Box<Verdict>>)>,
    settings: &Settings,
    context: &Context,
) -> (String, Verdict) {
    match request {
        Some((text, decoded)) => {
            crate::decode::review_decoded(text.as_bytes(), decoded, settings, context)
        }
        None => (
            String::new(),
            Verdict::invalid("", "the host sent no admission request"),
        ),
    }
}

/// Fixtures the engine mappings' unit tests share.
#[cfg(test)]
pub(crate) mod fixtures {
    /// A Pod on ECI pulling from a custom domain whose instance it does not list.
    pub const POD: &str = r#"{"uid":"u-1","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"default","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"alibabacloud.com/eci":"true"}},"spec":{"containers":[{"name":"a","image":"registry.example.com/a/b:1"}]}}}"#;
    /// Settings that configure that custom domain.
    pub const SETTINGS: &str = r#"{"customDomains":[{"host":"registry.example.com","instanceId":"cri-j36zhodptmyq1234"}]}"#;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{SettingsText, settings_cached};

    #[test]
    fn the_one_pass_envelope_reads_what_serde_json_reads() {
        use super::{RawEnvelope, envelope};
        use serde_json::value::RawValue;
        let request = super::fixtures::POD;
        for payload in [
            format!(r#"{{"request":{request},"settings":{{"a":[1,2]}}}}"#),
            format!(" {{ \"settings\" : null ,\n \"request\" :\t{request} , \"x\":[{{}}]}} "),
            format!(r#"{{"review":{request},"parameters":{{}},"other":"\u00e9"}}"#),
            format!(r#"{{"request":{request}}}"#),
            r#"{"settings":{}}"#.to_owned(),
            "{}".to_owned(),
        ] {
            let slow: RawEnvelope = serde_json::from_str(&payload).unwrap();
            let fast = envelope(payload.as_bytes()).unwrap();
            fn text(r: Option<&RawValue>) -> Option<&str> {
                r.map(RawValue::get)
            }
            assert_eq!(fast.request, text(slow.request), "{payload}");
            assert_eq!(fast.settings, text(slow.settings), "{payload}");
            assert_eq!(fast.review, text(slow.review), "{payload}");
            assert_eq!(fast.parameters, text(slow.parameters), "{payload}");
            // The request was decoded in the same pass.
            assert_eq!(fast.decoded.is_some(), fast.request.is_some(), "{payload}");
        }
        // What the one pass does not take goes to serde_json, which says what is wrong.
        for payload in [
            format!(r#"{{"request":{request},"request":{request}}}"#),
            r#"{"request":null}"#.to_owned(),
            r#"{"request":{"object":1}}"#.to_owned(),
            r#"{"settings":[1,]}"#.to_owned(),
            "[]".to_owned(),
        ] {
            let fast = crate::json::reader::object_fields::<crate::model::Input, 4>(
                &payload,
                crate::MAX_DEPTH,
                ["request", "settings", "review", "parameters"],
                0,
                None,
            );
            assert!(fast.is_err(), "{payload}");
            let slow = serde_json::from_str::<RawEnvelope>(&payload);
            assert_eq!(
                envelope(payload.as_bytes()).is_ok(),
                slow.is_ok(),
                "{payload}"
            );
        }
    }

    #[test]
    fn a_settings_text_read_again_gives_what_it_gave() {
        let good = r#"{"clusterRegion":"cn-hangzhou","kubernetes":{"namespaces":[]}}"#;
        let bad = r#"{"clusterRegion":"not a region"}"#;
        for _ in 0..2 {
            // The payload's settings drop Kubewarden's context key; plain settings do not.
            let payload = settings_cached(good, SettingsText::Payload);
            let payload = payload.as_ref().as_ref().unwrap();
            assert_eq!(payload.cluster_region.as_deref(), Some("cn-hangzhou"));
            assert!(settings_cached(good, SettingsText::Plain).is_err());
            assert!(settings_cached(bad, SettingsText::Payload).is_err());
            assert!(settings_cached(bad, SettingsText::Payload).is_err());
        }
    }
}
