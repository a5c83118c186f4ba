//! The bypass suite: engineers, a tenant and a CI bot go around kubenv with plain kubectl,
//! and the API server refuses (RBAC, or kubenv's ValidatingAdmissionPolicies). After each
//! attempt an admin kubectl checks nothing changed. kubenv's own commands still work for
//! owners and platform admins. Users are ServiceAccounts, so this runs on any cluster.
//! Every refusal message is recorded in refusals.log in the run's work directory
//! ($TMPDIR/kubenv-e2e-PID/), so people can read what users will see.

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn record(line: &str) {
    use std::io::Write;
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(cluster().work.join("refusals.log"))
    {
        let _ = writeln!(f, "{line}");
    }
}

/// Asserts the server refused with kubenv's admission policy `policy`, saying `says`.
#[track_caller]
fn by_policy(r: Run, policy: &str, says: &str) -> String {
    assert_ne!(r.code, 0, "allowed: {}", r.stdout);
    assert!(
        r.stderr.contains(&format!("ValidatingAdmissionPolicy '{policy}'")) && r.stderr.contains(says),
        "expected a refusal by {policy} saying {says:?}, got: {}",
        r.stderr
    );
    record(&format!("REFUSED [{policy}]: {}", r.stderr.trim()));
    r.stderr
}

/// Asserts RBAC refused (before any admission policy).
#[track_caller]
fn by_rbac(r: Run) {
    assert_ne!(r.code, 0, "allowed: {}", r.stdout);
    assert!(
        r.stderr.contains("cannot ") && r.stderr.to_lowercase().contains("forbidden"),
        "expected an RBAC refusal, got: {}",
        r.stderr
    );
    record(&format!("REFUSED [RBAC]: {}", r.stderr.trim()));
}

/// A kubeconfig for a bearer token (a tenant's, minted by the admin).
fn token_kubeconfig(s: &Sandbox, name: &str, token: &str) -> PathBuf {
    let mut v: Value = serde_saphyr::from_str(&cluster().admin).unwrap();
    v["users"] = serde_json::json!([{"name": name, "user": {"token": token}}]);
    v["contexts"][0]["context"]["user"] = serde_json::json!(name);
    let path = s.path(&format!("{name}.kubeconfig"));
    std::fs::write(&path, serde_saphyr::to_string(&v).unwrap()).unwrap();
    path
}

fn as_user(s: &Sandbox, kc: &Path, args: &[&str]) -> Run {
    s.kubenv_with(args, &[("KUBECONFIG", kc.to_str().unwrap())])
}

fn ns_meta(s: &Sandbox, ns: &str) -> Value {
    s.admin_json(&["get", "namespace", ns])["metadata"].clone()
}

