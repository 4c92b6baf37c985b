//! Grammars of the ECI annotation values: ACR instance ids, RAM role ARNs, registry lists,
//! placeholders copied from the documentation. Pure, no panics on any input.

#![forbid(unsafe_code)]

use super::hostport::{self, HostPortError};
use super::regions::is_region_grammar;
use super::text;
use crate::grammar::text::QuotedChar;
use crate::swar;

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// The length of an ACR instance id's part after `cri-` in every documented example; the
/// documentation does not state it.
pub const CRI_ID_LEN: usize = 16;

/// `cri-[a-z0-9]+` of a length other than [`CRI_ID_LEN`]: the length of that part, if so.
pub fn cri_id_odd_length(s: &str) -> Option<usize> {
    s.strip_prefix("cri-")
        .filter(|id| !id.is_empty() && id.len() != CRI_ID_LEN && id.bytes().all(is_lower_alnum))
        .map(str::len)
}

/// `cri-[a-z0-9]{16}`
pub fn is_cri_id(s: &str) -> bool {
    s.as_bytes()
        .strip_prefix(b"cri-")
        .is_some_and(|id| id.len() == 16 && id.iter().all(|&b| is_lower_alnum(b)))
}

/// Exactly 16 ASCII digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| b.is_ascii_digit())
}

/// One parsed `[<region>:]cri-…` token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceToken<'a> {
    pub region: Option<&'a str>,
    pub id: &'a str,
}

/// Why one `acr-instance-ids` token was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenProblem<'a> {
    /// Empty token (`,,`, leading or trailing separator).
    Empty,
    /// Masked or template value (see [`looks_like_placeholder`]).
    Placeholder,
    /// The region prefix fails the region grammar (value: the prefix).
    BadRegion(&'a str),
    /// The id part is not `cri-[a-z0-9]{16}` (value: the id part).
    BadId(&'a str),
    /// `cri-…:<region>`: the id before the region (value: the token written region first).
    Reversed(String),
}

/// The most entries of an `acr-instance-ids` value the policy reads. ECI documents no limit;
/// no real pod lists more than a handful of registries, and a longer list is denied rather
/// than read, so that a hostile value cannot make the evaluation slow.
pub const MAX_LIST_ENTRIES: usize = 64;

/// Result of [`parse_instance_ids`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceIdList<'a> {
    /// The first [`MAX_LIST_ENTRIES`] tokens in order; errors carry the trimmed raw token.
    pub tokens: Vec<Result<InstanceToken<'a>, (&'a str, TokenProblem<'a>)>>,
    /// How many entries were read: one more than `tokens` holds when the value is too long
    /// (reading stops there, so a long value costs no more than a short one).
    pub entries: usize,
    /// First wrong separator seen (`;`, `|` or a whitespace char between two ids).
    pub bad_separator: Option<char>,
    /// Ids (without region) listed more than once, each reported once, in order.
    pub duplicates: Vec<&'a str>,
}

impl InstanceIdList<'_> {
    /// More entries than the policy reads.
    pub fn too_long(&self) -> bool {
        self.entries > MAX_LIST_ENTRIES
    }
}

/// One parsed token, or the token and what is wrong with it.
type Token<'a> = Result<InstanceToken<'a>, (&'a str, TokenProblem<'a>)>;

fn parse_instance_token(tok: &str) -> Token<'_> {
    if tok.is_empty() {
        return Err(("", TokenProblem::Empty));
    }
    if looks_like_placeholder(tok) {
        return Err((tok, TokenProblem::Placeholder));
    }
    let (region, id) = match tok.split_once(':') {
        Some((r, id)) => (Some(r), id),
        None => (None, tok),
    };
    if let Some(r) = region
        && !is_region_grammar(r)
    {
        if is_cri_id(r) && is_region_grammar(id) {
            return Err((tok, TokenProblem::Reversed(format!("{id}:{r}"))));
        }
        return Err((tok, TokenProblem::BadRegion(r)));
    }
    if !is_cri_id(id) {
        return Err((tok, TokenProblem::BadId(id)));
    }
    Ok(InstanceToken { region, id })
}

