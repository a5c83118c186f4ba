//! The CLI as a shell sees it, without a cluster: install.sh into a temporary prefix, the
//! kubectl plugin, completions, a closed stdout, personal config.

use std::process::{Command, Stdio};

const KUBENV: &str = env!("CARGO_BIN_EXE_kubenv");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn run(cmd: &mut Command) -> (i32, String, String) {
    let o = cmd.stdin(Stdio::null()).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

#[test]
fn install_script_installs_idempotently_and_uninstalls() {
    let prefix = tempfile::tempdir().unwrap();
    let p = prefix.path();
    for _ in 0..2 {
        let (code, out, err) = run(Command::new("bash")
            .args([&format!("{ROOT}/install.sh"), "--binary", KUBENV, "--prefix"])
            .arg(p));
        assert_eq!(code, 0, "{out}{err}");
    }
    for f in [
        "bin/kubenv",
        "bin/kubectl-kubenv",
        "bin/kubectl_complete-kubenv",
        "share/bash-completion/completions/kubenv",
        "share/zsh/site-functions/_kubenv",
        "share/fish/vendor_completions.d/kubenv.fish",
        "share/man/man1/kubenv.1",
        "share/man/man1/kubenv-create.1",
    ] {
        assert!(p.join(f).exists(), "{f} missing");
    }
    assert!(
        std::fs::symlink_metadata(p.join("bin/kubectl-kubenv"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // kubectl finds the plugin on PATH, and the help speaks of `kubectl kubenv`.
    let path = format!(
        "{}:{}",
        p.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let (code, out, err) = run(Command::new("kubectl").args(["kubenv", "--help"]).env("PATH", &path));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("kubectl kubenv"), "{out}");
    let (code, out, _) = run(Command::new("kubectl").args(["plugin", "list"]).env("PATH", &path));
    assert!(code == 0 && out.contains("kubectl-kubenv"), "{out}");

    let (code, out, err) = run(Command::new("bash")
        .args([&format!("{ROOT}/install.sh"), "--uninstall", "--prefix"])
        .arg(p));
    assert_eq!(code, 0, "{out}{err}");
    assert!(!p.join("bin/kubenv").exists() && !p.join("bin/kubectl-kubenv").exists());
    assert!(!p.join("share/man/man1/kubenv.1").exists());
    let (code, _, err) = run(Command::new("bash").args([&format!("{ROOT}/install.sh"), "--bogus"]));
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_closed_stdout_exits_quietly_with_0() {
    let mut child = Command::new(KUBENV)
        .args(["completions", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn no_arguments_shows_where_to_start() {
    let (code, out, err) = run(&mut Command::new(KUBENV));
    assert_eq!(code, 2);
    let text = format!("{out}{err}");
    assert!(
        text.contains("Start here") && text.contains("kubenv create pr-42"),
        "{text}"
    );
    let (code, out, _) = run(Command::new(KUBENV).args(["create", "--help"]));
    assert_eq!(code, 0);
    assert!(
        out.contains("--if-not-exists --no-switch -o json"),
        "the CI preview line: {out}"
    );
}

#[test]
fn completions_for_every_shell_and_dynamic_names() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, out, err) = run(Command::new(KUBENV).args(["completions", shell]));
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("kubenv"), "{shell}");
    }
    // The scripts only register kubenv: every TAB asks the binary (COMPLETE=SHELL), which
    // completes environment names from the cluster (tests/e2e/completion.rs runs the shells).
    let (_, bash, _) = run(Command::new(KUBENV).args(["completions", "bash"]));
    assert!(bash.contains("COMPLETE=\"bash\""), "{bash}");
    let (code, out, _) = run(Command::new(KUBENV)
        .args(["--", "kubenv", "con"])
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", "1"));
    assert_eq!(code, 0);
    assert!(out.contains("connect"), "{out}");
    let (code, _, err) = run(Command::new(KUBENV).args(["completions", "tcsh"]));
    assert_eq!(code, 2, "{err}");
}

#[test]
fn personal_config_and_env_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    std::fs::write(&cfg, "output: json\n").unwrap();
    // `admin policy validate` prints without a cluster, in the chosen format.
    let (code, out, _) = run(Command::new(KUBENV)
        .args([
            "admin",
            "policy",
            "validate",
            &format!("{ROOT}/docs/examples/policy.yaml"),
        ])
        .env("KUBENV_CONFIG", &cfg));
    assert_eq!(code, 0, "{out}");
    assert!(out.trim_start().starts_with('{'), "config output: json applies: {out}");
    let (_, out, _) = run(Command::new(KUBENV)
        .args([
            "admin",
            "policy",
            "validate",
            &format!("{ROOT}/docs/examples/policy.yaml"),
        ])
        .env("KUBENV_CONFIG", &cfg)
        .env("KUBENV_OUTPUT", "yaml"));
    assert!(
        !out.trim_start().starts_with('{') && out.contains("namespacePrefix"),
        "env overrides the file: {out}"
    );
    let (_, out, _) = run(Command::new(KUBENV)
        .args([
            "admin",
            "policy",
            "validate",
            &format!("{ROOT}/docs/examples/policy.yaml"),
            "-o",
            "table",
        ])
        .env("KUBENV_CONFIG", &cfg));
    assert!(out.contains("is valid"), "a flag overrides both: {out}");
    std::fs::write(&cfg, "outptu: json\n").unwrap();
    let (code, _, err) = run(Command::new(KUBENV).args(["templates"]).env("KUBENV_CONFIG", &cfg));
    assert_eq!(code, 2);
    assert!(err.contains("config file") && err.contains("outptu"), "{err}");
}
