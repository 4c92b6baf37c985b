//! The rule families, one module each, following the rule table's categories. [`run`] calls
//! them in a fixed order; each family reads the workload view and the repairs planned before
//! it, and none changes what an earlier family saw.

#![forbid(unsafe_code)]

pub mod access;
pub mod imagecache;
pub mod images;
pub mod placement;
pub mod values;

use crate::context::Applied;
use crate::grammar::text::Quoted;
use crate::grammar::values::{Placeholder, placeholder_kind};
use crate::repair::Repairs;
use crate::rules::{Action, RuleId};
use crate::settings::{RuleSetting, Settings};
use crate::verdict::Finding;
use crate::workload::{Shape, Workload};
use std::fmt;

/// The most findings of one rule a verdict lists; the rest are counted in one summary finding.
pub const MAX_PER_RULE: usize = 10;
/// The most findings a verdict lists in all (before the summaries).
pub const MAX_FINDINGS: usize = 50;

/// Collects findings and applies the per-rule overrides of the settings. Keeps at most
/// [`MAX_PER_RULE`] findings per rule and [`MAX_FINDINGS`] in all, so that a hostile request
/// cannot make the verdict large.
#[derive(Debug)]
pub struct Report<'s> {
    pub settings: &'s Settings,
    findings: Vec<Finding>,
    /// Findings listed per rule.
    listed: Vec<(RuleId, usize)>,
    /// Findings not listed: (rule, strongest action, count).
    unlisted: Vec<(RuleId, Action, usize)>,
    /// Paths whose findings are dropped: annotations eci-profile injects, which the pod
    /// does not carry (the cluster's configuration, not judged as the pod's).
    muted: Vec<String>,
}