/// Parse an `acr-instance-ids` value: split on ',' (and on ';', '|' or inner
/// whitespace, which are recorded in `bad_separator`), trim, parse `[<region>:]cri-…`.
/// A blank value yields no tokens.
pub fn parse_instance_ids<'a>(value: &'a str) -> InstanceIdList<'a> {
    let mut out = InstanceIdList {
        tokens: Vec::new(),
        entries: 0,
        bad_separator: None,
        duplicates: Vec::new(),
    };
    if value.trim().is_empty() {
        return out;
    }
    let push = |out: &mut InstanceIdList<'a>, token: &'a str| {
        out.entries += 1;
        if out.tokens.len() < MAX_LIST_ENTRIES {
            out.tokens.push(parse_instance_token(token));
        }
    };
    let mut rest = value;
    loop {
        // The separators are ASCII: a byte search finds them.
        let (segment, sep) = match rest.bytes().position(|b| matches!(b, b',' | b';' | b'|')) {
            Some(i) => {
                let sep = rest.as_bytes().get(i).map(|&b| char::from(b));
                let segment = rest.get(..i).unwrap_or_default();
                rest = rest.get(i + 1..).unwrap_or_default();
                (segment, sep)
            }
            None => (std::mem::take(&mut rest), None),
        };
        let trimmed = segment.trim();
        // Whitespace inside a segment: ASCII or, only where a byte is not ASCII, Unicode.
        let spaced = trimmed
            .bytes()
            .any(|b| b == b' ' || (b'\t'..=b'\r').contains(&b) || !b.is_ascii());
        let inner_space = if spaced {
            trimmed.chars().find(|c| c.is_whitespace())
        } else {
            None
        };
        if out.bad_separator.is_none() {
            out.bad_separator = inner_space.or(sep.filter(|c| matches!(c, ';' | '|')));
        }
        if trimmed.is_empty() {
            push(&mut out, "");
        } else if inner_space.is_none() {
            push(&mut out, trimmed);
        } else {
            for piece in trimmed.split_whitespace() {
                push(&mut out, piece);
            }
        }
        if sep.is_none() || out.entries > MAX_LIST_ENTRIES {
            break;
        }
    }
    // At most MAX_LIST_ENTRIES tokens: comparing each with the ones before it costs less than
    // building sets.
    for (i, t) in out.tokens.iter().enumerate() {
        let Ok(t) = t else { continue };
        let before = out.tokens.get(..i).unwrap_or_default();
        if before.iter().flatten().any(|b| b.id == t.id) && !out.duplicates.contains(&t.id) {
            out.duplicates.push(t.id);
        }
    }
    out
}

/// A RAM role name: 1 to 64 of `[A-Za-z0-9._-]` (`_` only in roles made before RAM stopped
/// accepting it; `role-arn-invalid` warns about it).
pub fn is_role_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
}

/// A RAM role ARN `acs:ram::<account>:role/<role>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn<'a> {
    pub account: &'a str,
    pub role: &'a str,
}

/// Why a RAM role ARN value was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnProblem {
    Empty,
    Placeholder,
    /// More than one ARN (comma, semicolon or whitespace separated).
    Multiple(usize),
    /// Reason text, e.g. "account id must be 16 digits".
    Malformed(String),
}

/// The items of a role key that lists several ARNs (split on ',', ';' and whitespace).
pub fn split_arns(value: &str) -> ArnItems<'_> {
    ArnItems { rest: value }
}

/// See [`split_arns`]. Scans bytes: only a byte that is not ASCII is decoded, to tell Unicode
/// whitespace from the rest.
#[derive(Debug, Clone)]
pub struct ArnItems<'a> {
    rest: &'a str,
}

impl<'a> ArnItems<'a> {
    /// Where the first separator of `text` starts and its length in bytes.
    fn separator(text: &str) -> Option<(usize, usize)> {
        let bytes = text.as_bytes();
        let mut i = 0;
        loop {
            // The next byte that may start a separator: ',', ';', a control byte or space, or
            // the first byte of a non-ASCII character. Eight bytes at a time.
            i += swar::find(
                bytes.get(i..)?,
                |w| {
                    swar::zero(w ^ swar::splat(b','))
                        | swar::zero(w ^ swar::splat(b';'))
                        | swar::below(w, 0x21)
                        | (w & swar::HIGH)
                },
                |b| b == b',' || b == b';' || !(0x21..0x80).contains(&b),
            )?;
            match *bytes.get(i)? {
                b',' | b';' | b' ' | b'\t'..=b'\r' => return Some((i, 1)),
                b if b.is_ascii() => i += 1,
                _ => {
                    let c = text.get(i..).and_then(|t| t.chars().next())?;
                    if c.is_whitespace() {
                        return Some((i, c.len_utf8()));
                    }
                    i += c.len_utf8();
                }
            }
        }
    }
}

impl<'a> Iterator for ArnItems<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        while !self.rest.is_empty() {
            let (item, rest) = match Self::separator(self.rest) {
                Some((at, len)) => (
                    self.rest.get(..at).unwrap_or_default(),
                    self.rest.get(at + len..).unwrap_or_default(),
                ),
                None => (self.rest, ""),
            };
            self.rest = rest;
            if !item.is_empty() {
                return Some(item);
            }
        }
        None
    }
}