#[test]
fn engineers_cannot_get_around_kubenv_with_kubectl() {
    let s = Sandbox::new();
    let (alice, alice_id) = s.user("alice");
    let (bob, bob_id) = s.user("bob");
    let name = s.name("sec");
    let ns = format!("env-{name}");
    as_user(&s, &alice, &["create", &name, "--no-connect"]).ok();
    s.admin(&[
        "-n",
        &ns,
        "create",
        "deployment",
        "web",
        "--image=nginx",
        "--replicas=2",
    ])
    .ok();
    let before = ns_meta(&s, &ns);
    let bob_k = |args: &[&str]| s.kubectl_with(&bob, args);
    let owner_msg = format!("only the environment's owner ({alice_id}) or a platform admin may change");

    // Bob deletes Alice's namespace, takes it over, or makes it live forever.
    by_policy(
        bob_k(&["delete", "namespace", &ns, "--wait=false"]),
        "kubenv-namespaces",
        &owner_msg,
    );
    by_policy(
        bob_k(&[
            "annotate",
            "namespace",
            &ns,
            &format!("kubenv.dev/owner={bob_id}"),
            "--overwrite",
        ]),
        "kubenv-namespaces",
        &owner_msg,
    );
    by_policy(
        bob_k(&[
            "annotate",
            "namespace",
            &ns,
            "kubenv.dev/expires-at=2099-01-01T00:00:00Z",
            "--overwrite",
        ]),
        "kubenv-namespaces",
        &owner_msg,
    );
    let after = ns_meta(&s, &ns);
    assert_eq!(after["annotations"], before["annotations"]);
    assert!(after["deletionTimestamp"].is_null());

    // Bob binds himself admin in Alice's environment and in kube-system.
    for (where_, says) in [
        (ns.as_str(), owner_msg.as_str()),
        (
            "kube-system",
            "engineers may change rolebindings only inside kubenv environments they own",
        ),
    ] {
        by_policy(
            bob_k(&[
                "-n",
                where_,
                "create",
                "rolebinding",
                &format!("pwn-{}", s.tag),
                "--clusterrole=admin",
                &format!(
                    "--serviceaccount={}",
                    bob_id.trim_start_matches("system:serviceaccount:")
                ),
            ]),
            "kubenv-environment-objects",
            says,
        );
        let r = s.admin(&[
            "-n",
            where_,
            "get",
            "rolebinding",
            &format!("pwn-{}", s.tag),
            "--ignore-not-found",
            "-o",
            "name",
        ]);
        assert!(r.stdout.trim().is_empty(), "{where_}: {}", r.stdout);
    }
    // ...mints her tenant's tokens, scales her workloads.
    by_rbac(bob_k(&["-n", &ns, "create", "token", "tenant"]));
    by_rbac(bob_k(&["-n", &ns, "scale", "deployment", "web", "--replicas=0"]));
    by_policy(
        bob_k(&[
            "-n",
            &ns,
            "patch",
            "deployment",
            "web",
            "-p",
            r#"{"spec":{"replicas":0}}"#,
        ]),
        "kubenv-environment-objects",
        &owner_msg,
    );
    assert_eq!(
        s.admin_json(&["-n", &ns, "get", "deployment", "web"])["spec"]["replicas"],
        2
    );

    // Bob makes namespaces: his own outside kubenv, a kubenv one "owned" by Alice, one for ever.
    let plain = format!("bobs-{}", s.tag);
    by_policy(
        bob_k(&["create", "namespace", &plain]),
        "kubenv-namespaces",
        "engineers may create only kubenv environments",
    );
    assert!(!s.namespace_exists(&plain));
    let forged = |env: &str, owner: &str, expires: &str| {
        let doc = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": format!("env-{env}"),
            "labels": {"app.kubernetes.io/managed-by": "kubenv", "kubenv.dev/environment": env,
                       "pod-security.kubernetes.io/enforce": "baseline"},
            "annotations": {"kubenv.dev/owner": owner, "kubenv.dev/expires-at": expires, "kubenv.dev/template": "standard"}}});
        let f = s.path(&format!("{env}.json"));
        std::fs::write(&f, doc.to_string()).unwrap();
        bob_k(&["create", "-f", f.to_str().unwrap()])
    };
    let as_alice = s.name("forged");
    by_policy(
        forged(&as_alice, &alice_id, "2026-01-01T00:00:00Z"),
        "kubenv-namespaces",
        "must be its creator",
    );
    let forever = s.name("forever");
    by_policy(
        forged(&forever, &bob_id, "2099-01-01T00:00:00Z"),
        "kubenv-namespaces",
        "within the policy's maximum TTL of 720h",
    );
    assert!(!s.namespace_exists(&format!("env-{as_alice}")) && !s.namespace_exists(&format!("env-{forever}")));

    // Bob patches a Deployment in `default`.
    let d = format!("sec-{}", s.tag);
    s.admin(&["-n", "default", "create", "deployment", &d, "--image=nginx"])
        .ok();
    by_policy(
        bob_k(&[
            "-n",
            "default",
            "patch",
            "deployment",
            &d,
            "-p",
            r#"{"spec":{"replicas":5}}"#,
        ]),
        "kubenv-environment-objects",
        "namespace default is not one",
    );
    assert_eq!(
        s.admin_json(&["-n", "default", "get", "deployment", &d])["spec"]["replicas"],
        1
    );
    s.admin(&["-n", "default", "delete", "deployment", &d]).ok();

    // `kubenv create X --owner alice` by Bob: the server decides, kubenv exits 5 with its word.
    let theirs = s.name("theirs");
    let r = as_user(&s, &bob, &["create", &theirs, "--owner", &alice_id, "--no-connect"]).code(5);
    by_policy(
        r,
        "kubenv-namespaces",
        "only a platform admin may create an environment for someone else",
    );
    assert!(!s.namespace_exists(&format!("env-{theirs}")));

    // A history entry naming someone else.
    let ev = serde_json::json!({"apiVersion": "v1", "kind": "Event", "metadata": {
        "generateName": format!("{name}."), "namespace": "kubenv-system",
        "labels": {"app.kubernetes.io/managed-by": "kubenv", "kubenv.dev/environment": name, "kubenv.dev/action": "delete"},
        "annotations": {"kubenv.dev/actor": alice_id}},
        "involvedObject": {"kind": "Namespace", "name": ns, "namespace": "kubenv-system"},
        "reason": "Delete", "message": "alice deleted it", "type": "Normal"});
    let f = s.path("event.json");
    std::fs::write(&f, ev.to_string()).unwrap();
    by_policy(
        bob_k(&["create", "-f", f.to_str().unwrap()]),
        "kubenv-audit-trail",
        "an audit entry must name its requester",
    );
    let hist = as_user(&s, &alice, &["history", &name, "-o", "json"]).ok().json();
    assert!(
        hist["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"] == alice_id.as_str()),
        "{hist}"
    );

    // The owner cannot loosen her own guardrails either.
    let alice_k = |args: &[&str]| s.kubectl_with(&alice, args);
    by_policy(
        alice_k(&[
            "-n",
            &ns,
            "patch",
            "resourcequota",
            "kubenv-quota",
            "-p",
            r#"{"spec":{"hard":{"pods":"1000"}}}"#,
        ]),
        "kubenv-environment-objects",
        "must keep every limit of template 'standard'",
    );
    by_policy(
        alice_k(&["-n", &ns, "delete", "resourcequota", "kubenv-quota"]),
        "kubenv-environment-objects",
        "is a guardrail of environment",
    );
    by_policy(
        alice_k(&[
            "-n",
            &ns,
            "patch",
            "networkpolicy",
            "kubenv-isolate-ingress",
            "--type=json",
            "-p",
            r#"[{"op":"replace","path":"/spec/ingress","value":[{}]}]"#,
        ]),
        "kubenv-environment-objects",
        "may only apply kubenv's own NetworkPolicies",
    );
    by_policy(
        alice_k(&[
            "-n",
            &ns,
            "label",
            "namespace",
            &ns,
            "pod-security.kubernetes.io/enforce=privileged",
            "--overwrite",
        ]),
        "kubenv-namespaces",
        "Pod Security level cannot be changed",
    );
    by_policy(
        alice_k(&[
            "annotate",
            "namespace",
            &ns,
            "kubenv.dev/expires-at=2099-01-01T00:00:00Z",
            "--overwrite",
        ]),
        "kubenv-namespaces",
        "within the policy's maximum lifetime",
    );
    let q = s.admin_json(&["-n", &ns, "get", "resourcequota", "kubenv-quota"]);
    assert_eq!(q["spec"]["hard"]["pods"], "50");
    assert_eq!(
        ns_meta(&s, &ns)["labels"]["pod-security.kubernetes.io/enforce"],
        "baseline"
    );
    s.admin(&["-n", &ns, "get", "networkpolicy", "kubenv-isolate-ingress"])
        .ok();
}

