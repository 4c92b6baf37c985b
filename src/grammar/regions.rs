//! Alibaba Cloud region ids: the grammar and the table of known regions.

#![forbid(unsafe_code)]

use super::text::edit_distance;

/// Region IDs listed in the domain notes (public cloud, industry clouds, internal/edge).
pub const KNOWN_REGIONS: &[&str] = &[
    "cn-qingdao",
    "cn-beijing",
    "cn-zhangjiakou",
    "cn-huhehaote",
    "cn-wulanchabu",
    "cn-hangzhou",
    "cn-shanghai",
    "cn-nanjing",
    "cn-fuzhou",
    "cn-wuhan-lr",
    "cn-shenzhen",
    "cn-heyuan",
    "cn-guangzhou",
    "cn-chengdu",
    "cn-hongkong",
    "cn-zhengzhou-jva",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-southeast-8",
    "ap-south-1",
    "us-west-1",
    "us-east-1",
    "eu-central-1",
    "eu-west-1",
    "me-east-1",
    "me-central-1",
    "cn-shanghai-finance-1",
    "cn-shenzhen-finance-1",
    "cn-beijing-finance-1",
    "cn-north-2-gov-1",
    "cn-qingdao-nebula",
    "cn-heyuan-acdr-1",
];

/// `^[a-z]{2}(-[a-z0-9]+)+$`
pub fn is_region_grammar(s: &str) -> bool {
    let mut parts = s.split('-');
    let Some(first) = parts.next() else {
        return false;
    };
    if first.len() != 2 || !first.bytes().all(|b| b.is_ascii_lowercase()) {
        return false;
    }
    let mut rest = 0usize;
    for p in parts {
        if p.is_empty()
            || !p
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return false;
        }
        rest += 1;
    }
    rest > 0
}

/// Exact member of [`KNOWN_REGIONS`].
pub fn is_known_region(s: &str) -> bool {
    KNOWN_REGIONS.contains(&s)
}

/// The known region nearest to `s` within edit distance 2 (ties: first in
/// [`KNOWN_REGIONS`]); a known region returns itself. Input is compared lower-cased.
pub fn closest_region(s: &str) -> Option<&'static str> {
    let lower = s.to_ascii_lowercase();
    let mut best: Option<(usize, &'static str)> = None;
    for &r in KNOWN_REGIONS {
        let bound = best.map_or(2, |(d, _)| d.saturating_sub(1));
        if best.is_some_and(|(d, _)| d == 0) {
            break;
        }
        if let Some(d) = edit_distance(&lower, r, bound)
            && best.is_none_or(|(bd, _)| d < bd)
        {
            best = Some((d, r));
        }
    }
    best.map(|(_, r)| r)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn region_grammar() {
        let cases: &[(&str, bool)] = &[
            ("cn-hangzhou", true),
            ("cn-shanghai-finance-1", true),
            ("cn-heyuan-acdr-1", true),
            ("ap-southeast-1", true),
            ("cn-north-2-gov-1", true),
            ("cn", false),
            ("cn-", false),
            ("-cn-hangzhou", false),
            ("cn--hangzhou", false),
            ("CN-hangzhou", false),
            ("cn-Hangzhou", false),
            ("c1-hangzhou", false),
            ("chn-hangzhou", false),
            ("cn_hangzhou", false),
            ("cn-hangzhou ", false),
            ("", false),
            ("cn-beijng", true),
        ];
        for (s, want) in cases {
            assert_eq!(is_region_grammar(s), *want, "{s:?}");
        }
        for r in KNOWN_REGIONS {
            assert!(is_region_grammar(r), "{r}");
            assert!(is_known_region(r), "{r}");
        }
        assert!(!is_known_region("cn-beijng"));
    }

    #[test]
    fn closest() {
        let cases: &[(&str, Option<&str>)] = &[
            ("cn-beijng", Some("cn-beijing")),
            ("cn-hangzhou", Some("cn-hangzhou")),
            ("cn-hangzou", Some("cn-hangzhou")),
            ("CN-Shanghai", Some("cn-shanghai")),
            ("ap-southeast-9", Some("ap-southeast-1")),
            ("us-west-2", Some("us-west-1")),
            ("mars-central-1", None),
            ("", None),
            ("cn-shanghai-finance-2", Some("cn-shanghai-finance-1")),
        ];
        for (s, want) in cases {
            assert_eq!(closest_region(s), *want, "{s:?}");
        }
    }
}