/// Parse `acs:ram::<16 digits>:role/<name>`, name 1–64 of `[A-Za-z0-9._-]`; trims
/// surrounding whitespace. `Ok((arn, underscore))`: `underscore` = name contains '_'.
pub fn parse_role_arn(value: &str) -> Result<(RoleArn<'_>, bool), ArnProblem> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ArnProblem::Empty);
    }
    if looks_like_placeholder(v) {
        return Err(ArnProblem::Placeholder);
    }
    // A separator is ',', ';' or whitespace (Unicode whitespace only where a byte is not ASCII).
    let separated = v
        .bytes()
        .any(|b| matches!(b, b',' | b';' | b' ' | b'\t'..=b'\r') || !b.is_ascii());
    let count = if separated { split_arns(v).count() } else { 1 };
    if count > 1 {
        return Err(ArnProblem::Multiple(count));
    }
    let malformed = |s: &str| Err(ArnProblem::Malformed(s.to_string()));
    let Some(rest) = v.strip_prefix("acs:ram::") else {
        if v.starts_with("acs:cr:") {
            return malformed(
                "this is an ACR resource ARN, not a RAM role ARN (acs:ram::<account id>:role/<name>)",
            );
        }
        if v.to_ascii_lowercase().starts_with("acs:ram::") {
            return malformed("prefix must be lower-case \"acs:ram::\"");
        }
        if v.starts_with("acs:ram:") {
            return malformed("region field must be empty (\"acs:ram::<account id>:role/<name>\")");
        }
        return malformed("must start with \"acs:ram::\"");
    };
    let Some((account, resource)) = rest.split_once(':') else {
        return malformed("missing \":role/<name>\" after the account id");
    };
    if !is_account_id(account) {
        return malformed("account id must be 16 digits");
    }
    let Some(name) = resource.strip_prefix("role/") else {
        return malformed("resource must be \"role/<name>\"");
    };
    if name.is_empty() {
        return malformed("role name is empty");
    }
    let valid = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_');
    let plain = name.bytes().all(valid);
    if (plain && name.len() > 64) || (!plain && name.chars().count() > 64) {
        return malformed("role name is longer than 64 characters");
    }
    if let Some(c) = (!plain)
        .then(|| name.chars().find(|&c| !u8::try_from(c).is_ok_and(valid)))
        .flatten()
    {
        return malformed(&format!(
            "role name contains {c:?}; allowed are letters, digits, '.', '-' and '_'",
            c = QuotedChar(c)
        ));
    }
    Ok((
        RoleArn {
            account,
            role: name,
        },
        name.contains('_'),
    ))
}

/// One `host[:port]` item of `plain-http-registry` / `insecure-registry`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEntry {
    /// Lower-case host (IPv6 literals keep their brackets).
    pub host: String,
    pub port: Option<u16>,
}

fn parse_registry_item(item: &str) -> Result<RegistryEntry, String> {
    if let Some(scheme) = text::find(item, "://").and_then(|at| item.get(..at)) {
        return Err(format!("drop the scheme \"{scheme}://\""));
    }
    if let Some((_, path)) = item.split_once('/') {
        return Err(format!(
            "remove the path \"/{path}\"; list only host[:port]"
        ));
    }
    if looks_like_placeholder(item) {
        return Err("looks like a placeholder".to_string());
    }
    let invalid_host = |host: &str| match host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':')))
    {
        Some(c) => format!("invalid character {c:?} in host", c = QuotedChar(c)),
        None => format!("invalid host name \"{host}\""),
    };
    match hostport::parse(item) {
        Ok(hp) if hp.is_rfc1123() => Ok(RegistryEntry {
            host: hp.host.to_ascii_lowercase(),
            port: hp.port,
        }),
        Ok(hp) => Err(invalid_host(hp.host)),
        Err(HostPortError::UnclosedBracket | HostPortError::AfterBracket) => {
            Err("invalid host".to_string())
        }
        Err(HostPortError::PortNotNumber(p) | HostPortError::PortRange(p)) => {
            Err(format!("bad port \"{p}\" (must be 1-65535)"))
        }
        Err(HostPortError::EmptyHost) => Err("missing host".to_string()),
        Err(HostPortError::BadIpv6) => Err(invalid_host(item)),
        Err(HostPortError::TrailingDot(host) | HostPortError::BadLabel(host, _)) => {
            Err(invalid_host(host))
        }
    }
}

/// Parse a comma-separated `host[:port]` list. Problems are `(raw item, reason)`.
/// An item using ';' or spaces as separator is one problem, but its valid
/// pieces are still returned as entries.
pub fn parse_registry_list(value: &str) -> (Vec<RegistryEntry>, Vec<(String, String)>) {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    if value.trim().is_empty() {
        problems.push((String::new(), "empty value".to_string()));
        return (entries, problems);
    }
    for raw in value.split(',') {
        let item = raw.trim();
        if item.is_empty() {
            problems.push((String::new(), "empty item".to_string()));
            continue;
        }
        let wrong = item
            .chars()
            .find(|&c| c == ';' || c == '|' || c.is_whitespace());
        if let Some(sep) = wrong {
            problems.push((
                item.to_string(),
                format!(
                    "separate registries with ',', not {sep:?}",
                    sep = QuotedChar(sep)
                ),
            ));
            for piece in item
                .split(|c: char| c == ';' || c == '|' || c.is_whitespace())
                .filter(|p| !p.is_empty())
            {
                if let Ok(e) = parse_registry_item(piece) {
                    entries.push(e);
                }
            }
            continue;
        }
        match parse_registry_item(item) {
            Ok(e) => entries.push(e),
            Err(reason) => problems.push((item.to_string(), reason)),
        }
    }
    (entries, problems)
}

