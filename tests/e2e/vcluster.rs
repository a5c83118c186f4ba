//! Virtual clusters: the real vcluster syncer (run by the test cluster for the pod kubenv's
//! StatefulSet makes), reached through the host API server's port-forward, its pods synced
//! into the environment's namespace. Every step is checked on the host with kubectl and
//! inside the virtual cluster with kubectl through `kubenv connect NAME -- kubectl ...`.

use crate::common::*;
use serde_json::Value;
use std::path::Path;

fn as_user(s: &Sandbox, kc: &Path, args: &[&str]) -> Run {
    s.kubenv_with(args, &[("KUBECONFIG", kc.to_str().unwrap())])
}

/// Polls for up to `secs` seconds.
#[track_caller]
fn wait_for(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < end {
        if f() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    panic!("{what}: not within {secs}s");
}

/// The host pods the syncer made for the virtual cluster (its CoreDNS among them).
fn synced_pods(s: &Sandbox, ns: &str, name: &str) -> Vec<Value> {
    let v = s.admin_json(&[
        "-n",
        ns,
        "get",
        "pods",
        "-l",
        &format!("vcluster.loft.sh/managed-by={name}"),
    ]);
    v["items"].as_array().cloned().unwrap_or_default()
}

/// Those of Deployment `web` in the virtual cluster's `default` namespace.
fn web_pods(s: &Sandbox, ns: &str, name: &str) -> Vec<Value> {
    synced_pods(s, ns, name)
        .into_iter()
        .filter(|p| {
            p["metadata"]["labels"]["app"] == "web"
                && p["metadata"]["labels"]["vcluster.loft.sh/namespace"] == "default"
        })
        .collect()
}

fn running(pods: &[Value]) -> usize {
    pods.iter()
        .filter(|p| p["status"]["phase"] == "Running" && p["metadata"]["deletionTimestamp"].is_null())
        .count()
}

const CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
"#;

#[test]
fn a_virtual_cluster_lives_and_dies_like_an_environment() {
    let s = Sandbox::new();
    let (alice, _) = s.user("alice");
    let (bob, _) = s.user("bob");
    let name = s.name("vc");
    let ns = format!("env-{name}");
    let t0 = std::time::Instant::now();
    let r = as_user(
        &s,
        &alice,
        &[
            "create",
            &name,
            "--type",
            "vcluster",
            "--wait",
            "--wait-timeout",
            "4m",
            "--timeout",
            "5m",
            "--no-switch",
        ],
    )
    .ok();
    let made = t0.elapsed();
    assert!(r.stdout.contains("created"), "{}", r.stdout);
    // On the host: the guardrails of any environment, plus the virtual cluster's objects.
    let (sa, workload) = (format!("vc-{name}"), format!("vc-workload-{name}"));
    assert_guardrails_and(&s, &ns, &[&sa, &workload], &[&sa]);
    let nsv = s.admin_json(&["get", "namespace", &ns]);
    assert_eq!(nsv["metadata"]["labels"]["kubenv.dev/type"], "vcluster");
    let sts = s.admin_json(&["-n", &ns, "get", "statefulset", &name]);
    assert_eq!(sts["spec"]["replicas"], 1);
    s.admin(&["-n", &ns, "get", "secret", &format!("vc-{name}"), "-o", "name"])
        .ok();
    let got = as_user(&s, &alice, &["get", &name, "-o", "json"]).ok().json();
    assert_eq!(got["type"], "vcluster");
    let listed = as_user(&s, &alice, &["list"]).ok().stdout;
    let row = listed
        .lines()
        .find(|l| l.starts_with(&name))
        .unwrap_or_default()
        .to_string();
    assert!(row.ends_with("vcluster"), "{listed}");

    // The one RoleBinding an engineer may make for it is its syncer's, to kubenv:vcluster; the
    // API server refuses every other use of that exception, whatever the client.
    let sa = format!("--serviceaccount={ns}:vc-{name}");
    let rb = format!("vc-{name}");
    for (what, args) in [
        (
            "another role",
            vec![
                "-n",
                &ns,
                "create",
                "rolebinding",
                &rb,
                "--clusterrole=admin",
                &sa,
                "--dry-run=server",
            ],
        ),
        (
            "another name",
            vec![
                "-n",
                &ns,
                "create",
                "rolebinding",
                "vc-other",
                "--clusterrole=kubenv:vcluster",
                &sa,
                "--dry-run=server",
            ],
        ),
        (
            "another subject",
            vec![
                "-n",
                &ns,
                "create",
                "rolebinding",
                &rb,
                "--clusterrole=kubenv:vcluster",
                "--user=bob",
                "--dry-run=server",
            ],
        ),
    ] {
        let r = s.kubectl_with(&alice, &args);
        assert_ne!(r.code, 0, "{what}: {}", r.stdout);
        assert!(
            r.stderr.contains("kubenv:") || r.stderr.contains("forbidden"),
            "{what}: {}",
            r.stderr
        );
    }
    let plain = s.name("plain");
    as_user(&s, &alice, &["create", &plain, "--no-connect"]).ok();
    let plain_ns = format!("env-{plain}");
    let r = s.kubectl_with(
        &alice,
        &[
            "-n",
            &plain_ns,
            "create",
            "rolebinding",
            &format!("vc-{plain}"),
            "--clusterrole=kubenv:vcluster",
            &format!("--serviceaccount={plain_ns}:vc-{plain}"),
            "--dry-run=server",
        ],
    );
    assert_ne!(r.code, 0, "not in a namespace environment: {}", r.stdout);
    let r = s.kubectl_with(&alice, &["label", "namespace", &plain_ns, "kubenv.dev/type=vcluster"]);
    assert_ne!(r.code, 0, "the kind cannot be changed: {}", r.stdout);
    assert!(r.stderr.contains("kubenv"), "{}", r.stderr);

    // Inside: kubectl through a port-forward kubenv keeps for the command, with the virtual
    // cluster's own credentials.
    let crd = s.path("crd.yaml");
    std::fs::write(&crd, CRD).unwrap();
    let t1 = std::time::Instant::now();
    let r = as_user(
        &s,
        &alice,
        &["connect", &name, "--", "kubectl", "get", "--raw", "/version"],
    )
    .ok();
    let first_kubectl = t1.elapsed();
    assert!(r.stdout.contains("gitVersion"), "{}", r.stdout);
    as_user(
        &s,
        &alice,
        &["connect", &name, "--", "kubectl", "apply", "-f", crd.to_str().unwrap()],
    )
    .ok();
    // A CRD of its own: the host does not have it.
    assert_ne!(s.admin(&["get", "crd", "widgets.example.com"]).code, 0);
    wait_for(30, "the CRD established", || {
        as_user(&s, &alice, &["connect", &name, "--", "kubectl", "get", "widgets", "-A"]).code == 0
    });
    as_user(
        &s,
        &alice,
        &[
            "connect",
            &name,
            "--",
            "kubectl",
            "create",
            "deployment",
            "web",
            "--image=nginx",
            "--replicas=2",
        ],
    )
    .ok();
    wait_for(90, "2 synced pods Running in the host namespace", || {
        running(&web_pods(&s, &ns, &name)) == 2
    });
    // Reported with the test's output (`--nocapture`): what an engineer waits for.
    std::io::Write::write_all(
        &mut std::io::stderr(),
        format!(
            "vcluster timings: create --wait {:.1}s, first kubectl inside {:.1}s\n",
            made.as_secs_f64(),
            first_kubectl.as_secs_f64()
        )
        .as_bytes(),
    )
    .unwrap();

    // The context `create` wrote reaches it while `kubenv proxy` keeps its port forwarded.
    let ctx = format!("kubenv-{name}");
    let through_proxy = || s.kubectl_with(&alice, &["--context", &ctx, "get", "deployment", "web", "-o", "name"]);
    assert_ne!(through_proxy().code, 0, "no proxy yet");
    let mut proxy = s
        .command(Path::new(KUBENV))
        .args(["proxy", &name])
        .env("KUBECONFIG", &alice)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for(20, "kubectl in the context through kubenv proxy", || {
        through_proxy().code == 0
    });
    assert_eq!(through_proxy().stdout.trim(), "deployment.apps/web");
    proxy.kill().unwrap();
    proxy.wait().unwrap();

    // Nobody else reaches it: not its credentials, not its pod's port.
    let denied = s.kubectl_with(&bob, &["-n", &ns, "get", "secret", &format!("vc-{name}")]);
    assert_ne!(denied.code, 0);
    assert!(denied.stderr.contains("forbidden"), "{}", denied.stderr);
    let r = as_user(&s, &bob, &["connect", &name, "--", "kubectl", "get", "ns"]);
    assert_eq!(r.code, 5, "{}", r.stderr);

    // Sleep: vcluster's own pause; the host pods and the virtual API go away.
    as_user(&s, &alice, &["sleep", &name, "--wait", "--wait-timeout", "2m"]).ok();
    let sts = s.admin_json(&["-n", &ns, "get", "statefulset", &name]);
    assert_eq!(sts["spec"]["replicas"], 0);
    assert_eq!(sts["metadata"]["annotations"]["loft.sh/paused"], "true");
    assert_eq!(sts["metadata"]["annotations"]["loft.sh/paused-replicas"], "1");
    assert!(synced_pods(&s, &ns, &name).is_empty());
    let got = as_user(&s, &alice, &["get", &name, "-o", "json"]).ok().json();
    assert_eq!(got["status"], "Sleeping");

    // Wake: the same objects are back, and their pods run again.
    as_user(
        &s,
        &alice,
        &["wake", &name, "--wait", "--wait-timeout", "3m", "--timeout", "4m"],
    )
    .ok();
    let sts = s.admin_json(&["-n", &ns, "get", "statefulset", &name]);
    assert_eq!(sts["spec"]["replicas"], 1);
    assert!(sts["metadata"]["annotations"]["loft.sh/paused"].is_null());
    wait_for(60, "the virtual API after wake", || {
        as_user(
            &s,
            &alice,
            &["connect", &name, "--", "kubectl", "get", "deployment", "web"],
        )
        .code
            == 0
    });
    as_user(
        &s,
        &alice,
        &["connect", &name, "--", "kubectl", "get", "crd", "widgets.example.com"],
    )
    .ok();
    wait_for(120, "the synced pods Running again", || {
        running(&web_pods(&s, &ns, &name)) == 2
    });

    // Paused by the vcluster CLI's own steps (annotations, scale to 0), with kubectl: kubenv
    // wakes it all the same, from those annotations.
    s.kubectl_with(
        &alice,
        &[
            "-n",
            &ns,
            "annotate",
            "statefulset",
            &name,
            "loft.sh/paused=true",
            "loft.sh/paused-replicas=1",
            "loft.sh/paused-date=2030-01-01T00:00:00.000Z",
        ],
    )
    .ok();
    s.kubectl_with(&alice, &["-n", &ns, "scale", "statefulset", &name, "--replicas=0"])
        .ok();
    wait_for(60, "the syncer's pod gone", || {
        s.admin_json(&["-n", &ns, "get", "pods", "-l", &format!("release={name}")])["items"]
            .as_array()
            .is_some_and(Vec::is_empty)
    });
    as_user(
        &s,
        &alice,
        &["wake", &name, "--wait", "--wait-timeout", "3m", "--timeout", "4m"],
    )
    .ok();
    let sts = s.admin_json(&["-n", &ns, "get", "statefulset", &name]);
    assert_eq!(sts["spec"]["replicas"], 1);
    assert!(sts["metadata"]["annotations"]["loft.sh/paused-replicas"].is_null());
    as_user(
        &s,
        &alice,
        &["connect", &name, "--", "kubectl", "get", "deployment", "web"],
    )
    .ok();

    // Delete: nothing of it is left on the host.
    as_user(&s, &alice, &["delete", &name, "--yes", "--wait", "--timeout", "2m"]).ok();
    assert!(!s.namespace_exists(&ns));
    let left = s.admin_json(&[
        "get",
        "pods",
        "-A",
        "-l",
        &format!("vcluster.loft.sh/managed-by={name}"),
    ]);
    assert_eq!(left["items"].as_array().map(Vec::len), Some(0));
    wait_for(60, "its volume released and removed", || {
        let pvs = s.admin_json(&["get", "pv"]);
        !pvs["items"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|pv| pv["spec"]["claimRef"]["namespace"] == ns.as_str())
    });
}

#[test]
fn a_namespace_template_cannot_make_a_virtual_cluster() {
    let s = Sandbox::new();
    let name = s.name("vcbad");
    let r = s
        .kubenv(&["create", &name, "--type", "vcluster", "--template", "standard"])
        .code(2);
    assert!(r.stderr.contains("not a vcluster"), "{}", r.stderr);
    let r = s.kubenv(&["create", "9lives", "--type", "vcluster"]).code(2);
    assert!(r.stderr.contains("must start with a letter"), "{}", r.stderr);
    assert!(!s.namespace_exists(&format!("env-{name}")));
    assert!(!s.namespace_exists("env-9lives"));
}

#[test]
fn without_admin_init_no_virtual_cluster_is_half_made() {
    let _alone = policy_lock();
    let s = Sandbox::new();
    s.admin(&["-n", "kubenv-system", "delete", "configmap", "kubenv-policy"])
        .ok();
    let name = s.name("vcnoinit");
    let r = s.kubenv(&["create", &name, "--type", "vcluster"]);
    // The platform's policy back before anything is asserted.
    restore_defaults(&s);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("kubenv admin init"), "{}", r.stderr);
    assert!(!s.namespace_exists(&format!("env-{name}")));
}
