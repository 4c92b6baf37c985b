//! `host[:port]`: the one parser for registry addresses. Image references, the
//! `plain-http-registry` / `insecure-registry` lists, configured custom domains and the ACR
//! host classifier all read addresses through [`parse`]; each caller words the errors for its
//! own context.

#![forbid(unsafe_code)]

/// A parsed `host[:port]`. `host` is as written (IPv6 literals keep their brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostPort<'a> {
    pub host: &'a str,
    pub port: Option<u16>,
}

/// Why a text is not `host[:port]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostPortError<'a> {
    /// `[` with no closing `]`.
    UnclosedBracket,
    /// `[...]` whose inside is not hex digits and colons.
    BadIpv6,
    /// Something other than `:port` after `]`.
    AfterBracket,
    /// The port is not a run of digits (the port text).
    PortNotNumber(&'a str),
    /// The port is digits outside 1-65535 (the port text).
    PortRange(&'a str),
    EmptyHost,
    /// The host ends with '.' (the host).
    TrailingDot(&'a str),
    /// A label that is not `[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?` (host, label).
    BadLabel(&'a str, &'a str),
}

/// `[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?`, any length (the distribution grammar's domain
/// component; RFC 1123 length limits are [`HostPort::is_rfc1123`]).
fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            f.is_ascii_alphanumeric()
                && l.is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        }
        _ => false,
    }
}

/// Parse `host[:port]`: a DNS name or IPv4 address (labels of letters, digits and inner '-')
/// or a bracketed IPv6 literal, and an optional port 1-65535 written as digits.
pub fn parse(text: &str) -> Result<HostPort<'_>, HostPortError<'_>> {
    match plain(text) {
        Some(parsed) => Ok(parsed),
        None => parse_slow(text),
    }
}

/// The usual address, a DNS name with an optional port, in one pass over its bytes; `None`
/// for anything else, which [`parse_slow`] reads and words the error for.
fn plain(text: &str) -> Option<HostPort<'_>> {
    let bytes = text.as_bytes();
    let (mut label_start, mut prev) = (0usize, b'.');
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'.' | b':' => {
                // A label is non-empty and does not end with '-'.
                if i == label_start || !prev.is_ascii_alphanumeric() {
                    return None;
                }
                if b == b':' {
                    let port = text.get(i + 1..)?;
                    if port.is_empty() || !port.bytes().all(|c| c.is_ascii_digit()) {
                        return None;
                    }
                    let port = port.parse::<u16>().ok().filter(|&p| p > 0)?;
                    return Some(HostPort {
                        host: text.get(..i)?,
                        port: Some(port),
                    });
                }
                label_start = i + 1;
            }
            b'-' if i != label_start => {}
            _ if b.is_ascii_alphanumeric() => {}
            _ => return None,
        }
        prev = b;
    }
    (!bytes.is_empty() && prev.is_ascii_alphanumeric()).then_some(HostPort {
        host: text,
        port: None,
    })
}

fn parse_slow(text: &str) -> Result<HostPort<'_>, HostPortError<'_>> {
    let (host, port) = if text.starts_with('[') {
        let Some((inner, rest)) = text.split_once(']') else {
            return Err(HostPortError::UnclosedBracket);
        };
        let inner = inner.strip_prefix('[').unwrap_or(inner);
        if inner.is_empty() || !inner.bytes().all(|c| c.is_ascii_hexdigit() || c == b':') {
            return Err(HostPortError::BadIpv6);
        }
        let port = match rest.strip_prefix(':') {
            Some(p) => Some(p),
            None if rest.is_empty() => None,
            None => return Err(HostPortError::AfterBracket),
        };
        let host = text.get(..inner.len() + 2).unwrap_or(text);
        (host, port)
    } else {
        match text.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) => {
            return Err(HostPortError::PortNotNumber(p));
        }
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err(HostPortError::PortRange(p)),
        },
    };
    if !host.starts_with('[') {
        if host.is_empty() {
            return Err(HostPortError::EmptyHost);
        }
        if host.ends_with('.') {
            return Err(HostPortError::TrailingDot(host));
        }
        if let Some(bad) = host.split('.').find(|l| !is_label(l)) {
            return Err(HostPortError::BadLabel(host, bad));
        }
    }
    Ok(HostPort { host, port })
}

