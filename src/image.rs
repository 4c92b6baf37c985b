//! Container image references, parsed and normalised the way Kubernetes and
//! containerd do (github.com/distribution/reference, `ParseNormalizedNamed`).
//!
//! Choices: IPv6 literal hosts (`[::1]:5000/app`) are accepted and kept with
//! brackets; `index.docker.io` normalises to `docker.io`; ports must be 1–65535
//! and are stored as numbers (so `:05000` prints as `:5000`); digests `sha256`,
//! `sha384`, `sha512` need exactly 64/96/128 lower-case hex, other algorithms at
//! least 32. A single-label host recognised only by its upper case (`Foo/bar`)
//! is lower-cased like every host, so its `Display` form re-reads as docker.io.

#![forbid(unsafe_code)]

use crate::grammar::hostport::{self, HostPortError};
use crate::grammar::text::QuotedChar;
use std::borrow::Cow;
use std::fmt;

/// A parsed, normalised image reference. It borrows from the text it was parsed from, and
/// owns only what normalising changed (an upper-case host, docker.io's `library/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// Registry host, lower-cased, without port; "docker.io" when the reference names no registry.
    pub host: Cow<'a, str>,
    pub port: Option<u16>,
    /// Repository path, e.g. "library/nginx" (docker.io single-component names get "library/").
    pub path: Cow<'a, str>,
    pub tag: Option<&'a str>,
    /// "sha256:<64 hex>" etc.
    pub digest: Option<&'a str>,
}

/// Why a reference does not parse; `reason` is lower-case human text without a final period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRefError {
    pub reason: String,
}

impl fmt::Display for ImageRefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for ImageRefError {}

const DEFAULT_HOST: &str = "docker.io";
const LEGACY_DEFAULT_HOST: &str = "index.docker.io";
const NAME_TOTAL_LENGTH_MAX: usize = 255;
const TAG_MAX: usize = 128;

fn err<T>(reason: impl Into<String>) -> Result<T, ImageRefError> {
    Err(ImageRefError {
        reason: reason.into(),
    })
}

fn is_lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn is_path_component(s: &str) -> bool {
    let mut prev_alnum = false;
    // The separator run since the last letter or digit: its first byte, its length, and
    // whether it mixes separators.
    let (mut sep, mut run, mut mixed) = (0u8, 0usize, false);
    for b in s.bytes() {
        if b.is_ascii_lowercase() || b.is_ascii_digit() {
            if run > 0 {
                let ok = !mixed
                    && match sep {
                        b'.' => run == 1,
                        b'_' => run <= 2,
                        _ => true,
                    };
                if !ok {
                    return false;
                }
                run = 0;
                mixed = false;
            }
            prev_alnum = true;
        } else if matches!(b, b'.' | b'_' | b'-') {
            if run == 0 {
                if !prev_alnum {
                    return false; // leading separator
                }
                sep = b;
            } else if b != sep {
                mixed = true;
            }
            run += 1;
            prev_alnum = false;
        } else {
            return false;
        }
    }
    prev_alnum
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
fn check_tag(tag: &str) -> Result<(), ImageRefError> {
    if tag.is_empty() {
        return err("empty tag after ':'");
    }
    if tag.chars().count() > TAG_MAX {
        return err(format!("tag is longer than {TAG_MAX} characters"));
    }
    let first_ok = tag
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    if !first_ok {
        return err(format!(
            "tag \"{tag}\" must start with a letter, digit or '_'"
        ));
    }
    if let Some(c) = tag
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return err(format!(
            "tag \"{tag}\" contains invalid character {c:?}",
            c = QuotedChar(c)
        ));
    }
    Ok(())
}

