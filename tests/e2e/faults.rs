//! Faults: a flaky or vanishing API server, interrupted commands, and many processes at once.

use crate::common::*;
use std::process::{Command, Stdio};

fn kubenv_at(s: &Sandbox, kubeconfig: &std::path::Path, args: &[&str]) -> Run {
    s.kubenv_with(args, &[("KUBECONFIG", kubeconfig.to_str().unwrap())])
}

#[test]
fn transient_errors_are_retried_and_permanent_ones_are_not() {
    let s = Sandbox::new();
    let p = Proxy::start(&s, &["/api/v1/namespaces?=503,429,503"], 0.0);
    kubenv_at(&s, &p.kubeconfig, &["list", "-A", "-o", "json"]).ok();
    let ns_lists: Vec<u16> = p
        .requests()
        .iter()
        .filter(|r| r.2.starts_with("/api/v1/namespaces?"))
        .map(|r| r.1)
        .collect();
    assert_eq!(ns_lists, [503, 429, 503, 200]);

    let q = Proxy::start(&s, &["/api/v1/namespaces?=403", "/api/v1/resourcequotas?=422"], 0.0);
    let r = kubenv_at(&s, &q.kubeconfig, &["list", "-A"]).code(5);
    assert!(r.stderr.contains("forbidden"), "{}", r.stderr);
    let ns_lists = q
        .requests()
        .iter()
        .filter(|r| r.2.starts_with("/api/v1/namespaces?"))
        .count();
    assert_eq!(ns_lists, 1, "a 403 is not retried");
}

#[test]
fn a_throttled_request_waits_as_long_as_retry_after_says() {
    let s = Sandbox::new();
    let p = Proxy::start_with(&s, &["/api/v1/namespaces?=429"], 0.0, None, &["--retry-after", "2"]);
    let started = std::time::Instant::now();
    kubenv_at(&s, &p.kubeconfig, &["list", "-A"]).ok();
    // The backoff alone would have retried after about 50 ms; the server asked for 2 s.
    assert!(started.elapsed() >= std::time::Duration::from_secs(2));
    let ns_lists: Vec<u16> = p
        .requests()
        .iter()
        .filter(|r| r.2.starts_with("/api/v1/namespaces?"))
        .map(|r| r.1)
        .collect();
    assert_eq!(ns_lists, [429, 200]);
}

#[test]
fn a_server_that_comes_back_is_waited_for() {
    let s = Sandbox::new();
    // Nothing listens for the first half second: connection refused, then it answers.
    let p = Proxy::start(&s, &[], 0.5);
    kubenv_at(&s, &p.kubeconfig, &["list", "-A"]).ok();
    assert!(!p.requests().is_empty());
}

#[test]
fn an_interrupted_create_is_shown_as_incomplete_and_a_rerun_completes_it() {
    let s = Sandbox::new();
    let name = s.name("broken");
    let ns = format!("env-{name}");
    // The namespace is made, then the server fails everything inside it until the deadline.
    let fail = format!("/namespaces/{ns}/={}", vec!["503"; 400].join(","));
    let p = Proxy::start(&s, &[&fail], 0.0);
    let r = kubenv_at(&s, &p.kubeconfig, &["create", &name, "--no-connect", "--timeout", "3s"]);
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stderr.contains("re-run the same command"), "{}", r.stderr);
    assert!(s.namespace_exists(&ns));
    let env = s.kubenv(&["get", &name, "-o", "json"]).ok().json();
    assert_eq!(env["status"], "Incomplete");
    let listed = s.kubenv(&["list", "-A", "-o", "json"]).ok().json();
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == name.as_str() && e["status"] == "Incomplete")
    );
    // The same command, once the server is back, completes it; nothing is duplicated.
    s.kubenv(&["create", &name, "--no-connect", "--if-not-exists"]).ok();
    assert_eq!(s.kubenv(&["get", &name, "-o", "json"]).ok().json()["status"], "Active");
    assert_guardrails_once(&s, &ns);
}

fn interrupt_after(mut child: std::process::Child, ms: u64) -> (i32, String, std::time::Duration) {
    std::thread::sleep(std::time::Duration::from_millis(ms));
    let t = std::time::Instant::now();
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    let mut err = String::new();
    use std::io::Read;
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (status.code().unwrap_or(-1), err, t.elapsed())
}

