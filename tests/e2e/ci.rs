//! The CI recipes in docs/ci/ run here as written: their kubenv and kubectl commands, with
//! the variables CI would set.

use crate::common::*;
use serde_json::Value;
use std::process::{Command, Stdio};

fn doc(name: &str) -> Value {
    let path = format!("{}/docs/ci/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn bash(s: &Sandbox, script: &str, pr: &str, workdir: &std::path::Path) {
    let bin_dir = std::path::Path::new(KUBENV).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(workdir)
        .env("PATH", path)
        .env("PR", pr)
        .env("KUBECONFIG", &s.kubeconfig)
        .env("ENV_KUBECONFIG", workdir.join("env.kubeconfig"))
        .env("HOME", s.path("home"))
        .env("KUBENV_CACHE_DIR", s.path("cache"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn workdir(s: &Sandbox) -> std::path::PathBuf {
    let w = s.path("repo");
    std::fs::create_dir_all(w.join("k8s")).unwrap();
    std::fs::write(
        w.join("k8s/app.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: preview-app\ndata:\n  version: \"1\"\n",
    )
    .unwrap();
    w
}

fn step(job: &Value, name: &str) -> String {
    job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap()["run"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn github_actions_recipe() {
    let s = Sandbox::new();
    let w = workdir(&s);
    let wf = doc("github-actions.yml");
    // The environment is pr-$PR; the sandbox cleans it up.
    let pr = s.name("pr-gh").strip_prefix("pr-").unwrap().to_string();
    let (create, deploy) = (
        step(&wf["jobs"]["preview"], "Create preview environment"),
        step(&wf["jobs"]["preview"], "Deploy"),
    );
    // Opened, then pushed to again: both converge.
    for _ in 0..2 {
        bash(&s, &create, &pr, &w);
        bash(&s, &deploy, &pr, &w);
    }
    s.admin(&["-n", &format!("env-pr-{pr}"), "get", "configmap", "preview-app"])
        .ok();
    bash(&s, &step(&wf["jobs"]["cleanup"], "Delete preview environment"), &pr, &w);
    bash(&s, &step(&wf["jobs"]["cleanup"], "Delete preview environment"), &pr, &w);
    let phase = s
        .admin(&[
            "get",
            "namespace",
            &format!("env-pr-{pr}"),
            "-o",
            "jsonpath={.status.phase}",
            "--ignore-not-found",
        ])
        .ok();
    assert!(phase.stdout.is_empty() || phase.stdout == "Terminating");
}

#[test]
fn gitlab_ci_recipe() {
    let s = Sandbox::new();
    let w = workdir(&s);
    let ci = doc("gitlab-ci.yml");
    let pr = s.name("pr-gl").strip_prefix("pr-").unwrap().to_string();
    let lines = |job: &str| -> String {
        ci[job]["script"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    bash(&s, &lines("preview"), &pr, &w);
    bash(&s, &lines("preview"), &pr, &w);
    s.admin(&["-n", &format!("env-pr-{pr}"), "get", "configmap", "preview-app"])
        .ok();
    bash(&s, &lines("preview-stop"), &pr, &w);
    let phase = s
        .admin(&[
            "get",
            "namespace",
            &format!("env-pr-{pr}"),
            "-o",
            "jsonpath={.status.phase}",
            "--ignore-not-found",
        ])
        .ok();
    assert!(phase.stdout.is_empty() || phase.stdout == "Terminating");
}
