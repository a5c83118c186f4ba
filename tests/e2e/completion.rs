//! Completion in the real shells (bash, zsh, fish) and through kubectl's plugin completion:
//! environment names from the cluster, context names from the kubeconfig, an earlier
//! `--context`/`--kubeconfig` honoured, and a short deadline.

use crate::common::*;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A PATH on which `kubenv` is the binary under test.
fn path_with_kubenv(s: &Sandbox) -> String {
    let bin = s.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let _ = std::os::unix::fs::symlink(KUBENV, bin.join("kubenv"));
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap())
}

/// Runs `shell` with `script`, in the sandbox, and returns the candidates (one a line).
fn shell(s: &Sandbox, shell: &str, args: &[&str], script: &str) -> Vec<String> {
    let mut cmd = s.command(std::path::Path::new(shell));
    cmd.args(args).arg(script).env("PATH", path_with_kubenv(s));
    let r = s.run(&mut cmd);
    assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
    r.stdout
        .lines()
        .map(|l| l.split([':', '\t']).next().unwrap().to_string())
        .collect()
}

fn bash(s: &Sandbox, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        r#"source {ROOT}/completions/kubenv.bash
COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_TYPE=9
_clap_complete_kubenv kubenv '{cur}' '{prev}'
printf '%s\n' "${{COMPREPLY[@]}}""#,
        words = quoted.join(" "),
        cword = words.len() - 1,
        cur = words[words.len() - 1],
        prev = words[words.len() - 2],
    );
    shell(s, "bash", &["--norc", "--noprofile", "-c"], &script)
}

fn zsh(s: &Sandbox, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    // compinit's helpers, reduced to printing what they are given.
    let script = format!(
        r#"compdef() {{ : }}
_describe() {{ print -l -- "${{(@P)3}}" }}
source {ROOT}/completions/_kubenv
words=({words}); CURRENT={current}
_clap_dynamic_completer_kubenv"#,
        words = quoted.join(" "),
        current = words.len(),
    );
    shell(s, "zsh", &["-f", "-c"], &script)
}

fn fish(s: &Sandbox, line: &str) -> Vec<String> {
    let script = format!("source {ROOT}/completions/kubenv.fish; complete -C '{line}'");
    shell(s, "fish", &["--no-config", "-c"], &script)
}

#[test]
fn completion_offers_environments_and_contexts_in_every_shell() {
    let s = Sandbox::new();
    let a = s.name("cpa");
    let b = s.name("cpb");
    s.kubenv(&["create", &a, "--no-connect"]).ok();
    s.kubenv(&["create", &b, "--no-connect"]).ok();
    let prefix = &a[..2];
    let want = |got: &[String], what: &str| {
        assert!(got.contains(&a) && got.contains(&b), "{what}: {got:?}");
    };
    want(&bash(&s, &["kubenv", "connect", ""]), "bash");
    want(&bash(&s, &["kubenv", "delete", prefix]), "bash, with a prefix");
    want(&zsh(&s, &["kubenv", "sleep", ""]), "zsh");
    want(&fish(&s, "kubenv get "), "fish");

    // --context completes context names from the kubeconfig, in each shell.
    let ctxs = contexts(&s.read_kubeconfig());
    for got in [
        bash(&s, &["kubenv", "list", "--context", ""]),
        zsh(&s, &["kubenv", "list", "--context", ""]),
        fish(&s, "kubenv list --context "),
    ] {
        assert!(ctxs.iter().all(|c| got.contains(c)), "{ctxs:?} in {got:?}");
    }

    // An earlier --kubeconfig and --context are honoured; the default kubeconfig is broken.
    let other = s.path("other.kubeconfig");
    let mut v = s.read_kubeconfig();
    v["contexts"][0]["name"] = serde_json::json!("elsewhere");
    v["current-context"] = serde_json::json!("nowhere");
    std::fs::write(&other, serde_saphyr::to_string(&v).unwrap()).unwrap();
    std::fs::write(&s.kubeconfig, "not: [a kubeconfig").unwrap();
    let kc = other.to_str().unwrap();
    let got = bash(&s, &["kubenv", "--kubeconfig", kc, "--context", ""]);
    assert_eq!(got, ["elsewhere"]);
    want(
        &bash(&s, &["kubenv", "--kubeconfig", kc, "--context", "elsewhere", "get", ""]),
        "bash, --context",
    );
    want(
        &zsh(&s, &["kubenv", "--kubeconfig", kc, "--context=elsewhere", "wake", ""]),
        "zsh, --context=",
    );
    want(
        &fish(&s, &format!("kubenv --kubeconfig {kc} --context elsewhere connect ")),
        "fish, --context",
    );

    // An unreachable cluster: no candidates, within the completion deadline.
    let dead = s.path("dead.kubeconfig");
    v["clusters"][0]["cluster"]["server"] = serde_json::json!("https://10.255.255.1:6443");
    v["current-context"] = serde_json::json!("elsewhere");
    std::fs::write(&dead, serde_saphyr::to_string(&v).unwrap()).unwrap();
    let start = std::time::Instant::now();
    let got = bash(&s, &["kubenv", "--kubeconfig", dead.to_str().unwrap(), "connect", ""]);
    assert!(!got.contains(&a) && !got.contains(&b), "{got:?}");
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn kubectl_kubenv_completes_environment_names() {
    let s = Sandbox::new();
    let a = s.name("kca");
    s.kubenv(&["create", &a, "--no-connect"]).ok();
    let prefix = s.path("prefix");
    let r = s.run(
        Command::new("bash")
            .args([&format!("{ROOT}/install.sh"), "--binary", KUBENV, "--prefix"])
            .arg(&prefix),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let path = format!("{}:{}", prefix.join("bin").display(), std::env::var("PATH").unwrap());
    // What kubectl's own completion script runs on `kubectl kubenv connect <TAB>`.
    let r = s.run(
        s.command(std::path::Path::new("kubectl"))
            .args(["__complete", "kubenv", "connect", ""])
            .env("PATH", &path),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.lines().any(|l| l == a), "{}", r.stdout);
    let r = s.run(
        s.command(std::path::Path::new("kubectl"))
            .args(["__complete", "kubenv", "con"])
            .env("PATH", &path),
    );
    assert!(r.stdout.lines().any(|l| l.starts_with("connect")), "{}", r.stdout);
}
