//! How each result is shown: as a json/yaml document ([`Document`]: its `kind` in the one
//! envelope), as a table or sentence for people, as `-o name` lines, and (get, create) as a
//! markdown summary ([`Render`]). Commands hand a result to [`super::Output::show`] and never
//! choose a format themselves.

use super::{Document, environments_table, list_document, markdown, simple_table};
use kubenv::app::admin::{CheckReport, InitReport};
use kubenv::app::connect::{Connected, Printed};
use kubenv::app::cost::CostReport;
use kubenv::app::create::Created;
use kubenv::app::gc::GcReport;
use kubenv::app::lifecycle::Deleted;
use kubenv::app::prune::PruneReport;
use kubenv::backend::SleepReport;
use kubenv::environment::Environment;
use kubenv::policy::{Policy, PolicySource};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// A result in every format. `table` is what a person reads (a table or a sentence), `names`
/// the `-o name` lines; json, yaml and jsonpath come from the [`Document`].
pub trait Render: Document {
    fn table(&self) -> String;

    fn names(&self) -> Vec<String>;

    /// `-o markdown` (get and create); others print their names.
    fn markdown(&self) -> Option<String> {
        None
    }

    /// Status lines for people (stderr, on a terminal only).
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }

    /// Nothing goes to stdout, whatever the format (only the notes).
    fn is_empty(&self) -> bool {
        false
    }

    /// Text printed as it is, whatever the format (a credential for kubectl, manifests).
    fn verbatim(&self) -> Option<String> {
        None
    }
}

fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

fn yaml(v: &impl Serialize) -> String {
    serde_saphyr::to_string(v).unwrap_or_default()
}

impl Document for Environment {
    fn kind(&self) -> Option<&'static str> {
        Some("Environment")
    }
}

/// `get`: the environment's row, then what it exposes.
impl Render for Environment {
    fn table(&self) -> String {
        environment_detail(self)
    }
    fn names(&self) -> Vec<String> {
        vec![format!("environment/{}", self.name)]
    }
    fn markdown(&self) -> Option<String> {
        Some(markdown::environment(self, now()))
    }
}

/// `get`'s table: the environment's row, then what it exposes.
pub fn environment_detail(env: &Environment) -> String {
    let mut text = environments_table(std::slice::from_ref(env), now());
    if let Some(eps) = env.endpoints.as_deref().filter(|e| !e.is_empty()) {
        let rows = eps
            .iter()
            .map(|e| {
                let kind = match &e.service_type {
                    Some(t) => format!("Service/{t}"),
                    None => e.kind.clone(),
                };
                let target = e
                    .url
                    .clone()
                    .or_else(|| e.address.clone())
                    .or_else(|| e.host.clone())
                    .unwrap_or_else(|| {
                        if e.service_type.as_deref() == Some("NodePort") {
                            "<nodes>"
                        } else {
                            "<pending>"
                        }
                        .into()
                    });
                let ports = if e.ports.is_empty() {
                    "-".into()
                } else {
                    e.ports.join(",")
                };
                vec![kind, e.name.clone(), target, ports]
            })
            .collect();
        text.push_str("\n\n");
        text.push_str(&simple_table(&["ENDPOINT", "NAME", "URL/ADDRESS", "PORTS"], rows));
    }
    text
}

impl Document for Created {
    fn kind(&self) -> Option<&'static str> {
        Some("Environment")
    }
}

impl Render for Created {
    fn table(&self) -> String {
        let env = &self.environment;
        let verb = if self.created {
            "created"
        } else {
            "exists; guardrails re-applied"
        };
        let mut msg = format!("environment {} {verb} (namespace {}", env.name, env.namespace);
        if let Some(e) = &env.expires_at {
            msg.push_str(&format!(", expires {e}"));
        }
        msg.push(')');
        if let Some(c) = &self.context {
            msg.push_str(&format!("\ncontext {} written", c.context));
            if c.switched {
                msg.push_str(" and now current: kubectl works in the environment");
            }
        }
        msg
    }
    fn names(&self) -> Vec<String> {
        self.environment.names()
    }
    fn markdown(&self) -> Option<String> {
        self.environment.markdown()
    }
    fn notes(&self) -> Vec<String> {
        match &self.context {
            Some(c) if c.needs_proxy => vec![proxy_note(&self.environment.name)],
            _ => Vec::new(),
        }
    }
}