/// `algorithm:hex`, algorithm `[a-z0-9]+(?:[.+_-][a-z0-9]+)*`.
fn check_digest(d: &str) -> Result<(), ImageRefError> {
    let Some((alg, hex)) = d.split_once(':') else {
        return err(format!(
            "digest \"{d}\" must have the form <algorithm>:<hex>, e.g. sha256:<64 hex>"
        ));
    };
    let mut prev_alnum = false;
    for c in alg.chars() {
        if is_lower_alnum(c) {
            prev_alnum = true;
        } else if matches!(c, '.' | '+' | '_' | '-') && prev_alnum {
            prev_alnum = false;
        } else {
            return err(format!("digest algorithm \"{alg}\" is invalid"));
        }
    }
    if !prev_alnum {
        return err(format!("digest algorithm \"{alg}\" is invalid"));
    }
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) || hex.is_empty() {
        return err(format!("digest \"{d}\" must be hexadecimal after '{alg}:'"));
    }
    if hex.chars().any(|c| c.is_ascii_uppercase()) {
        return err(format!("digest \"{d}\" must use lower-case hex"));
    }
    let need = match alg {
        "sha256" => Some(64),
        "sha384" => Some(96),
        "sha512" => Some(128),
        _ => None,
    };
    match need {
        Some(n) if hex.len() != n => err(format!(
            "{alg} digest must have exactly {n} hex characters, got {}",
            hex.len()
        )),
        None if hex.len() < 32 => err(format!(
            "digest must have at least 32 hex characters, got {}",
            hex.len()
        )),
        _ => Ok(()),
    }
}

/// Validate `host[:port]` (host part may be an IPv6 literal); returns lower-cased host and port.
fn parse_domain(domain: &str) -> Result<(Cow<'_, str>, Option<u16>), ImageRefError> {
    use HostPortError as E;
    match hostport::parse(domain) {
        Ok(hp) => Ok((lower(hp.host), hp.port)),
        Err(E::UnclosedBracket) => err(format!("registry host \"{domain}\" has an unclosed '['")),
        Err(E::BadIpv6) => err(format!(
            "registry host \"{domain}\" is not a valid IPv6 literal"
        )),
        Err(E::AfterBracket) => err(format!("registry host \"{domain}\" is invalid")),
        Err(E::PortNotNumber(p)) => err(format!("registry port \"{p}\" must be a number")),
        Err(E::PortRange(p)) => err(format!("registry port \"{p}\" is out of range 1-65535")),
        Err(E::EmptyHost) => err("registry host is empty"),
        Err(E::TrailingDot(host)) => err(format!("registry host \"{host}\" must not end with '.'")),
        Err(E::BadLabel(host, bad)) => err(format!(
            "registry host \"{host}\" has an invalid label \"{bad}\""
        )),
    }
}

