//! Preview environments and kubectl's output habits, through the built binary: labels and
//! annotations at create (as an engineer, under the admission policies), names from
//! branches, endpoints in `get` against what kubectl shows, the markdown summary,
//! `-o jsonpath` against the JSON, `--no-headers`, `list --watch`, `version`, and the one
//! JSON envelope of every command.

use crate::common::*;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

fn as_user(s: &Sandbox, kc: &Path, args: &[&str]) -> Run {
    s.kubenv_with(args, &[("KUBECONFIG", kc.to_str().unwrap())])
}

/// A tiny jq: follows `a.b.0.c` through a JSON value.
fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, k| match k.parse::<usize>() {
        Ok(i) => &v[i],
        Err(_) => &v[k],
    })
}

#[test]
fn labels_and_annotations_at_create_as_an_engineer() {
    let s = Sandbox::new();
    let (alice, _) = s.user("alice");
    let name = s.name("lbl");
    let ns = format!("env-{name}");
    let pr = format!("p{}", s.tag);
    let created = as_user(
        &s,
        &alice,
        &[
            "create",
            &name,
            "--no-connect",
            "-l",
            "tier=preview",
            "--label",
            &format!("pr={pr}"),
            "--annotation",
            "example.com/pull-request=https://git.example.com/web/pull/7",
            "-o",
            "json",
        ],
    )
    .ok()
    .json();
    assert_eq!(created["labels"], json!({"pr": pr, "tier": "preview"}));
    // Independently: what the API server stored, with kubenv's own labels untouched.
    let meta = s.admin_json(&["get", "namespace", &ns])["metadata"].clone();
    assert_eq!(meta["labels"]["tier"], "preview");
    assert_eq!(meta["labels"]["pr"], pr.as_str());
    assert_eq!(meta["labels"]["app.kubernetes.io/managed-by"], "kubenv");
    assert_eq!(meta["labels"]["kubenv.dev/environment"], name.as_str());
    assert_eq!(
        meta["annotations"]["example.com/pull-request"],
        "https://git.example.com/web/pull/7"
    );
    // `list -l` finds it by the label, as the engineer and as kubectl would.
    let found = as_user(
        &s,
        &alice,
        &["list", "-l", &format!("tier=preview,pr={pr}"), "-o", "name"],
    )
    .ok();
    assert_eq!(found.stdout.trim(), format!("environment/{name}"));
    let by_kubectl = s.admin(&["get", "ns", "-l", &format!("pr={pr}"), "-o", "name"]).ok();
    assert_eq!(by_kubectl.stdout.trim(), format!("namespace/{ns}"));
    assert!(
        as_user(&s, &alice, &["list", "-l", "tier=nothing", "-o", "name"])
            .ok()
            .stdout
            .trim()
            .is_empty()
    );
    // A re-run without the flags keeps them; a new value wins.
    as_user(
        &s,
        &alice,
        &["create", &name, "--no-connect", "--if-not-exists", "-l", "tier=demo"],
    )
    .ok();
    let labels = s.admin_json(&["get", "namespace", &ns])["metadata"]["labels"].clone();
    assert_eq!(
        (labels["tier"].as_str(), labels["pr"].as_str()),
        (Some("demo"), Some(pr.as_str()))
    );
    as_user(&s, &alice, &["create", &name, "--no-connect", "--if-not-exists"]).ok();
    let meta = s.admin_json(&["get", "namespace", &ns])["metadata"].clone();
    assert_eq!(meta["labels"]["tier"], "demo");
    assert!(meta["annotations"]["example.com/pull-request"].is_string());

    // kubenv's own keys and invalid ones: exit 2, saying which and what to do, nothing made.
    let other = s.name("lblbad");
    for (flag, bad, says) in [
        ("-l", "kubenv.dev/owner=mallory", "set by kubenv itself"),
        ("-l", "app.kubernetes.io/managed-by=me", "set by kubenv itself"),
        (
            "-l",
            "pod-security.kubernetes.io/enforce=privileged",
            "set by kubenv itself",
        ),
        (
            "--annotation",
            "kubenv.dev/expires-at=2099-01-01T00:00:00Z",
            "set by kubenv itself",
        ),
        ("-l", "tier", "use KEY=VALUE"),
        ("-l", "Bad Key=x", "may hold only letters"),
        ("-l", "tier=has spaces", "put free text in --annotation"),
        ("-l", "UPPER.example.com/x=y", "lowercase DNS subdomain"),
    ] {
        let r = as_user(&s, &alice, &["create", &other, "--no-connect", flag, bad]).code(2);
        assert!(r.stderr.contains(says) && r.stderr.contains(bad), "{bad}: {}", r.stderr);
    }
    assert!(!s.namespace_exists(&format!("env-{other}")));
}

