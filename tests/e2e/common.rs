//! Test harness: a real cluster (KUBENV_TEST_KUBECONFIG, set by scripts/test.sh), one sandbox
//! per test (its own kubeconfig, token cache and HOME), the built kubenv binary, and kubectl
//! as the independent client that checks what kubenv did.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

pub const KUBENV: &str = env!("CARGO_BIN_EXE_kubenv");

pub struct Cluster {
    /// A flattened admin kubeconfig (CA inlined) every sandbox starts from.
    pub admin: String,
    pub work: PathBuf,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static SEQ: AtomicU32 = AtomicU32::new(0);
/// The policy is cluster-wide: a test that installs its own (a malformed one, even) runs
/// alone. Every other sandbox holds this lock shared.
static POLICY: std::sync::RwLock<()> = std::sync::RwLock::new(());

thread_local! {
    static EXCLUSIVE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

pub struct PolicyGuard(#[allow(dead_code)] std::sync::RwLockWriteGuard<'static, ()>);

impl Drop for PolicyGuard {
    fn drop(&mut self) {
        EXCLUSIVE.with(|e| e.set(false));
    }
}

/// Taken, before its sandbox, by a test that installs its own policy.
pub fn policy_lock() -> PolicyGuard {
    let g = POLICY.write().unwrap_or_else(|e| e.into_inner());
    EXCLUSIVE.with(|e| e.set(true));
    PolicyGuard(g)
}

pub fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| {
        let kc = std::env::var("KUBENV_TEST_KUBECONFIG").unwrap_or_else(|_| {
            panic!(
                "KUBENV_TEST_KUBECONFIG is not set: the integration tests need a real cluster. \
                 Run scripts/test.sh (it starts a local control plane), or point KUBENV_TEST_KUBECONFIG \
                 at a cluster-admin kubeconfig."
            )
        });
        let out = Command::new("kubectl")
            .args(["--kubeconfig", &kc, "config", "view", "--flatten", "--raw", "--minify"])
            .output()
            .expect("kubectl runs");
        assert!(
            out.status.success(),
            "kubectl config view: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let admin = String::from_utf8(out.stdout).unwrap();
        let v: Value = serde_saphyr::from_str(&admin).unwrap();
        assert!(
            v["clusters"][0]["cluster"]["server"].is_string(),
            "the admin kubeconfig names a server"
        );
        let work = std::env::temp_dir().join(format!("kubenv-e2e-{}", std::process::id()));
        std::fs::create_dir_all(&work).unwrap();
        let c = Cluster { admin, work };
        // What a platform admin does first: the policy and the engineer role.
        let admin_path = c.work.join("admin.kubeconfig");
        std::fs::write(&admin_path, &c.admin).unwrap();
        run_ok(Command::new(KUBENV).args(["--kubeconfig", admin_path.to_str().unwrap(), "admin", "init"]));
        let _ = Command::new("kubectl")
            .args([
                "--kubeconfig",
                admin_path.to_str().unwrap(),
                "create",
                "namespace",
                "kubenv-e2e-users",
            ])
            .output();
        c
    })
}

fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The result of running a command.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

/// One test's private world on the shared cluster.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    pub admin_kubeconfig: PathBuf,
    pub tag: String,
    envs: std::sync::Mutex<Vec<String>>,
    bindings: std::sync::Mutex<Vec<String>>,
    _shared: Option<std::sync::RwLockReadGuard<'static, ()>>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let c = cluster();
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("home/.kube/config");
        std::fs::create_dir_all(kubeconfig.parent().unwrap()).unwrap();
        std::fs::write(&kubeconfig, &c.admin).unwrap();
        let admin_kubeconfig = dir.path().join("admin.kubeconfig");
        std::fs::write(&admin_kubeconfig, &c.admin).unwrap();
        let n = SEQ.fetch_add(1, Ordering::SeqCst);
        let tag = format!("{:x}{n}", std::process::id() % 0xfff);
        Sandbox {
            dir,
            kubeconfig,
            admin_kubeconfig,
            tag,
            envs: Default::default(),
            bindings: Default::default(),
            _shared: if EXCLUSIVE.with(|e| e.get()) {
                None
            } else {
                Some(POLICY.read().unwrap_or_else(|e| e.into_inner()))
            },
        }
    }

    /// A unique environment name for this test; deleted when the sandbox is dropped.
    pub fn name(&self, base: &str) -> String {
        let n = format!("{base}-{}", self.tag);
        self.envs.lock().unwrap().push(n.clone());
        n
    }

    /// Deletes this environment with the sandbox too (a name kubenv derived, e.g. from a branch).
    pub fn track(&self, name: &str) {
        let mut envs = self.envs.lock().unwrap();
        if !envs.iter().any(|e| e == name) {
            envs.push(name.to_string());
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `kubenv ARGS` with this sandbox's kubeconfig, cache and HOME, no terminal.
    pub fn kubenv(&self, args: &[&str]) -> Run {
        self.kubenv_with(args, &[])
    }

    pub fn kubenv_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(Path::new(KUBENV));
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().expect("kubenv runs"))
    }

