//! Parsing and validating what users type: environment names and durations.
//! Checked before any request reaches the cluster, so bad input changes nothing.

use std::time::Duration;

/// What is wrong with something a user typed. Every variant is a usage error (exit 2).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Not a valid environment name (a DNS label, not reserved, short enough).
    #[error("invalid environment name {name:?}: {reason}")]
    InvalidName { name: String, reason: String },
    /// Not a duration such as `2d` or `1d12h`.
    #[error(
        "invalid duration {given:?}: {reason}; use a positive number with a unit s, m, h, d or w, e.g. 2d or 1d12h"
    )]
    InvalidDuration { given: String, reason: String },
    /// A length for names made from branches outside what a namespace allows.
    #[error(
        "--max-length {given} is out of range; use {BRANCH_NAME_MIN} to {MAX_NAMESPACE_LEN} (the policy's namespace prefix counts towards 63)"
    )]
    MaxLength { given: usize },
    /// A `KEY=VALUE` of `create --label` or `--annotation` that cannot be used.
    #[error("invalid {flag} {given:?}: {reason}")]
    InvalidMetadata {
        flag: &'static str,
        given: String,
        reason: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An environment name, checked once where it is typed (clap's value parser) and typed after.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct EnvName(String);

impl EnvName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for EnvName {
    type Err = Error;

    fn from_str(s: &str) -> Result<EnvName> {
        namespace_for(s, "")?;
        Ok(EnvName(s.to_string()))
    }
}

impl std::ops::Deref for EnvName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for EnvName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EnvName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<EnvName> for String {
    fn from(n: EnvName) -> String {
        n.0
    }
}

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
    let bad = |why: &str| Error::InvalidDuration {
        given: s.to_string(),
        reason: why.to_string(),
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

/// Label and annotation keys kubenv sets itself or that make a namespace an environment:
/// a user may not set them with `create --label/--annotation` (the server also refuses
/// changing most of them, see src/app/admission.yaml).
pub fn is_kubenv_key(key: &str) -> bool {
    let (prefix, name) = key.rsplit_once('/').unwrap_or(("", key));
    prefix == "kubenv.dev"
        || prefix.ends_with(".kubenv.dev")
        || prefix == "pod-security.kubernetes.io"
        || key == "app.kubernetes.io/managed-by"
        || (prefix == "kubernetes.io" && name == "metadata.name")
}

/// A label or annotation name part: at most 63 characters, alphanumerics at both ends,
/// `-`, `_`, `.` between (Kubernetes' qualified name).
fn qualified_name_part(s: &str) -> std::result::Result<(), String> {
    if s.is_empty() || s.len() > 63 {
        return Err(format!("{s:?} must be 1 to 63 characters"));
    }
    let ok_inner = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if !s.chars().all(ok_inner)
        || !s.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !s.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Err(format!(
            "{s:?} may hold only letters, digits, '-', '_' and '.', and must start and end with a letter or digit"
        ));
    }
    Ok(())
}

/// Checks a label or annotation key: `[prefix/]name`, the prefix a DNS subdomain.
fn check_key(key: &str) -> std::result::Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        let ok = !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|l| {
                !l.is_empty()
                    && l.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        if !ok {
            return Err(format!(
                "the key prefix {p:?} must be a lowercase DNS subdomain such as example.com"
            ));
        }
    }
    qualified_name_part(name).map_err(|e| format!("the key name {e}"))
}

/// Parses one `KEY=VALUE` of `create --label` (`label == true`) or `--annotation`, refusing
/// kubenv's own keys and what the API server would refuse, before any request is made.
pub fn parse_metadata(given: &str, label: bool) -> Result<(String, String)> {
    let flag = if label { "--label" } else { "--annotation" };
    let bad = |reason: String| Error::InvalidMetadata {
        flag,
        given: given.to_string(),
        reason,
    };
    let Some((key, value)) = given.split_once('=') else {
        return Err(bad(format!("use KEY=VALUE, e.g. {flag} pr=42")));
    };
    let (key, value) = (key.trim(), value.trim());
    check_key(key).map_err(|r| bad(format!("{r}; e.g. {flag} example.com/pr=42")))?;
    if is_kubenv_key(key) {
        return Err(bad(format!(
            "{key} is set by kubenv itself (kubenv.dev/*, app.kubernetes.io/managed-by, pod-security.kubernetes.io/*); pick a key of your own, e.g. example.com/{}",
            key.rsplit('/').next().unwrap_or(key)
        )));
    }
    if label && !value.is_empty() {
        qualified_name_part(value)
            .map_err(|r| bad(format!("the label value {r}; put free text in --annotation instead")))?;
    }
    if !label && value.len() > 64 * 1024 {
        return Err(bad("the value is longer than 64 KiB".into()));
    }
    Ok((key.to_string(), value.to_string()))
}

/// Longest name [`branch_name`] makes by default: leaves room for a namespace prefix of up to
/// 23 characters within the 63 of a namespace, and keeps contexts (`kubenv-NAME`) readable.
pub const BRANCH_NAME_MAX: usize = 40;

/// Shortest `max_len` [`branch_name`] accepts: a hash suffix plus a few readable characters.
pub const BRANCH_NAME_MIN: usize = 16;

const HASH_LEN: usize = 8;

/// FNV-1a, 64 bits. Hand-written because the suffix must never change between versions or
/// platforms (std's hasher may), and eight lines need no dependency.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// [`branch_name`], refusing a `max_len` it would clamp.
pub fn name_for_branch(branch: &str, max_len: usize) -> Result<EnvName> {
    if !(BRANCH_NAME_MIN..=MAX_NAMESPACE_LEN).contains(&max_len) {
        return Err(Error::MaxLength { given: max_len });
    }
    Ok(EnvName(branch_name(branch, max_len)))
}

/// Turns any git branch (or ref) into a valid environment name, the same one every time.
///
/// - `refs/heads/` is dropped; unicode is transliterated (`café` → `cafe`), then anything but
///   `a-z0-9` becomes `-`, runs of `-` collapse and ends are trimmed.
/// - A branch that already is a valid name of at most `max_len` characters is kept as it is.
/// - Otherwise the result ends in `-` and eight hex digits of a hash of the whole branch name:
///   cleaning maps many branches to one string (`feature/Foo`, `feature_foo` and
///   `feature-foo`), and the suffix keeps them apart. Since names that need no cleaning are
///   kept, and every cleaned one carries its hash, two different branches never share a name
///   (short of a 32-bit hash collision).
/// - Longer results are cut so that the name with its suffix fits `max_len`.
///
/// `max_len` is clamped to [`BRANCH_NAME_MIN`]..=[`MAX_NAMESPACE_LEN`].
pub fn branch_name(branch: &str, max_len: usize) -> String {
    let max_len = max_len.clamp(BRANCH_NAME_MIN, MAX_NAMESPACE_LEN);
    let branch = branch.trim();
    let branch = branch.strip_prefix("refs/heads/").unwrap_or(branch);
    if branch.len() <= max_len && namespace_for(branch, "").is_ok() {
        return branch.to_string();
    }
    let ascii = deunicode::deunicode_with_tofu(branch, "-");
    let mut clean = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            clean.push(c);
        } else if !clean.ends_with('-') {
            clean.push('-');
        }
    }
    let mut clean = clean.trim_matches('-').to_string();
    // Reserved names (`default`, `kube-*`) stay reserved with a suffix; a prefix frees them.
    if clean.is_empty() || is_reserved(&clean) || clean.starts_with("kube") {
        clean = format!("b-{clean}").trim_end_matches('-').to_string();
    }
    let room = max_len - HASH_LEN - 1;
    if clean.len() > room {
        // Cut at a word boundary when one is near, so no word ends half-way ("shoppi").
        let cut_mid_word = clean.as_bytes()[room] != b'-';
        clean.truncate(room);
        if cut_mid_word && let Some(i) = clean.rfind('-').filter(|i| *i >= room / 2) {
            clean.truncate(i);
        }
    }
    let clean = clean.trim_end_matches('-');
    format!(
        "{clean}-{:0width$x}",
        fnv1a(branch.as_bytes()) & 0xffff_ffff,
        width = HASH_LEN
    )
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
            assert_eq!(crate::Error::from(e.clone()).exit_code(), 2);
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
            assert_eq!(crate::Error::from(e.clone()).exit_code(), 2, "{bad}");
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
    fn user_labels_and_annotations() {
        assert_eq!(
            parse_metadata("tier=preview", true).unwrap(),
            ("tier".into(), "preview".into())
        );
        assert_eq!(
            parse_metadata("example.com/pr=42", true).unwrap(),
            ("example.com/pr".into(), "42".into())
        );
        assert_eq!(parse_metadata("empty=", true).unwrap().1, "");
        assert_eq!(
            parse_metadata("example.com/pr-url=https://x/y?z=1 2", false).unwrap().1,
            "https://x/y?z=1 2"
        );
        assert!(parse_metadata("app.kubernetes.io/name=web", true).is_ok());
        for bad in [
            "tier",
            "=x",
            "Tier Name=x",
            "-tier=x",
            "UPPER.example.com/x=y",
            "a/b/c=x",
            &format!("{}=x", "k".repeat(64)),
            "tier=has space",
            "tier=-x",
            &format!("tier={}", "v".repeat(64)),
            "kubenv.dev/environment=x",
            "kubenv.dev/owner=x",
            "ci.kubenv.dev/x=y",
            "app.kubernetes.io/managed-by=me",
            "pod-security.kubernetes.io/enforce=privileged",
            "kubernetes.io/metadata.name=x",
        ] {
            let e = parse_metadata(bad, true).unwrap_err();
            assert_eq!(crate::Error::from(e.clone()).exit_code(), 2, "{bad}");
            assert!(e.to_string().contains("--label"), "{e}");
        }
        let e = parse_metadata("kubenv.dev/template=x", false).unwrap_err().to_string();
        assert!(e.contains("--annotation") && e.contains("set by kubenv"), "{e}");
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

#[cfg(test)]
mod branch_tests {
    use super::*;
    use proptest::prelude::*;

    fn valid(n: &str, max: usize) -> bool {
        n.len() <= max && namespace_for(n, "").is_ok()
    }

    #[test]
    fn real_world_branches() {
        let cases = [
            "main",
            "pr-42",
            "feature/login",
            "Feature/Login",
            "feature-login",
            "feature_login",
            "feature.login",
            "release/1.2.3",
            "refs/heads/feature/login",
            "dependabot/npm_and_yarn/web/axios-1.7.4",
            "renovate/major-react-monorepo",
            "fix/ÄÖÜ-ümlaut",
            "café",
            "修复/登录",
            "🚀-launch",
            "🚀",
            "--weird--",
            "default",
            "kube-system",
            "kubenv-system",
            "UPPER",
            "a..b",
            &"x".repeat(200),
            &format!("feature/{}", "very-long-branch-name-".repeat(10)),
        ];
        let mut seen = std::collections::BTreeMap::new();
        for b in cases {
            let n = branch_name(b, BRANCH_NAME_MAX);
            assert!(valid(&n, BRANCH_NAME_MAX), "{b:?} -> {n:?}");
            assert_eq!(branch_name(b, BRANCH_NAME_MAX), n, "stable");
            if let Some(prev) = seen.insert(n.clone(), b)
                && b.strip_prefix("refs/heads/") != Some(prev)
                && prev.strip_prefix("refs/heads/") != Some(b)
            {
                panic!("{prev:?} and {b:?} both became {n:?}");
            }
        }
        assert_eq!(branch_name("main", 40), "main");
        assert_eq!(branch_name("pr-42", 40), "pr-42");
        assert_eq!(branch_name("refs/heads/main", 40), "main");
        assert!(branch_name("feature/login", 40).starts_with("feature-login-"));
        assert!(branch_name("café", 40).starts_with("cafe-"));
        assert!(branch_name("fix/ÄÖÜ-ümlaut", 40).starts_with("fix-aou-umlaut-"));
        assert!(branch_name("🚀", 40).starts_with("b-") || branch_name("🚀", 40).len() > 9);
        assert!(branch_name("default", 40).starts_with("b-default-"));
        assert!(branch_name("kube-system", 40).starts_with("b-kube-system-"));
        // The suffix is a pinned value: changing it would rename every preview environment.
        assert_eq!(
            branch_name("feature/login", 40),
            format!("feature-login-{:08x}", fnv1a(b"feature/login") & 0xffff_ffff)
        );
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        let long = branch_name(&"x".repeat(200), 40);
        assert_eq!(long.len(), 40);
        // Cut between words, not inside one.
        let n = branch_name("feature/Checkout-Page_v2 shopping trolley", 40);
        assert_eq!(
            n,
            format!(
                "feature-checkout-page-v2-{:08x}",
                fnv1a(b"feature/Checkout-Page_v2 shopping trolley") & 0xffff_ffff
            )
        );
        assert_eq!(branch_name(&"x".repeat(200), 20).len(), 20);
        assert_eq!(branch_name(&"x".repeat(200), 1).len(), BRANCH_NAME_MIN);
    }

    #[test]
    fn collisions_after_cleaning_are_kept_apart() {
        let group = [
            "feature/Foo",
            "feature-foo",
            "feature_foo",
            "Feature/foo",
            "feature//foo",
            "feature.foo",
        ];
        let names: std::collections::BTreeSet<String> = group.iter().map(|b| branch_name(b, 40)).collect();
        assert_eq!(names.len(), group.len(), "{names:?}");
        // Long names that differ only past the cut.
        let a = format!("{}-a", "same-prefix".repeat(8));
        let b = format!("{}-b", "same-prefix".repeat(8));
        assert_ne!(branch_name(&a, 40), branch_name(&b, 40));
    }

    proptest! {
        #[test]
        fn always_valid_and_stable(b in ".{0,220}", max in 0usize..80) {
            let n = branch_name(&b, max);
            let limit = max.clamp(BRANCH_NAME_MIN, MAX_NAMESPACE_LEN);
            prop_assert!(valid(&n, limit), "{:?} -> {:?}", b, n);
            prop_assert_eq!(&branch_name(&b, max), &n);
            // A valid name maps to itself.
            prop_assert_eq!(branch_name(&n, max), n);
        }

        #[test]
        fn different_branches_get_different_names(a in "[a-zA-Z0-9/._ -]{1,80}", b in "[a-zA-Z0-9/._ -]{1,80}") {
            let strip = |s: &str| s.trim().trim_start_matches("refs/heads/").to_string();
            prop_assume!(strip(&a) != strip(&b));
            prop_assert_ne!(branch_name(&a, 40), branch_name(&b, 40));
        }
    }
}
