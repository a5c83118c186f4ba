//! Parsing and validating what users type: environment names and durations.
//! Checked before any request reaches the cluster, so bad input changes nothing.

use crate::error::{Error, Result};
use std::time::Duration;

/// Longest namespace name Kubernetes accepts (a DNS-1123 label).
pub const MAX_NAMESPACE_LEN: usize = 63;

/// Validates an environment name and returns the namespace it lives in (`prefix` + name).
pub fn namespace_for(name: &str, prefix: &str) -> Result<String> {
    let bad = |reason: String| Error::InvalidName {
        name: name.to_string(),
        reason,
    };
    if name.is_empty() {
        return Err(bad(
            "the name is empty; use lowercase letters, digits and '-', e.g. pr-42".into(),
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(bad(format!(
            "{c:?} is not allowed; use lowercase letters, digits and '-' (a DNS label), e.g. {}",
            suggest(name)
        )));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(bad(format!(
            "it must start and end with a letter or digit, e.g. {}",
            suggest(name)
        )));
    }
    if is_reserved(name) {
        return Err(bad(
            "the name is reserved (default, kube-*, kubenv-system); pick another name".into(),
        ));
    }
    let ns = format!("{prefix}{name}");
    if ns.len() > MAX_NAMESPACE_LEN {
        return Err(bad(format!(
            "the namespace {ns:?} would be {} characters; the limit is {MAX_NAMESPACE_LEN} (the name may have at most {})",
            ns.len(),
            MAX_NAMESPACE_LEN.saturating_sub(prefix.len())
        )));
    }
    if is_reserved(&ns) {
        return Err(bad(format!(
            "the namespace {ns:?} is reserved for the cluster; pick another name"
        )));
    }
    Ok(ns)
}

/// Namespaces no environment may take, whatever the prefix.
pub fn is_reserved(ns: &str) -> bool {
    ns.starts_with("kube-") || matches!(ns, "default" | "kubenv-system" | "kube")
}

fn suggest(name: &str) -> String {
    let mut s: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    let s = s.trim_matches('-').to_string();
    if s.is_empty() { "pr-42".into() } else { s }
}

/// Longest duration accepted anywhere (TTLs, token lifetimes): ten years.
pub const MAX_DURATION: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Parses durations such as `90m`, `12h`, `2d`, `1w`, `1d12h`, `30s`.
pub fn parse_duration(s: &str) -> Result<Duration> {
    let bad = |why: &str| {
        Error::InvalidInput(format!(
            "invalid duration {s:?}: {why}; use a positive number with a unit s, m, h, d or w, e.g. 2d or 1d12h"
        ))
    };
    let t = s.trim();
    if t.is_empty() {
        return Err(bad("it is empty"));
    }
    if t.starts_with('-') {
        return Err(bad("it is negative"));
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    let mut saw_unit = false;
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let mult: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad(&format!("unknown unit {c:?}"))),
        };
        if num.is_empty() {
            return Err(bad("a unit must follow a number"));
        }
        let n: u64 = num.parse().map_err(|_| bad("the number is too large"))?;
        total = n
            .checked_mul(mult)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| bad("it is too long"))?;
        num.clear();
        saw_unit = true;
    }
    if !num.is_empty() {
        return Err(bad("the last number has no unit"));
    }
    if !saw_unit || total == 0 {
        return Err(bad("it must be longer than zero"));
    }
    let d = Duration::from_secs(total);
    if d > MAX_DURATION {
        return Err(bad("it is longer than ten years"));
    }
    Ok(d)
}

/// Short human form of a duration, as kubectl prints ages: `45s`, `12m`, `5h`, `3d`.
pub fn human_duration(secs: i64) -> String {
    let neg = secs < 0;
    let s = secs.unsigned_abs();
    let out = if s < 120 {
        format!("{s}s")
    } else if s < 2 * 3600 {
        format!("{}m", s / 60)
    } else if s < 2 * 86_400 {
        let (h, m) = (s / 3600, (s % 3600) / 60);
        if h < 10 && m > 0 {
            format!("{h}h{m}m")
        } else {
            format!("{h}h")
        }
    } else {
        let (d, h) = (s / 86_400, (s % 86_400) / 3600);
        if d < 8 && h > 0 {
            format!("{d}d{h}h")
        } else {
            format!("{d}d")
        }
    };
    if neg { format!("-{out}") } else { out }
}

/// Turns any identity into a valid label value (owner labels are for selection only; the
/// full identity lives in an annotation).
pub fn label_value(s: &str) -> String {
    let mut v: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    v.truncate(63);
    v.trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(namespace_for("pr-42", "env-").unwrap(), "env-pr-42");
        assert_eq!(namespace_for("a", "").unwrap(), "a");
        for bad in ["", "PR-42", "pr_42", "-pr", "pr-", "pr.42", "ünï", "a b"] {
            let e = namespace_for(bad, "env-").unwrap_err();
            assert!(matches!(e, Error::InvalidName { .. }), "{bad}");
            assert_eq!(e.exit_code(), 2);
        }
        let long = "a".repeat(60);
        let msg = namespace_for(&long, "env-").unwrap_err().to_string();
        assert!(msg.contains("at most 59"), "{msg}");
        assert!(namespace_for(&"a".repeat(59), "env-").is_ok());
        for reserved in ["default", "kube-system", "kube-public", "kubenv-system"] {
            assert!(namespace_for(reserved, "").is_err(), "{reserved}");
        }
        assert!(namespace_for("PR_42", "").unwrap_err().to_string().contains("pr-42"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172_800));
        assert_eq!(parse_duration("1d12h").unwrap(), Duration::from_secs(129_600));
        assert_eq!(parse_duration("1w").unwrap(), Duration::from_secs(604_800));
        for bad in [
            "",
            "-1h",
            "2x",
            "99999d",
            "h",
            "10",
            "0h",
            "1.5h",
            "99999999999999999999999h",
        ] {
            let e = parse_duration(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
            assert!(e.to_string().contains("e.g. 2d"), "{bad}");
        }
    }

    #[test]
    fn human() {
        assert_eq!(human_duration(30), "30s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 600), "3h10m");
        assert_eq!(human_duration(2 * 86_400 + 3600), "2d1h");
        assert_eq!(human_duration(-600), "-10m");
    }

    #[test]
    fn label_values() {
        assert_eq!(label_value("alice@example.com"), "alice_example.com");
        assert_eq!(
            label_value("system:serviceaccount:ns:ci"),
            "system_serviceaccount_ns_ci"
        );
        assert!(label_value(&"x".repeat(100)).len() <= 63);
    }
}