#[test]
fn tenants_and_ci_bots_stay_inside_their_bounds() {
    let s = Sandbox::new();
    let (alice, alice_id) = s.user("alice");
    let (ci, _ci_id) = s.user("ci-bot");
    let name = s.name("tnt");
    let ns = format!("env-{name}");
    as_user(&s, &alice, &["create", &name, "--no-connect"]).ok();
    let token = s
        .admin(&["-n", &ns, "create", "token", "tenant"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let tenant = token_kubeconfig(&s, &format!("tenant-{}", s.tag), &token);
    let t = |args: &[&str]| {
        let mut a = vec!["-n", ns.as_str()];
        a.extend_from_slice(args);
        s.kubectl_with(&tenant, &a)
    };

    // A token that never expires.
    let secret = serde_json::json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
        "metadata": {"name": "forever", "namespace": ns, "annotations": {"kubernetes.io/service-account.name": "tenant"}}});
    let f = s.path("secret.json");
    std::fs::write(&f, secret.to_string()).unwrap();
    by_policy(
        t(&["create", "-f", f.to_str().unwrap()]),
        "kubenv-tenant-limits",
        "tokens that never expire",
    );
    assert!(
        s.admin(&[
            "-n",
            &ns,
            "get",
            "secret",
            "forever",
            "--ignore-not-found",
            "-o",
            "name"
        ])
        .stdout
        .trim()
        .is_empty()
    );
    // Ordinary secrets are fine.
    t(&["create", "secret", "generic", "ok", "--from-literal=a=b"]).ok();

    // Planting the lock that made every gc time out.
    let lease = serde_json::json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "kubenv-lock", "namespace": ns},
        "spec": {"holderIdentity": "tenant", "leaseDurationSeconds": 100000000, "renewTime": "2099-01-01T00:00:00.000000Z"}});
    let f = s.path("lease.json");
    std::fs::write(&f, lease.to_string()).unwrap();
    by_policy(
        t(&["create", "-f", f.to_str().unwrap()]),
        "kubenv-tenant-limits",
        "the lock kubenv-lock is kubenv's",
    );
    assert!(!lock_exists(&s, &ns));
    // Guardrails and the namespace's labels are out of its reach (RBAC).
    by_rbac(t(&["delete", "resourcequota", "kubenv-quota"]));
    by_rbac(t(&[
        "label",
        "namespace",
        &ns,
        "pod-security.kubernetes.io/enforce=privileged",
        "--overwrite",
    ]));
    // A privileged pod is refused by Pod Security admission at the template's level.
    let r = t(&["run", "priv", "--image=busybox", "--privileged"]);
    assert!(r.stderr.contains("violates PodSecurity \"baseline"), "{}", r.stderr);
    record(&format!("REFUSED [Pod Security]: {}", r.stderr.trim()));
    // Sleep (the owner) still takes the lock.
    as_user(&s, &alice, &["sleep", &name]).ok();
    as_user(&s, &alice, &["wake", &name]).ok();

    // A CI bot with the engineer role: its own environments, nobody else's.
    let mine = s.name("ci");
    as_user(&s, &ci, &["create", &mine, "--no-connect"]).ok();
    as_user(&s, &ci, &["delete", &mine, "--yes"]).ok();
    let r = as_user(&s, &ci, &["delete", &name, "--yes"]).code(5);
    assert!(r.stderr.contains(&alice_id), "{}", r.stderr);
    by_policy(
        s.kubectl_with(&ci, &["delete", "namespace", &ns, "--wait=false"]),
        "kubenv-namespaces",
        "only the environment's owner",
    );
    assert!(s.namespace_exists(&ns));
}