#[test]
fn names_from_branches() {
    let s = Sandbox::new();
    let name_of = |b: &str| s.kubenv(&["name", b]).ok().stdout.trim().to_string();
    assert_eq!(name_of("main"), "main");
    let a = name_of("feature/Foo");
    let b = name_of("feature-foo");
    let c = name_of("feature_foo");
    assert_eq!(b, "feature-foo");
    assert!(
        a.starts_with("feature-foo-") && c.starts_with("feature-foo-") && a != c,
        "{a} {c}"
    );
    assert_eq!(name_of("feature/Foo"), a, "stable");
    let long = name_of(&"x".repeat(200));
    assert_eq!(long.len(), 40);
    assert_eq!(
        s.kubenv(&["name", &"x".repeat(200), "--max-length", "20"])
            .ok()
            .stdout
            .trim()
            .len(),
        20
    );
    let j = s.kubenv(&["name", "fix/Ünïcode 🚀", "-o", "json"]).ok().json();
    assert_eq!(
        (j["kind"].as_str(), j["branch"].as_str()),
        (Some("BranchName"), Some("fix/Ünïcode 🚀"))
    );
    assert!(j["name"].as_str().unwrap().starts_with("fix-unicode-"), "{j}");
    let r = s.kubenv(&["name", "x", "--max-length", "5"]).code(2);
    assert!(r.stderr.contains("16 to 63"), "{}", r.stderr);

    // create --from-branch makes exactly that environment.
    let branch = format!("Feature/Login-{}", s.tag);
    let expected = name_of(&branch);
    s.track(&expected);
    let env = s
        .kubenv(&["create", "--from-branch", &branch, "--no-connect", "-o", "json"])
        .ok()
        .json();
    assert_eq!(env["name"], expected.as_str());
    let ns = s.admin_json(&["get", "namespace", &format!("env-{expected}")]);
    assert_eq!(ns["metadata"]["labels"]["kubenv.dev/environment"], expected.as_str());
    // A name and --from-branch together, or neither, is a usage error.
    s.kubenv(&["create", "x", "--from-branch", "y", "--no-connect"]).code(2);
    s.kubenv(&["create", "--no-connect"]).code(2);
}

#[test]
fn get_shows_endpoints_as_kubectl_sees_them() {
    let s = Sandbox::new();
    let name = s.name("ep");
    let ns = format!("env-{name}");
    s.kubenv(&["create", &name, "--no-connect"]).ok();
    let none = s.kubenv(&["get", &name, "-o", "json"]).ok().json();
    assert_eq!(none["endpoints"], json!([]));
    // The default quota forbids NodePort and LoadBalancer Services; a platform admin lifts it.
    s.admin(&[
        "-n",
        &ns,
        "patch",
        "resourcequota",
        "kubenv-quota",
        "--type=merge",
        "-p",
        r#"{"spec":{"hard":{"services.nodeports":"2","services.loadbalancers":"1"}}}"#,
    ])
    .ok();
    let manifest = s.path("app.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  tls: [{hosts: [secure.example.com]}]
  rules:
  - host: preview.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
  - host: secure.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 443}]}