/// Masked or template values copied from documentation, and only those: a run of two or
/// more `*` (`cri-j36zhodptmyq****`), a `<...>` template, a `${...}` or `{{...}}` expression,
/// or an id or account made entirely of `x`/`X` (`cri-xxxxxxxxxxxxxxxx`,
/// `acs:ram::xxxxxxxxxxxxxxxx:role/...`, a whole value `xxxx`). Never a substring of a real
/// name: `boxxxer`, `acr-pull-xxxl` and `cri-j36zhodptmxxx234` are not placeholders.
pub fn looks_like_placeholder(s: &str) -> bool {
    placeholder_kind(s).is_some()
}

/// What kind of placeholder a value is (see [`looks_like_placeholder`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// `****` or an id or account of `x`: a value masked as in the documentation's examples.
    Masked,
    /// `<...>`: a slot for a value, as in the documentation.
    Slot,
    /// `${...}` or `{{...}}`: a template expression nothing rendered.
    Template,
}

impl Placeholder {
    /// For messages: "a masked value like those in the documentation's examples, ...".
    pub fn describe(self) -> &'static str {
        match self {
            Placeholder::Masked => {
                "a masked value like those in the documentation's examples, not a real one"
            }
            Placeholder::Slot => {
                "a <...> placeholder like those in the documentation, not a real value"
            }
            Placeholder::Template => "a template expression that was never rendered",
        }
    }
}

/// The kind of placeholder `s` is, if it is one.
pub fn placeholder_kind(s: &str) -> Option<Placeholder> {
    // Most values hold none of the bytes a placeholder needs where it needs them.
    if !may_be_placeholder(s.as_bytes()) {
        return None;
    }
    placeholder_kind_of(s)
}

/// Whether `bytes` hold what every placeholder holds: `{`, `<` or `*`, or an `x`/`X` at the
/// start or after `-`, `:`, whitespace or a byte of a non-ASCII character (where a masked id,
/// a masked account or an all-`x` value has one). Host names such as `example.com` have an
/// `x`, but not there.
fn may_be_placeholder(bytes: &[u8]) -> bool {
    memchr::memchr3(b'{', b'<', b'*', bytes).is_some()
        || memchr::memchr2_iter(b'x', b'X', bytes).any(|i| {
            i.checked_sub(1)
                .and_then(|p| bytes.get(p))
                .is_none_or(|&b| matches!(b, b'-' | b':' | b' ' | b'\t'..=b'\r') || !b.is_ascii())
        })
}

/// [`placeholder_kind`] without the quick test.
fn placeholder_kind_of(s: &str) -> Option<Placeholder> {
    if text::find(s, "${").is_some() || text::find(s, "{{").is_some() {
        Some(Placeholder::Template)
    } else if s
        .find('<')
        .is_some_and(|i| s.get(i..).is_some_and(|t| t.contains('>')))
    {
        Some(Placeholder::Slot)
    } else if text::find(s, "**").is_some() || masked_with_x(s) {
        Some(Placeholder::Masked)
    } else {
        None
    }
}

/// Whether `s` is 3 or more `x`/`X` and nothing else.
fn all_x(s: &str) -> bool {
    s.len() >= 3 && s.bytes().all(|b| b == b'x' || b == b'X')
}

/// An id (`cri-`, `crpi-`, `imc-` followed by only `x`) anywhere in a list or ARN, the
/// account field of an `acs:` ARN made of `x`, or a whole value of `x`.
fn masked_with_x(s: &str) -> bool {
    let s = s.trim();
    if all_x(s) {
        return true;
    }
    // Every masked id or account has an `x` right after `-` or `:`; most values have none,
    // so the field-by-field scan below only runs on values that could match.
    let bytes = s.as_bytes();
    let candidate = memchr::memchr2_iter(b'x', b'X', bytes).any(|i| {
        i.checked_sub(1)
            .and_then(|p| bytes.get(p))
            .is_some_and(|b| matches!(b, b'-' | b':'))
    });
    if !candidate {
        return false;
    }
    let id_masked = s
        .split(|c: char| matches!(c, ',' | ';' | ':' | '/' | '|' | '.') || c.is_whitespace())
        .any(masked_id);
    // acs:<service>:<region>:<account>:<resource>
    let account_masked = s
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|arn| strip_prefix_ignore_case(arn.as_bytes(), b"acs:").is_some())
        .any(|arn| arn.split(':').nth(3).is_some_and(all_x));
    id_masked || account_masked
}