/// `text` lower-cased, borrowed when it has no upper case.
fn lower(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

fn check_path(path: &str) -> Result<(), ImageRefError> {
    if path.is_empty() {
        return err("repository path is empty");
    }
    if path.bytes().any(|b| b.is_ascii_uppercase()) {
        return err(format!("repository path \"{path}\" must be lower-case"));
    }
    for comp in path.split('/') {
        if comp.is_empty() {
            return err(format!("repository path \"{path}\" has an empty component"));
        }
        if !is_path_component(comp) {
            return err(format!(
                "repository path component \"{comp}\" is invalid (use a-z, 0-9 and single '.', '_', '__' or '-' between them)"
            ));
        }
    }
    Ok(())
}

impl<'a> ImageRef<'a> {
    /// Parse and normalise an image reference.
    pub fn parse(s: &'a str) -> Result<ImageRef<'a>, ImageRefError> {
        if s.is_empty() {
            return err("image reference is empty");
        }
        if s.trim() != s {
            return err("image reference has leading or trailing whitespace");
        }
        let allowed = |c: char| {
            c.is_ascii_alphanumeric()
                || matches!(c, '.' | '_' | '-' | '/' | ':' | '@' | '+' | '[' | ']')
        };
        if !s.bytes().all(|b| allowed(char::from(b)))
            && let Some(c) = s.chars().find(|&c| !allowed(c))
        {
            return err(format!(
                "image reference contains invalid character {c:?}",
                c = QuotedChar(c)
            ));
        }
        let (name_tag, digest) = match s.split_once('@') {
            Some((n, d)) => {
                if d.contains('@') {
                    return err("image reference has more than one '@'");
                }
                check_digest(d)?;
                (n, Some(d))
            }
            None => (s, None),
        };
        // A ':' after the last '/' starts the tag; earlier ones belong to the port.
        let (name, tag) = match name_tag.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n, Some(t)),
            _ => (name_tag, None),
        };
        if name.is_empty() {
            return err("repository name is empty");
        }
        if let Some(t) = tag {
            check_tag(t)?;
        }
        if digest.is_none()
            && tag.is_none()
            && name.len() == 64
            && name
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        {
            return err("a 64-character hex string is an image ID, not a repository name");
        }
        let (host, port, path) = match name.split_once('/') {
            Some((first, rest))
                if first
                    .bytes()
                    .any(|b| b == b'.' || b == b':' || b.is_ascii_uppercase())
                    || first == "localhost" =>
            {
                let (h, p) = parse_domain(first)?;
                (h, p, rest)
            }
            _ => (Cow::Borrowed(DEFAULT_HOST), None, name),
        };
        let host = if host == LEGACY_DEFAULT_HOST && port.is_none() {
            Cow::Borrowed(DEFAULT_HOST)
        } else {
            host
        };
        check_path(path)?;
        let path = if host == DEFAULT_HOST && port.is_none() && !path.contains('/') {
            Cow::Owned(format!("library/{path}"))
        } else {
            Cow::Borrowed(path)
        };
        let r = ImageRef {
            host,
            port,
            path,
            tag,
            digest,
        };
        let len = r.name_len();
        if len > NAME_TOTAL_LENGTH_MAX {
            return err(format!(
                "repository name is {len} characters long, the maximum is {NAME_TOTAL_LENGTH_MAX}"
            ));
        }
        Ok(r)
    }

    /// "host[:port]" (lower-case), e.g. "registry.example.com:5000"; formatted when shown.
    pub fn registry(&self) -> Registry<'_, 'a> {
        Registry(self)
    }

    /// "host[:port]/path", the normalised repository name, e.g. "docker.io/library/nginx".
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry(), self.path)
    }

    /// The length of [`ImageRef::name`], without building it.
    fn name_len(&self) -> usize {
        // ':' and the port's digits.
        let port = self
            .port
            .map_or(0, |p| 2 + p.checked_ilog10().unwrap_or(0) as usize);
        self.host.len() + port + 1 + self.path.len()
    }
}

/// See [`ImageRef::registry`].
#[derive(Debug, Clone, Copy)]
pub struct Registry<'r, 'a>(&'r ImageRef<'a>);

impl fmt::Display for Registry<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.port {
            // As `usize`: one integer printer fewer in the modules.
            Some(p) => write!(f, "{}:{}", self.0.host, usize::from(p)),
            None => f.write_str(&self.0.host),
        }
    }
}

