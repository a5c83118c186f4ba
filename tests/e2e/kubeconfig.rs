//! What kubenv does to the user's kubeconfig: contexts that work, --print, and removing
//! only what it added.

use crate::common::*;
use serde_json::Value;

#[test]
fn delete_removes_only_kubenv_entries() {
    let s = Sandbox::new();
    let a = s.name("kca");
    let b = s.name("kcb");
    // The user's own file, with entries and fields kubenv knows nothing of.
    let mut v: Value = serde_saphyr::from_str(&std::fs::read_to_string(&s.kubeconfig).unwrap()).unwrap();
    v["clusters"].as_array_mut().unwrap().push(serde_json::json!({"name": "other", "cluster": {"server": "https://other.example:6443", "x-vendor-field": {"keep": [1, 2]}}}));
    v["users"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": "other-user", "user": {"token": "abc"}}));
    v["contexts"].as_array_mut().unwrap().push(
        serde_json::json!({"name": "other", "context": {"cluster": "other", "user": "other-user", "namespace": "x"}}),
    );
    v["preferences"] = serde_json::json!({"colors": true});
    v["x-top-level"] = serde_json::json!({"nested": "value"});
    std::fs::write(&s.kubeconfig, serde_saphyr::to_string(&v).unwrap()).unwrap();
    let original: Value = serde_saphyr::from_str(&std::fs::read_to_string(&s.kubeconfig).unwrap()).unwrap();

    s.kubenv(&["create", &a]).ok();
    s.kubenv(&["create", &b, "--no-switch"]).ok();
    let kc = s.read_kubeconfig();
    let ctxs = contexts(&kc);
    assert!(
        ctxs.contains(&format!("kubenv-{a}")) && ctxs.contains(&format!("kubenv-{b}")),
        "{ctxs:?}"
    );
    assert_eq!(
        kc["current-context"],
        format!("kubenv-{a}").as_str(),
        "--no-switch kept the current context"
    );
    assert_eq!(kc["x-top-level"], original["x-top-level"]);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&s.kubeconfig).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // Credentials switched back and forth leave no stale user entry (or token) behind.
    s.kubenv(&["connect", &a, "--credentials", "token", "--no-switch"]).ok();
    s.kubenv(&["connect", &a, "--credentials", "host", "--no-switch"]).ok();
    assert!(
        !s.read_kubeconfig()["users"]
            .to_string()
            .contains(&format!("kubenv-{a}"))
    );
    s.kubenv(&["connect", &a, "--credentials", "token", "--no-switch"]).ok();
    s.kubenv(&["delete", &a, "--yes"]).ok();
    s.kubenv(&["delete", &b, "--yes"]).ok();
    let after = s.read_kubeconfig();
    assert_eq!(
        after, original,
        "every entry and field the user had survives, nothing of kubenv's remains"
    );
}

#[test]
fn print_gives_a_self_contained_kubeconfig_and_writes_nothing() {
    let s = Sandbox::new();
    let name = s.name("print");
    s.kubenv(&["create", &name, "--no-connect"]).ok();
    let before = std::fs::read(&s.kubeconfig).unwrap();
    let printed = s.kubenv(&["connect", &name, "--print"]).ok().stdout;
    assert_eq!(
        std::fs::read(&s.kubeconfig).unwrap(),
        before,
        "--print wrote to the kubeconfig"
    );
    let f = s.path("ci.kubeconfig");
    std::fs::write(&f, &printed).unwrap();
    // A CI step with nothing but this file can deploy.
    s.kubectl_with(&f, &["create", "configmap", "from-ci", "--from-literal=a=b"])
        .ok();
    s.admin(&["-n", &format!("env-{name}"), "get", "configmap", "from-ci"])
        .ok();
    let who = s.kubectl_with(&f, &["get", "pods", "-n", "kube-system"]);
    assert_ne!(who.code, 0);
    assert!(
        who.stderr.contains("Forbidden") || who.stderr.contains("forbidden"),
        "{}",
        who.stderr
    );
    let v: Value = serde_saphyr::from_str(&printed).unwrap();
    assert!(v["users"][0]["user"]["token"].as_str().is_some_and(|t| t.len() > 20));
    assert!(
        v["clusters"][0]["cluster"]["certificate-authority-data"].is_string(),
        "the CA travels with it"
    );
    assert!(v["clusters"][0]["cluster"].get("insecure-skip-tls-verify").is_none());
}