impl<'s> Report<'s> {
    pub fn new(settings: &'s Settings) -> Report<'s> {
        Report {
            settings,
            findings: Vec::new(),
            listed: Vec::new(),
            unlisted: Vec::new(),
            muted: Vec::new(),
        }
    }

    /// Drop every finding at `path` from now on.
    pub fn mute(&mut self, path: String) {
        self.muted.push(path);
    }

    /// The findings, with one summary per rule that had more than could be listed.
    pub fn finish(self) -> Vec<Finding> {
        let mut findings = self.findings;
        for (rule, action, count) in self.unlisted {
            findings.push(Finding {
                rule,
                action,
                path: String::new(),
                message: format!(
                    "{count} more {} findings are not listed (a verdict lists at most {MAX_PER_RULE} per rule and {MAX_FINDINGS} in all)",
                    rule.id()
                ),
                fix: "fix the findings listed, then check the object again".to_owned(),
            });
        }
        findings
    }

    fn action(&self, rule: RuleId, default: Action) -> Option<Action> {
        match self.settings.rules.get(&rule) {
            Some(RuleSetting::Off) => None,
            Some(RuleSetting::Deny) => Some(Action::Deny),
            Some(RuleSetting::Warn) => Some(Action::Warn),
            None => Some(default),
        }
    }

    /// Whether the settings leave `rule` on (not `off`).
    pub fn is_on(&self, rule: RuleId) -> bool {
        self.action(rule, rule.default_action()).is_some()
    }

    /// Whether the policy may repair a finding of `rule` in this evaluation.
    pub fn can_mutate(&self, rule: RuleId) -> bool {
        self.settings.mutate && self.action(rule, rule.default_action()).is_some()
    }

    /// Whether a finding of `rule` with `action` at `path` is listed; one that is not is
    /// counted for its rule's summary. Decided before any text of the finding is built.
    fn admit(
        &mut self,
        rule: RuleId,
        action: Option<Action>,
        path: &dyn fmt::Display,
    ) -> Option<Action> {
        let action = action?;
        if !self.muted.is_empty() {
            let path = path.to_string();
            if self.muted.contains(&path) {
                return None;
            }
        }
        let same = self
            .listed
            .iter()
            .find(|(r, _)| *r == rule)
            .map_or(0, |(_, n)| *n);
        if same >= MAX_PER_RULE || self.findings.len() >= MAX_FINDINGS {
            // Deny outranks warn outranks mutated: a summary never hides a deny.
            match self.unlisted.iter_mut().find(|(r, _, _)| *r == rule) {
                Some((_, strongest, count)) => {
                    *strongest = (*strongest).min(action);
                    *count += 1;
                }
                None => self.unlisted.push((rule, action, 1)),
            }
            return None;
        }
        match self.listed.iter_mut().find(|(r, _)| *r == rule) {
            Some((_, n)) => *n += 1,
            None => self.listed.push((rule, 1)),
        }
        Some(action)
    }

    fn push(
        &mut self,
        rule: RuleId,
        action: Option<Action>,
        path: &dyn fmt::Display,
        message: &dyn fmt::Display,
        fix: &dyn fmt::Display,
    ) {
        if let Some(action) = self.admit(rule, action, path) {
            self.findings.push(Finding {
                rule,
                action,
                path: path.to_string(),
                message: message.to_string(),
                fix: fix.to_string(),
            });
        }
    }

    /// A finding with the rule's action (default or overridden). The texts are formatted only
    /// when the finding is listed: pass `format_args!` where a request can repeat the finding.
    pub fn report(
        &mut self,
        rule: RuleId,
        path: impl fmt::Display,
        message: impl fmt::Display,
        fix: impl fmt::Display,
    ) {
        let action = self.action(rule, rule.default_action());
        self.push(rule, action, &path, &message, &fix);
    }

    /// A finding that only warns unless the settings say otherwise.
    pub fn report_soft(
        &mut self,
        rule: RuleId,
        path: impl fmt::Display,
        message: impl fmt::Display,
        fix: impl fmt::Display,
    ) {
        let action = self.action(rule, Action::Warn);
        self.push(rule, action, &path, &message, &fix);
    }

    /// A finding the patch repairs (dropped when the rule is off).
    pub fn report_mutated(
        &mut self,
        rule: RuleId,
        path: impl fmt::Display,
        message: impl fmt::Display,
        fix: impl fmt::Display,
    ) {
        let action = self
            .action(rule, rule.default_action())
            .map(|_| Action::Mutated);
        self.push(rule, action, &path, &message, &fix);
    }

    /// [`Report::report_mutated`] when `repaired`, else [`Report::report`].
    pub fn report_repair(
        &mut self,
        repaired: bool,
        rule: RuleId,
        path: impl fmt::Display,
        message: impl fmt::Display,
        fix: impl fmt::Display,
    ) {
        if repaired {
            self.report_mutated(rule, path, message, fix);
        } else {
            self.report(rule, path, message, fix);
        }
    }

    /// A masked value, `<...>` slot or unrendered template in annotation `key`.
    pub fn report_placeholder(
        &mut self,
        key: &str,
        value: &str,
        path: impl fmt::Display,
        fix: impl fmt::Display,
    ) {
        self.report(
            RuleId::PlaceholderValue,
            path,
            format_args!(
                "{key} value {value:?} is {}",
                placeholder_text(value),
                value = Shown(value)
            ),
            fix,
        );
    }
}

/// Every rule family over one in-scope workload, in order: placement and keys (which plan the
/// moves and renames; then the annotations eci-profile injects are added where the pod has
/// none, so they count as present but are not judged), values and grammar, image references, the cross-account roles that
/// registries of other accounts need, the access gate (annotations and the instances behind
/// pulled images), ImageCache fields, images and registries (which plan the instance-list
/// rewrite). Returns the findings and every planned repair.
pub fn run<'a>(
    w: &Workload<'a>,
    on_eci: bool,
    context: &Applied,
    settings: &Settings,
) -> (Vec<Finding>, Repairs<'a>) {
    let mut report = Report::new(settings);
    let mut moves = placement::check(&mut report, w, on_eci, context);
    moves.inject(&context.injected, context.injected_by.as_deref());
    for key in &moves.injected {
        report.mute(w.ann_path(key));
    }
    let known = values::check(&mut report, w, &moves);
    let pulled = images::parse(&mut report, w);
    values::cross_account(&mut report, w, &moves, &pulled);
    access::gate(&mut report, w, None, &known);
    access::gate_images(&mut report, w, &pulled);
    if w.shape == Shape::ImageCache {
        imagecache::check(&mut report, w);
    }
    let instance_list = images::check(&mut report, w, on_eci, &moves, known.ids.as_ref(), &pulled);
    (
        report.finish(),
        Repairs {
            moves,
            instance_list,
        },
    )
}

