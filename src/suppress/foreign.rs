//! Other tools' ignore comments (checkov, trivy, tfsec) and the cloudlint rules their ids stand
//! for. Only exact aliases map; a partial overlap (`~` in RULES.md) never silences a rule.

use crate::rules;

/// trivy's long ids (`aws-<service>-<short code>`, and the names older releases and tfsec used)
/// for the AVD ids that are exact aliases of a cloudlint rule.
const LONG_IDS: &[(&str, &[&str])] = &[
    (
        "AWS-0008",
        &[
            "aws-ec2-enable-launch-config-at-rest-encryption",
            "aws-autoscaling-enable-at-rest-encryption",
        ],
    ),
    ("AWS-0016", &["aws-cloudtrail-enable-log-validation"]),
    (
        "AWS-0026",
        &[
            "aws-ec2-enable-volume-encryption",
            "aws-ebs-enable-volume-encryption",
        ],
    ),
    ("AWS-0086", &["aws-s3-block-public-acls"]),
    ("AWS-0087", &["aws-s3-block-public-policy"]),
    ("AWS-0091", &["aws-s3-ignore-public-acls"]),
    ("AWS-0092", &["aws-s3-no-public-access-with-acl"]),
    ("AWS-0093", &["aws-s3-no-public-buckets"]),
    ("AWS-0094", &["aws-s3-specify-public-access-block"]),
    ("AWS-0131", &["aws-ec2-enable-at-rest-encryption"]),
];

/// The id and reason of another tool's directive in a comment's text, unless it has expired by
/// `today()` (`YYYY-MM-DD`): `checkov:skip=CKV_AWS_20:reason`, `trivy:ignore:AVD-AWS-0092`,
/// `tfsec:ignore:aws-s3-no-public-access-with-acl:exp:2027-01-31`, `trivy:ignore:AVD-AWS-0092[bucket=x]`.
pub(super) fn request(text: &str, today: fn() -> String) -> Option<(String, Option<String>)> {
    if let Some(rest) = text.strip_prefix("checkov:skip=") {
        let (id, reason) = match rest.split_once(':') {
            Some((id, reason)) => (id, super::non_empty(reason)),
            None => (rest, None),
        };
        return Some((id.trim().to_string(), reason));
    }
    let rest = ["trivy:ignore:", "tfsec:ignore:"]
        .iter()
        .find_map(|prefix| text.strip_prefix(prefix))?;
    let directive = rest.split_whitespace().next().unwrap_or("");
    let mut parts = directive.split(':');
    let id = parts.next().unwrap_or("");
    // `[attribute=value]` narrows the ignore to matching resources; the comment already sits at one.
    let id = id.split_once('[').map_or(id, |(id, _)| id);
    while let Some(option) = parts.next() {
        if option == "exp"
            && let Some(date) = parts.next()
            && is_date(date)
            && date < today().as_str()
        {
            return None;
        }
    }
    Some((id.to_string(), None))
}

fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(at, byte)| match at {
            4 | 7 => *byte == b'-',
            _ => byte.is_ascii_digit(),
        })
}

/// The query ids of KICS's file-wide `kics-scan disable=ID[,ID]`; `ignore-line`, `ignore-block`
/// and a bare `ignore` name no query, so they map to no rule.
pub(super) fn kics_disabled(text: &str) -> Option<Vec<String>> {
    let ids = text.strip_prefix("kics-scan disable=")?;
    let ids = ids.split_whitespace().next().unwrap_or("");
    Some(
        ids.split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

/// Rules another tool's id stands for: `AVD-AWS-0092`, `AWS-0092` and trivy's long id alike.
pub(super) fn aliased(id: &str) -> Vec<&'static str> {
    let bare = |s: &str| {
        let s = s.trim();
        s.strip_prefix("AVD-")
            .or_else(|| s.strip_prefix("avd-"))
            .unwrap_or(s)
            .to_ascii_lowercase()
    };
    let mut id = bare(id);
    if let Some((short, _)) = LONG_IDS
        .iter()
        .find(|(_, long)| long.iter().any(|long| long.eq_ignore_ascii_case(&id)))
    {
        id = bare(short);
    }
    rules::ALL
        .iter()
        .filter(|rule| rule.meta.aliases.iter().any(|alias| bare(alias) == id))
        .map(|rule| rule.meta.name)
        .collect()
}

/// The proleptic Gregorian date `days` after 1970-01-01, as `YYYY-MM-DD` (Howard Hinnant's
/// `civil_from_days`).
pub(super) fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_match_with_or_without_avd_and_by_long_id() {
        assert_eq!(aliased("CKV_AWS_62"), ["iam-wildcard-admin-policy"]);
        assert_eq!(aliased("AVD-AWS-0092"), ["s3-public-acl"]);
        assert_eq!(aliased("aws-0092"), ["s3-public-acl"]);
        assert_eq!(
            aliased("aws-s3-no-public-access-with-acl"),
            ["s3-public-acl"]
        );
        assert_eq!(
            aliased("aws-ebs-enable-volume-encryption"),
            ["ec2-unencrypted-ebs-volume"]
        );
        assert!(aliased("CKV_AWS_99999").is_empty());
        // A partial overlap is not an alias.
        assert!(aliased("AVD-AWS-0057").is_empty());
    }

    #[test]
    fn kics_disables_queries_by_id_and_names_none_otherwise() {
        assert_eq!(
            kics_disabled("kics-scan disable=a-1,b-2 trailing words"),
            Some(vec!["a-1".to_string(), "b-2".to_string()])
        );
        assert_eq!(kics_disabled("kics-scan ignore-block"), None);
        assert_eq!(kics_disabled("kics-scan ignore-line"), None);
        assert_eq!(kics_disabled("checkov:skip=CKV_AWS_1"), None);
    }

    #[test]
    fn every_long_id_belongs_to_an_alias() {
        for (short, _) in LONG_IDS {
            assert_eq!(aliased(short).len(), 1, "{short}");
        }
    }

    #[test]
    fn trivy_options_and_expiry() {
        let today = || "2026-11-23".to_string();
        assert_eq!(
            request("trivy:ignore:AVD-AWS-0092[bucket=logs]", today),
            Some(("AVD-AWS-0092".into(), None))
        );
        assert_eq!(
            request(
                "tfsec:ignore:aws-s3-block-public-acls:exp:2027-01-31",
                today
            ),
            Some(("aws-s3-block-public-acls".into(), None))
        );
        assert_eq!(
            request("trivy:ignore:AVD-AWS-0092:exp:2025-01-31", today),
            None
        );
        assert_eq!(
            request("checkov:skip=CKV_AWS_20: public site", today),
            Some(("CKV_AWS_20".into(), Some("public site".into())))
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_415), "2025-11-23");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }
}
