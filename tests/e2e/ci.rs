//! The CI recipes in docs/ci/ run here as written: their kubenv and kubectl commands, with
//! the variables CI would set, and their effects are checked with kubectl: the environment
//! named after the branch, its labels and annotation, the markdown summary with the
//! preview's Ingress host, and cleanup by label.

use crate::common::*;
use serde_json::Value;
use std::process::{Command, Stdio};

fn doc(name: &str) -> Value {
    let path = format!("{}/docs/ci/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The branch of the pull request: unicode and a slash, as real ones have.
fn branch(pr: &str) -> String {
    format!("feature/Preview-Ünïcode-{pr}")
}

fn bash(s: &Sandbox, script: &str, pr: &str, workdir: &std::path::Path) {
    let bin_dir = std::path::Path::new(KUBENV).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(workdir)
        .env("PATH", path)
        .env("PR", pr)
        .env("BRANCH", branch(pr))
        .env("PR_URL", format!("https://git.example.com/web/pull/{pr}"))
        .env("GITHUB_STEP_SUMMARY", workdir.join("step-summary.md"))
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
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: preview-app
data:
  version: "1"
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  rules:
  - host: preview.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
"#,
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

/// The environment `--from-branch` made, found independently: by its labels, with kubectl.
#[track_caller]
fn check_preview(s: &Sandbox, pr: &str) -> String {
    let name = s.kubenv(&["name", &branch(pr)]).ok().stdout.trim().to_string();
    s.track(&name);
    assert!(name.starts_with("feature-preview-unicode-"), "{name}");
    let ns = s.admin_json(&["get", "namespaces", "-l", &format!("pr={pr},preview=true")]);
    let items = ns["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{ns}");
    let meta = &items[0]["metadata"];
    assert_eq!(meta["name"], format!("env-{name}"));
    assert_eq!(meta["labels"]["kubenv.dev/environment"], name.as_str());
    assert!(
        meta["annotations"]
            .as_object()
            .unwrap()
            .iter()
            .any(|(k, v)| k.ends_with("-request") && v.as_str().unwrap().ends_with(&format!("/{pr}"))),
        "{meta}"
    );
    s.admin(&["-n", &format!("env-{name}"), "get", "configmap", "preview-app"])
        .ok();
    name
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
    let summary = step(&wf["jobs"]["preview"], "Summary");
    // Opened, then pushed to again: both converge.
    for _ in 0..2 {
        bash(&s, &create, &pr, &w);
        bash(&s, &deploy, &pr, &w);
        bash(&s, &summary, &pr, &w);
    }
    let name = check_preview(&s, &pr);
    let md = std::fs::read_to_string(w.join("step-summary.md")).unwrap();
    assert!(md.contains(&format!("### Environment `{name}` is Active")), "{md}");
    assert!(md.contains("| Ingress | `web` | http://preview.example.com/ |"), "{md}");
    assert!(md.contains(&format!("kubenv connect {name}")), "{md}");
    // The comment's body is the same summary (`>>` adds one per run to the step summary).
    assert!(md.ends_with(&std::fs::read_to_string(w.join("preview.md")).unwrap()));
    bash(&s, &step(&wf["jobs"]["cleanup"], "Delete preview environment"), &pr, &w);
    bash(&s, &step(&wf["jobs"]["cleanup"], "Delete preview environment"), &pr, &w);
    let phase = s
        .admin(&[
            "get",
            "namespace",
            &format!("env-{name}"),
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
    let name = check_preview(&s, &pr);
    let md = std::fs::read_to_string(w.join("preview.md")).unwrap();
    assert!(md.contains("| Ingress | `web` | http://preview.example.com/ |"), "{md}");
    assert!(md.contains(&format!("kubenv connect {name}")), "{md}");
    bash(&s, &lines("preview-stop"), &pr, &w);
    let phase = s
        .admin(&[
            "get",
            "namespace",
            &format!("env-{name}"),
            "-o",
            "jsonpath={.status.phase}",
            "--ignore-not-found",
        ])
        .ok();
    assert!(phase.stdout.is_empty() || phase.stdout == "Terminating");
}