/// `connect`: its document is the environment's.
impl Document for Connected {
    fn kind(&self) -> Option<&'static str> {
        Some("Environment")
    }
    fn document(&self) -> Value {
        self.environment.document()
    }
}

impl Render for Connected {
    fn table(&self) -> String {
        let mut msg = format!(
            "context {} written to {}",
            self.context.context,
            self.context.path.display()
        );
        if self.context.switched {
            msg.push_str("; it is now current");
        }
        msg
    }
    fn names(&self) -> Vec<String> {
        vec![format!("context/{}", self.context.context)]
    }
    fn notes(&self) -> Vec<String> {
        let mut n = woke_note(self.woke, &self.environment.name);
        if self.context.needs_proxy {
            n.push(proxy_note(&self.environment.name));
        }
        n
    }
}

fn proxy_note(name: &str) -> String {
    format!(
        "environment {name} is a virtual cluster reached through a port-forward: keep `kubenv proxy {name}` \
         running while you use the context, or run one command with `kubenv connect {name} -- CMD`"
    )
}

fn woke_note(woke: bool, name: &str) -> Vec<String> {
    if woke {
        vec![format!("environment {name} was asleep; woke it")]
    } else {
        Vec::new()
    }
}

/// `connect --print`: the kubeconfig itself; JSON with `-o json`, a jsonpath over it, else
/// YAML (what kubectl reads).
impl Document for Printed {
    fn kind(&self) -> Option<&'static str> {
        None
    }
    fn document(&self) -> Value {
        self.kubeconfig.clone()
    }
}

impl Render for Printed {
    fn table(&self) -> String {
        yaml(&self.kubeconfig)
    }
    fn names(&self) -> Vec<String> {
        vec![self.table()]
    }
    fn markdown(&self) -> Option<String> {
        Some(self.table())
    }
    fn notes(&self) -> Vec<String> {
        let name = self
            .kubeconfig
            .pointer("/contexts/0/name")
            .and_then(Value::as_str)
            .and_then(|c| c.strip_prefix("kubenv-"))
            .unwrap_or("the environment");
        woke_note(self.woke, name)
    }
}

/// `sleep` and `wake`.
#[derive(Serialize)]
#[serde(transparent)]
pub struct Slept<'a> {
    pub report: &'a SleepReport,
    #[serde(skip)]
    pub asleep: bool,
}

impl Document for Slept<'_> {
    fn kind(&self) -> Option<&'static str> {
        Some("SleepReport")
    }
}

impl Render for Slept<'_> {
    fn table(&self) -> String {
        let r = self.report;
        let verb = if self.asleep { "asleep" } else { "awake" };
        if r.was_changed {
            let n = r.changed.len();
            let s = if n == 1 { "" } else { "s" };
            format!("environment {} is {verb} ({n} workload{s} changed)", r.name)
        } else {
            format!("environment {} was already {verb}; nothing changed", r.name)
        }
    }
    fn names(&self) -> Vec<String> {
        vec![format!("environment/{}", self.report.name)]
    }
    fn notes(&self) -> Vec<String> {
        self.report
            .excluded
            .iter()
            .map(|x| format!("left alone (opted out): {x}"))
            .collect()
    }
}

/// `delete`: the environment as it was.
impl Document for Deleted {
    fn kind(&self) -> Option<&'static str> {
        Some("Environment")
    }
    fn document(&self) -> Value {
        self.environment.as_ref().map(Document::document).unwrap_or(Value::Null)
    }
}

impl Render for Deleted {
    fn table(&self) -> String {
        let how = if self.gone {
            "deleted"
        } else {
            "deleted (the namespace is being finalized)"
        };
        format!("environment {} {how}", self.name)
    }
    fn names(&self) -> Vec<String> {
        vec![format!("environment/{}", self.name)]
    }
    fn notes(&self) -> Vec<String> {
        if self.environment.is_none() {
            vec![format!("environment {} does not exist; nothing to delete", self.name)]
        } else {
            Vec::new()
        }
    }
    fn is_empty(&self) -> bool {
        self.environment.is_none()
    }
}

/// `extend`: the environment with its new expiry.
#[derive(Serialize)]
#[serde(transparent)]
pub struct Extended<'a>(pub &'a Environment);

impl Document for Extended<'_> {
    fn kind(&self) -> Option<&'static str> {
        Some("Environment")
    }
}

