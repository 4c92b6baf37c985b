//! Alibaba Cloud region ids: the grammar and the table of known regions.

#![forbid(unsafe_code)]

use super::text::edit_distance;

/// Alibaba Cloud region ids, one table for every check that names a region.
///
/// Source: Alibaba Cloud's region endpoint tables (the ECI, ESS and ECS API endpoint pages,
/// <https://www.alibabacloud.com/help/doc-detail/181099.htm>,
/// <https://help.aliyun.com/en/auto-scaling/developer-reference/api-ess-2014-08-28-endpoint>,
/// <https://alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-endpoint>), as
/// collected in the project's domain notes, and the regions Alibaba Cloud's API endpoint maps
/// list in 2026 (`us-southeast-1` US (Atlanta), `na-south-1` Mexico, `cn-hangzhou-finance`).
/// Checked 2026. Closed regions stay listed: old manifests still name them. The list grows,
/// so an id missing here is only a warning (`instance-region-unknown`).
pub const KNOWN_REGIONS: &[&str] = &[
    // China (public cloud)
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
    // Asia Pacific
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
    // Europe and Americas
    "us-west-1",
    "us-east-1",
    "us-southeast-1",
    "na-south-1",
    "eu-central-1",
    "eu-west-1",
    // Middle East
    "me-east-1",
    "me-central-1",
    // Industry clouds (finance, government)
    "cn-hangzhou-finance",
    "cn-shanghai-finance-1",
    "cn-shenzhen-finance-1",
    "cn-beijing-finance-1",
    "cn-north-2-gov-1",
    // Internal and edge ids seen in ACR hosts
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

/// The known region a mistyped `s` most likely meant: the one known region within edit
/// distance 1 (compared lower-cased), unless the only difference is one digit for another
/// (`us-west-2` is another region, not a typo of `us-west-1`) or several regions are that
/// close. A known region returns itself.
pub fn closest_region(s: &str) -> Option<&'static str> {
    let lower = s.to_ascii_lowercase();
    if let Some(&known) = KNOWN_REGIONS.iter().find(|r| **r == lower) {
        return Some(known);
    }
    let mut found = KNOWN_REGIONS
        .iter()
        .copied()
        .filter(|r| edit_distance(&lower, r, 1).is_some() && !digit_swap(&lower, r));
    match (found.next(), found.next()) {
        (Some(r), None) => Some(r),
        _ => None,
    }
}

/// Same length, and the one position where they differ holds a digit in both.
fn digit_swap(a: &str, b: &str) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diffs = a.bytes().zip(b.bytes()).filter(|(x, y)| x != y);
    matches!(
        (diffs.next(), diffs.next()),
        (Some((x, y)), None) if x.is_ascii_digit() && y.is_ascii_digit()
    )
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
            ("cn-hangzhu", Some("cn-hangzhou")),
            ("CN-Shanghai", Some("cn-shanghai")),
            ("us-southeast-1", Some("us-southeast-1")),
            // A new number is a new region, not a typo.
            ("ap-southeast-9", None),
            ("us-west-2", None),
            ("cn-shanghai-finance-2", None),
            // Two edits away, or several regions one edit away: no guess.
            ("us-southeast-2x", None),
            ("cn-shangai", Some("cn-shanghai")),
            ("cn-hangzhoux1", None),
            ("mars-central-1", None),
            ("", None),
        ];
        for (s, want) in cases {
            assert_eq!(closest_region(s), *want, "{s:?}");
        }
    }
}
