//! What a current cluster with nodes makes observable: Pod Security admission enforcing the
//! template's level, sleep and wake on pods that really run (on simulated nodes here; the
//! pause image on a real cluster) and on CronJobs, `--wait` for the template's workloads
//! with its own time limit, and the owner's identity taken from the API server for token and
//! client-certificate users.

use crate::common::*;
use serde_json::Value;
use std::process::{Command, Stdio};

const POLICY: &str = r#"# workloads test policy: the defaults, plus two templates
namespacePrefix: env-
defaultTemplate: standard
ttl:
  default: 7d
  max: 30d
templates:
  standard:
    description: the default
  locked:
    description: restricted pods, a starter app
    podSecurity: restricted
    manifests:
    - apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: app
      spec:
        replicas: 2
        selector:
          matchLabels: {app: app}
        template:
          metadata:
            labels: {app: app}
          spec:
            securityContext:
              runAsNonRoot: true
              runAsUser: 1000
              seccompProfile: {type: RuntimeDefault}
            containers:
            - name: app
              image: registry.k8s.io/pause:3.10
              securityContext:
                allowPrivilegeEscalation: false
                capabilities: {drop: [ALL]}
  stuck:
    description: a workload no node can take
    manifests:
    - apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: never
      spec:
        replicas: 1
        selector:
          matchLabels: {app: never}
        template:
          metadata:
            labels: {app: never}
          spec:
            nodeSelector:
              kubenv.dev/no-such-node: "true"
            containers:
            - name: app
              image: registry.k8s.io/pause:3.10
"#;

const PRIVILEGED_POD: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: root
spec:
  containers:
  - name: c
    image: registry.k8s.io/pause:3.10
    securityContext:
      privileged: true
"#;

const RESTRICTED_POD: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: fine
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: c
    image: registry.k8s.io/pause:3.10
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
"#;

const WORKLOADS: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: registry.k8s.io/pause:3.10
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  replicas: 2
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: db
        image: registry.k8s.io/pause:3.10
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: report
            image: registry.k8s.io/pause:3.10
"#;

