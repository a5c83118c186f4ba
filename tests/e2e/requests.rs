//! API request counts per command, through a counting proxy (works against any cluster).
//! A regression to one call per environment fails here; time is measured by the benchmark.

use crate::common::*;

fn count(p: &Proxy, s: &Sandbox, args: &[&str]) -> Vec<(String, u16, String)> {
    let before = p.requests().len();
    s.kubenv_with(args, &[("KUBECONFIG", p.kubeconfig.to_str().unwrap())])
        .ok();
    p.requests()[before..].to_vec()
}

#[test]
fn request_counts_do_not_grow_with_the_number_of_environments() {
    let s = Sandbox::new();
    let p = Proxy::start(&s, &[], 0.0);
    let first = s.name("rq0");
    let create = count(&p, &s, &["create", &first, "--no-connect"]);
    // Policy, identity (SelfSubjectReview) and the server version at once; the namespace;
    // seven guardrails (quota, LimitRange, NetworkPolicy, ServiceAccount, three
    // RoleBindings); two audit entries. No lookups after.
    assert!(create.len() <= 13, "create made {} requests: {create:?}", create.len());
    let gets: Vec<&str> = create.iter().filter(|r| r.0 == "GET").map(|r| r.2.as_str()).collect();
    assert!(
        gets.len() <= 2
            && gets
                .iter()
                .all(|p| *p == "/version" || p.ends_with("/configmaps/kubenv-policy")),
        "create reads only the policy and the server version: {create:?}"
    );

    let list_small = count(&p, &s, &["list", "-A"]);
    for i in 1..8 {
        s.kubenv(&["create", &s.name(&format!("rq{i}")), "--no-connect"]).ok();
    }
    let list_large = count(&p, &s, &["list", "-A"]);
    assert_eq!(
        list_small.len(),
        2,
        "namespaces and quotas, cluster-wide: {list_small:?}"
    );
    assert_eq!(list_large.len(), 2, "{list_large:?}");
    assert!(
        list_large.iter().all(|r| r.2.contains("labelSelector=")),
        "{list_large:?}"
    );

    // The namespace and quota by label, then the endpoints: Ingresses and Services in the
    // environment's namespace only.
    let get = count(&p, &s, &["get", &first]);
    assert!(get.len() <= 4, "{get:?}");
    let ns_path = format!("/namespaces/env-{first}/");
    assert!(
        get.iter()
            .filter(|r| r.2.contains("/ingresses") || r.2.contains("/services"))
            .all(|r| r.2.contains(&ns_path)),
        "{get:?}"
    );
    let sleep = count(&p, &s, &["sleep", &first]);
    let wake = count(&p, &s, &["wake", &first]);
    assert!(sleep.len() <= 16 && wake.len() <= 16, "sleep {sleep:?}\nwake {wake:?}");
    let del = count(&p, &s, &["delete", &first, "--yes"]);
    assert!(del.len() <= 10, "{del:?}");
}
