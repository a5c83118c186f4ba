//! Property tests of the parsers users type into: names, durations, policies and
//! schedules never panic, and what they accept is valid. Bounded (a fixed number of cases)
//! so the run stays well under a minute.

use kubenv::names::{namespace_for, parse_duration};
use kubenv::policy::Policy;
use kubenv::schedule::Schedule;
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 3000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn names_accepted_are_dns_labels(name in "\\PC{0,80}", prefix in "[a-z]{0,6}-?") {
        if let Ok(ns) = namespace_for(&name, &prefix) {
            prop_assert!(ns.len() <= 63);
            prop_assert!(ns.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
            prop_assert!(!ns.ends_with('-') && !name.starts_with('-'));
            prop_assert!(!ns.starts_with("kube-") && ns != "default" && ns != "kubenv-system");
        }
    }

    #[test]
    fn names_near_the_rules(name in "[a-z0-9-]{0,70}") {
        let _ = namespace_for(&name, "env-");
    }

    #[test]
    fn durations_accepted_are_positive_and_bounded(s in "\\PC{0,24}") {
        if let Ok(d) = parse_duration(&s) {
            prop_assert!(d.as_secs() > 0 && d <= kubenv::names::MAX_DURATION);
        }
    }

    #[test]
    fn durations_of_digits_and_units(s in "-?[0-9]{0,22}[smhdwx]?([0-9]{0,5}[smhdw])?") {
        let _ = parse_duration(&s);
    }

    #[test]
    fn policies_never_panic(text in "\\PC{0,300}") {
        let _ = Policy::from_yaml(&text, "fuzz");
    }

    #[test]
    fn policy_like_documents(
        prefix in "[a-z-]{0,12}",
        ttl in "[0-9]{0,4}[dhmx]?",
        max in "[0-9]{0,4}[dhw]?",
        pods in "[0-9a-z]{0,5}",
        cpu in "[0-9]{0,3}[m]?",
    ) {
        let doc = format!(
            "namespacePrefix: {prefix}\nttl:\n  default: {ttl}\n  max: {max}\ntemplates:\n  standard:\n    quota:\n      requestsCpu: \"{cpu}\"\n      requestsMemory: 1Gi\n      limitsCpu: \"2\"\n      limitsMemory: 2Gi\n      pods: {pods}\n      services: 1\n      persistentVolumeClaims: 1\n      loadBalancers: 0\n      nodePorts: 0\n"
        );
        if let Ok(p) = Policy::from_yaml(&doc, "fuzz") {
            prop_assert!(p.validate().is_ok());
        }
    }

    #[test]
    fn schedules_never_panic(s in "\\PC{0,60}", days in "(Mon|Tue|Sat|Sun|Xyz)(-(Fri|Sun|Mon))?", a in 0u32..30, b in 0u32..70) {
        let _ = Schedule::parse(&s);
        let text = format!("{days} {a:02}:{b:02}-23:00 UTC");
        if let Ok(sch) = Schedule::parse(&text) {
            let _ = sch.is_up(jiff::Timestamp::now());
        }
    }
}