/// `cri-`, `crpi-` or `imc-` (any case, an optional `-vpc` suffix) followed by only `x`.
/// Called once per field of a value that may be megabytes of separators: no allocation.
fn masked_id(field: &str) -> bool {
    let field = field.as_bytes();
    let field = field
        .len()
        .checked_sub(4)
        .and_then(|cut| field.split_at_checked(cut))
        .filter(|(_, tail)| tail.eq_ignore_ascii_case(b"-vpc"))
        .map_or(field, |(head, _)| head);
    [b"cri-".as_slice(), b"crpi-", b"imc-"].iter().any(|p| {
        strip_prefix_ignore_case(field, p)
            .is_some_and(|rest| !rest.is_empty() && rest.iter().all(|&b| b == b'x' || b == b'X'))
    })
}

/// `s` without `prefix`, compared ignoring ASCII case.
fn strip_prefix_ignore_case<'a>(s: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let (head, rest) = s.split_at_checked(prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then_some(rest)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {

    #[test]
    fn arn_items_split_as_chars_split() {
        let old = |v: &str| -> Vec<String> {
            v.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        };
        for v in [
            "",
            "a",
            "acs:ram::1:role/x",
            "a,b;c d\te\nf\x0bg\x0ch\ri",
            ",,a,,",
            "a\u{a0}b\u{3000}c\u{2003}d",
            "é,ü;日本 語",
            "a\u{85}b",
            "\u{200b}a",
            " ; , ",
        ] {
            let new: Vec<String> = split_arns(v).map(str::to_owned).collect();
            assert_eq!(new, old(v), "{v:?}");
        }
    }
    use super::*;

    #[test]
    fn masked_ids_and_accounts_in_any_case_and_position() {
        let masked = [
            "cri-xxxxxxxxxxxxxxxx",
            "CRI-XXXXXXXXXXXXXXXX",
            "cri-xxxx-VPC",
            "cn-hangzhou:crpi-xxxx",
            "cri-j36zhodptmyq1234,imc-xxxx",
            "acs:ram::xxxxxxxxxxxxxxxx:role/acr-pull",
            "ACS:ram::XXXX:role/a",
            "xxx",
        ];
        for s in masked {
            assert_eq!(placeholder_kind(s), Some(Placeholder::Masked), "{s:?}");
        }
        let real = [
            "cri-xyzhodptmyq1234",
            "acs:ram::1609982529000000:role/x",
            "acs:ram::xy:role/a",
            "xx",
            ",,,,",
            "cri-",
            "registry-vpc.cn-hangzhou.aliyuncs.com/ns/x",
        ];
        for s in real {
            assert_eq!(placeholder_kind(s), None, "{s:?}");
        }
    }

    #[test]
    fn ids() {
        let cri: &[(&str, bool)] = &[
            ("cri-f34lmbk2rxqx41u8", true),
            ("cri-j36zhodptmyq****", false),
            ("cri-F34lmbk2rxqx41u8", false),
            ("cri-f34lmbk2rxqx41u", false),
            ("cri-f34lmbk2rxqx41u89", false),
            ("crpi-ds0j5gxjdmixc0v8", false),
            ("cri_f34lmbk2rxqx41u8", false),
            ("", false),
        ];
        for (s, want) in cri {
            assert_eq!(is_cri_id(s), *want, "{s:?}");
        }
        let acc: &[(&str, bool)] = &[
            ("1609982529123456", true),
            ("160998252912345", false),
            ("16099825291234567", false),
            ("1609982529******", false),
            ("１609982529123456", false),
            ("", false),
        ];
        for (s, want) in acc {
            assert_eq!(is_account_id(s), *want, "{s:?}");
        }
    }

    fn tok(region: Option<&'static str>, id: &'static str) -> Token<'static> {
        Ok(InstanceToken { region, id })
    }
    fn bad(raw: &'static str, p: TokenProblem<'static>) -> Token<'static> {
        Err((raw, p))
    }

    #[test]
    fn separators_outside_ascii_are_found_like_ascii_ones() {
        const A: &str = "cri-f34lmbk2rxqx41u8";
        const B: &str = "cri-abcdefgh12345678";
        for space in ["\u{a0}", "\u{3000}", "\u{b}", " ", "\t"] {
            let value = format!("{A}{space}{B}");
            let list = parse_instance_ids(&value);
            let sep = space.chars().next();
            assert_eq!(list.bad_separator, sep, "{space:?}");
            assert_eq!(list.tokens, vec![tok(None, A), tok(None, B)], "{space:?}");
            let arn = "acs:ram::1609982529000000:role/acr-pull";
            assert_eq!(
                parse_role_arn(&format!("{arn}{space}{arn}")),
                Err(ArnProblem::Multiple(2)),
                "{space:?}"
            );
        }
        // A repeated id is reported once, in the order of its second appearance.
        let value = format!("{B},{A},{A},{B},{A}");
        let list = parse_instance_ids(&value);
        assert_eq!(list.duplicates, vec![A, B]);
        // Role names: length before characters, characters named.
        let long = format!("acs:ram::1609982529000000:role/{}", "é".repeat(65));
        assert_eq!(
            parse_role_arn(&long),
            Err(ArnProblem::Malformed(
                "role name is longer than 64 characters".into()
            ))
        );
        let accented = "acs:ram::1609982529000000:role/caf\u{e9}";
        assert!(
            matches!(parse_role_arn(accented), Err(ArnProblem::Malformed(m)) if m.contains("'\u{e9}'")),
            "{:?}",
            parse_role_arn(accented)
        );
        assert_eq!(
            parse_role_arn("acs:ram::1609982529000000:role/a_b"),
            Ok((
                RoleArn {
                    account: "1609982529000000",
                    role: "a_b"
                },
                true
            ))
        );
    }

    #[test]
    fn instance_ids() {
        const A: &str = "cri-f34lmbk2rxqx41u8";
        const B: &str = "cri-abcdefgh12345678";
        type Case = (
            &'static str,
            Vec<Token<'static>>,
            Option<char>,
            Vec<&'static str>,
        );
        let cases: Vec<Case> = vec![
            (A, vec![tok(None, A)], None, vec![]),
            ("  cri-f34lmbk2rxqx41u8  ", vec![tok(None, A)], None, vec![]),
            (
                "cn-beijing:cri-f34lmbk2rxqx41u8",
                vec![tok(Some("cn-beijing"), A)],
                None,
                vec![],
            ),
            (
                "cri-f34lmbk2rxqx41u8, cn-beijing:cri-abcdefgh12345678",
                vec![tok(None, A), tok(Some("cn-beijing"), B)],
                None,
                vec![],
            ),
            (
                "cri-f34lmbk2rxqx41u8;cri-abcdefgh12345678",
                vec![tok(None, A), tok(None, B)],
                Some(';'),
                vec![],
            ),
            (
                "cri-f34lmbk2rxqx41u8|cri-abcdefgh12345678",
                vec![tok(None, A), tok(None, B)],
                Some('|'),
                vec![],
            ),
            (
                "cri-f34lmbk2rxqx41u8 cri-abcdefgh12345678",
                vec![tok(None, A), tok(None, B)],
                Some(' '),
                vec![],
            ),
            (
                "cri-f34lmbk2rxqx41u8\ncri-abcdefgh12345678\n",
                vec![tok(None, A), tok(None, B)],
                Some('\n'),
                vec![],
            ),
            (
                "cri-f34lmbk2rxqx41u8,,cri-abcdefgh12345678",
                vec![tok(None, A), bad("", TokenProblem::Empty), tok(None, B)],
                None,
                vec![],
            ),
            (
                ",cri-f34lmbk2rxqx41u8,",
                vec![
                    bad("", TokenProblem::Empty),
                    tok(None, A),
                    bad("", TokenProblem::Empty),
                ],
                None,
                vec![],
            ),
            (
                "cn-beijing:cri-j36zhodptmyq****",
                vec![bad(
                    "cn-beijing:cri-j36zhodptmyq****",
                    TokenProblem::Placeholder,
                )],
                None,
                vec![],
            ),
            (
                "<instance-id>",
                vec![bad("<instance-id>", TokenProblem::Placeholder)],
                None,
                vec![],
            ),
            (
                "Beijing:cri-f34lmbk2rxqx41u8",
                vec![bad(
                    "Beijing:cri-f34lmbk2rxqx41u8",
                    TokenProblem::BadRegion("Beijing"),
                )],
                None,
                vec![],
            ),
            (
                ":cri-f34lmbk2rxqx41u8",
                vec![bad(":cri-f34lmbk2rxqx41u8", TokenProblem::BadRegion(""))],
                None,
                vec![],
            ),
            (
                "cri-F34LMBK2RXQX41U8",
                vec![bad(
                    "cri-F34LMBK2RXQX41U8",
                    TokenProblem::BadId("cri-F34LMBK2RXQX41U8"),
                )],
                None,
                vec![],
            ),
            (
                "crpi-ds0j5gxjdmixc0v8",
                vec![bad(
                    "crpi-ds0j5gxjdmixc0v8",
                    TokenProblem::BadId("crpi-ds0j5gxjdmixc0v8"),
                )],
                None,
                vec![],
            ),
            (
                "cri-f34lmbk2rxqx41u8:cn-beijing",
                vec![bad(
                    "cri-f34lmbk2rxqx41u8:cn-beijing",
                    TokenProblem::Reversed("cn-beijing:cri-f34lmbk2rxqx41u8".into()),
                )],
                None,
                vec![],
            ),
            (
                "cri-f34lmbk2rxqx41u8,cn-hangzhou:cri-f34lmbk2rxqx41u8,cri-f34lmbk2rxqx41u8",
                vec![tok(None, A), tok(Some("cn-hangzhou"), A), tok(None, A)],
                None,
                vec![A],
            ),
            ("", vec![], None, vec![]),
            ("   ", vec![], None, vec![]),
        ];
        for (value, tokens, sep, dups) in cases {
            let got = parse_instance_ids(value);
            assert_eq!(got.tokens, tokens, "{value:?}");
            assert_eq!(got.bad_separator, sep, "{value:?}");
            let dups: Vec<String> = dups.iter().map(|s| s.to_string()).collect();
            assert_eq!(got.duplicates, dups, "{value:?}");
        }
    }

    #[test]
    fn role_arn() {
        let ok: &[(&str, &str, &str, bool)] = &[
            (
                "acs:ram::1609982529123456:role/eci-pull",
                "1609982529123456",
                "eci-pull",
                false,
            ),
            (
                "  acs:ram::1609982529123456:role/A.b-C  ",
                "1609982529123456",
                "A.b-C",
                false,
            ),
            (
                "acs:ram::1609982529123456:role/my_role",
                "1609982529123456",
                "my_role",
                true,
            ),
        ];
        for (v, acc, role, us) in ok {
            let (arn, u) = parse_role_arn(v).unwrap();
            assert_eq!((arn.account, arn.role, u), (*acc, *role, *us), "{v:?}");
        }
        let long = format!("acs:ram::1609982529123456:role/{}", "a".repeat(65));
        let max = format!("acs:ram::1609982529123456:role/{}", "a".repeat(64));
        assert!(parse_role_arn(&max).is_ok());
        let bad: &[(&str, ArnProblem)] = &[
            ("", ArnProblem::Empty),
            ("   ", ArnProblem::Empty),
            ("acs:ram::1609982529******:role/x", ArnProblem::Placeholder),
            ("acs:ram::<uid>:role/x", ArnProblem::Placeholder),
            (
                "acs:ram::1609982529123456:role/a,acs:ram::1609982529123456:role/b",
                ArnProblem::Multiple(2),
            ),
            (
                "acs:ram::1609982529123456:role/a; acs:ram::1609982529123456:role/b acs:ram::1609982529123456:role/c",
                ArnProblem::Multiple(3),
            ),
        ];
        for (v, want) in bad {
            assert_eq!(parse_role_arn(v).unwrap_err(), *want, "{v:?}");
        }
        let malformed: &[(&str, &str)] = &[
            ("acs:ram::160998252912345:role/x", "16 digits"),
            ("acs:ram::1609982529123456:user/x", "role/<name>"),
            ("acs:ram::1609982529123456:role/", "empty"),
            ("acs:ram::1609982529123456:role/a/b", "contains '/'"),
            ("acs:ram::1609982529123456", "missing"),
            (
                "acs:ram:cn-hangzhou:1609982529123456:role/x",
                "region field",
            ),
            ("ACS:RAM::1609982529123456:role/x", "lower-case"),
            (
                "acs:cr:cn-hangzhou:1609982529123456:instance/cri-f34lmbk2rxqx41u8",
                "ACR resource",
            ),
            ("arn:aws:iam::123:role/x", "must start"),
            (long.as_str(), "longer than 64"),
        ];
        for (v, frag) in malformed {
            let got = match parse_role_arn(v) {
                Err(ArnProblem::Malformed(r)) => r,
                other => format!("unexpected {other:?}"),
            };
            assert!(got.contains(frag), "{v:?}: {got}");
        }
    }

    #[test]
    fn registry_list() {
        let e = |h: &str, p: Option<u16>| RegistryEntry {
            host: h.to_string(),
            port: p,
        };
        type Case = (
            &'static str,
            Vec<RegistryEntry>,
            Vec<(&'static str, &'static str)>,
        );
        let cases: Vec<Case> = vec![
            (
                "harbor.example.com",
                vec![e("harbor.example.com", None)],
                vec![],
            ),
            (
                "Harbor.Example.com:5000, 192.168.1.10:80",
                vec![
                    e("harbor.example.com", Some(5000)),
                    e("192.168.1.10", Some(80)),
                ],
                vec![],
            ),
            ("localhost:5000", vec![e("localhost", Some(5000))], vec![]),
            ("[::1]:5000", vec![e("[::1]", Some(5000))], vec![]),
            (
                "http://harbor.example.com",
                vec![],
                vec![("http://harbor.example.com", "drop the scheme \"http://\"")],
            ),
            (
                "harbor.example.com/library",
                vec![],
                vec![("harbor.example.com/library", "remove the path \"/library\"")],
            ),
            (
                "harbor.example.com:0",
                vec![],
                vec![("harbor.example.com:0", "bad port")],
            ),
            (
                "harbor.example.com:65536",
                vec![],
                vec![("harbor.example.com:65536", "bad port")],
            ),
            (
                "harbor.example.com:",
                vec![],
                vec![("harbor.example.com:", "bad port")],
            ),
            (
                "harbor.example.com:ab",
                vec![],
                vec![("harbor.example.com:ab", "bad port")],
            ),
            (
                "harbor_example.com",
                vec![],
                vec![("harbor_example.com", "invalid character '_'")],
            ),
            (
                "harbor.example.com.",
                vec![],
                vec![("harbor.example.com.", "invalid host name")],
            ),
            (
                "-harbor.com",
                vec![],
                vec![("-harbor.com", "invalid host name")],
            ),
            (
                "*.example.com",
                vec![],
                vec![("*.example.com", "invalid character '*'")],
            ),
            (
                "**.example.com",
                vec![],
                vec![("**.example.com", "placeholder")],
            ),
            (
                "a.com,,b.com",
                vec![e("a.com", None), e("b.com", None)],
                vec![("", "empty item")],
            ),
            ("a.com,", vec![e("a.com", None)], vec![("", "empty item")]),
            ("", vec![], vec![("", "empty value")]),
            (
                "a.com;b.com:5000",
                vec![e("a.com", None), e("b.com", Some(5000))],
                vec![("a.com;b.com:5000", "not ';'")],
            ),
            (
                "a.com b.com",
                vec![e("a.com", None), e("b.com", None)],
                vec![("a.com b.com", "not ' '")],
            ),
            (":5000", vec![], vec![(":5000", "missing host")]),
        ];
        for (v, want_e, want_p) in cases {
            let (got_e, got_p) = parse_registry_list(v);
            assert_eq!(got_e, want_e, "{v:?}");
            assert_eq!(got_p.len(), want_p.len(), "{v:?}: {got_p:?}");
            for ((raw, reason), (wraw, wfrag)) in got_p.iter().zip(want_p.iter()) {
                assert_eq!(raw, wraw, "{v:?}");
                assert!(reason.contains(wfrag), "{v:?}: {reason}");
            }
        }
    }

    #[test]
    fn placeholder() {
        let cases: &[(&str, bool)] = &[
            ("cri-j36zhodptmyq****", true),
            ("<your-instance-id>", true),
            ("{{ .Values.id }}", true),
            ("${INSTANCE_ID}", true),
            ("cri-XXXXXXXXXXXXXXXX", true),
            ("cri-xxxxxxxxxxxxxxxx", true),
            ("cn-beijing:cri-xxxxxxxxxxxxxxxx", true),
            ("cri-f34lmbk2rxqx41u8,cri-xxxxxxxxxxxxxxxx", true),
            (
                "crpi-xxxxxxxx.cn-hangzhou.personal.cr.aliyuncs.com/ns/app:1",
                true,
            ),
            (
                "crpi-xxxxxxxx-vpc.cn-hangzhou.personal.cr.aliyuncs.com/ns/app:1",
                true,
            ),
            (
                "crpi-ds0j5gxjdmixc0v8-vpc.cn-hangzhou.personal.cr.aliyuncs.com/ns/app:1",
                false,
            ),
            ("imc-xxxxxxxxxxxxxxxxxxxx", true),
            ("acs:ram::xxxxxxxxxxxxxxxx:role/acr-pull", true),
            ("ACS:RAM::XXXXXXXXXXXXXXXX:role/acr-pull", true),
            ("acs:ram::1609982529******:role/acr-pull", true),
            ("acs:ram::<account-id>:role/<role-name>", true),
            ("xxxxxxxx", true),
            (" XXX ", true),
            // Real names that merely contain x's.
            ("cri-xxxx1234abcd5678", false),
            ("cri-j36zhodptmxxx234", false),
            ("acs:ram::1609982529000000:role/acr-pull-xxxl", false),
            ("acs:ram::1609982529000000:role/xxx", false),
            ("registry.cn-hangzhou.aliyuncs.com/boxxxer/app:1.0", false),
            ("registry.cn-hangzhou.aliyuncs.com/ns/xxx:1.0", false),
            ("xx", false),
            // One '*' or an unclosed '<' is a grammar mistake, not a documentation mask.
            ("*.example.com", false),
            ("acs:ram::1609982529000000:role/acr-*", false),
            ("a<b", false),
            ("a>b<", false),
            ("cri-f34lmbk2rxqx41u8", false),
            ("$HOME", false),
            ("", false),
        ];
        for (s, want) in cases {
            assert_eq!(looks_like_placeholder(s), *want, "{s:?}");
        }
    }

    /// The quick test never turns a placeholder away: on values built from the bytes the full
    /// test turns on, both give the same answer.
    #[test]
    fn the_quick_placeholder_test_only_skips_what_is_no_placeholder() {
        let pieces = [
            "x",
            "X",
            "xxx",
            "-",
            ":",
            "cri-",
            "imc-",
            "crpi-",
            "acs:ram::",
            ":role/",
            "{",
            "{{",
            "${",
            "}",
            "<",
            ">",
            "*",
            "**",
            " ",
            "\u{a0}",
            ",",
            ";",
            "|",
            ".",
            "/",
            "-vpc",
            "a",
            "1",
            "\t",
        ];
        let mut next = crate::testing::xorshift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..50_000 {
            let n = 1 + next() % 8;
            let text: String = (0..n)
                .map(|_| pieces[(next() as usize) % pieces.len()])
                .collect();
            assert_eq!(
                placeholder_kind(&text),
                placeholder_kind_of(&text),
                "{text:?}"
            );
        }
    }
}