fn spawn(s: &Sandbox, kubeconfig: &std::path::Path, args: &[&str]) -> std::process::Child {
    Command::new(KUBENV)
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", s.path("home"))
        .env("KUBENV_CACHE_DIR", s.path("cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn ctrl_c_exits_promptly_and_the_next_run_converges() {
    let s = Sandbox::new();
    let name = s.name("sigint");
    let ns = format!("env-{name}");
    // create --wait that cannot finish: the quota never reports usage through this proxy.
    let fail = format!(
        "/namespaces/{ns}/resourcequotas/kubenv-quota={}",
        vec!["503"; 2000].join(",")
    );
    let p = Proxy::start(&s, &[&fail], 0.0);
    let child = spawn(
        &s,
        &p.kubeconfig,
        &["create", &name, "--wait", "--no-connect", "--timeout", "60s"],
    );
    let (code, err, took) = interrupt_after(child, 1500);
    assert_eq!(code, 130, "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(took < std::time::Duration::from_secs(2), "{took:?}");
    s.kubenv(&["create", &name, "--wait", "--no-connect", "--if-not-exists"])
        .ok();

    // delete --wait, interrupted while the namespace is finalized.
    s.admin(&["-n", &ns, "create", "configmap", "c"]).ok();
    let child = spawn(&s, &s.kubeconfig, &["delete", &name, "--yes", "--wait"]);
    let (code, err, _) = interrupt_after(child, 300);
    assert!(code == 130 || code == 0, "{code}: {err}");
    s.kubenv(&[
        "delete",
        &name,
        "--yes",
        "--wait",
        "--ignore-not-found",
        "--timeout",
        "2m",
    ])
    .ok();
    assert!(!s.namespace_exists(&ns));
}

#[test]
fn twenty_parallel_connects_leave_a_valid_kubeconfig_with_all_contexts() {
    let s = Sandbox::new();
    let names: Vec<String> = (0..20).map(|i| s.name(&format!("par{i}"))).collect();
    let kids: Vec<_> = names
        .iter()
        .map(|n| spawn(&s, &s.kubeconfig, &["create", n, "--no-connect"]))
        .collect();
    for k in kids {
        let out = k.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let before = s.read_kubeconfig();
    let kids: Vec<_> = names
        .iter()
        .map(|n| spawn(&s, &s.kubeconfig, &["connect", n, "--no-switch"]))
        .collect();
    for k in kids {
        let out = k.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let after = s.read_kubeconfig();
    let ctxs = contexts(&after);
    for n in &names {
        assert!(ctxs.contains(&format!("kubenv-{n}")), "kubenv-{n} missing");
    }
    for c in contexts(&before) {
        assert!(ctxs.contains(&c), "{c} lost");
    }
    assert_eq!(after["current-context"], before["current-context"]);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&s.kubeconfig).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // kubectl reads it too.
    s.kubectl(&["config", "get-contexts", "-o", "name"]).ok();
}

#[test]
fn five_parallel_creates_of_one_name_make_one_environment() {
    let s = Sandbox::new();
    let name = s.name("race");
    let ns = format!("env-{name}");
    let kids: Vec<_> = (0..5)
        .map(|_| {
            Command::new(KUBENV)
                .args(["create", &name, "--no-connect", "--if-not-exists", "-o", "json"])
                .env("KUBECONFIG", &s.kubeconfig)
                .env("HOME", s.path("home"))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut created = 0;
    for k in kids {
        let out = k.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        if v["created"] == true {
            created += 1;
        }
    }
    assert_eq!(created, 1, "exactly one process created it");
    assert_guardrails_once(&s, &ns);
}

#[test]
fn racing_sleep_and_wake_lose_no_replica_count() {
    let s = Sandbox::new();
    let name = s.name("race-sw");
    let ns = format!("env-{name}");
    s.kubenv(&["create", &name, "--no-connect"]).ok();
    for (d, n) in [("a", "3"), ("b", "1"), ("c", "4")] {
        s.admin(&[
            "-n",
            &ns,
            "create",
            "deployment",
            d,
            "--image=nginx",
            &format!("--replicas={n}"),
        ])
        .ok();
    }
    for _ in 0..3 {
        let kids: Vec<_> = ["sleep", "wake", "sleep", "wake"]
            .iter()
            .map(|c| spawn(&s, &s.kubeconfig, &[c, &name]))
            .collect();
        for k in kids {
            let out = k.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        // Consistent: asleep with every count recorded, or awake with none pending.
        let env = s.kubenv(&["get", &name, "-o", "json"]).ok().json();
        let deps = s.admin_json(&["-n", &ns, "get", "deployments"]);
        for d in deps["items"].as_array().unwrap() {
            let recorded = d["metadata"]["annotations"]
                .get("kubenv.dev/replicas-before-sleep")
                .is_some();
            if env["status"] == "Sleeping" {
                assert!(recorded && d["spec"]["replicas"] == 0, "{d}");
            } else {
                assert!(!recorded && d["spec"]["replicas"] != 0, "{d}");
            }
        }
    }
    s.kubenv(&["wake", &name]).ok();
    let count = |d: &str| {
        s.admin_json(&["-n", &ns, "get", "deployment", d])["spec"]["replicas"]
            .as_i64()
            .unwrap()
    };
    assert_eq!((count("a"), count("b"), count("c")), (3, 1, 4));
}

#[test]
fn the_server_going_away_after_the_namespace_is_survived_by_rerunning_the_command() {
    let s = Sandbox::new();
    let name = s.name("outage");
    let ns = format!("env-{name}");
    // Through a proxy that stops listening right after it forwards the namespace POST: from
    // the client's side the API server is gone between the namespace and the guardrails.
    let p = Proxy::start_with(&s, &[], 0.0, None, &["--exit-after", "POST /api/v1/namespaces?"]);
    let args = ["create", name.as_str(), "--no-connect"];
    let r = s.kubenv_with(&args, &[("KUBECONFIG", p.kubeconfig.to_str().unwrap())]);
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stderr.contains("cannot reach the cluster"), "{}", r.stderr);
    assert!(s.namespace_exists(&ns));
    assert_eq!(
        s.kubenv(&["get", &name, "-o", "json"]).ok().json()["status"],
        "Incomplete"
    );
    // The server comes back where it was; the same command finishes the environment.
    let port = p.port;
    drop(p);
    let back = Proxy::start_with(&s, &[], 0.0, Some(port), &[]);
    s.kubenv_with(&args, &[("KUBECONFIG", back.kubeconfig.to_str().unwrap())])
        .ok();
    assert_eq!(s.kubenv(&["get", &name, "-o", "json"]).ok().json()["status"], "Active");
    assert_guardrails_once(&s, &ns);
    // Once complete, the same command again is the usual conflict.
    s.kubenv_with(&args, &[("KUBECONFIG", back.kubeconfig.to_str().unwrap())])
        .code(4);
}
