//! `kubenv connect NAME -- CMD`: the child's exit code, a private temporary kubeconfig that
//! is always removed, exec-plugin credentials, and signals that reach the child.

use crate::common::*;
use std::path::Path;
use std::time::Duration;

fn sh(s: &Sandbox, name: &str, script: &str) -> Run {
    s.kubenv(&["connect", name, "--", "sh", "-c", script])
}

#[test]
fn connect_command_exit_code_private_dir_and_exec_plugin() {
    let s = Sandbox::new();
    let name = s.name("run");
    s.kubenv(&["create", &name, "--no-connect"]).ok();
    let before = std::fs::read(&s.kubeconfig).unwrap();

    let r = sh(&s, &name, "exit 7");
    assert_eq!(r.code, 7, "the child's exit code is kubenv's: {}", r.stderr);

    let out = s.path("seen");
    let script = format!(
        r#"set -e
d=$(dirname "$KUBECONFIG")
echo "$d" > {out}/dir
stat -c %a "$d" > {out}/mode
cp "$KUBECONFIG" {out}/kubeconfig
kubectl create configmap from-child --from-literal=a=b
# Without the token minted so far (as after its expiry), the exec plugin mints another.
rm -rf "$KUBENV_CACHE_DIR"
kubectl get configmap from-child -o name"#,
        out = out.display()
    );
    std::fs::create_dir_all(&out).unwrap();
    let r = sh(&s, &name, &script).ok();
    assert!(r.stdout.contains("configmap/from-child"), "{r:?}");
    let dir = std::fs::read_to_string(out.join("dir")).unwrap();
    let dir = Path::new(dir.trim());
    assert!(!dir.exists(), "the temporary folder {} is gone", dir.display());
    assert!(
        !dir.file_name()
            .unwrap()
            .to_string_lossy()
            .ends_with(&std::process::id().to_string()),
        "random name"
    );
    assert_eq!(std::fs::read_to_string(out.join("mode")).unwrap().trim(), "700");
    let kc: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(out.join("kubeconfig")).unwrap()).unwrap();
    let user = &kc["users"][0]["user"];
    assert!(user.get("token").is_none(), "no embedded token: {user}");
    assert_eq!(user["exec"]["args"][0], "token", "{user}");
    s.admin(&["-n", &format!("env-{name}"), "get", "configmap", "from-child"])
        .ok();
    assert_eq!(
        std::fs::read(&s.kubeconfig).unwrap(),
        before,
        "the user's kubeconfig is untouched"
    );

    // A command that cannot start is an error, and still leaves nothing behind.
    let r = s.kubenv(&["connect", &name, "--", "/no/such/command"]).code(2);
    assert!(r.stderr.contains("/no/such/command"), "{}", r.stderr);
}

/// Starts `kubenv connect NAME -- sh -c SCRIPT`, waits for the child to write `ready`, sends
/// `signal` to kubenv, and returns kubenv's exit code and the child's temporary folder.
fn signal_kubenv(s: &Sandbox, name: &str, trap: &str, signal: &str) -> (i32, std::path::PathBuf) {
    let ready = s.path(&format!("ready-{signal}"));
    let script = format!(
        r#"{trap}
dirname "$KUBECONFIG" > {ready}.tmp && mv {ready}.tmp {ready}
while :; do sleep 0.1; done"#,
        ready = ready.display()
    );
    let mut child = s
        .command(Path::new(KUBENV))
        .args(["connect", name, "--", "sh", "-c", &script])
        .spawn()
        .unwrap();
    wait_until(|| ready.exists());
    let dir = std::path::PathBuf::from(std::fs::read_to_string(&ready).unwrap().trim());
    assert!(dir.exists());
    let killed = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "kubenv did not end");
        std::thread::sleep(Duration::from_millis(50));
    };
    (status.code().unwrap_or(-1), dir)
}

#[test]
fn connect_command_signals_reach_the_child_and_kubenv_waits() {
    let s = Sandbox::new();
    let name = s.name("sig");
    s.kubenv(&["create", &name, "--no-connect"]).ok();

    // SIGINT: the child traps it, cleans up (slowly) and exits 3; kubenv waits and says 3.
    let got = s.path("got-int");
    let trap = format!(r#"trap 'sleep 1; echo int > {got}; exit 3' INT"#, got = got.display());
    let (code, dir) = signal_kubenv(&s, &name, &trap, "INT");
    assert_eq!(code, 3, "the child's exit code after its trap");
    assert_eq!(std::fs::read_to_string(&got).unwrap().trim(), "int");
    assert!(!dir.exists(), "{} removed after SIGINT", dir.display());

    // SIGTERM, not trapped: the child dies of it, kubenv exits 128+15 and cleans up.
    let (code, dir) = signal_kubenv(&s, &name, "", "TERM");
    assert_eq!(code, 143);
    assert!(!dir.exists(), "{} removed after SIGTERM", dir.display());
}