#[test]
fn owners_and_admins_work_under_enforcement() {
    let _g = policy_lock();
    let s = Sandbox::new();
    let r = s.kubenv(&["admin", "check"]).ok();
    assert!(r.stdout.contains("enforced"), "{}", r.stdout);
    let (alice, alice_id) = s.user("alice");
    let name = s.name("life");
    let ns = format!("env-{name}");
    // The owner's whole lifecycle.
    as_user(&s, &alice, &["create", &name, "--no-connect"]).ok();
    as_user(&s, &alice, &["create", &name, "--if-not-exists", "--no-connect"]).ok();
    let rb = s.admin_json(&["-n", &ns, "get", "rolebinding", "kubenv-owner"]);
    assert_eq!(
        rb["roleRef"]["name"], "kubenv:tenant",
        "the owner has the tenant's role, not admin"
    );
    s.admin(&["-n", &ns, "create", "deployment", "w", "--image=nginx", "--replicas=2"])
        .ok();
    let printed = as_user(&s, &alice, &["connect", &name, "--print"]).ok().stdout;
    let f = s.path("alice-env.kubeconfig");
    std::fs::write(&f, printed).unwrap();
    s.kubectl_with(&f, &["get", "deployments"]).ok();
    as_user(&s, &alice, &["sleep", &name]).ok();
    assert_eq!(
        s.admin_json(&["-n", &ns, "get", "deployment", "w"])["spec"]["replicas"],
        0
    );
    as_user(&s, &alice, &["wake", &name]).ok();
    assert_eq!(
        s.admin_json(&["-n", &ns, "get", "deployment", "w"])["spec"]["replicas"],
        2
    );
    as_user(&s, &alice, &["extend", &name, "--ttl", "10d"]).ok();
    let hist = as_user(&s, &alice, &["history", &name, "-o", "json"]).ok().json();
    let actions: Vec<&str> = hist["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in ["create", "sleep", "wake", "extend"] {
        assert!(actions.contains(&a), "{a} missing: {hist}");
    }

    // A lock forged by an admin (far-future renewal) is taken over, not waited for.
    let lease = serde_json::json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "kubenv-lock", "namespace": ns},
        "spec": {"holderIdentity": "forged", "leaseDurationSeconds": 60, "renewTime": "2099-01-01T00:00:00.000000Z"}});
    let lf = s.path("lease.json");
    std::fs::write(&lf, lease.to_string()).unwrap();
    s.admin(&["create", "-f", lf.to_str().unwrap()]).ok();
    let t = std::time::Instant::now();
    as_user(&s, &alice, &["sleep", &name]).ok();
    assert!(t.elapsed().as_secs() < 20, "took {:?}", t.elapsed());
    assert!(!lock_exists(&s, &ns));

    // Platform admins act on anyone's environment; the trail names them.
    s.kubenv(&["wake", &name]).ok();
    s.kubenv(&["extend", &name, "--ttl", "2d"]).ok();
    let other = s.name("foralice");
    s.kubenv(&["create", &other, "--owner", &alice_id, "--no-connect"]).ok();
    let meta = ns_meta(&s, &format!("env-{other}"));
    assert_eq!(meta["annotations"]["kubenv.dev/owner"], alice_id.as_str());
    let hist = s.kubenv(&["history", &other, "-o", "json"]).ok().json();
    assert_ne!(
        hist["items"][0]["actor"],
        alice_id.as_str(),
        "the admin made it: {hist}"
    );
    // gc expires and deletes it: gc names the plain identity, the action says gc.
    s.admin(&[
        "annotate",
        "namespace",
        &format!("env-{other}"),
        "kubenv.dev/expires-at=2020-01-01T00:00:00Z",
        "--overwrite",
    ])
    .ok();
    let mut lease2 = lease.clone();
    lease2["metadata"]["namespace"] = serde_json::json!(format!("env-{other}"));
    let lf2 = s.path("lease2.json");
    std::fs::write(&lf2, lease2.to_string()).unwrap();
    s.admin(&["create", "-f", lf2.to_str().unwrap()]).ok();
    let gc = s.kubenv(&["gc", "-o", "json"]).ok().json();
    let mine = gc["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["environment"] == other.as_str())
        .cloned();
    assert_eq!(
        mine.as_ref().map(|a| a["done"].clone()),
        Some(Value::Bool(true)),
        "{gc}"
    );
    let hist = s.kubenv(&["history", &other, "-o", "json"]).ok().json();
    let gcd = hist["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "gc-delete")
        .cloned()
        .unwrap();
    assert!(!gcd["actor"].as_str().unwrap().contains("kubenv-gc ("), "{gcd}");
    as_user(&s, &alice, &["delete", &name, "--yes"]).ok();
}

/// Whether the environment's lock Lease exists, as an admin sees it.
fn lock_exists(s: &Sandbox, ns: &str) -> bool {
    !s.admin(&[
        "-n",
        ns,
        "get",
        "lease",
        "kubenv-lock",
        "--ignore-not-found",
        "-o",
        "name",
    ])
    .stdout
    .trim()
    .is_empty()
}
