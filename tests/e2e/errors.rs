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

#[test]
fn kubeconfig_edge_cases() {
    let s = Sandbox::new();
    // A symlinked kubeconfig: followed, and the link kept.
    let real = s.path("real-config");
    std::fs::rename(&s.kubeconfig, &real).unwrap();
    std::os::unix::fs::symlink(&real, &s.kubeconfig).unwrap();
    let a = s.name("link");
    s.kubenv(&["create", &a]).ok();
    assert!(
        std::fs::symlink_metadata(&s.kubeconfig)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(std::fs::read_to_string(&real).unwrap().contains(&format!("kubenv-{a}")));

    // A read-only kubeconfig: refused before anything is made on the cluster.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o400)).unwrap();
    let before = std::fs::read(&real).unwrap();
    let b = s.name("ro");
    let r = s.kubenv(&["create", &b]).code(2);
    assert!(
        r.stderr.contains("read-only") && r.stderr.contains("--print"),
        "{}",
        r.stderr
    );
    assert!(!s.namespace_exists(&format!("env-{b}")), "nothing half-made");
    assert_eq!(std::fs::read(&real).unwrap(), before);
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();

    // A KUBECONFIG list with missing files works as kubectl's does: new entries go to the
    // first file, the current context where kubectl keeps it.
    let missing = s.path("nope/config");
    let list = format!("{}:{}", missing.display(), s.kubeconfig.display());
    let c = s.name("list");
    s.kubenv_with(&["create", &c, "--no-switch"], &[("KUBECONFIG", &list)])
        .ok();
    assert!(
        std::fs::read_to_string(&missing)
            .unwrap()
            .contains(&format!("kubenv-{c}"))
    );
    s.kubectl_with(
        std::path::Path::new(&list),
        &["--context", &format!("kubenv-{c}"), "get", "configmaps"],
    )
    .ok();
}

#[test]
fn wrong_ca_and_no_permissions_are_explained() {
    let s = Sandbox::new();
    let mut v = s.read_kubeconfig();
    // Any other CA than the one that signed the server's certificate.
    let ca_file = s.path("other-ca.crt");
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=not-the-cluster",
        ])
        .args([
            "-keyout",
            s.path("other.key").to_str().unwrap(),
            "-out",
            ca_file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(made.status.success());
    use base64::Engine;
    let pem = std::fs::read(&ca_file).unwrap();
    v["clusters"][0]["cluster"]["certificate-authority-data"] =
        serde_json::json!(base64::engine::general_purpose::STANDARD.encode(pem));
    let bad = s.path("wrong-ca.kubeconfig");
    std::fs::write(&bad, serde_saphyr::to_string(&v).unwrap()).unwrap();
    let r = s.kubenv(&["--kubeconfig", bad.to_str().unwrap(), "list"]).code(6);
    assert!(r.stderr.contains("certificate"), "{}", r.stderr);

    // A user the cluster knows but who has no role: forbidden, with what to ask for.
    let mut v = s.read_kubeconfig();
    let sa = format!("nobody-{}", s.tag);
    s.admin(&["-n", "kubenv-e2e-users", "create", "serviceaccount", &sa])
        .ok();
    let token = s
        .admin(&["-n", "kubenv-e2e-users", "create", "token", &sa])
        .ok()
        .stdout
        .trim()
        .to_string();
    v["users"] = serde_json::json!([{"name": "nobody", "user": {"token": token}}]);
    v["contexts"][0]["context"]["user"] = serde_json::json!("nobody");
    let nobody = s.path("nobody.kubeconfig");
    std::fs::write(&nobody, serde_saphyr::to_string(&v).unwrap()).unwrap();
    let name = s.name("noperm");
    let r = s
        .kubenv(&[
            "--kubeconfig",
            nobody.to_str().unwrap(),
            "create",
            &name,
            "--no-connect",
        ])
        .code(5);
    assert!(
        r.stderr.contains("forbidden") && r.stderr.contains("kubenv engineer role"),
        "{}",
        r.stderr
    );
    assert!(!s.namespace_exists(&format!("env-{name}")));
}

#[test]
fn token_renews_expired_credentials_and_explains_a_missing_service_account() {
    let s = Sandbox::new();
    let name = s.name("renew");
    let ns = format!("env-{name}");
    s.kubenv(&["create", &name, "--no-switch"]).ok();
    let ctx = format!("kubenv-{name}");
    s.kubectl(&["--context", &ctx, "get", "pods"]).ok();
    // Make the cached token look expired: the plugin mints a new one.
    let dir = s.path("cache/tokens");
    let file = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
    let mut t: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    t["expirationTimestamp"] = serde_json::json!("2000-01-01T00:00:00Z");
    std::fs::write(&file, serde_json::to_vec(&t).unwrap()).unwrap();
    s.kubectl(&["--context", &ctx, "get", "pods"]).ok();
    let t: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let exp: jiff::Timestamp = t["expirationTimestamp"].as_str().unwrap().parse().unwrap();
    assert!(exp > jiff::Timestamp::now(), "a fresh token was minted and cached");

    // The tenant ServiceAccount deleted: a message that says how to repair.
    s.admin(&["-n", &ns, "delete", "serviceaccount", "tenant"]).ok();
    std::fs::remove_file(&file).unwrap();
    let r = s.kubectl(&["--context", &ctx, "get", "pods"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("--if-not-exists"), "{}", r.stderr);
    s.kubenv(&["create", &name, "--if-not-exists", "--no-connect"]).ok();
    s.kubectl(&["--context", &ctx, "get", "pods"]).ok();
}
