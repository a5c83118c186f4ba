//! The platform team's controls: policy, templates, TTL, gc, wake on access, the audit
//! trail and cost showback. The policy is cluster-wide, so these run one at a time, and the
//! policies they install keep the defaults other tests rely on (prefix, standard template,
//! 30d maximum TTL).

use crate::common::*;
use serde_json::Value;
use std::process::Stdio;

const POLICY: &str = r#"# test policy
namespacePrefix: env-
defaultTemplate: standard
ttl:
  default: 7d
  max: 30d
sleep:
  afterInactivity: 2h
  wakeOnAccess: true
cost:
  currency: EUR
  cpuCoreHour: 2
  memoryGiBHour: 0.5
templates:
  standard:
    description: the default
  web:
    description: a starter web app
    ttl: 3d
    podSecurity: restricted
    network:
      mode: strict
    manifests:
    - apiVersion: v1
      kind: ConfigMap
      metadata:
        name: app-config
      data:
        LOG_LEVEL: debug
    - apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: starter
      spec:
        replicas: 1
        selector:
          matchLabels: {app: starter}
        template:
          metadata:
            labels: {app: starter}
          spec:
            containers:
            - name: web
              image: nginx
              resources:
                requests: {cpu: 250m, memory: 512Mi}
"#;