impl Render for Extended<'_> {
    fn table(&self) -> String {
        let when = self.0.expires_at.map(|t| t.to_string());
        format!(
            "environment {} now expires {}",
            self.0.name,
            when.as_deref().unwrap_or("never")
        )
    }
    fn names(&self) -> Vec<String> {
        self.0.names()
    }
    fn markdown(&self) -> Option<String> {
        self.0.markdown()
    }
}

impl Document for GcReport {
    fn kind(&self) -> Option<&'static str> {
        Some("GcReport")
    }
}

impl Render for GcReport {
    fn table(&self) -> String {
        if self.actions.is_empty() {
            return String::new();
        }
        let rows = self
            .actions
            .iter()
            .map(|x| {
                let result = match (&x.skipped, x.done, self.dry_run) {
                    (_, _, true) => "would do".to_string(),
                    (Some(s), _, _) => format!("skipped: {s}"),
                    (None, true, _) => "done".into(),
                    (None, false, _) => "not done".into(),
                };
                vec![x.environment.clone(), x.action.to_string(), x.reason.clone(), result]
            })
            .collect();
        simple_table(&["ENVIRONMENT", "ACTION", "REASON", "RESULT"], rows)
    }
    fn names(&self) -> Vec<String> {
        self.actions
            .iter()
            .map(|x| format!("environment/{}", x.environment))
            .collect()
    }
    fn notes(&self) -> Vec<String> {
        if self.actions.is_empty() {
            vec!["nothing to collect".into()]
        } else {
            Vec::new()
        }
    }
}

/// `history`.
#[derive(Serialize)]
#[serde(transparent)]
pub struct History<'a>(pub &'a [kubenv::audit::Entry]);

impl Document for History<'_> {
    fn kind(&self) -> Option<&'static str> {
        Some("HistoryList")
    }
    fn document(&self) -> Value {
        list_document("HistoryList", self.0)
    }
}

impl Render for History<'_> {
    fn table(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let rows = self
            .0
            .iter()
            .map(|e| {
                vec![
                    e.time.clone(),
                    e.environment.clone(),
                    e.action.clone(),
                    e.actor.clone(),
                    e.message.clone(),
                ]
            })
            .collect();
        simple_table(&["TIME", "ENVIRONMENT", "ACTION", "ACTOR", "MESSAGE"], rows)
    }
    fn names(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|e| format!("environment/{}", e.environment))
            .collect()
    }
    fn notes(&self) -> Vec<String> {
        if self.0.is_empty() {
            vec!["no history (events are kept as long as the API server's --event-ttl)".into()]
        } else {
            Vec::new()
        }
    }
}

fn money(v: f64) -> String {
    format!("{v:.2}")
}

impl Document for CostReport {
    fn kind(&self) -> Option<&'static str> {
        Some("CostReport")
    }
}

impl Render for CostReport {
    fn table(&self) -> String {
        let mut rows: Vec<Vec<String>> = self
            .groups
            .iter()
            .map(|g| {
                vec![
                    g.key.clone(),
                    g.environments.to_string(),
                    money(g.cost_per_day),
                    money(g.saved_per_day),
                    money(g.saved_so_far),
                ]
            })
            .collect();
        let t = &self.total;
        rows.push(vec![
            "TOTAL".into(),
            t.environments.to_string(),
            money(t.cost_per_day),
            money(t.saved_per_day),
            money(t.saved_so_far),
        ]);
        let key = match self.by.as_str() {
            "owner" => "OWNER",
            "team" => "TEAM",
            _ => "ENVIRONMENT",
        };
        let c = &self.currency;
        simple_table(
            &[
                key,
                "ENVS",
                &format!("{c}/DAY"),
                &format!("SAVED {c}/DAY"),
                &format!("SAVED {c} SO FAR"),
            ],
            rows,
        )
    }
    fn names(&self) -> Vec<String> {
        self.groups.iter().map(|g| g.key.clone()).collect()
    }
}

impl Document for PruneReport {
    fn kind(&self) -> Option<&'static str> {
        Some("PruneReport")
    }
}