---
apiVersion: v1
kind: Service
metadata: {name: internal}
spec: {selector: {app: web}, ports: [{port: 80}]}
",
    )
    .unwrap();
    s.admin(&["-n", &ns, "apply", "-f", manifest.to_str().unwrap()]).ok();
    // What a cloud load balancer controller would do.
    s.admin(&[
        "-n",
        &ns,
        "patch",
        "service",
        "lb",
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.7"}]}}}"#,
    ])
    .ok();
    s.admin(&[
        "-n",
        &ns,
        "patch",
        "ingress",
        "web",
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.8"}]}}}"#,
    ])
    .ok();
    let env = s.kubenv(&["get", &name, "-o", "json"]).ok().json();
    let eps = env["endpoints"].as_array().unwrap();
    let svc = |n: &str| s.admin_json(&["-n", &ns, "get", "service", n]);
    let np = svc("web")["spec"]["ports"][0]["nodePort"].as_i64().unwrap();
    let lb = svc("lb");
    let lb_np = lb["spec"]["ports"][0]["nodePort"].as_i64().unwrap();
    let ing = s.admin_json(&["-n", &ns, "get", "ingress", "web"]);
    assert_eq!(ing["status"]["loadBalancer"]["ingress"][0]["ip"], "203.0.113.8");
    let urls: Vec<&str> = eps.iter().filter_map(|e| e["url"].as_str()).collect();
    assert_eq!(
        urls,
        [
            "http://preview.example.com/",
            "http://preview.example.com/api",
            "https://secure.example.com/"
        ],
        "{env}"
    );
    assert!(eps[..3].iter().all(|e| e["address"] == "203.0.113.8"), "{env}");
    let services: Vec<(&str, &str, String, Value)> = eps[3..]
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap(),
                e["type"].as_str().unwrap(),
                e["ports"][0].as_str().unwrap().to_string(),
                e["address"].clone(),
            )
        })
        .collect();
    assert_eq!(
        services,
        [
            ("lb", "LoadBalancer", format!("443:{lb_np}/TCP"), json!("203.0.113.7")),
            ("web", "NodePort", format!("80:{np}/TCP"), Value::Null),
        ],
        "ClusterIP Services are not endpoints: {env}"
    );
    // The table shows them under the environment's row.
    let t = s.kubenv(&["get", &name]).ok().stdout;
    assert!(
        t.contains("ENDPOINT") && t.contains("https://secure.example.com/"),
        "{t}"
    );
    assert!(t.contains(&format!("80:{np}/TCP")) && t.contains("203.0.113.7"), "{t}");
    // The pull-request summary carries them, and how to connect.
    let md = s.kubenv(&["get", &name, "-o", "markdown"]).ok().stdout;
    for want in [
        format!("### Environment `{name}` is Active"),
        format!("| Namespace | `{ns}` |"),
        "| Ingress | `web` | http://preview.example.com/api | - |".to_string(),
        format!("| Service (NodePort) | `web` | any node | 80:{np}/TCP |"),
        "| Service (LoadBalancer) | `lb` | 203.0.113.7 |".to_string(),
        format!("kubenv connect {name}"),
    ] {
        assert!(md.contains(&want), "missing {want:?} in\n{md}");
    }
    // `list` does not look endpoints up (its request count is fixed).
    let list = s.kubenv(&["list", "-o", "json"]).ok().json();
    let mine = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name.as_str())
        .unwrap();
    assert!(mine["endpoints"].is_null());
    // markdown is for get and create only.
    let r = s.kubenv(&["list", "-o", "markdown"]).code(2);
    assert!(r.stderr.contains("-o markdown is for"), "{}", r.stderr);
}

