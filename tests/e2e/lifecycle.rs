//! The whole lifecycle and the guardrails it leaves behind.

use crate::common::*;
use serde_json::Value;

#[test]
fn full_lifecycle_checked_with_kubectl() {
    let s = Sandbox::new();
    let name = s.name("life");
    let ns = format!("env-{name}");

    let created = s
        .kubenv(&["create", &name, "--ttl", "2d", "--team", "web", "-o", "json"])
        .ok()
        .json();
    assert_eq!(created["name"], name.as_str());
    assert_eq!(created["namespace"], ns.as_str());
    assert_eq!(created["status"], "Active");
    assert_eq!(created["team"], "web");
    assert_eq!(created["context"], format!("kubenv-{name}"));

    // kubectl sees the namespace, labelled and annotated.
    let nsobj = s.admin_json(&["get", "namespace", &ns]);
    assert_eq!(nsobj["metadata"]["labels"]["app.kubernetes.io/managed-by"], "kubenv");
    assert_eq!(nsobj["metadata"]["labels"]["kubenv.dev/environment"], name.as_str());
    assert_eq!(nsobj["metadata"]["labels"]["kubenv.dev/team"], "web");
    let expires: jiff::Timestamp = nsobj["metadata"]["annotations"]["kubenv.dev/expires-at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let left = expires.as_second() - jiff::Timestamp::now().as_second();
    assert!(
        (2 * 86_400 - 120..=2 * 86_400 + 5).contains(&left),
        "expiry {left}s away"
    );

    // The context is current; kubectl works in the environment through the exec plugin.
    assert_eq!(
        s.kubectl(&["config", "current-context"]).ok().stdout.trim(),
        format!("kubenv-{name}")
    );
    s.kubectl(&["create", "deployment", "web", "--image=nginx", "--replicas=3"])
        .ok();
    s.kubectl(&["create", "deployment", "idle", "--image=nginx", "--replicas=0"])
        .ok();
    let deploys = s.admin_json(&["-n", &ns, "get", "deployments"]);
    assert_eq!(deploys["items"].as_array().unwrap().len(), 2);

    // list shows it, as the caller's.
    let list = s.kubenv(&["list", "-o", "json"]).ok().json();
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&name.as_str()), "{names:?}");

    // sleep → every workload at 0, new pods blocked; wake → exactly what was there.
    s.kubenv(&["sleep", &name]).ok();
    let replicas = |d: &str| {
        s.admin_json(&["-n", &ns, "get", "deployment", d])["spec"]["replicas"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(replicas("web"), 0);
    assert_eq!(replicas("idle"), 0);
    let sleeping = s.kubenv(&["get", &name, "-o", "json"]).ok().json();
    assert_eq!(sleeping["status"], "Sleeping");
    let blocked = s.kubectl(&["run", "extra", "--image=nginx", "--restart=Never"]);
    assert_ne!(blocked.code, 0, "a pod was admitted while asleep");
    assert!(blocked.stderr.contains("kubenv-sleep"), "{}", blocked.stderr);

    s.kubenv(&["wake", &name]).ok();
    assert_eq!(replicas("web"), 3);
    assert_eq!(replicas("idle"), 0);
    assert_eq!(s.kubenv(&["get", &name, "-o", "json"]).ok().json()["status"], "Active");

    // delete --wait: namespace gone for kubectl, context gone from the kubeconfig.
    s.kubenv(&["delete", &name, "--yes", "--wait", "--timeout", "2m"]).ok();
    assert!(!s.namespace_exists(&ns));
    let kc = s.read_kubeconfig();
    assert!(!contexts(&kc).contains(&format!("kubenv-{name}")));
    assert_eq!(kc["current-context"], cluster_context(&kc));
}

fn cluster_context(kc: &Value) -> Value {
    kc["contexts"][0]["name"].clone()
}

#[test]
fn guardrails_have_the_expected_specs() {
    let s = Sandbox::new();
    let name = s.name("guard");
    let ns = format!("env-{name}");
    s.kubenv(&["create", &name, "--no-connect"]).ok();

    let q = s.admin_json(&[
        "-n",
        &ns,
        "get",
        "resourcequota",
        "kubenv-quota",
        "--show-managed-fields",
    ]);
    let hard = &q["spec"]["hard"];
    assert_eq!(hard["requests.cpu"], "4");
    assert_eq!(hard["requests.memory"], "8Gi");
    assert_eq!(hard["limits.cpu"], "8");
    assert_eq!(hard["pods"], "50");
    assert_eq!(hard["services.loadbalancers"], "0");
    assert_eq!(hard["services.nodeports"], "0");

    let lr = s.admin_json(&["-n", &ns, "get", "limitrange", "kubenv-limits"]);
    let item = &lr["spec"]["limits"][0];
    assert_eq!(item["type"], "Container");
    assert_eq!(item["defaultRequest"]["cpu"], "100m");
    assert_eq!(item["default"]["memory"], "512Mi");

    let np = s.admin_json(&["-n", &ns, "get", "networkpolicy", "kubenv-isolate-ingress"]);
    assert_eq!(np["spec"]["podSelector"], serde_json::json!({}));
    assert_eq!(np["spec"]["policyTypes"], serde_json::json!(["Ingress"]));
    assert_eq!(
        np["spec"]["ingress"][0]["from"],
        serde_json::json!([{"podSelector": {}}])
    );

    let nsobj = s.admin_json(&["get", "namespace", &ns]);
    let labels = &nsobj["metadata"]["labels"];
    assert_eq!(labels["pod-security.kubernetes.io/enforce"], "baseline");
    assert_eq!(labels["pod-security.kubernetes.io/warn"], "restricted");
    assert_eq!(labels["pod-security.kubernetes.io/audit"], "restricted");
    assert_eq!(nsobj["metadata"]["annotations"]["kubenv.dev/template"], "standard");

    s.admin(&["-n", &ns, "get", "serviceaccount", "tenant"]).ok();
    let rb = s.admin_json(&["-n", &ns, "get", "rolebinding", "kubenv-tenant"]);
    assert_eq!(rb["roleRef"]["kind"], "ClusterRole");
    assert_eq!(
        rb["roleRef"]["name"], "kubenv:tenant",
        "admin without write access to the guardrails"
    );
    assert_eq!(rb["subjects"][0]["kind"], "ServiceAccount");
    assert_eq!(rb["subjects"][0]["name"], "tenant");
    assert_eq!(rb["subjects"][0]["namespace"], ns.as_str());

    // Every guardrail is applied by the `kubenv` field manager.
    let managers: Vec<String> = q["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["manager"].as_str().unwrap().to_string())
        .collect();
    assert!(managers.contains(&"kubenv".to_string()), "{managers:?}");
}

#[test]
fn create_if_not_exists_converges() {
    let s = Sandbox::new();
    let name = s.name("conv");
    let ns = format!("env-{name}");
    let first = s.kubenv(&["create", &name, "--no-connect", "-o", "json"]).ok().json();
    // Damage a guardrail; the re-run puts it back.
    s.admin(&["-n", &ns, "delete", "limitrange", "kubenv-limits"]).ok();
    s.admin(&[
        "-n",
        &ns,
        "patch",
        "resourcequota",
        "kubenv-quota",
        "--type=merge",
        "-p",
        r#"{"spec":{"hard":{"pods":"999"}}}"#,
    ])
    .ok();
    let again = s
        .kubenv(&["create", &name, "--no-connect", "--if-not-exists", "-o", "json"])
        .ok()
        .json();
    assert_eq!(again["expiresAt"], first["expiresAt"], "a re-run keeps the expiry");
    s.kubenv(&["create", &name, "--no-connect", "--if-not-exists"]).ok();
    s.admin(&["-n", &ns, "get", "limitrange", "kubenv-limits"]).ok();
    assert_eq!(
        s.admin_json(&["-n", &ns, "get", "resourcequota", "kubenv-quota"])["spec"]["hard"]["pods"],
        "50"
    );
    // Exactly one of each guardrail.
    assert_guardrails_once(&s, &ns);
    // Without the flag, an existing environment is a conflict (exit 4) that says what to do.
    let r = s.kubenv(&["create", &name, "--no-connect"]).code(4);
    assert!(r.stderr.contains("--if-not-exists"), "{}", r.stderr);
}

#[test]
fn sleep_twice_keeps_counts_and_wake_is_idempotent() {
    let s = Sandbox::new();
    let name = s.name("nap");
    let ns = format!("env-{name}");
    s.kubenv(&["create", &name, "--no-connect"]).ok();
    s.admin(&["-n", &ns, "create", "deployment", "a", "--image=nginx", "--replicas=2"])
        .ok();
    s.admin(&["-n", &ns, "create", "deployment", "b", "--image=nginx", "--replicas=5"])
        .ok();
    let sts = format!(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: db, namespace: {ns}}}\nspec:\n  replicas: 3\n  serviceName: db\n  selector: {{matchLabels: {{app: db}}}}\n  template:\n    metadata: {{labels: {{app: db}}}}\n    spec: {{containers: [{{name: db, image: postgres}}]}}\n"
    );
    let f = s.path("sts.yaml");
    std::fs::write(&f, sts).unwrap();
    s.admin(&["apply", "-f", f.to_str().unwrap()]).ok();
    // Opted out: never scaled.
    s.admin(&[
        "-n",
        &ns,
        "create",
        "deployment",
        "keep",
        "--image=nginx",
        "--replicas=1",
    ])
    .ok();
    s.admin(&[
        "-n",
        &ns,
        "annotate",
        "deployment",
        "keep",
        "kubenv.dev/exclude-from-sleep=true",
    ])
    .ok();

    let count = |kind: &str, n: &str| {
        s.admin_json(&["-n", &ns, "get", kind, n])["spec"]["replicas"]
            .as_i64()
            .unwrap()
    };
    let r1 = s.kubenv(&["sleep", &name, "-o", "json"]).ok().json();
    assert_eq!(r1["changed"].as_array().unwrap().len(), 3, "{r1}");
    let r2 = s.kubenv(&["sleep", &name, "-o", "json"]).ok().json();
    assert_eq!(
        r2["changed"].as_array().unwrap().len(),
        0,
        "second sleep changes nothing: {r2}"
    );
    assert_eq!(
        (
            count("deployment", "a"),
            count("deployment", "b"),
            count("statefulset", "db")
        ),
        (0, 0, 0)
    );
    assert_eq!(count("deployment", "keep"), 1);
    let ann = s.admin_json(&["-n", &ns, "get", "deployment", "b"]);
    assert_eq!(ann["metadata"]["annotations"]["kubenv.dev/replicas-before-sleep"], "5");

    s.kubenv(&["wake", &name]).ok();
    assert_eq!(
        (
            count("deployment", "a"),
            count("deployment", "b"),
            count("statefulset", "db")
        ),
        (2, 5, 3)
    );
    assert_eq!(count("deployment", "keep"), 1);
    let ann = s.admin_json(&["-n", &ns, "get", "deployment", "b"]);
    assert!(
        ann["metadata"]["annotations"]
            .get("kubenv.dev/replicas-before-sleep")
            .is_none()
    );
    // Waking an awake environment changes nothing.
    let r = s.kubenv(&["wake", &name, "-o", "json"]).ok().json();
    assert_eq!(r["wasChanged"], false);
    assert_eq!((count("deployment", "a"), count("deployment", "b")), (2, 5));
}