impl HostPort<'_> {
    /// A bracketed IPv6 literal.
    pub fn is_ipv6(&self) -> bool {
        self.host.starts_with('[')
    }

    /// Within RFC 1123's limits (labels of at most 63, names of at most 253 characters), or an
    /// IPv6 literal that contains a ':'.
    pub fn is_rfc1123(&self) -> bool {
        if self.is_ipv6() {
            return self.host.contains(':');
        }
        self.host.len() <= 253 && self.host.split('.').all(|l| l.len() <= 63)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    #[test]
    fn the_one_pass_reading_agrees_with_the_full_parser() {
        for text in [
            "registry.example.com",
            "registry.example.com:5000",
            "Registry.Example.COM:443",
            "a",
            "a-b.c-d",
            "localhost:1",
            "10.0.0.1:65535",
            "",
            ".",
            "a.",
            ".a",
            "a..b",
            "-a",
            "a-",
            "a-.b",
            "a:",
            "a:0",
            "a:65536",
            "a:x",
            "a:1:2",
            "a_b",
            "[::1]:5000",
            "ä.com",
        ] {
            let fast = plain(text);
            if let Some(fast) = fast {
                assert_eq!(Ok(fast), parse_slow(text), "{text:?}");
            }
            assert_eq!(parse(text), parse_slow(text), "{text:?}");
        }
    }

    use super::*;
    use HostPortError::*;

    fn hp(host: &str, port: Option<u16>) -> Result<HostPort<'_>, HostPortError<'_>> {
        Ok(HostPort { host, port })
    }

    #[test]
    fn table() {
        let cases: &[(&str, Result<HostPort, HostPortError>)] = &[
            ("registry.example.com", hp("registry.example.com", None)),
            (
                "Registry.Example.com:5000",
                hp("Registry.Example.com", Some(5000)),
            ),
            ("localhost:05000", hp("localhost", Some(5000))),
            ("10.0.0.8", hp("10.0.0.8", None)),
            ("[::1]:5000", hp("[::1]", Some(5000))),
            ("[fe80::1]", hp("[fe80::1]", None)),
            ("[::1", Err(UnclosedBracket)),
            ("[zz]", Err(BadIpv6)),
            ("[]", Err(BadIpv6)),
            ("[::1]x", Err(AfterBracket)),
            ("a.com:", Err(PortNotNumber(""))),
            ("a.com:+1", Err(PortNotNumber("+1"))),
            ("a.com:b:c", Err(PortNotNumber("b:c"))),
            ("a.com:0", Err(PortRange("0"))),
            ("a.com:65536", Err(PortRange("65536"))),
            (
                "a.com:99999999999999999999",
                Err(PortRange("99999999999999999999")),
            ),
            (":5000", Err(EmptyHost)),
            ("", Err(EmptyHost)),
            ("a.com.", Err(TrailingDot("a.com."))),
            ("a..com", Err(BadLabel("a..com", ""))),
            ("-a.com", Err(BadLabel("-a.com", "-a"))),
            ("a_b.com", Err(BadLabel("a_b.com", "a_b"))),
            ("é.com", Err(BadLabel("é.com", "é"))),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text), *want, "{text:?}");
        }
    }

    #[test]
    fn rfc1123_limits() {
        let long_label = format!("{}.com", "a".repeat(64));
        assert!(!parse(&long_label).unwrap().is_rfc1123());
        let ok_label = format!("{}.com", "a".repeat(63));
        assert!(parse(&ok_label).unwrap().is_rfc1123());
        let long_name = vec!["a".repeat(60); 5].join(".");
        assert!(!parse(&long_name).unwrap().is_rfc1123());
        assert!(parse("[::1]").unwrap().is_rfc1123());
        assert!(!parse("[abcd]").unwrap().is_rfc1123());
    }
}