impl fmt::Display for ImageRef<'_> {
    /// Normalised full form: `name[:tag][@digest]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry(), self.path)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const D64: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn valid() {
        let d = |s: &str| format!("{s}@{D64}");
        let cases: Vec<(String, &str)> = vec![
            ("nginx".into(), "docker.io/library/nginx"),
            ("nginx:1.25".into(), "docker.io/library/nginx:1.25"),
            ("library/nginx".into(), "docker.io/library/nginx"),
            ("docker.io/nginx".into(), "docker.io/library/nginx"),
            (
                "docker.io/library/nginx:latest".into(),
                "docker.io/library/nginx:latest",
            ),
            ("index.docker.io/nginx".into(), "docker.io/library/nginx"),
            ("bitnami/redis:7.2".into(), "docker.io/bitnami/redis:7.2"),
            ("localhost/a".into(), "localhost/a"),
            ("localhost:5000/a".into(), "localhost:5000/a"),
            ("LOCALHOST/a".into(), "localhost/a"),
            ("Foo/bar".into(), "foo/bar"),
            ("localhost:5000".into(), "docker.io/library/localhost:5000"),
            (
                "registry.example.com:5000/team/app:v1".into(),
                "registry.example.com:5000/team/app:v1",
            ),
            (
                "Registry.CN-Hangzhou.aliyuncs.com/ns/app:v1".into(),
                "registry.cn-hangzhou.aliyuncs.com/ns/app:v1",
            ),
            (
                "test-registry-vpc.cn-beijing.cr.aliyuncs.com/ns/app".into(),
                "test-registry-vpc.cn-beijing.cr.aliyuncs.com/ns/app",
            ),
            (
                "x-registry.distributed.cn-hangzhou.cr.aliyuncs.com:65001/ns/app:1".into(),
                "x-registry.distributed.cn-hangzhou.cr.aliyuncs.com:65001/ns/app:1",
            ),
            (
                d("nginx"),
                "docker.io/library/nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ),
            (
                d("quay.io/org/app:1.0"),
                "quay.io/org/app:1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ),
            ("app@sha512:".to_string() + &"ab".repeat(64), ""),
            (
                "app@blake3:".to_string() + &"0".repeat(32),
                "docker.io/library/app@blake3:00000000000000000000000000000000",
            ),
            (
                "a/b__c/d-e--f/g.h_i:_tag".into(),
                "docker.io/a/b__c/d-e--f/g.h_i:_tag",
            ),
            ("10.0.0.1:5000/app".into(), "10.0.0.1:5000/app"),
            ("[::1]:5000/app".into(), "[::1]:5000/app"),
            (
                "gcr.io/distroless/static:nonroot".into(),
                "gcr.io/distroless/static:nonroot",
            ),
            ("nginx:A.b-C_1".into(), "docker.io/library/nginx:A.b-C_1"),
        ];
        for (input, want) in &cases {
            let r = ImageRef::parse(input);
            assert!(r.is_ok(), "{input:?}: {r:?}");
            let r = r.unwrap();
            if !want.is_empty() {
                assert_eq!(r.to_string(), *want, "{input:?}");
            }
            // Display round-trips, except for single-label hosts recognised only by
            // their upper case ("Foo/bar" -> host "foo"), which re-read as docker.io.
            if input.as_str() != "Foo/bar" {
                assert_eq!(ImageRef::parse(&r.to_string()).unwrap(), r, "{input:?}");
            }
        }
    }

    #[test]
    fn fields() {
        let r = ImageRef::parse("Registry.CN-Hangzhou.aliyuncs.com:443/ns/app:v1").unwrap();
        assert_eq!(r.host, "registry.cn-hangzhou.aliyuncs.com");
        assert_eq!(r.port, Some(443));
        assert_eq!(r.path, "ns/app");
        assert_eq!(r.tag, Some("v1"));
        assert_eq!(r.digest, None);
        assert_eq!(
            r.registry().to_string(),
            "registry.cn-hangzhou.aliyuncs.com:443"
        );
        assert_eq!(r.name(), "registry.cn-hangzhou.aliyuncs.com:443/ns/app");
        let text = format!("nginx:1@{D64}");
        let r = ImageRef::parse(&text).unwrap();
        assert_eq!(r.host, "docker.io");
        assert_eq!(r.port, None);
        assert_eq!(r.path, "library/nginx");
        assert_eq!(r.tag, Some("1"));
        assert_eq!(r.digest, Some(D64));
        assert_eq!(r.registry().to_string(), "docker.io");
    }

    #[test]
    fn invalid() {
        let long_tag = format!("nginx:{}", "a".repeat(129));
        let cases: Vec<(String, &str)> = vec![
            (String::new(), "empty"),
            (" nginx".into(), "whitespace"),
            ("nginx\n".into(), "whitespace"),
            ("ngi nx".into(), "invalid character ' '"),
            ("a/B".into(), "must be lower-case"),
            ("NGINX".into(), "must be lower-case"),
            (
                "registry.example.com/Team/App".into(),
                "repository path \"Team/App\" must be lower-case",
            ),
            (":tag".into(), "repository name is empty"),
            ("@sha256:abc".into(), "must have exactly 64"),
            ("app@sha256:short".into(), "hexadecimal"),
            ("app@sha256:abcd".into(), "exactly 64"),
            (format!("app@sha256:{}", "A".repeat(64)), "lower-case hex"),
            ("app@sha256".into(), "<algorithm>:<hex>"),
            (format!("app@SHA256:{}", "a".repeat(64)), "algorithm"),
            (format!("app@blake3:{}", "a".repeat(31)), "at least 32"),
            (format!("a@b@{D64}"), "more than one '@'"),
            ("nginx:".into(), "empty tag"),
            ("nginx:.1".into(), "must start"),
            ("nginx:-1".into(), "must start"),
            (long_tag, "longer than 128"),
            (
                "registry.cn-hangzhou.aliyuncs.com./x".into(),
                "must not end with '.'",
            ),
            ("-bad.example.com/x".into(), "invalid label"),
            ("bad-.example.com/x".into(), "invalid label"),
            ("a..b.com/x".into(), "invalid label \"\""),
            ("example.com:0/x".into(), "out of range"),
            ("example.com:65536/x".into(), "out of range"),
            ("example.com:port/x".into(), "must be a number"),
            ("example.com:/x".into(), "must be a number"),
            ("*.example.com/x".into(), "'*'"),
            ("registry.example.com/<ns>/app".into(), "'<'"),
            ("nginx:<tag>".into(), "'<'"),
            ("example.com/".into(), "repository path is empty"),
            ("example.com/a//b".into(), "empty component"),
            ("a/b/".into(), "empty component"),
            ("a/.b".into(), "invalid"),
            ("a/b.".into(), "invalid"),
            ("a/b...c".into(), "invalid"),
            ("a/b_-c".into(), "invalid"),
            ("a/b___c".into(), "invalid"),
            ("[::1/app".into(), "unclosed"),
            ("[zz]:5000/app".into(), "IPv6"),
            ("registry.example.com/app:v1/x".into(), "invalid"),
            ("f".repeat(64), "image ID"),
            ("nginx@sha256:ÄÄ".into(), "invalid character"),
        ];
        for (input, frag) in &cases {
            let reason = match ImageRef::parse(input) {
                Ok(r) => format!("unexpectedly parsed as {r}"),
                Err(e) => e.reason,
            };
            assert!(reason.contains(frag), "{input:?}: {reason}");
        }
    }

    #[test]
    fn reason_style() {
        for input in ["", " a", "a/B", ":t", "app@sha256:short", "x..y/z"] {
            let e = ImageRef::parse(input).unwrap_err();
            let first = e.reason.chars().next().unwrap();
            assert!(!first.is_uppercase(), "{input:?}: {}", e.reason);
            assert!(!e.reason.ends_with('.'), "{input:?}: {}", e.reason);
        }
    }

    #[test]
    fn length_limit() {
        // "registry.example.com/" is 21 chars.
        let ok = format!("registry.example.com/{}", "a".repeat(255 - 21));
        let too_long = format!("registry.example.com/{}", "a".repeat(256 - 21));
        assert_eq!(ok.len(), 255);
        assert_eq!(too_long.len(), 256);
        assert!(ImageRef::parse(&ok).is_ok());
        assert!(ImageRef::parse(&format!("{ok}:tag")).is_ok());
        let e = ImageRef::parse(&too_long).unwrap_err();
        assert!(e.reason.contains("256"), "{}", e.reason);
        // Normalisation counts: "docker.io/library/" + 238 = 256.
        let short = "a".repeat(238);
        assert!(ImageRef::parse(&short).is_err());
        assert!(ImageRef::parse(&"a".repeat(237)).is_ok());
    }

    #[test]
    fn no_panic_on_odd_input() {
        let inputs = [
            "@",
            ":",
            "/",
            "//",
            "::",
            "@@",
            "[",
            "]",
            "[]",
            "[]/a",
            "a:@",
            ":@sha256:",
            "a/b:c@",
            "é",
            "a/é",
            "😀",
            "a:😀",
            "[:::]/a",
            "a:b:c",
            "a:b/c:d",
            "localhost:/a",
        ];
        for i in inputs {
            let _ = ImageRef::parse(i);
        }
    }
}