#[test]
fn create_wait_and_markdown_summary() {
    let s = Sandbox::new();
    let name = s.name("md");
    let r = s
        .kubenv(&[
            "create",
            &name,
            "--no-connect",
            "--wait",
            "-l",
            "tier=preview",
            "-o",
            "markdown",
        ])
        .ok();
    assert!(
        r.stdout.starts_with(&format!("### Environment `{name}` is Active")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("None yet: no Ingress"), "{}", r.stdout);
    assert!(r.stdout.contains("`tier=preview`"), "{}", r.stdout);
}

#[test]
fn jsonpath_matches_the_json_and_no_headers() {
    let s = Sandbox::new();
    let a = s.name("jp-a");
    let b = s.name("jp-b");
    let sel = format!("jp={}", s.tag);
    for n in [&a, &b] {
        s.kubenv(&["create", n, "--no-connect", "-l", &sel]).ok();
    }
    let list = s.kubenv(&["list", "-l", &sel, "-o", "json"]).ok().json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
    let jp = |t: &str| {
        s.kubenv(&["list", "-l", &sel, "-o", &format!("jsonpath={t}")])
            .ok()
            .stdout
    };
    assert_eq!(jp("{.items[*].name}"), names.join(" "));
    let lines: String = items
        .iter()
        .map(|i| {
            format!(
                "{}\t{}\t{}\n",
                i["name"].as_str().unwrap(),
                i["status"].as_str().unwrap(),
                at(i, "quota.cpu.hard").as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        jp(r#"{range .items[*]}{.name}{"\t"}{.status}{"\t"}{.quota.cpu.hard}{"\n"}{end}"#),
        lines
    );
    assert_eq!(jp("{.kind}/{.apiVersion}"), "EnvironmentList/kubenv.dev/v1");
    assert_eq!(jp(r#"{.items[?(@.name=="NOPE")].name}"#), "");
    let one = s.kubenv(&["get", &a, "-o", "json"]).ok().json();
    let got = s
        .kubenv(&["get", &a, "-o", "jsonpath={.namespace} {.expiresAt} {.labels.jp}"])
        .ok()
        .stdout;
    assert_eq!(
        got,
        format!(
            "{} {} {}",
            at(&one, "namespace").as_str().unwrap(),
            at(&one, "expiresAt").as_str().unwrap(),
            s.tag
        )
    );
    // kubectl reads the same namespace fields.
    let kc = s
        .admin(&["get", "ns", "-l", &sel, "-o", "jsonpath={.items[*].metadata.name}"])
        .ok()
        .stdout;
    assert_eq!(kc, jp("{.items[*].namespace}"));
    // A broken template: exit 2 before any request, naming the problem.
    let r = s.kubenv(&["list", "-o", "jsonpath={range .items[*]}{.name}"]).code(2);
    assert!(r.stderr.contains("without its {end}"), "{}", r.stderr);
    let r = s.kubenv(&["list", "-o", "nonsense"]).code(2);
    assert!(r.stderr.contains("jsonpath=TEMPLATE"), "{}", r.stderr);

    let with = s.kubenv(&["list", "-l", &sel]).ok().stdout;
    let without = s.kubenv(&["list", "-l", &sel, "--no-headers"]).ok().stdout;
    assert!(with.starts_with("NAME"), "{with}");
    assert_eq!(without.lines().count(), 2, "{without}");
    // The same rows, but for AGE and EXPIRES, which may tick between the two calls: the
    // four columns before them and the four after.
    let rows = |t: &str, skip: usize| -> Vec<Vec<String>> {
        t.lines()
            .skip(skip)
            .map(|l| {
                let cells: Vec<String> = l.split_whitespace().map(str::to_string).collect();
                [&cells[..4], &cells[cells.len() - 4..]].concat()
            })
            .collect()
    };
    assert_eq!(rows(&without, 0), rows(&with, 1));
    assert!(without.lines().next().unwrap().starts_with(&a));
}

#[test]
fn every_json_result_has_the_envelope() {
    let s = Sandbox::new();
    let name = s.name("env");
    let check = |args: &[&str], kind: &str| -> Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        let v = s.kubenv(&a).ok().json();
        assert_eq!(v["apiVersion"], "kubenv.dev/v1", "{args:?}: {v}");
        assert_eq!(v["kind"], kind, "{args:?}: {v}");
        let mut y = args.to_vec();
        y.extend(["-o", "yaml"]);
        let yaml: Value = serde_saphyr::from_str(&s.kubenv(&y).ok().stdout).unwrap();
        assert_eq!(yaml["kind"], kind, "{args:?} yaml");
        v
    };
    let created = {
        let v = s.kubenv(&["create", &name, "--no-connect", "-o", "json"]).ok().json();
        assert_eq!(
            (v["apiVersion"].as_str(), v["kind"].as_str()),
            (Some("kubenv.dev/v1"), Some("Environment"))
        );
        v
    };
    assert_eq!(created["created"], true);
    let got = check(&["get", &name], "Environment");
    for k in [
        "name",
        "namespace",
        "owner",
        "team",
        "template",
        "status",
        "createdAt",
        "expiresAt",
        "sleepingSince",
        "context",
        "quota",
        "labels",
        "annotations",
        "endpoints",
    ] {
        assert!(got.as_object().unwrap().contains_key(k), "{k}: {got}");
    }
    let list = check(&["list"], "EnvironmentList");
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["kind"] == "Environment")
    );
    check(&["extend", &name, "--ttl", "2d"], "Environment");
    check(&["sleep", &name], "SleepReport");
    check(&["wake", &name], "SleepReport");
    check(&["history", &name], "HistoryList");
    check(&["cost"], "CostReport");
    check(&["templates"], "TemplateList");
    check(&["name", "feature/x"], "BranchName");
    check(&["version"], "Version");
    let gc = check(&["gc", "--dry-run"], "GcReport");
    assert!(gc["actions"].is_array() && gc["dryRun"] == true, "{gc}");
    let del = s.kubenv(&["delete", &name, "--yes", "-o", "json"]).ok().json();
    assert_eq!(
        (del["kind"].as_str(), del["name"].as_str()),
        (Some("Environment"), Some(name.as_str()))
    );
}

#[test]
fn version_shows_client_and_server() {
    let s = Sandbox::new();
    let v = s.kubenv(&["version", "-o", "json"]).ok().json();
    let server = s.admin(&["version", "-o", "json"]).ok().json();
    assert_eq!(v["clientVersion"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["serverVersion"]["gitVersion"], server["serverVersion"]["gitVersion"]);
    assert_eq!(v["serverVersion"]["supported"], true);
    assert_eq!(v["serverVersion"]["minimum"], "1.33");
    let t = s.kubenv(&["version"]).ok().stdout;
    assert!(
        t.starts_with(&format!(
            "Client Version: v{}\nServer Version: v1.",
            env!("CARGO_PKG_VERSION")
        )),
        "{t}"
    );
    // No server: the client's version still, then exit 6 (cluster unreachable), as kubectl
    // prints its own and fails.
    let bad = s.path("nowhere.kubeconfig");
    std::fs::write(
        &bad,
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\n\
         users: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n",
    )
    .unwrap();
    let r = s
        .kubenv_with(
            &["version", "--timeout", "3s"],
            &[("KUBECONFIG", bad.to_str().unwrap())],
        )
        .code(6);
    assert!(r.stdout.starts_with("Client Version: v"), "{}", r.stdout);
    assert!(!r.stdout.contains("Server Version"), "{}", r.stdout);
    let r = s
        .kubenv_with(
            &["version", "--client", "-o", "json"],
            &[("KUBECONFIG", bad.to_str().unwrap())],
        )
        .ok();
    assert!(r.json()["serverVersion"].is_null());
}

/// Reads lines from a child's stdout on a thread, so a test can wait for one with a deadline.
fn lines_of(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_for(rx: &std::sync::mpsc::Receiver<String>, seen: &mut Vec<String>, f: impl Fn(&str) -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(std::time::Duration::from_millis(200)) {
            seen.push(l.clone());
            if f(&l) {
                return true;
            }
        }
    }
    false
}

/// As an engineer, who may list quotas but not watch them (kubenv polls them instead).
#[test]
fn watch_sees_create_and_delete_and_ends_on_ctrl_c() {
    let s = Sandbox::new();
    let (wendy, _) = s.user("wendy");
    let name = s.name("watch");
    let sel = format!("w={}", s.tag);
    let mut child = Command::new(KUBENV)
        .args(["list", "-w", "-l", &sel, "-o", "json"])
        .env("KUBECONFIG", &wendy)
        .env("HOME", s.path("home"))
        .env("KUBENV_CACHE_DIR", s.path("cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut child);
    let mut seen = Vec::new();
    // Give the watch time to start; nothing matches yet, so nothing is printed.
    std::thread::sleep(std::time::Duration::from_secs(2));
    as_user(&s, &wendy, &["create", &name, "--no-connect", "-l", &sel]).ok();
    let ev =
        |l: &str| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("not one JSON object a line ({e}): {l}"));
    assert!(
        wait_for(&rx, &mut seen, |l| {
            let v = ev(l);
            v["type"] == "ADDED" && v["object"]["name"] == name.as_str()
        }),
        "{seen:?}"
    );
    assert!(
        wait_for(&rx, &mut seen, |l| ev(l)["object"]["status"] == "Active"),
        "the guardrails land: {seen:?}"
    );
    as_user(&s, &wendy, &["delete", &name, "--yes"]).ok();
    assert!(
        wait_for(&rx, &mut seen, |l| {
            let v = ev(l);
            v["type"] == "DELETED" && v["object"]["name"] == name.as_str()
        }),
        "{seen:?}"
    );
    for l in &seen {
        let v = ev(l);
        assert_eq!(
            (v["apiVersion"].as_str(), v["kind"].as_str()),
            (Some("kubenv.dev/v1"), Some("WatchEvent"))
        );
    }
    // Ctrl-C: a clean end, exit 0.
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn watch_table_prints_a_row_per_change() {
    let s = Sandbox::new();
    let name = s.name("wtab");
    let sel = format!("wt={}", s.tag);
    s.kubenv(&["create", &name, "--no-connect", "-l", &sel]).ok();
    let mut child = Command::new(KUBENV)
        .args(["list", "--watch", "-l", &sel])
        .env("KUBECONFIG", &s.kubeconfig)
        .env("HOME", s.path("home"))
        .env("KUBENV_CACHE_DIR", s.path("cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut child);
    let mut seen = Vec::new();
    assert!(
        wait_for(&rx, &mut seen, |l| l.starts_with("ADDED") && l.contains(name.as_str())),
        "{seen:?}"
    );
    assert!(seen[0].starts_with("EVENT") && seen[0].contains("NAME"), "{seen:?}");
    s.kubenv(&["sleep", &name]).ok();
    assert!(
        wait_for(&rx, &mut seen, |l| l.starts_with("MODIFIED") && l.contains("Sleeping")),
        "{seen:?}"
    );
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
}