#[test]
fn connect_runs_a_command_with_its_exit_code() {
    let s = Sandbox::new();
    let name = s.name("run");
    s.kubenv(&["create", &name, "--no-connect"]).ok();
    let before = std::fs::read(&s.kubeconfig).unwrap();
    let r = s
        .kubenv(&["connect", &name, "--", "kubectl", "create", "configmap", "via-run"])
        .ok();
    assert!(r.stdout.contains("via-run"), "{}", r.stdout);
    s.admin(&["-n", &format!("env-{name}"), "get", "configmap", "via-run"])
        .ok();
    s.kubenv(&["connect", &name, "--", "sh", "-c", "exit 7"]).code(7);
    assert_eq!(std::fs::read(&s.kubeconfig).unwrap(), before);
}

#[test]
fn exec_plugin_caches_tokens_and_disconnect_goes_back() {
    let s = Sandbox::new();
    let name = s.name("tok");
    s.kubenv(&["create", &name]).ok();
    let kc = s.read_kubeconfig();
    let user = kc["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == format!("kubenv-{name}").as_str())
        .unwrap()
        .clone();
    let exec = &user["user"]["exec"];
    assert_eq!(exec["args"][0], "token");
    assert!(
        user["user"].get("token").is_none(),
        "no long-lived secret in the kubeconfig"
    );

    // The plugin prints an ExecCredential, and a second call answers from the cache.
    let args: Vec<String> = exec["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let first = s.kubenv(&args).ok().json();
    assert_eq!(first["kind"], "ExecCredential");
    let token = first["status"]["token"].as_str().unwrap().to_string();
    // Point the host context at a dead server: a cached token needs no API call.
    let saved = std::fs::read(&s.kubeconfig).unwrap();
    let mut v = s.read_kubeconfig();
    for c in v["clusters"].as_array_mut().unwrap() {
        c["cluster"]["server"] = serde_json::json!("https://127.0.0.1:1");
    }
    std::fs::write(&s.kubeconfig, serde_saphyr::to_string(&v).unwrap()).unwrap();
    let second = s.kubenv(&args).ok().json();
    assert_eq!(second["status"]["token"], token.as_str());
    std::fs::write(&s.kubeconfig, saved).unwrap();
    let cache = std::fs::read_dir(s.path("cache/tokens"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(
        std::fs::metadata(cache.parent().unwrap()).unwrap().permissions().mode() & 0o777,
        0o700
    );

    s.kubenv(&["disconnect"]).ok();
    let kc = s.read_kubeconfig();
    assert_eq!(kc["current-context"], kc["contexts"][0]["name"]);
}

#[test]
fn tokens_never_reach_stderr_even_verbose() {
    let s = Sandbox::new();
    let name = s.name("quiet");
    s.kubenv(&["create", &name, "-v"]).ok();
    let printed = s.kubenv(&["connect", &name, "--print", "-vv"]).ok();
    let v: Value = serde_saphyr::from_str(&printed.stdout).unwrap();
    let token = v["users"][0]["user"]["token"].as_str().unwrap().to_string();
    assert!(!printed.stderr.contains(&token));
    let kc = s.read_kubeconfig();
    let user = kc["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == format!("kubenv-{name}").as_str())
        .unwrap()
        .clone();
    let args: Vec<String> = user["user"]["exec"]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.push("-vv");
    let r = s.kubenv(&args).ok();
    let t = r.json()["status"]["token"].as_str().unwrap().to_string();
    assert!(!r.stderr.contains(&t), "{}", r.stderr);
    for verb in [
        vec!["sleep", name.as_str(), "-vv"],
        vec!["wake", name.as_str(), "-vv"],
        vec!["list", "-vv"],
    ] {
        let r = s.kubenv(&verb).ok();
        assert!(!r.stderr.contains(&t) && !r.stderr.contains(&token), "{verb:?}");
    }
}

/// The exec command of user entries in a kubeconfig, by user name.
fn exec_commands(kc: &Value) -> std::collections::BTreeMap<String, String> {
    kc["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| {
            Some((
                u["name"].as_str()?.to_string(),
                u["user"]["exec"]["command"].as_str()?.to_string(),
            ))
        })
        .collect()
}

#[test]
fn exec_contexts_name_kubenv_on_path_and_survive_an_upgrade() {
    use std::path::Path;
    let s = Sandbox::new();
    let a = s.name("upa");
    let b = s.name("upb");
    // A packaged install: bin/kubenv -> cellar/1/kubenv, as brew or krew lay it out.
    let install = |version: &str| {
        let dir = s.path(&format!("cellar/{version}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(KUBENV, dir.join("kubenv")).unwrap();
        let link = s.path("bin/kubenv");
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(dir.join("kubenv"), &link).unwrap();
    };
    install("1");
    let path_with_bin = format!("{}:{}", s.path("bin").display(), std::env::var("PATH").unwrap());
    // A user entry of the user's own that looks like kubenv's but is not in a kubenv context.
    let mut v = s.read_kubeconfig();
    v["users"].as_array_mut().unwrap().push(serde_json::json!({"name": "mine", "user": {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "/gone/bin/kubenv", "args": ["token", "x"]}}}));
    std::fs::write(&s.kubeconfig, serde_saphyr::to_string(&v).unwrap()).unwrap();

    // Off PATH (as the tests run target/debug/kubenv), the absolute path is written.
    let cellar1 = s.path("cellar/1/kubenv");
    s.run(s.command(&cellar1).args(["create", &a, "--no-switch"])).ok();
    let cmds = exec_commands(&s.read_kubeconfig());
    assert_eq!(cmds[&format!("kubenv-{a}")], cellar1.to_str().unwrap());

    // Through PATH: the bare name, and the older entry of the same binary moves to it too.
    s.run(
        s.command(&s.path("bin/kubenv"))
            .env("PATH", &path_with_bin)
            .args(["create", &b, "--no-switch"]),
    )
    .ok();
    let cmds = exec_commands(&s.read_kubeconfig());
    assert_eq!(cmds[&format!("kubenv-{b}")], "kubenv");
    assert_eq!(cmds[&format!("kubenv-{a}")], "kubenv");
    assert_eq!(cmds["mine"], "/gone/bin/kubenv", "not kubenv's entry: left alone");
    let hint = s.read_kubeconfig()["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == format!("kubenv-{b}").as_str())
        .unwrap()["user"]["exec"]["installHint"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(hint.contains("PATH") && hint.contains("--credentials token"), "{hint}");

    // The upgrade: the old binary is gone, a new one sits elsewhere behind the same link.
    std::fs::remove_dir_all(s.path("cellar/1")).unwrap();
    install("2");
    for env in [&a, &b] {
        let r = s.run(
            std::process::Command::new("kubectl")
                .args(["--context", &format!("kubenv-{env}"), "get", "configmaps", "-o", "name"])
                .env("KUBECONFIG", &s.kubeconfig)
                .env("KUBENV_CACHE_DIR", s.path("cache"))
                .env("HOME", s.path("home"))
                .env("PATH", &path_with_bin),
        );
        assert_eq!(r.code, 0, "kubectl in kubenv-{env} after the upgrade: {}", r.stderr);
    }

    // An entry naming a kubenv that no longer exists is rewritten on the next connect.
    let mut v = s.read_kubeconfig();
    for u in v["users"].as_array_mut().unwrap() {
        if u["name"] == format!("kubenv-{a}").as_str() {
            u["user"]["exec"]["command"] = serde_json::json!(s.path("cellar/0/kubenv").to_str().unwrap());
        }
    }
    std::fs::write(&s.kubeconfig, serde_saphyr::to_string(&v).unwrap()).unwrap();
    s.run(
        s.command(Path::new("kubenv"))
            .env("PATH", &path_with_bin)
            .args(["connect", &b, "--no-switch"]),
    )
    .ok();
    let cmds = exec_commands(&s.read_kubeconfig());
    assert_eq!(cmds[&format!("kubenv-{a}")], "kubenv");
    assert_eq!(cmds["mine"], "/gone/bin/kubenv");
}

#[test]
fn prune_removes_only_contexts_of_environments_that_are_gone() {
    let s = Sandbox::new();
    let a = s.name("pra");
    let b = s.name("prb");
    let mut v = s.read_kubeconfig();
    v["clusters"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": "mine", "cluster": {"server": "https://mine.example:6443", "x-vendor": 1}}));
    v["users"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": "mine", "user": {"token": "abc"}}));
    // The user's own context named like kubenv's, without kubenv's extension: never a candidate.
    v["contexts"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": "kubenv-mine", "context": {"cluster": "mine", "user": "mine"}}));
    std::fs::write(&s.kubeconfig, serde_saphyr::to_string(&v).unwrap()).unwrap();
    s.kubenv(&["create", &a, "--no-switch"]).ok();
    s.kubenv(&["create", &b, "--no-switch"]).ok();
    let before_bytes = std::fs::read(&s.kubeconfig).unwrap();
    let before = s.read_kubeconfig();

    // Nothing is stale yet.
    assert_eq!(
        s.kubenv(&["prune", "-o", "json"]).ok().json()["removed"],
        serde_json::json!([])
    );
    assert_eq!(std::fs::read(&s.kubeconfig).unwrap(), before_bytes);

    // An admin deletes an environment's namespace behind kubenv's back.
    s.admin(&["delete", "namespace", &format!("env-{a}"), "--wait=false"])
        .ok();
    let dry = s.kubenv(&["prune", "--dry-run"]).ok();
    assert!(
        dry.stdout.contains(&format!("would remove context kubenv-{a}")),
        "{dry:?}"
    );
    assert!(!dry.stdout.contains(&format!("kubenv-{b}")), "{dry:?}");
    assert_eq!(
        std::fs::read(&s.kubeconfig).unwrap(),
        before_bytes,
        "--dry-run changed nothing"
    );

    let r = s.kubenv(&["prune", "-o", "json"]).ok().json();
    let removed: Vec<&str> = r["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["context"].as_str().unwrap())
        .collect();
    assert_eq!(removed, [format!("kubenv-{a}").as_str()], "{r}");
    assert_eq!(r["dryRun"], false);

    // Exactly that context and its user went; everything else is as it was.
    let mut want = before.clone();
    for (list, name) in [("contexts", format!("kubenv-{a}")), ("users", format!("kubenv-{a}"))] {
        want[list]
            .as_array_mut()
            .unwrap()
            .retain(|e| e["name"] != name.as_str());
    }
    assert_eq!(s.read_kubeconfig(), want);
    let names = s.kubectl(&["config", "get-contexts", "-o", "name"]).ok().stdout;
    let mut names: Vec<&str> = names.lines().collect();
    names.sort();
    let mut expected: Vec<String> = contexts(&want);
    expected.sort();
    assert_eq!(names, expected);
    s.kubectl(&["--context", &format!("kubenv-{b}"), "get", "configmaps"])
        .ok();
    // Running it again finds nothing more.
    let again = s.kubenv(&["prune", "-o", "name"]).ok();
    assert_eq!(again.stdout.trim(), "");
}