impl Render for PruneReport {
    fn table(&self) -> String {
        let verb = if self.dry_run { "would remove" } else { "removed" };
        self.removed
            .iter()
            .map(|c| {
                format!(
                    "{verb} context {} (environment {} is gone from {})",
                    c.context, c.environment, c.host_context
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
    fn names(&self) -> Vec<String> {
        self.removed.iter().map(|c| format!("context/{}", c.context)).collect()
    }
    fn notes(&self) -> Vec<String> {
        let mut n: Vec<String> = self
            .skipped
            .iter()
            .map(|s| {
                format!(
                    "kept the contexts made from {}: cannot list its environments ({})",
                    s.host_context, s.reason
                )
            })
            .collect();
        if self.removed.is_empty() {
            n.push("no stale kubenv contexts".into());
        }
        n
    }
}

impl Document for InitReport {
    fn kind(&self) -> Option<&'static str> {
        Some("InitReport")
    }
}

impl Render for InitReport {
    fn table(&self) -> String {
        let verb = if self.dry_run { "would apply" } else { "applied" };
        let mut lines: Vec<String> = self.applied.iter().map(|o| format!("{verb} {o}")).collect();
        lines.extend(
            self.kept
                .iter()
                .map(|o| format!("kept {o} (pass --policy FILE to replace it)")),
        );
        lines.join("\n")
    }
    fn names(&self) -> Vec<String> {
        vec![self.table()]
    }
}

impl Document for CheckReport {
    fn kind(&self) -> Option<&'static str> {
        Some("CheckReport")
    }
}

impl Render for CheckReport {
    fn table(&self) -> String {
        let yes = |b: bool| if b { "yes" } else { "NO" }.to_string();
        let rows = self
            .policies
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    yes(p.installed),
                    yes(p.bound),
                    yes(p.current),
                    p.warnings.len().to_string(),
                ]
            })
            .collect();
        let mut text = simple_table(&["POLICY", "INSTALLED", "BOUND (DENY)", "CURRENT", "WARNINGS"], rows);
        text.push_str(&format!(
            "\nparameters (ConfigMap kubenv-system/kubenv-policy): {}",
            match (self.params_present, self.params_drift.is_empty()) {
                (false, _) => "MISSING".to_string(),
                (true, true) => "present, in sync with policy.yaml".to_string(),
                (true, false) => format!("OUT OF SYNC: {}", self.params_drift.join("; ")),
            }
        ));
        for p in &self.policies {
            for w in &p.warnings {
                text.push_str(&format!("\nwarning: {}: {w}", p.name));
            }
        }
        if self.enforced {
            text.push_str("\nenforced: the API server refuses what kubenv's rules forbid, whatever the client");
        } else {
            for p in &self.problems {
                text.push_str(&format!("\nproblem: {p}"));
            }
        }
        text
    }
    fn names(&self) -> Vec<String> {
        vec![self.table()]
    }
}

/// `admin policy validate FILE`: a sentence, or the policy as parsed.
pub struct Validated<'a> {
    pub file: &'a std::path::Path,
    pub policy: &'a Policy,
}

impl Serialize for Validated<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.policy.serialize(s)
    }
}

/// The policy file itself: bare, so that it can be fed back to `admin init --policy`.
impl Document for Validated<'_> {
    fn kind(&self) -> Option<&'static str> {
        None
    }
}

impl Render for Validated<'_> {
    fn table(&self) -> String {
        let p = self.policy;
        format!(
            "policy {} is valid: {} templates, TTL default {} max {}",
            self.file.display(),
            p.templates.len(),
            p.ttl.default,
            p.ttl.max
        )
    }
    fn names(&self) -> Vec<String> {
        vec![self.table()]
    }
}

/// `admin policy show`: the policy in force, as YAML (JSON with `-o json`), bare.
pub struct Shown<'a> {
    pub policy: &'a Policy,
    pub source: PolicySource,
}

impl Serialize for Shown<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.policy.serialize(s)
    }
}

impl Document for Shown<'_> {
    fn kind(&self) -> Option<&'static str> {
        None
    }
}

impl Render for Shown<'_> {
    fn table(&self) -> String {
        yaml(self.policy)
    }
    fn names(&self) -> Vec<String> {
        vec![self.table()]
    }
    fn markdown(&self) -> Option<String> {
        Some(self.table())
    }
    fn notes(&self) -> Vec<String> {
        if self.source == PolicySource::BuiltIn {
            vec!["no policy installed in the cluster: these are the built-in defaults (kubenv admin init)".into()]
        } else {
            Vec::new()
        }
    }
}

/// `templates`: one row, name or item per template.
pub struct Templates<'a>(pub &'a Policy);

impl Serialize for Templates<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.templates.serialize(s)
    }
}