/// kubectl in the environment's context (the tenant, through `kubenv token`), a manifest
/// on stdin.
fn apply_as_tenant(s: &Sandbox, name: &str, manifest: &str) -> Run {
    let mut child = Command::new("kubectl")
        .args(["--context", &format!("kubenv-{name}"), "apply", "-f", "-"])
        .env("KUBECONFIG", &s.kubeconfig)
        .env("HOME", s.path("home"))
        .env("KUBENV_CACHE_DIR", s.path("cache"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(manifest.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Pods of a namespace that are Running and Ready, and not on their way out.
fn running_pods(s: &Sandbox, ns: &str, selector: &str) -> Vec<String> {
    let pods = s.admin_json(&["-n", ns, "get", "pods", "-l", selector]);
    pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null() && p["status"]["phase"] == "Running")
        .filter(|p| {
            p["status"]["conditions"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
        })
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

fn pod_count(s: &Sandbox, ns: &str) -> usize {
    s.admin_json(&["-n", ns, "get", "pods"])["items"]
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn pod_security_is_enforced_and_wait_means_the_template_workloads_are_available() {
    let _g = policy_lock();
    let s = Sandbox::new();
    install(&s, POLICY).ok();

    // --wait returns once the template's Deployment has both replicas available.
    let name = s.name("psa");
    let ns = format!("env-{name}");
    let created = s
        .kubenv(&[
            "create",
            &name,
            "--template",
            "locked",
            "--wait",
            "--no-switch",
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(created["template"], "locked");
    let app = s.admin_json(&["-n", &ns, "get", "deployment", "app"]);
    assert_eq!(app["status"]["availableReplicas"], 2, "{}", app["status"]);
    assert_eq!(running_pods(&s, &ns, "app=app").len(), 2);
    let labels = s.admin_json(&["get", "namespace", &ns])["metadata"]["labels"].clone();
    assert_eq!(labels["pod-security.kubernetes.io/enforce"], "restricted");

    // The API server's Pod Security admission refuses a privileged pod from the tenant...
    let r = apply_as_tenant(&s, &name, PRIVILEGED_POD);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("violates PodSecurity \"restricted:latest\""),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("privileged"), "{}", r.stderr);
    let gone = s.admin(&["-n", &ns, "get", "pod", "root", "--ignore-not-found", "-o", "name"]);
    assert_eq!(gone.stdout.trim(), "", "nothing was created");
    // ...and admits a compliant one, which a node runs.
    apply_as_tenant(&s, &name, RESTRICTED_POD).ok();
    wait_until(|| s.admin_json(&["-n", &ns, "get", "pod", "fine"])["status"]["phase"] == "Running");

    // A template workload no node can take: --wait gives up after its own limit (not the
    // API --timeout), with exit 6 naming the workload and the scheduler's reason.
    let stuck = s.name("stuck");
    let started = std::time::Instant::now();
    let r = s
        .kubenv(&[
            "create",
            &stuck,
            "--template",
            "stuck",
            "--wait",
            "--wait-timeout",
            "4s",
            "--timeout",
            "120s",
            "--no-connect",
        ])
        .code(6);
    assert!(started.elapsed().as_secs() < 100, "gave up at the wait limit");
    assert!(r.stderr.contains("is not ready after 4s"), "{}", r.stderr);
    assert!(r.stderr.contains("deployment/never 0/1 ready"), "{}", r.stderr);
    assert!(r.stderr.contains("not scheduled"), "{}", r.stderr);
    assert!(r.stderr.contains("--wait-timeout"), "{}", r.stderr);
    // The environment itself was made; only readiness failed. A re-run converges.
    assert!(s.namespace_exists(&format!("env-{stuck}")));
    restore_defaults(&s);
}

#[test]
fn sleep_stops_running_pods_and_suspends_cronjobs_and_wake_brings_them_back() {
    let s = Sandbox::new();
    let name = s.name("pods");
    let ns = format!("env-{name}");
    s.kubenv(&["create", &name, "--no-switch"]).ok();
    apply_as_tenant(&s, &name, WORKLOADS).ok();
    wait_until(|| running_pods(&s, &ns, "app in (web,db)").len() == 5);
    let before = running_pods(&s, &ns, "app=web").len();
    assert_eq!(before, 3);

    let slept = s.kubenv(&["sleep", &name, "--wait", "-o", "json"]).ok().json();
    assert_eq!(slept["changed"].as_array().map(Vec::len), Some(3), "{slept}");
    // --wait returned once the workloads had no pods left; kwok, like a kubelet, then
    // removes the pods of the namespace.
    for kind in ["deployment/web", "statefulset/db"] {
        let o = s.admin_json(&["-n", &ns, "get", kind]);
        assert_eq!(o["spec"]["replicas"], 0, "{kind}");
        assert_eq!(
            o["status"]["replicas"].as_i64().unwrap_or(0),
            0,
            "{kind}: {}",
            o["status"]
        );
    }
    wait_until(|| pod_count(&s, &ns) == 0);
    assert_eq!(
        s.admin_json(&["-n", &ns, "get", "cronjob", "report"])["spec"]["suspend"],
        true
    );
    // New pods are refused while asleep.
    let r = apply_as_tenant(&s, &name, RESTRICTED_POD);
    assert_ne!(r.code, 0, "{r:?}");
    assert_eq!(pod_count(&s, &ns), 0);

    s.kubenv(&["wake", &name, "--wait"]).ok();
    // --wait returned with every replica Running and Ready again.
    assert_eq!(running_pods(&s, &ns, "app=web").len(), 3);
    assert_eq!(running_pods(&s, &ns, "app=db").len(), 2);
    assert_eq!(
        s.admin_json(&["-n", &ns, "get", "cronjob", "report"])["spec"]["suspend"],
        false
    );
    assert_eq!(s.kubenv(&["get", &name, "-o", "json"]).ok().json()["status"], "Active");
}

/// A user the cluster knows by a client certificate, signed through the CSR API (so this
/// works on any cluster that signs `kubernetes.io/kube-apiserver-client` requests).
fn certificate_user(s: &Sandbox, cn: &str) -> std::path::PathBuf {
    let key = s.path(&format!("{cn}.key"));
    let csr = s.path(&format!("{cn}.csr"));
    let ok = Command::new("openssl")
        .args(["req", "-newkey", "rsa:2048", "-nodes", "-subj"])
        .arg(format!("/O=kubenv-e2e/CN={cn}"))
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&csr)
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(ok.success());
    use base64::Engine;
    let b64 = |p: &std::path::Path| base64::engine::general_purpose::STANDARD.encode(std::fs::read(p).unwrap());
    let obj = serde_json::json!({
        "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
        "metadata": {"name": cn},
        "spec": {"request": b64(&csr), "signerName": "kubernetes.io/kube-apiserver-client",
                 "expirationSeconds": 3600, "usages": ["client auth"]}
    });
    let f = s.path(&format!("{cn}-csr.json"));
    std::fs::write(&f, obj.to_string()).unwrap();
    s.admin(&["create", "-f", f.to_str().unwrap()]).ok();
    s.admin(&["certificate", "approve", cn]).ok();
    let mut cert = String::new();
    wait_until(|| {
        cert = s
            .admin(&["get", "csr", cn, "-o", "jsonpath={.status.certificate}"])
            .stdout
            .trim()
            .to_string();
        !cert.is_empty()
    });
    s.admin(&["delete", "csr", cn]).ok();
    let mut v: Value = serde_saphyr::from_str(&cluster().admin).unwrap();
    v["users"] = serde_json::json!([{"name": "laptop", "user": {
        "client-certificate-data": cert, "client-key-data": b64(&key)}}]);
    v["contexts"][0]["context"]["user"] = serde_json::json!("laptop");
    let path = s.path(&format!("{cn}.kubeconfig"));
    std::fs::write(&path, serde_saphyr::to_string(&v).unwrap()).unwrap();
    path
}

/// Binds a User to the engineer role for the test's lifetime.
struct Engineer<'a>(&'a Sandbox, String);

impl<'a> Engineer<'a> {
    fn bind(s: &'a Sandbox, user: &str) -> Engineer<'a> {
        let b = format!("kubenv-e2e-{user}");
        s.admin(&[
            "create",
            "clusterrolebinding",
            &b,
            "--clusterrole=kubenv:engineer",
            &format!("--user={user}"),
        ])
        .ok();
        Engineer(s, b)
    }
}

impl Drop for Engineer<'_> {
    fn drop(&mut self) {
        let _ = self
            .0
            .admin(&["delete", "clusterrolebinding", &self.1, "--ignore-not-found"]);
    }
}

/// Creates an environment as the user of `kubeconfig`, then checks that the owner kubenv
/// recorded (annotation, RoleBinding subject) is the server's name for that user, and that
/// the user can work in it.
fn owner_is_the_servers_view(s: &Sandbox, base: &str, kubeconfig: &std::path::Path, entry: &str, expected: &str) {
    let name = s.name(base);
    let ns = format!("env-{name}");
    let kc = kubeconfig.to_str().unwrap();
    let created = s
        .kubenv_with(&["create", &name, "--no-switch", "-o", "json"], &[("KUBECONFIG", kc)])
        .ok()
        .json();
    assert_eq!(created["owner"], expected);
    assert_ne!(entry, expected, "the kubeconfig entry's name is not what is recorded");
    let nso = s.admin_json(&["get", "namespace", &ns]);
    assert_eq!(nso["metadata"]["annotations"]["kubenv.dev/owner"], expected);
    let rb = s.admin_json(&["-n", &ns, "get", "rolebinding", "kubenv-owner"]);
    assert_eq!(rb["subjects"][0]["kind"], "User");
    assert_eq!(rb["subjects"][0]["name"], expected);
    // The owner binding lets that user mint the tenant's token: kubectl works in it.
    s.kubectl_with(
        kubeconfig,
        &["--context", &format!("kubenv-{name}"), "get", "configmaps"],
    )
    .ok();
    s.kubenv_with(&["delete", &name, "--yes"], &[("KUBECONFIG", kc)]).ok();
}

#[test]
fn the_owner_is_who_the_api_server_says_for_certificate_and_token_users() {
    let s = Sandbox::new();
    // A client-certificate user: the name is the certificate's CN.
    let cn = format!("kubenv-e2e-cert-{}", s.tag);
    let kc = certificate_user(&s, &cn);
    let _e = Engineer::bind(&s, &cn);
    owner_is_the_servers_view(&s, "cert", &kc, "laptop", &cn);

    // A static-token user of the local cluster: the name is the token file's, whatever the
    // kubeconfig entry is called. Elsewhere, a ServiceAccount token user stands in.
    match std::env::var("KUBENV_TEST_CONTROLPLANE") {
        Ok(dir) => {
            let text = std::fs::read_to_string(format!("{dir}/carol.kubeconfig")).unwrap();
            let mut v: Value = serde_saphyr::from_str(&text).unwrap();
            v["users"][0]["name"] = serde_json::json!("ci-robot");
            v["contexts"][0]["context"]["user"] = serde_json::json!("ci-robot");
            let kc = s.path("carol.kubeconfig");
            std::fs::write(&kc, serde_saphyr::to_string(&v).unwrap()).unwrap();
            let _e = Engineer::bind(&s, "carol");
            owner_is_the_servers_view(&s, "token", &kc, "ci-robot", "carol");
        }
        Err(_) => {
            let (kc, id) = s.user("robot");
            let name = s.name("sa");
            let created = s
                .kubenv_with(
                    &["create", &name, "--no-connect", "-o", "json"],
                    &[("KUBECONFIG", kc.to_str().unwrap())],
                )
                .ok()
                .json();
            assert_eq!(created["owner"], id.as_str());
        }
    }
}