    /// A command (a kubenv binary, kubectl, a shell) with this sandbox's environment: its
    /// kubeconfig, cache and HOME, no terminal.
    pub fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.path("home"))
            .env("KUBECONFIG", &self.kubeconfig)
            .env("KUBENV_CACHE_DIR", self.path("cache"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, cmd: &mut Command) -> Run {
        Run::from(cmd.output().expect("the command runs"))
    }

    /// kubectl as cluster admin, independent of anything kubenv wrote.
    pub fn admin(&self, args: &[&str]) -> Run {
        self.kubectl_with(&self.admin_kubeconfig, args)
    }

    pub fn admin_json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        self.admin(&a).ok().json()
    }

    /// kubectl with the sandbox's kubeconfig (the contexts kubenv wrote).
    pub fn kubectl(&self, args: &[&str]) -> Run {
        self.kubectl_with(&self.kubeconfig, args)
    }

    pub fn kubectl_with(&self, kubeconfig: &Path, args: &[&str]) -> Run {
        let mut cmd = Command::new("kubectl");
        cmd.args(args)
            .env("KUBECONFIG", kubeconfig)
            .env("HOME", self.path("home"))
            .env("KUBENV_CACHE_DIR", self.path("cache"))
            .stdin(Stdio::null());
        Run::from(cmd.output().expect("kubectl runs"))
    }

    pub fn namespace_exists(&self, ns: &str) -> bool {
        let r = self.admin(&["get", "namespace", ns, "-o", "name", "--ignore-not-found"]);
        !r.stdout.trim().is_empty()
    }

    /// A kubeconfig for a non-admin user (a ServiceAccount bound to `kubenv:engineer`, the
    /// role `kubenv admin init` installs),
    /// which works on any cluster.
    pub fn user(&self, name: &str) -> (PathBuf, String) {
        let sa = format!("{name}-{}", self.tag);
        let ns = "kubenv-e2e-users";
        self.admin(&["-n", ns, "create", "serviceaccount", &sa]).ok();
        let binding = format!("kubenv-e2e-{sa}");
        self.admin(&[
            "create",
            "clusterrolebinding",
            &binding,
            "--clusterrole=kubenv:engineer",
            &format!("--serviceaccount={ns}:{sa}"),
        ])
        .ok();
        self.bindings.lock().unwrap().push(binding);
        let token = self
            .admin(&["-n", ns, "create", "token", &sa, "--duration=2h"])
            .ok()
            .stdout
            .trim()
            .to_string();
        let mut v: Value = serde_saphyr::from_str(&cluster().admin).unwrap();
        v["users"] = serde_json::json!([{"name": name, "user": {"token": token}}]);
        v["contexts"][0]["context"]["user"] = serde_json::json!(name);
        v["contexts"][0]["name"] = serde_json::json!(name);
        v["current-context"] = serde_json::json!(name);
        let path = self.path(&format!("{name}.kubeconfig"));
        std::fs::write(&path, serde_saphyr::to_string(&v).unwrap()).unwrap();
        (path, format!("system:serviceaccount:{ns}:{sa}"))
    }

    pub fn read_kubeconfig(&self) -> Value {
        serde_saphyr::from_str(&std::fs::read_to_string(&self.kubeconfig).unwrap()).unwrap()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let envs = self.envs.lock().unwrap().clone();
        for e in envs {
            let _ = self.admin(&[
                "delete",
                "namespace",
                &format!("env-{e}"),
                "--wait=false",
                "--ignore-not-found",
            ]);
        }
        for b in self.bindings.lock().unwrap().iter() {
            let _ = self.admin(&["delete", "clusterrolebinding", b, "--ignore-not-found"]);
        }
    }
}

/// The guardrails kubenv made in a namespace, exactly once each: one quota, one LimitRange,
/// one NetworkPolicy, the tenant ServiceAccount, and three RoleBindings: the tenant's, and
/// the owner's two (its role in the namespace and its right to mint the tenant's tokens),
/// which exist because a current API server tells kubenv who the owner is
/// (SelfSubjectReview).
#[track_caller]
pub fn assert_guardrails_once(s: &Sandbox, ns: &str) {
    assert_guardrails_and(s, ns, &[], &[]);
}