fn history(s: &Sandbox, name: &str) -> Vec<Value> {
    s.kubenv(&["history", name, "-o", "json"]).ok().json()["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn policy_install_is_idempotent_and_malformed_policies_are_refused() {
    let _g = policy_lock();
    let s = Sandbox::new();
    let bad = POLICY.replace("  max: 30d", "  max: 2x");
    let r = install(&s, &bad).code(2);
    assert!(
        r.stderr.contains("line 6") && r.stderr.contains("ttl.max"),
        "{}",
        r.stderr
    );
    let f = s.path("bad.yaml");
    std::fs::write(
        &f,
        "namespacePrefix: env-\ntemplates:\n  web:\n    quota:\n      pods: many\n",
    )
    .unwrap();
    let r = s.kubenv(&["admin", "policy", "validate", f.to_str().unwrap()]).code(2);
    assert!(r.stderr.contains("line 5"), "{}", r.stderr);
    std::fs::write(&f, "namespacePrefx: env-\n").unwrap();
    let r = s.kubenv(&["admin", "policy", "validate", f.to_str().unwrap()]).code(2);
    assert!(
        r.stderr.contains("line 1") && r.stderr.contains("namespacePrefx"),
        "{}",
        r.stderr
    );

    install(&s, POLICY).ok();
    let cm1 = s.admin_json(&["-n", "kubenv-system", "get", "configmap", "kubenv-policy"]);
    install(&s, POLICY).ok();
    let cm2 = s.admin_json(&["-n", "kubenv-system", "get", "configmap", "kubenv-policy"]);
    assert_eq!(cm1["data"], cm2["data"]);
    assert_eq!(
        cm1["metadata"]["resourceVersion"], cm2["metadata"]["resourceVersion"],
        "a re-run changes nothing"
    );
    for role in ["kubenv:engineer", "kubenv:admin"] {
        s.admin(&["get", "clusterrole", role]).ok();
    }
    // Re-running init without --policy keeps the installed policy.
    let r = s
        .kubenv(&["--kubeconfig", s.admin_kubeconfig.to_str().unwrap(), "admin", "init"])
        .ok();
    assert!(r.stdout.contains("kept ConfigMap/kubenv-policy"), "{}", r.stdout);
    let shown = s.kubenv(&["admin", "policy", "show", "-o", "json"]).ok().json();
    assert_eq!(shown["cost"]["currency"], "EUR");
    assert_eq!(shown["sleep"]["afterInactivity"], "2h");
    let templates = s.kubenv(&["templates", "-o", "json"]).ok().json();
    assert_eq!(
        (&templates["apiVersion"], &templates["kind"]),
        (&serde_json::json!("kubenv.dev/v1"), &serde_json::json!("TemplateList"))
    );
    let web = templates["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "web")
        .unwrap_or_else(|| panic!("{templates}"));
    assert_eq!(web["manifests"].as_array().unwrap().len(), 2);

    // A malformed policy already in the cluster is reported, never replaced by defaults.
    s.admin(&[
        "-n",
        "kubenv-system",
        "patch",
        "configmap",
        "kubenv-policy",
        "--type=merge",
        "-p",
        r#"{"data":{"policy.yaml":"ttl:\n  max: forever\n"}}"#,
    ])
    .ok();
    let r = s.kubenv(&["create", &s.name("nopolicy"), "--no-connect"]).code(2);
    assert!(
        r.stderr.contains("kubenv-system/kubenv-policy") && r.stderr.contains("ttl.max"),
        "{}",
        r.stderr
    );
    restore_defaults(&s);
}

#[test]
fn templates_extras_ttl_and_extend() {
    let _g = policy_lock();
    let s = Sandbox::new();
    install(&s, POLICY).ok();
    let name = s.name("tpl");
    let ns = format!("env-{name}");
    let env = s
        .kubenv(&["create", &name, "--template", "web", "--no-connect", "-o", "json"])
        .ok()
        .json();
    assert_eq!(env["template"], "web");
    // The template's own TTL (3d) applies.
    let left = env["expiresAt"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_second()
        - jiff::Timestamp::now().as_second();
    assert!((3 * 86_400 - 120..=3 * 86_400 + 5).contains(&left), "{left}");
    // Extras landed, labelled as kubenv's; the template's guardrails too.
    let cm = s.admin_json(&["-n", &ns, "get", "configmap", "app-config"]);
    assert_eq!(cm["data"]["LOG_LEVEL"], "debug");
    assert_eq!(cm["metadata"]["labels"]["app.kubernetes.io/managed-by"], "kubenv");
    s.admin(&["-n", &ns, "get", "deployment", "starter"]).ok();
    let nsobj = s.admin_json(&["get", "namespace", &ns]);
    assert_eq!(
        nsobj["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    s.admin(&["-n", &ns, "get", "networkpolicy", "kubenv-limit-egress"])
        .ok();

    // A changed template converges on re-apply.
    install(
        &s,
        &POLICY
            .replace("LOG_LEVEL: debug", "LOG_LEVEL: info")
            .replace("mode: strict", "mode: isolated"),
    )
    .ok();
    s.kubenv(&["create", &name, "--if-not-exists", "--no-connect"]).ok();
    assert_eq!(
        s.admin_json(&["-n", &ns, "get", "configmap", "app-config"])["data"]["LOG_LEVEL"],
        "info"
    );
    let egress = s
        .admin(&[
            "-n",
            &ns,
            "get",
            "networkpolicy",
            "kubenv-limit-egress",
            "--ignore-not-found",
            "-o",
            "name",
        ])
        .ok();
    assert!(
        egress.stdout.trim().is_empty(),
        "a policy the template dropped is removed"
    );

    // TTL bounds, at create and at extend.
    let r = s
        .kubenv(&["create", &s.name("toolong"), "--ttl", "31d", "--no-connect"])
        .code(2);
    assert!(r.stderr.contains("maximum 30d"), "{}", r.stderr);
    let r = s.kubenv(&["extend", &name, "--ttl", "31d"]).code(2);
    assert!(r.stderr.contains("maximum"), "{}", r.stderr);
    let ext = s.kubenv(&["extend", &name, "--ttl", "10d", "-o", "json"]).ok().json();
    let left = ext["expiresAt"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_second()
        - jiff::Timestamp::now().as_second();
    assert!((10 * 86_400 - 120..=10 * 86_400 + 5).contains(&left), "{left}");
    let actions: Vec<String> = history(&s, &name)
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert!(
        actions.contains(&"create".to_string()) && actions.contains(&"extend".to_string()),
        "{actions:?}"
    );
    restore_defaults(&s);
}

#[test]
fn gc_deletes_expired_and_sleeps_idle_once_even_when_run_concurrently() {
    let _g = policy_lock();
    let s = Sandbox::new();
    install(&s, POLICY).ok();
    let expired = s.name("gcexp");
    let idle = s.name("gcidle");
    let fresh = s.name("gcfresh");
    let busy = s.name("gcbusy");
    for n in [&expired, &idle, &fresh, &busy] {
        s.kubenv(&["create", n, "--no-connect"]).ok();
    }
    let past = |secs: i64| (jiff::Timestamp::now() - jiff::SignedDuration::from_secs(secs)).to_string();
    // Clocks are set by annotations.
    s.admin(&[
        "annotate",
        "--overwrite",
        "namespace",
        &format!("env-{expired}"),
        &format!("kubenv.dev/expires-at={}", past(60)),
    ])
    .ok();
    for n in [&idle, &busy] {
        s.admin(&[
            "annotate",
            "--overwrite",
            "namespace",
            &format!("env-{n}"),
            &format!("kubenv.dev/last-activity={}", past(3 * 3600)),
        ])
        .ok();
    }
    // An old record of activity, but someone wrote to the namespace just now.
    s.admin(&[
        "-n",
        &format!("env-{busy}"),
        "create",
        "configmap",
        "touched",
        "--from-literal=a=b",
    ])
    .ok();
    // An unmanaged namespace with the same annotations is never touched.
    let plain = format!("env-{}", s.name("gcplain"));
    s.admin(&["create", "namespace", &plain]).ok();
    s.admin(&[
        "annotate",
        "namespace",
        &plain,
        &format!("kubenv.dev/expires-at={}", past(60)),
    ])
    .ok();

    let plan = s.kubenv(&["gc", "--dry-run", "-o", "json"]).ok().json();
    assert_eq!(
        (plan["kind"].as_str(), plan["dryRun"].as_bool()),
        (Some("GcReport"), Some(true)),
        "{plan}"
    );
    let planned = |env: &str| -> Option<String> {
        plan["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["environment"] == env)
            .map(|a| a["action"].as_str().unwrap().to_string())
    };
    assert_eq!(planned(&expired).as_deref(), Some("delete"), "{plan}");
    assert_eq!(planned(&fresh), None, "{plan}");
    assert_eq!(planned(&busy), None, "a fresh write is activity: {plan}");
    assert!(
        s.namespace_exists(&format!("env-{expired}")),
        "a dry run changes nothing"
    );
    assert_eq!(planned(&idle).as_deref(), Some("sleep"), "{plan}");

    // Three gc runs at once.
    let mut kids = Vec::new();
    for _ in 0..3 {
        kids.push(
            std::process::Command::new(KUBENV)
                .args(["gc", "-o", "json"])
                .env("KUBECONFIG", &s.kubeconfig)
                .env("HOME", s.path("home"))
                .env("KUBENV_CACHE_DIR", s.path("cache"))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
    }
    for k in kids {
        let out = k.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let phase = s
        .admin(&[
            "get",
            "namespace",
            &format!("env-{expired}"),
            "-o",
            "jsonpath={.status.phase}",
            "--ignore-not-found",
        ])
        .ok();
    assert!(
        phase.stdout.is_empty() || phase.stdout == "Terminating",
        "{}",
        phase.stdout
    );
    assert!(s.namespace_exists(&plain), "gc never touches unmanaged namespaces");
    let deletes = history(&s, &expired)
        .iter()
        .filter(|e| e["action"] == "gc-delete")
        .count();
    assert_eq!(deletes, 1, "exactly one run acted");
    // The trail outlives the environment.
    assert!(history(&s, &expired).iter().any(|e| e["action"] == "create"));
    assert_eq!(
        s.kubenv(&["get", &idle, "-o", "json"]).ok().json()["status"],
        "Sleeping"
    );
    assert_eq!(
        history(&s, &idle).iter().filter(|e| e["action"] == "gc-sleep").count(),
        1,
        "exactly one run acted"
    );
    assert_eq!(s.kubenv(&["get", &fresh, "-o", "json"]).ok().json()["status"], "Active");
    assert_eq!(s.kubenv(&["get", &busy, "-o", "json"]).ok().json()["status"], "Active");
    s.admin(&["delete", "namespace", &plain, "--wait=false"]).ok();
    restore_defaults(&s);
}

#[test]
fn gc_sleeps_an_environment_with_no_activity() {
    let _g = policy_lock();
    let s = Sandbox::new();
    install(&s, POLICY).ok();
    let idle = s.name("gcnap");
    s.kubenv(&["create", &idle, "--no-connect"]).ok();
    let old = (jiff::Timestamp::now() - jiff::SignedDuration::from_secs(3 * 3600)).to_string();
    s.admin(&[
        "annotate",
        "--overwrite",
        "namespace",
        &format!("env-{idle}"),
        &format!("kubenv.dev/last-activity={old}"),
    ])
    .ok();
    let r = s.kubenv(&["gc", "-o", "json"]).ok().json();
    let mine = r["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["environment"] == idle.as_str())
        .cloned();
    assert_eq!(
        mine.as_ref().map(|a| a["action"].clone()),
        Some(Value::from("sleep")),
        "{r}"
    );
    assert_eq!(
        s.kubenv(&["get", &idle, "-o", "json"]).ok().json()["status"],
        "Sleeping"
    );
    restore_defaults(&s);
}

#[test]
fn kubectl_wakes_a_sleeping_environment_through_the_exec_plugin() {
    let s = Sandbox::new();
    let name = s.name("woa");
    let ns = format!("env-{name}");
    s.kubenv(&["create", &name, "--no-switch"]).ok();
    s.admin(&[
        "-n",
        &ns,
        "create",
        "deployment",
        "app",
        "--image=nginx",
        "--replicas=2",
    ])
    .ok();
    s.kubenv(&["sleep", &name]).ok();
    assert_eq!(
        s.admin_json(&["-n", &ns, "get", "deployment", "app"])["spec"]["replicas"],
        0
    );
    // The first use of the context: the plugin sees it asleep and wakes it.
    s.kubectl(&["--context", &format!("kubenv-{name}"), "get", "deployments"])
        .ok();
    assert_eq!(
        s.admin_json(&["-n", &ns, "get", "deployment", "app"])["spec"]["replicas"],
        2
    );
    assert_eq!(s.kubenv(&["get", &name, "-o", "json"]).ok().json()["status"], "Active");
}

#[test]
fn cost_arithmetic_is_exact_for_known_workloads() {
    let _g = policy_lock();
    let s = Sandbox::new();
    install(&s, POLICY).ok();
    let a = s.name("costa");
    let b = s.name("costb");
    s.kubenv(&["create", &a, "--team", "cost-red", "--no-connect"]).ok();
    s.kubenv(&["create", &b, "--team", "cost-red", "--no-connect"]).ok();
    // 2 pods × (250m, 512Mi) = 0.5 cores, 1 GiB → (0.5 × 2 + 1 × 0.5) × 24 = 36 a day.
    let deploy = |ns: &str, name: &str, replicas: u32| {
        let y = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers:\n      - name: c\n        image: nginx\n        resources:\n          requests: {{cpu: 250m, memory: 512Mi}}\n          limits: {{cpu: 250m, memory: 512Mi}}\n"
        );
        let f = s.path(&format!("{name}.yaml"));
        std::fs::write(&f, y).unwrap();
        s.admin(&["apply", "-f", f.to_str().unwrap()]).ok();
    };
    deploy(&format!("env-{a}"), "api", 2);
    deploy(&format!("env-{b}"), "worker", 1);
    let pods = |ns: &str| {
        s.admin_json(&["-n", ns, "get", "pods"])["items"]
            .as_array()
            .unwrap()
            .len()
    };
    wait_until(|| pods(&format!("env-{a}")) == 2 && pods(&format!("env-{b}")) == 1);

    let r = s.kubenv(&["cost", "--by", "team", "-o", "json"]).ok().json();
    let line = |n: &str| {
        r["environments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["environment"] == n)
            .unwrap()
            .clone()
    };
    let la = line(&a);
    assert_eq!(
        (la["cpu"].as_f64(), la["memoryGiB"].as_f64()),
        (Some(0.5), Some(1.0)),
        "{la}"
    );
    assert_eq!(la["costPerDay"].as_f64(), Some(36.0));
    assert_eq!(la["source"], "pods");
    assert_eq!(line(&b)["costPerDay"].as_f64(), Some(18.0));
    let red = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "cost-red")
        .unwrap()
        .clone();
    assert_eq!(red["environments"], 2);
    assert_eq!(red["costPerDay"].as_f64(), Some(54.0));
    // Totals add up over every line.
    let sum: f64 = r["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["costPerDay"].as_f64().unwrap())
        .sum();
    assert!((r["total"]["costPerDay"].as_f64().unwrap() - sum).abs() < 1e-9);

    // Asleep: nothing requested, and sleep saves what it would cost awake.
    s.kubenv(&["sleep", &a]).ok();
    wait_until(|| pods(&format!("env-{a}")) == 0);
    let r = s.kubenv(&["cost", "-o", "json"]).ok().json();
    let la = r["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["environment"] == a.as_str())
        .unwrap()
        .clone();
    assert_eq!(la["costPerDay"].as_f64(), Some(0.0), "{la}");
    assert_eq!(la["savedPerDay"].as_f64(), Some(36.0), "{la}");
    assert!(la["asleepHours"].as_f64().unwrap() < 0.1);
    restore_defaults(&s);
}