/// Text written only when it is shown: `lazy(|f| write!(f, "..."))`. A finding's texts are
/// formatted only when the finding is listed; most values the rules judge are fine.
pub fn lazy<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result>(write: F) -> Lazy<F> {
    Lazy(write)
}

/// See [`lazy`].
#[derive(Clone, Copy)]
pub struct Lazy<F>(F);

impl<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result> fmt::Display for Lazy<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.0)(f)
    }
}

impl<F> fmt::Debug for Lazy<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Lazy")
    }
}

/// What kind of placeholder `value` is, for a message.
pub fn placeholder_text(value: &str) -> &'static str {
    placeholder_kind(value)
        .unwrap_or(Placeholder::Masked)
        .describe()
}

/// The most characters of a user-written value a message quotes (a RAM role ARN is at most
/// 95, a list of a few instance ids about as long).
const MAX_QUOTE: usize = 128;

/// A user-written value as a message shows it: quoted ([`Quoted`]), cut after
/// [`MAX_QUOTE`] characters (then `…`), so that no finding copies an unbounded value.
/// Use it as a named format argument: `format!("{value:?}", value = Shown(value))`.
#[derive(Clone, Copy)]
pub struct Shown<'a>(pub &'a str);

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        bounded(f, self.0, MAX_QUOTE)
    }
}

/// An image reference as a message shows it: like [`Shown`], but long enough for any valid
/// reference (repository name 255, tag 128, digest 135 characters).
#[derive(Clone, Copy)]
pub struct ShownImage<'a>(pub &'a str);

impl fmt::Debug for ShownImage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        bounded(f, self.0, 520)
    }
}

fn bounded(f: &mut fmt::Formatter<'_>, text: &str, max: usize) -> fmt::Result {
    match text.char_indices().nth(max) {
        None => fmt::Debug::fmt(&Quoted(text), f),
        Some((cut, _)) => write!(f, "{:?}…", Quoted(text.get(..cut).unwrap_or_default())),
    }
}

/// `text` quoted for a message (see [`Shown`]).
pub fn quote(text: &str) -> String {
    format!("{:?}", Shown(text))
}

/// `items` joined with ", ", at most `MAX_LISTED` of them (then how many more).
pub fn listing<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    const MAX_LISTED: usize = 8;
    let mut out = String::new();
    let mut more = 0usize;
    for (i, item) in items.into_iter().enumerate() {
        if i >= MAX_LISTED {
            more += 1;
            continue;
        }
        if i > 0 {
            out.push_str(", ");
        }
        let shown = quote(item);
        out.push_str(
            shown
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .unwrap_or(&shown),
        );
    }
    if more > 0 {
        out.push_str(&format!(" and {more} more"));
    }
    out
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the families' unit tests: a workload from JSON, settings from JSON, and
    //! the findings a family reports as (rule, action, path).
    #![allow(clippy::unwrap_used)]

    use crate::model::K8sObject;
    use crate::settings::Settings;
    use crate::verdict::Finding;
    use crate::workload::{Shape, Workload};

    /// The object of `json` (leaked: the model borrows its text, and a test's objects live to
    /// the end).
    pub fn object(json: &str) -> K8sObject<'static> {
        serde_json::from_str(json.to_owned().leak()).unwrap()
    }

    pub fn settings(json: &str) -> Settings {
        Settings::from_json(json).unwrap()
    }

    pub fn workload<'a>(shape: Shape, namespace: &'a str, o: &'a K8sObject<'a>) -> Workload<'a> {
        let kind = match shape {
            Shape::Pod => "Pod",
            Shape::Template => "Deployment",
            Shape::CronJob => "CronJob",
            Shape::ImageCache => "ImageCache",
        };
        Workload::new(shape, kind, namespace, o).unwrap()
    }

    pub fn summary(findings: &[Finding]) -> Vec<(&'static str, &'static str, String)> {
        let mut v: Vec<_> = findings
            .iter()
            .map(|f| (f.rule.id(), f.action.as_str(), f.path.clone()))
            .collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quotes_are_bounded() {
        assert_eq!(quote("abc"), "\"abc\"");
        let long = ",".repeat(100_000);
        let q = quote(&long);
        assert!(q.chars().count() < 140, "{q}");
        assert!(q.ends_with('…'));
        assert_eq!(quote(&"é".repeat(128)), format!("{:?}", "é".repeat(128)));
    }
}
