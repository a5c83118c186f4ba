//! Bad input and failures: the documented exit code, a message naming the problem and the
//! fix, and nothing changed.

use crate::common::*;

#[test]
fn bad_names_and_durations_change_nothing() {
    let s = Sandbox::new();
    let kc_before = std::fs::read(&s.kubeconfig).unwrap();
    let too_long = "a".repeat(60);
    for bad in [
        "PR-42",
        "pr_42",
        "-pr",
        "pr-",
        "",
        too_long.as_str(),
        "kube-system",
        "default",
        "kubenv-system",
    ] {
        let r = s.kubenv(&["create", "--", bad]).code(2);
        assert!(r.stderr.contains("invalid environment name"), "{bad}: {}", r.stderr);
        assert!(!s.namespace_exists(&format!("env-{bad}")) || bad.is_empty());
    }
    let name = s.name("dur");
    for bad in ["-1h", "2x", "99999d", "0h"] {
        let r = s.kubenv(&["create", &name, "--ttl", bad]).code(2);
        assert!(
            r.stderr.contains("invalid duration") && r.stderr.contains("e.g. 2d"),
            "{bad}: {}",
            r.stderr
        );
    }
    let r = s.kubenv(&["create", &name, "--ttl", "45d"]).code(2);
    assert!(r.stderr.contains("maximum"), "{}", r.stderr);
    let r = s.kubenv(&["create", &name, "--template", "nope"]).code(2);
    assert!(
        r.stderr.contains("standard"),
        "names the templates there are: {}",
        r.stderr
    );
    let r = s.kubenv(&["list", "-o", "xml"]).code(2);
    assert!(r.stderr.contains("xml"), "{}", r.stderr);
    assert!(!s.namespace_exists(&format!("env-{name}")));
    assert_eq!(
        std::fs::read(&s.kubeconfig).unwrap(),
        kc_before,
        "the kubeconfig is untouched"
    );
}

#[test]
fn unknown_environment_is_exit_3() {
    let s = Sandbox::new();
    let name = s.name("ghost");
    for cmd in ["sleep", "wake", "connect", "get"] {
        let r = s.kubenv(&[cmd, &name]).code(3);
        assert!(
            r.stderr.contains("not found") && r.stderr.contains("kubenv list"),
            "{cmd}: {}",
            r.stderr
        );
    }
    s.kubenv(&["delete", &name, "--yes"]).code(3);
    s.kubenv(&["delete", &name, "--yes", "--ignore-not-found"]).ok();
}

#[test]
fn unmanaged_namespaces_are_never_touched() {
    let s = Sandbox::new();
    let name = s.name("plain");
    let ns = format!("env-{name}");
    s.admin(&["create", "namespace", &ns]).ok();
    s.admin(&["-n", &ns, "create", "deployment", "d", "--image=nginx", "--replicas=2"])
        .ok();
    for cmd in [
        vec!["sleep", &name],
        vec!["wake", &name],
        vec!["connect", &name],
        vec!["delete", &name, "--yes"],
    ] {
        let r = s.kubenv(&cmd).code(5);
        assert!(r.stderr.contains("not managed by kubenv"), "{cmd:?}: {}", r.stderr);
    }
    let r = s.kubenv(&["create", &name, "--if-not-exists"]).code(4);
    assert!(r.stderr.contains("not managed by kubenv"), "{}", r.stderr);
    assert!(s.namespace_exists(&ns));
    assert_eq!(
        s.admin_json(&["-n", &ns, "get", "deployment", "d"])["spec"]["replicas"],
        2
    );
    assert!(
        s.admin_json(&["get", "namespace", &ns])["metadata"]["labels"]
            .get("app.kubernetes.io/managed-by")
            .is_none()
    );
    assert!(!s.read_kubeconfig().to_string().contains(&format!("kubenv-{name}")));
}

#[test]
fn unreachable_cluster_is_exit_6() {
    let s = Sandbox::new();
    let mut v = s.read_kubeconfig();
    v["clusters"][0]["cluster"]["server"] = serde_json::json!("https://127.0.0.1:1");
    let dead = s.path("dead.kubeconfig");
    std::fs::write(&dead, serde_saphyr::to_string(&v).unwrap()).unwrap();
    let before = std::fs::read(&dead).unwrap();
    let name = s.name("unreach");
    for cmd in [
        vec!["create", name.as_str()],
        vec!["list"],
        vec!["delete", name.as_str(), "--yes"],
    ] {
        let mut args = vec!["--kubeconfig", dead.to_str().unwrap()];
        args.extend(cmd.iter().copied());
        let r = s.kubenv(&args).code(6);
        assert!(
            r.stderr.contains("cannot reach the cluster at https://127.0.0.1:1"),
            "{cmd:?}: {}",
            r.stderr
        );
    }
    assert_eq!(std::fs::read(&dead).unwrap(), before);
    assert!(!s.namespace_exists(&format!("env-{name}")));
}

#[test]
fn broken_kubeconfigs_are_exit_2() {
    let s = Sandbox::new();
    let missing = s.path("missing");
    let r = s.kubenv(&["--kubeconfig", missing.to_str().unwrap(), "list"]).code(2);
    assert!(
        r.stderr.contains("missing") && r.stderr.contains("--kubeconfig"),
        "{}",
        r.stderr
    );
    let empty = s.path("empty");
    std::fs::write(&empty, "").unwrap();
    let r = s.kubenv(&["--kubeconfig", empty.to_str().unwrap(), "list"]).code(2);
    assert!(r.stderr.contains("no current context"), "{}", r.stderr);
    let bad = s.path("bad");
    std::fs::write(&bad, "clusters: [unclosed\n").unwrap();
    let r = s.kubenv(&["--kubeconfig", bad.to_str().unwrap(), "list"]).code(2);
    assert!(r.stderr.contains("not a valid kubeconfig"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&bad).unwrap(), "clusters: [unclosed\n");
}

#[test]
fn prompts_need_a_terminal_or_yes() {
    let s = Sandbox::new();
    let name = s.name("prompt");
    s.kubenv(&["create", &name, "--no-connect"]).ok();
    let r = s.kubenv(&["delete", &name]).code(2);
    assert!(r.stderr.contains("--yes"), "{}", r.stderr);
    assert!(s.namespace_exists(&format!("env-{name}")));
    let r = s.kubenv(&["connect"]).code(2);
    assert!(r.stderr.contains("NAME"), "{}", r.stderr);
}
