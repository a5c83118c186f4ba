//! Tenants stay in their namespace; engineers stay out of each other's environments.

use crate::common::*;

#[test]
fn tenant_context_is_confined_to_its_namespace() {
    let s = Sandbox::new();
    let a = s.name("ta");
    let b = s.name("tb");
    s.kubenv(&["create", &b, "--no-connect"]).ok();
    s.kubenv(&["create", &a]).ok();
    let ctx = format!("kubenv-{a}");
    // Admin of its own namespace...
    s.kubectl(&["--context", &ctx, "create", "deployment", "app", "--image=nginx"])
        .ok();
    s.kubectl(&[
        "--context",
        &ctx,
        "create",
        "role",
        "r",
        "--verb=get",
        "--resource=pods",
    ])
    .ok();
    s.admin(&["-n", &format!("env-{a}"), "get", "deployment", "app"]).ok();
    // ...and nothing else.
    for args in [
        vec!["-n", "kube-system", "get", "pods"],
        vec!["-n", "default", "create", "configmap", "x"],
    ] {
        let mut full = vec!["--context", ctx.as_str()];
        full.extend(args.iter().copied());
        let r = s.kubectl(&full);
        assert_ne!(r.code, 0, "{args:?} was allowed");
        assert!(r.stderr.to_lowercase().contains("forbidden"), "{}", r.stderr);
    }
    let other = format!("env-{b}");
    let r = s.kubectl(&["--context", &ctx, "-n", &other, "get", "pods"]);
    assert!(
        r.stderr.to_lowercase().contains("forbidden"),
        "another environment: {}",
        r.stderr
    );
    let r = s.kubectl(&[
        "--context",
        &ctx,
        "-n",
        &other,
        "create",
        "deployment",
        "intruder",
        "--image=nginx",
    ]);
    assert!(r.stderr.to_lowercase().contains("forbidden"), "{}", r.stderr);
}

#[test]
fn engineers_own_their_environments() {
    let s = Sandbox::new();
    let (alice, alice_id) = s.user("alice");
    let (bob, bob_id) = s.user("bob");
    let name = s.name("own");
    let ns = format!("env-{name}");
    let as_user = |kc: &std::path::Path, args: &[&str]| s.kubenv_with(args, &[("KUBECONFIG", kc.to_str().unwrap())]);

    let created = as_user(&alice, &["create", &name, "-o", "json"]).ok().json();
    assert_eq!(created["owner"], alice_id.as_str());
    // The owner is bound to admin in the namespace.
    let rb = s.admin_json(&["-n", &ns, "get", "rolebinding", "kubenv-owner"]);
    assert_eq!(rb["subjects"][0]["kind"], "ServiceAccount");

    // Alice's list shows it; Bob's does not, unless he asks for everyone's.
    let mine = as_user(&alice, &["list", "-o", "name"]).ok().stdout;
    assert!(mine.contains(&format!("environment/{name}")), "{mine}");
    let bobs = as_user(&bob, &["list", "-o", "name"]).ok().stdout;
    assert!(!bobs.contains(&name), "{bobs}");
    let all = as_user(&bob, &["list", "-A", "-o", "name"]).ok().stdout;
    assert!(all.contains(&name), "{all}");

    // Bob may not delete, sleep or take the name; the refusal names the owner.
    let r = as_user(&bob, &["delete", &name, "--yes"]).code(5);
    assert!(r.stderr.contains(&alice_id), "{}", r.stderr);
    as_user(&bob, &["sleep", &name]).code(5);
    let r = as_user(&bob, &["extend", &name, "--ttl", "2d"]).code(5);
    assert!(r.stderr.contains(&alice_id), "{}", r.stderr);
    as_user(&bob, &["wake", &name]).code(5);
    let r = as_user(&bob, &["connect", &name, "--print"]).code(5);
    assert!(r.stderr.contains(&alice_id), "{}", r.stderr);
    // Not only kubenv refuses: RBAC gives Bob no token for Alice's tenant.
    let r = s.kubectl_with(&bob, &["-n", &ns, "create", "token", "tenant"]);
    assert!(r.stderr.to_lowercase().contains("forbidden"), "{}", r.stderr);
    // A platform admin may.
    s.kubenv(&["connect", &name, "--print"]).ok();
    let r = as_user(&bob, &["create", &name, "--if-not-exists", "--no-connect"]).code(4);
    assert!(r.stderr.contains(&alice_id), "{}", r.stderr);
    assert!(s.namespace_exists(&ns));
    let _ = bob_id;

    // Alice runs the rest of the lifecycle with only the engineer role.
    s.admin(&["-n", &ns, "create", "deployment", "w", "--image=nginx", "--replicas=2"])
        .ok();
    as_user(&alice, &["sleep", &name]).ok();
    as_user(&alice, &["wake", &name]).ok();
    assert_eq!(
        s.admin_json(&["-n", &ns, "get", "deployment", "w"])["spec"]["replicas"],
        2
    );
    let printed = as_user(&alice, &["connect", &name, "--print"]).ok().stdout;
    let f = s.path("alice-env.kubeconfig");
    std::fs::write(&f, printed).unwrap();
    s.kubectl_with(&f, &["get", "deployments"]).ok();
    as_user(&alice, &["delete", &name, "--yes"]).ok();
    let phase = s
        .admin(&[
            "get",
            "namespace",
            &ns,
            "-o",
            "jsonpath={.status.phase}",
            "--ignore-not-found",
        ])
        .ok()
        .stdout;
    assert!(phase.is_empty() || phase == "Terminating", "{phase}");
}

#[test]
fn tenant_cannot_touch_cluster_objects_or_its_own_guardrails() {
    let s = Sandbox::new();
    let name = s.name("fence");
    let ns = format!("env-{name}");
    s.kubenv(&["create", &name]).ok();
    let ctx = format!("kubenv-{name}");
    let denied = |args: &[&str]| {
        let mut full = vec!["--context", ctx.as_str()];
        full.extend(args.iter().copied());
        let r = s.kubectl(&full);
        assert_ne!(r.code, 0, "{args:?} was allowed: {}", r.stdout);
        assert!(r.stderr.to_lowercase().contains("forbidden"), "{args:?}: {}", r.stderr);
    };
    denied(&["get", "nodes"]);
    denied(&["get", "namespaces"]);
    denied(&["get", "clusterrolebindings"]);
    denied(&["create", "namespace", &format!("{ns}-x")]);
    denied(&[
        "patch",
        "resourcequota",
        "kubenv-quota",
        "--type=merge",
        "-p",
        r#"{"spec":{"hard":{"pods":"1000"}}}"#,
    ]);
    denied(&["delete", "limitrange", "kubenv-limits"]);
    denied(&["delete", "networkpolicy", "kubenv-isolate-ingress"]);
    denied(&[
        "label",
        "namespace",
        &ns,
        "pod-security.kubernetes.io/enforce=privileged",
        "--overwrite",
    ]);
    // It still reads them, and does everything an application needs.
    s.kubectl(&["--context", &ctx, "get", "resourcequota,limitrange,networkpolicy"])
        .ok();
    s.kubectl(&[
        "--context",
        &ctx,
        "create",
        "secret",
        "generic",
        "s",
        "--from-literal=a=b",
    ])
    .ok();
    s.kubectl(&["--context", &ctx, "create", "job", "j", "--image=busybox"])
        .ok();
    assert_eq!(
        s.admin_json(&["-n", &ns, "get", "resourcequota", "kubenv-quota"])["spec"]["hard"]["pods"],
        "50"
    );
}