/// The guardrails, plus these ServiceAccounts and RoleBindings of kubenv's (a virtual
/// cluster's), each exactly once.
#[track_caller]
pub fn assert_guardrails_and(s: &Sandbox, ns: &str, service_accounts: &[&str], role_bindings: &[&str]) {
    let sort = |v: Vec<&str>| {
        let mut v: Vec<String> = v.into_iter().map(str::to_string).collect();
        v.sort();
        v
    };
    let sas = sort([&["tenant"][..], service_accounts].concat());
    let rbs = sort(
        [
            &["kubenv-owner", "kubenv-owner-token", "kubenv-tenant"][..],
            role_bindings,
        ]
        .concat(),
    );
    for (kind, want) in [
        ("resourcequota", vec!["kubenv-quota".to_string()]),
        ("limitrange", vec!["kubenv-limits".to_string()]),
        ("networkpolicy", vec!["kubenv-isolate-ingress".to_string()]),
        ("serviceaccount", sas),
        ("rolebinding", rbs),
    ] {
        let items = s.admin_json(&["-n", ns, "get", kind, "-l", "app.kubernetes.io/managed-by=kubenv"]);
        let mut names: Vec<String> = items["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        assert_eq!(names, want, "{kind} in {ns}");
    }
}

/// Installs a policy as a platform admin (`kubenv admin init --policy`).
pub fn install(s: &Sandbox, text: &str) -> Run {
    let f = s.path("policy.yaml");
    std::fs::write(&f, text).unwrap();
    s.kubenv(&[
        "--kubeconfig",
        s.admin_kubeconfig.to_str().unwrap(),
        "admin",
        "init",
        "--policy",
        f.to_str().unwrap(),
    ])
}

pub fn restore_defaults(s: &Sandbox) {
    // An empty policy is all defaults (init without --policy keeps what is installed).
    install(s, "{}\n").ok();
}

/// Polls a condition for up to 30 s.
#[track_caller]
pub fn wait_until(mut f: impl FnMut() -> bool) {
    for _ in 0..150 {
        if f() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("condition not reached in 30s");
}

/// Context names kubenv wrote into a kubeconfig.
pub fn contexts(kc: &Value) -> Vec<String> {
    kc["contexts"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["name"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// A plain-HTTP proxy in front of the real API server that fails chosen requests first
/// (tests/fixtures/flaky_proxy.py), and a kubeconfig that goes through it.
pub struct Proxy {
    pub port: u16,
    child: std::process::Child,
    pub log: PathBuf,
    pub kubeconfig: PathBuf,
}

impl Proxy {
    pub fn start(s: &Sandbox, fails: &[&str], delay_secs: f64) -> Proxy {
        Proxy::start_with(s, fails, delay_secs, None, &[])
    }

    /// The same, on a chosen port (to bring a "server" back where it was) and with extra
    /// flags for the proxy (e.g. `--exit-after`).
    pub fn start_with(s: &Sandbox, fails: &[&str], delay_secs: f64, port: Option<u16>, extra: &[&str]) -> Proxy {
        let v: Value = serde_saphyr::from_str(&cluster().admin).unwrap();
        let server = v["clusters"][0]["cluster"]["server"].as_str().unwrap().to_string();
        let ca = s.path(&format!("proxy-ca-{}.crt", SEQ.fetch_add(1, Ordering::SeqCst)));
        let ca_data = v["clusters"][0]["cluster"]["certificate-authority-data"]
            .as_str()
            .expect("the admin kubeconfig has CA data");
        use base64::Engine;
        std::fs::write(&ca, base64::engine::general_purpose::STANDARD.decode(ca_data).unwrap()).unwrap();
        let port = port.unwrap_or_else(|| {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        });
        let log = s.path(&format!("proxy-{port}.log"));
        let mut cmd = Command::new("python3");
        cmd.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/flaky_proxy.py"))
            .args([
                "--upstream",
                &server,
                "--ca",
                ca.to_str().unwrap(),
                "--port",
                &port.to_string(),
            ])
            .args([
                "--log",
                log.to_str().unwrap(),
                "--delay",
                &delay_secs.to_string(),
                "--lifetime",
                "120",
            ]);
        for f in fails {
            cmd.args(["--fail", f]);
        }
        cmd.args(extra);
        let child = cmd.stdin(Stdio::null()).spawn().expect("python3 runs the test proxy");
        if delay_secs == 0.0 {
            for _ in 0..100 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
        let mut kc: Value = serde_saphyr::from_str(&std::fs::read_to_string(&s.kubeconfig).unwrap()).unwrap();
        kc["clusters"][0]["cluster"] = serde_json::json!({"server": format!("http://127.0.0.1:{port}")});
        let kubeconfig = s.path(&format!("proxy-{port}.kubeconfig"));
        std::fs::write(&kubeconfig, serde_saphyr::to_string(&kc).unwrap()).unwrap();
        Proxy {
            child,
            log,
            kubeconfig,
            port,
        }
    }

    /// Logged requests as (method, status, path).
    pub fn requests(&self) -> Vec<(String, u16, String)> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let mut p = l.splitn(3, ' ');
                Some((p.next()?.to_string(), p.next()?.parse().ok()?, p.next()?.to_string()))
            })
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