#[test]
fn connect_wakes_a_sleeping_environment() {
    let s = Sandbox::new();
    let name = s.name("wakeup");
    let ns = format!("env-{name}");
    s.kubenv(&["create", &name, "--no-connect"]).ok();
    s.admin(&["-n", &ns, "create", "deployment", "a", "--image=nginx", "--replicas=2"])
        .ok();
    s.kubenv(&["sleep", &name]).ok();
    s.kubenv(&["connect", &name]).ok();
    assert_eq!(
        s.admin_json(&["-n", &ns, "get", "deployment", "a"])["spec"]["replicas"],
        2
    );
    assert_eq!(s.kubenv(&["get", &name, "-o", "json"]).ok().json()["status"], "Active");
}

#[test]
fn list_json_matches_kubectl() {
    let s = Sandbox::new();
    let a = s.name("la");
    let b = s.name("lb");
    s.kubenv(&["create", &a, "--no-connect", "--team", "red"]).ok();
    s.kubenv(&["create", &b, "--no-connect", "--team", "blue"]).ok();
    let list = s.kubenv(&["list", "-A", "-o", "json"]).ok().json();
    let mut ours: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["namespace"].as_str().unwrap().to_string())
        .collect();
    ours.sort();
    let kubectl = s.admin_json(&["get", "namespaces", "-l", "app.kubernetes.io/managed-by=kubenv"]);
    let mut theirs: Vec<String> = kubectl["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["metadata"]["deletionTimestamp"].is_null())
        .map(|n| n["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    theirs.sort();
    // Other tests run at once: compare on what existed in both snapshots.
    for ns in [format!("env-{a}"), format!("env-{b}")] {
        assert!(
            ours.contains(&ns) && theirs.contains(&ns),
            "{ns} in {ours:?} / {theirs:?}"
        );
    }
    let red = s.kubenv(&["list", "-A", "--team", "red", "-o", "json"]).ok().json();
    let red: Vec<&str> = red["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(red.contains(&a.as_str()) && !red.contains(&b.as_str()), "{red:?}");
    // Every item has the documented shape.
    for e in list["items"].as_array().unwrap() {
        for k in [
            "name",
            "namespace",
            "owner",
            "team",
            "template",
            "status",
            "createdAt",
            "expiresAt",
            "sleepingSince",
            "context",
            "quota",
        ] {
            assert!(e.get(k).is_some(), "{k} missing in {e}");
        }
    }
    let names = s.kubenv(&["list", "-A", "-o", "name"]).ok().stdout;
    assert!(names.lines().any(|l| l == format!("environment/{a}")), "{names}");
    let table = s.kubenv(&["list", "-A"]).ok().stdout;
    assert!(table.starts_with("NAME"), "{table}");
    assert!(table.contains("CPU") && table.contains("MEMORY") && table.contains("PODS"));
}