impl Document for Templates<'_> {
    fn kind(&self) -> Option<&'static str> {
        Some("TemplateList")
    }
    fn document(&self) -> Value {
        let items: Vec<Value> = self
            .0
            .templates
            .iter()
            .map(|(name, t)| match serde_json::to_value(t) {
                Ok(Value::Object(f)) => {
                    let mut m = Map::new();
                    m.insert("name".into(), json!(name));
                    m.extend(f);
                    Value::Object(m)
                }
                _ => json!({"name": name}),
            })
            .collect();
        list_document("TemplateList", &items)
    }
}

impl Render for Templates<'_> {
    fn table(&self) -> String {
        let p = self.0;
        let rows = p
            .templates
            .iter()
            .map(|(name, t)| {
                let def = if *name == p.default_template { " (default)" } else { "" };
                vec![
                    format!("{name}{def}"),
                    t.kind.to_string(),
                    format!("{}/{}", t.quota.requests_cpu, t.quota.limits_cpu),
                    format!("{}/{}", t.quota.requests_memory, t.quota.limits_memory),
                    t.quota.pods.to_string(),
                    t.pod_security.to_string(),
                    t.network.mode.to_string(),
                    t.ttl.clone().unwrap_or_else(|| p.ttl.default.clone()),
                    t.manifests.len().to_string(),
                    t.description.clone(),
                ]
            })
            .collect();
        simple_table(
            &[
                "NAME",
                "TYPE",
                "CPU",
                "MEMORY",
                "PODS",
                "POD-SECURITY",
                "NETWORK",
                "TTL",
                "EXTRAS",
                "DESCRIPTION",
            ],
            rows,
        )
    }
    fn names(&self) -> Vec<String> {
        self.0.templates.keys().map(|k| format!("template/{k}")).collect()
    }
}

/// Kubernetes manifests to apply elsewhere (`admin init --gc-cronjob-image`): YAML documents,
/// whatever the format.
#[derive(Serialize)]
#[serde(transparent)]
pub struct Manifests(pub Vec<Value>);

impl Document for Manifests {
    fn kind(&self) -> Option<&'static str> {
        None
    }
}

impl Render for Manifests {
    fn table(&self) -> String {
        String::new()
    }
    fn names(&self) -> Vec<String> {
        Vec::new()
    }
    fn verbatim(&self) -> Option<String> {
        Some(self.0.iter().map(yaml).collect::<Vec<_>>().join("---\n"))
    }
}

/// An ExecCredential for client-go (`token`): JSON on one line, whatever the format.
#[derive(Serialize)]
#[serde(transparent)]
pub struct ExecCredential<'a>(pub &'a Value);

impl Document for ExecCredential<'_> {
    fn kind(&self) -> Option<&'static str> {
        None
    }
}

impl Render for ExecCredential<'_> {
    fn table(&self) -> String {
        String::new()
    }
    fn names(&self) -> Vec<String> {
        Vec::new()
    }
    fn verbatim(&self) -> Option<String> {
        Some(serde_json::to_string(self.0).unwrap_or_default())
    }
}

/// `kubenv name BRANCH`.
#[derive(Serialize)]
pub struct BranchName<'a> {
    pub branch: &'a str,
    pub name: &'a str,
}

impl Document for BranchName<'_> {
    fn kind(&self) -> Option<&'static str> {
        Some("BranchName")
    }
}

impl Render for BranchName<'_> {
    fn table(&self) -> String {
        self.name.to_string()
    }
    fn names(&self) -> Vec<String> {
        vec![format!("environment/{}", self.name)]
    }
    fn markdown(&self) -> Option<String> {
        Some(self.table())
    }
}

/// `kubenv version`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Version<'a> {
    pub client_version: Value,
    pub server_version: Option<&'a kubenv::version::ServerVersion>,
}

impl Document for Version<'_> {
    fn kind(&self) -> Option<&'static str> {
        Some("Version")
    }
}

impl Render for Version<'_> {
    fn table(&self) -> String {
        let client = self.client_version["version"].as_str().unwrap_or_default();
        let mut text = format!("Client Version: v{client}");
        if let Some(v) = self.server_version {
            text.push_str(&format!("\nServer Version: {}", v.git_version));
            if !v.supported {
                text.push_str(&format!(" (not supported: kubenv needs {} or newer)", v.minimum));
            }
        }
        text
    }
    fn names(&self) -> Vec<String> {
        vec![self.table()]
    }
    fn markdown(&self) -> Option<String> {
        Some(self.table())
    }
}
