//! Platform policy: the rules a platform team states once, in the cluster (ConfigMap
//! `kubenv-system/kubenv-policy`, key `policy.yaml`). With none installed, built-in defaults
//! apply so kubenv works on any cluster at once. A malformed policy is an error, never
//! silently replaced by defaults.

use crate::environment::Kind;
use crate::names::parse_duration;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

pub const SYSTEM_NAMESPACE: &str = "kubenv-system";
pub const POLICY_CONFIGMAP: &str = "kubenv-policy";
pub const POLICY_KEY: &str = "policy.yaml";

mod load;
pub use load::load;

/// A policy that cannot be used, or a request it does not allow. Usage errors (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not YAML, or fields of the wrong shape (unknown fields included).
    #[error("policy {origin} is malformed: {source}")]
    Malformed {
        origin: String,
        #[source]
        source: Box<serde_saphyr::Error>,
    },
    /// Well-formed but contradictory or out of range.
    #[error("policy {origin} is invalid{}: {reason}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Invalid {
        origin: String,
        line: Option<usize>,
        reason: String,
    },
    /// The ConfigMap is there without its `policy.yaml`.
    #[error(
        "the policy ConfigMap {SYSTEM_NAMESPACE}/{POLICY_CONFIGMAP} has no key {POLICY_KEY}; ask your platform team to fix it (kubenv admin init --policy FILE)"
    )]
    MissingKey,
    #[error("unknown template {name:?}; available: {} (see `kubenv templates`)", known.join(", "))]
    UnknownTemplate { name: String, known: Vec<String> },
    /// `--type` and `--template` disagree, or no template makes that kind.
    #[error("{reason} (see `kubenv templates`)")]
    NoTemplateOfType { kind: Kind, reason: String },
    #[error("TTL {asked} is longer than the policy maximum {max}")]
    TtlTooLong { asked: String, max: String },
    #[error("team {team:?} is not allowed by the policy; allowed teams: {}", allowed.join(", "))]
    TeamNotAllowed { team: String, allowed: Vec<String> },
    #[error("team {team:?} must be letters, digits, '-', '_' or '.' (at most 63)")]
    BadTeam { team: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The Pod Security Admission level a template enforces.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum PodSecurity {
    Privileged,
    #[default]
    Baseline,
    Restricted,
}

impl PodSecurity {
    pub fn as_str(self) -> &'static str {
        match self {
            PodSecurity::Privileged => "privileged",
            PodSecurity::Baseline => "baseline",
            PodSecurity::Restricted => "restricted",
        }
    }
}

impl std::fmt::Display for PodSecurity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an environment's network is fenced.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum NetworkMode {
    /// Ingress only from the same namespace (and the ingress controller's, if named).
    #[default]
    Isolated,
    /// Isolated, and egress only to the same namespace and DNS.
    Strict,
    /// No NetworkPolicy.
    Open,
}

impl NetworkMode {
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkMode::Isolated => "isolated",
            NetworkMode::Strict => "strict",
            NetworkMode::Open => "open",
        }
    }
}

impl std::fmt::Display for NetworkMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// ClusterRole the tenant ServiceAccount gets in its namespace. `kubenv:tenant`
    /// (installed by `kubenv admin init`) is `admin` without write access to the
    /// environment's NetworkPolicies; with no policy installed, kubenv falls back to `admin`.
    #[serde(default = "default_tenant_role")]
    pub tenant_role: String,
    /// Prepended to every environment name to form its namespace.
    #[serde(default = "default_prefix")]
    pub namespace_prefix: String,
    /// When non-empty, `--team` must be one of these.
    #[serde(default)]
    pub allowed_teams: Vec<String>,
    #[serde(default = "default_template_name")]
    pub default_template: String,
    #[serde(default)]
    pub ttl: TtlPolicy,
    #[serde(default)]
    pub sleep: SleepPolicy,
    #[serde(default)]
    pub cost: CostRates,
    #[serde(default = "builtin_templates")]
    pub templates: BTreeMap<String, Template>,
    /// How virtual clusters are made and reached (templates of type `vcluster`).
    #[serde(default)]
    pub vcluster: VClusterPolicy,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SleepPolicy {
    /// `kubenv gc` puts an environment to sleep after this long without activity (no write
    /// to any object in it, no connect or token use). Unset: never for inactivity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_inactivity: Option<String>,
    /// Uptime schedule in kube-downscaler's form, e.g. `Mon-Fri 07:30-20:30 Europe/Berlin`;
    /// `kubenv gc` puts environments to sleep outside it. Unset: always up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// When a sleeping environment's context is used (the `kubenv token` plugin), wake it.
    #[serde(default = "yes")]
    pub wake_on_access: bool,
}

impl Default for SleepPolicy {
    fn default() -> Self {
        SleepPolicy {
            after_inactivity: None,
            schedule: None,
            wake_on_access: true,
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CostRates {
    #[serde(default = "default_currency")]
    pub currency: String,
    /// Price of one CPU core requested for one hour.
    #[serde(default = "default_cpu_rate")]
    pub cpu_core_hour: f64,
    /// Price of one GiB of memory requested for one hour.
    #[serde(default = "default_memory_rate", rename = "memoryGiBHour")]
    pub memory_gib_hour: f64,
}

impl Default for CostRates {
    fn default() -> Self {
        CostRates {
            currency: default_currency(),
            cpu_core_hour: default_cpu_rate(),
            memory_gib_hour: default_memory_rate(),
        }
    }
}

fn default_currency() -> String {
    "USD".into()
}
fn default_cpu_rate() -> f64 {
    0.04
}
fn default_memory_rate() -> f64 {
    0.005
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TtlPolicy {
    /// TTL given to an environment created without `--ttl`.
    #[serde(default = "default_ttl")]
    pub default: String,
    /// Longest TTL anyone may ask for.
    #[serde(default = "max_ttl")]
    pub max: String,
    /// Longest an environment may live from its creation, however often it is extended. The
    /// API server enforces it (it has no clock of its own, only the creation time).
    #[serde(default = "max_lifetime")]
    pub max_lifetime: String,
}

impl Default for TtlPolicy {
    fn default() -> Self {
        TtlPolicy {
            default: default_ttl(),
            max: max_ttl(),
            max_lifetime: max_lifetime(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Template {
    /// The kind of environment it makes: `namespace` (the default) or `vcluster`.
    #[serde(default, rename = "type", skip_serializing_if = "Kind::is_namespace")]
    pub kind: Kind,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub quota: Quota,
    #[serde(default)]
    pub limits: Limits,
    /// Pod Security Admission level enforced: privileged, baseline or restricted.
    #[serde(default)]
    pub pod_security: PodSecurity,
    #[serde(default)]
    pub network: Network,
    /// Overrides the policy's default TTL for environments from this template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
    /// Further objects applied into every environment made from this template (any kind
    /// the cluster serves; the namespace is set to the environment's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manifests: Vec<serde_json::Value>,
}

/// The vcluster versions kubenv can make: it renders their objects itself (no helm), from the
/// chart's values of that version.
pub const VCLUSTER_VERSIONS: &[&str] = &["0.30.0"];

/// Virtual clusters: which vcluster, and how clients reach the virtual API server.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct VClusterPolicy {
    /// The vcluster version (one of [`VCLUSTER_VERSIONS`]).
    pub version: String,
    /// The syncer image, without its tag (the tag is the version).
    pub image: String,
    /// The image whose Kubernetes binaries the syncer runs (the chart's init container).
    pub kubernetes_image: String,
    /// How clients reach the virtual API: `portForward` (through the host API server, kept
    /// by `kubenv connect -- CMD` and `kubenv proxy`), `nodePort` or `loadBalancer`.
    pub expose: Exposure,
    /// Size of the volume that keeps the virtual cluster's state.
    pub storage: String,
}

impl Default for VClusterPolicy {
    fn default() -> Self {
        VClusterPolicy {
            version: VCLUSTER_VERSIONS[0].into(),
            image: "ghcr.io/loft-sh/vcluster-oss".into(),
            kubernetes_image: "ghcr.io/loft-sh/kubernetes:v1.34.0".into(),
            expose: Exposure::default(),
            storage: "5Gi".into(),
        }
    }
}

/// How the virtual API server of a virtual cluster is reached.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub enum Exposure {
    /// Through the host API server's port-forward to the virtual cluster's pod: works on every
    /// cluster, needs `kubenv proxy` (or `kubenv connect NAME -- CMD`) while in use.
    #[default]
    PortForward,
    /// A NodePort Service: the first node's address and the port.
    NodePort,
    /// A LoadBalancer Service: its address once the cluster assigned one.
    LoadBalancer,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Quota {
    pub requests_cpu: String,
    pub requests_memory: String,
    pub limits_cpu: String,
    pub limits_memory: String,
    pub pods: u32,
    pub services: u32,
    pub persistent_volume_claims: u32,
    pub load_balancers: u32,
    pub node_ports: u32,
}

impl Default for Quota {
    fn default() -> Self {
        Quota {
            requests_cpu: "4".into(),
            requests_memory: "8Gi".into(),
            limits_cpu: "8".into(),
            limits_memory: "16Gi".into(),
            pods: 50,
            services: 20,
            persistent_volume_claims: 10,
            load_balancers: 0,
            node_ports: 0,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Limits {
    pub default_cpu_request: String,
    pub default_memory_request: String,
    pub default_cpu_limit: String,
    pub default_memory_limit: String,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            default_cpu_request: "100m".into(),
            default_memory_request: "128Mi".into(),
            default_cpu_limit: "500m".into(),
            default_memory_limit: "512Mi".into(),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Network {
    /// `isolated`: ingress only from the same namespace. `strict`: egress too is limited to
    /// the namespace and DNS.
    #[serde(default)]
    pub mode: NetworkMode,
    /// Namespace of the ingress controller allowed to reach pods, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_from_namespace: Option<String>,
}

fn default_tenant_role() -> String {
    "kubenv:tenant".into()
}

fn default_prefix() -> String {
    "env-".into()
}
fn default_template_name() -> String {
    "standard".into()
}
fn default_ttl() -> String {
    "7d".into()
}
fn max_ttl() -> String {
    "30d".into()
}
fn max_lifetime() -> String {
    "90d".into()
}

fn builtin_templates() -> BTreeMap<String, Template> {
    let mut m = BTreeMap::new();
    m.insert(
        "standard".to_string(),
        Template {
            kind: Kind::Namespace,
            description: "General-purpose environment: 4 CPU / 8Gi requested, isolated network".into(),
            quota: Quota::default(),
            limits: Limits::default(),
            pod_security: PodSecurity::default(),
            network: Network::default(),
            ttl: None,
            manifests: vec![],
        },
    );
    m.insert(
        "vcluster".to_string(),
        Template {
            kind: Kind::VCluster,
            description:
                "A virtual cluster: its own API server, CRDs and cluster-scoped objects; 4 CPU / 8Gi requested".into(),
            quota: Quota::default(),
            limits: Limits::default(),
            // The syncer runs as root (without privilege escalation), as the chart has it.
            pod_security: PodSecurity::Baseline,
            network: Network::default(),
            ttl: None,
            manifests: vec![],
        },
    );
    m
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            tenant_role: default_tenant_role(),
            namespace_prefix: default_prefix(),
            allowed_teams: vec![],
            default_template: default_template_name(),
            ttl: TtlPolicy::default(),
            sleep: SleepPolicy::default(),
            cost: CostRates::default(),
            templates: builtin_templates(),
            vcluster: VClusterPolicy::default(),
        }
    }
}

/// Where the policy in force came from.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum PolicySource {
    BuiltIn,
    Cluster,
}

impl Policy {
    /// What applies with no policy in the cluster: the defaults, with ClusterRole `admin`
    /// for tenants (kubenv's own `kubenv:tenant` is only there after `kubenv admin init`).
    pub fn builtin() -> Policy {
        Policy {
            tenant_role: "admin".into(),
            ..Policy::default()
        }
    }

    /// Parses and validates a policy document. Errors name the line when the YAML is malformed.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Policy> {
        let p: Policy = serde_saphyr::from_str(text).map_err(|source| Error::Malformed {
            origin: origin.to_string(),
            source: Box::new(source),
        })?;
        p.validate().map_err(|reason| Error::Invalid {
            origin: origin.to_string(),
            line: locate(text, &reason),
            reason,
        })?;
        Ok(p)
    }

    pub fn validate(&self) -> std::result::Result<(), String> {
        if !self.namespace_prefix.is_empty() {
            let p = &self.namespace_prefix;
            if !p
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                || !p.starts_with(|c: char| c.is_ascii_lowercase())
                || p.len() > 40
            {
                return Err(format!(
                    "namespacePrefix {p:?} must be lowercase letters, digits and '-', start with a letter, at most 40 characters"
                ));
            }
        }
        let def = parse_duration(&self.ttl.default).map_err(|e| format!("ttl.default: {e}"))?;
        let max = parse_duration(&self.ttl.max).map_err(|e| format!("ttl.max: {e}"))?;
        if def > max {
            return Err(format!(
                "ttl.default ({}) is longer than ttl.max ({})",
                self.ttl.default, self.ttl.max
            ));
        }
        let lifetime = parse_duration(&self.ttl.max_lifetime).map_err(|e| format!("ttl.maxLifetime: {e}"))?;
        if lifetime < max {
            return Err(format!(
                "ttl.maxLifetime ({}) is shorter than ttl.max ({})",
                self.ttl.max_lifetime, self.ttl.max
            ));
        }
        if let Some(a) = &self.sleep.after_inactivity {
            parse_duration(a).map_err(|e| format!("sleep.afterInactivity: {e}"))?;
        }
        if let Some(sch) = &self.sleep.schedule {
            crate::schedule::Schedule::parse(sch).map_err(|e| format!("sleep.schedule: {e}"))?;
        }
        for (k, v) in [
            ("cost.cpuCoreHour", self.cost.cpu_core_hour),
            ("cost.memoryGiBHour", self.cost.memory_gib_hour),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{k} must be a number >= 0"));
            }
        }
        if !VCLUSTER_VERSIONS.contains(&self.vcluster.version.as_str()) {
            return Err(format!(
                "vcluster.version {:?} is not one kubenv can make; use one of {}",
                self.vcluster.version,
                VCLUSTER_VERSIONS.join(", ")
            ));
        }
        crate::quantity::parse(&self.vcluster.storage).ok_or_else(|| {
            format!(
                "vcluster.storage {:?} is not a Kubernetes quantity (e.g. 5Gi)",
                self.vcluster.storage
            )
        })?;
        if !self.templates.contains_key(&self.default_template) {
            return Err(format!(
                "defaultTemplate {:?} is not one of the templates",
                self.default_template
            ));
        }
        for (name, t) in &self.templates {
            if let Some(ttl) = &t.ttl {
                let d = parse_duration(ttl).map_err(|e| format!("templates.{name}.ttl: {e}"))?;
                if d > max {
                    return Err(format!(
                        "templates.{name}.ttl ({ttl}) is longer than ttl.max ({})",
                        self.ttl.max
                    ));
                }
            }
            for (i, m) in t.manifests.iter().enumerate() {
                let ok = m.get("apiVersion").and_then(|v| v.as_str()).is_some()
                    && m.get("kind").and_then(|v| v.as_str()).is_some()
                    && m.pointer("/metadata/name").and_then(|v| v.as_str()).is_some();
                if !ok {
                    return Err(format!(
                        "templates.{name}.manifests[{i}] needs apiVersion, kind and metadata.name"
                    ));
                }
            }
            for (field, q) in [
                ("requestsCpu", &t.quota.requests_cpu),
                ("requestsMemory", &t.quota.requests_memory),
                ("limitsCpu", &t.quota.limits_cpu),
                ("limitsMemory", &t.quota.limits_memory),
                ("defaultCpuRequest", &t.limits.default_cpu_request),
                ("defaultMemoryRequest", &t.limits.default_memory_request),
                ("defaultCpuLimit", &t.limits.default_cpu_limit),
                ("defaultMemoryLimit", &t.limits.default_memory_limit),
            ] {
                crate::quantity::parse(q).ok_or_else(|| {
                    format!("templates.{name}: {field} {q:?} is not a Kubernetes quantity (e.g. 500m, 2, 4Gi)")
                })?;
            }
        }
        Ok(())
    }

    /// The template for a new environment: the one named, else the default, else (for another
    /// kind) the first template of that kind. A kind asked for must be the template's.
    pub fn template_for(&self, kind: Option<Kind>, name: Option<&str>) -> Result<(&str, &Template)> {
        let (n, t) = match (kind, name) {
            (Some(k), None) if self.templates.get(&self.default_template).is_none_or(|t| t.kind != k) => self
                .templates
                .iter()
                .find(|(_, t)| t.kind == k)
                .map(|(n, t)| (n.as_str(), t))
                .ok_or_else(|| Error::NoTemplateOfType {
                    kind: k,
                    reason: format!("the policy has no template of type {k}; ask your platform team for one"),
                })?,
            _ => self.template(name)?,
        };
        if let Some(k) = kind
            && t.kind != k
        {
            return Err(Error::NoTemplateOfType {
                kind: k,
                reason: format!("template {n:?} makes a {}, not a {k}", t.kind),
            });
        }
        Ok((n, t))
    }

    pub fn template(&self, name: Option<&str>) -> Result<(&str, &Template)> {
        let name = name.unwrap_or(&self.default_template);
        self.templates
            .get_key_value(name)
            .map(|(k, v)| (k.as_str(), v))
            .ok_or_else(|| Error::UnknownTemplate {
                name: name.to_string(),
                known: self.templates.keys().cloned().collect(),
            })
    }

    pub fn max_ttl(&self) -> Duration {
        parse_duration(&self.ttl.max).unwrap_or(Duration::from_secs(30 * 86_400))
    }

    /// The TTL an environment gets: the requested one, bounded by the maximum.
    pub fn resolve_ttl(&self, requested: Option<Duration>, template: &Template) -> Result<Duration> {
        let max = self.max_ttl();
        match requested {
            Some(d) if d > max => Err(Error::TtlTooLong {
                asked: crate::names::human_duration(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
                max: self.ttl.max.clone(),
            }),
            Some(d) => Ok(d),
            None => {
                let s = template.ttl.as_deref().unwrap_or(&self.ttl.default);
                Ok(parse_duration(s).unwrap_or(Duration::from_secs(7 * 86_400)).min(max))
            }
        }
    }

    pub fn check_team(&self, team: Option<&str>) -> Result<()> {
        match team {
            Some(t) if !self.allowed_teams.is_empty() && !self.allowed_teams.iter().any(|a| a == t) => {
                Err(Error::TeamNotAllowed {
                    team: t.to_string(),
                    allowed: self.allowed_teams.clone(),
                })
            }
            Some(t) if crate::names::label_value(t) != t => Err(Error::BadTeam { team: t.to_string() }),
            _ => Ok(()),
        }
    }
}

/// A duration as Go (and so CEL's `duration()`) writes it: whole hours when it is some.
pub fn go_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else {
        format!("{s}s")
    }
}

impl Policy {
    /// The flat keys the admission policies read from the policy ConfigMap beside
    /// `policy.yaml` (CEL cannot parse YAML). `kubenv admin init` writes them from the policy;
    /// `kubenv admin check` reports them when they drift.
    pub fn derived_params(&self) -> BTreeMap<String, String> {
        let dur = |s: &str| parse_duration(s).map(go_duration).unwrap_or_default();
        let mut m = BTreeMap::from([
            ("namespacePrefix".to_string(), self.namespace_prefix.clone()),
            ("tenantRole".to_string(), self.tenant_role.clone()),
            ("maxTTL".to_string(), dur(&self.ttl.max)),
            ("maxLifetime".to_string(), dur(&self.ttl.max_lifetime)),
        ]);
        for (name, t) in &self.templates {
            m.insert(format!("podSecurity.{name}"), t.pod_security.to_string());
            m.insert(format!("network.{name}.mode"), t.network.mode.to_string());
            if let Some(ns) = &t.network.allow_from_namespace {
                m.insert(format!("network.{name}.allowFromNamespace"), ns.clone());
            }
            let q = &t.quota;
            for (res, v) in [
                ("requests.cpu", q.requests_cpu.clone()),
                ("requests.memory", q.requests_memory.clone()),
                ("limits.cpu", q.limits_cpu.clone()),
                ("limits.memory", q.limits_memory.clone()),
                ("pods", q.pods.to_string()),
                ("services", q.services.to_string()),
                ("persistentvolumeclaims", q.persistent_volume_claims.to_string()),
                ("services.loadbalancers", q.load_balancers.to_string()),
                ("services.nodeports", q.node_ports.to_string()),
            ] {
                m.insert(format!("quota.{name}.{res}"), v);
            }
        }
        m
    }

    /// Derived keys of a ConfigMap's data that differ from what this policy derives: missing,
    /// different, or left over. Empty when in sync.
    pub fn params_drift(&self, data: &BTreeMap<String, String>) -> Vec<String> {
        let want = self.derived_params();
        let mut out = Vec::new();
        for (k, v) in &want {
            match data.get(k) {
                None => out.push(format!("{k} is missing (want {v:?})")),
                Some(have) if have != v => out.push(format!("{k} is {have:?}, the policy says {v:?}")),
                _ => {}
            }
        }
        for k in data.keys() {
            if k != POLICY_KEY && !want.contains_key(k) {
                out.push(format!("{k} is left over from an older policy"));
            }
        }
        out
    }
}

/// The line of the field a validation message starts with (`templates.web.ttl: ...`), found
/// by walking the document's indentation.
fn locate(text: &str, message: &str) -> Option<usize> {
    let path = message.split([':', ' ']).next()?;
    let keys: Vec<String> = path
        .split('.')
        .map(|k| k.split('[').next().unwrap_or(k).to_string())
        .filter(|k| !k.is_empty())
        .collect();
    if keys.is_empty() {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    let (mut from, mut min_indent, mut found) = (0usize, 0usize, None);
    for key in &keys {
        let mut hit = None;
        for (i, line) in lines.iter().enumerate().skip(from) {
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            if i > from && found.is_some() && indent < min_indent && !trimmed.is_empty() && !trimmed.starts_with('#') {
                break;
            }
            let k = trimmed.trim_start_matches("- ");
            if indent >= min_indent && (k.starts_with(&format!("{key}:")) || k.starts_with(&format!("\"{key}\":"))) {
                hit = Some((i, indent));
                break;
            }
        }
        let (i, indent) = hit?;
        found = Some(i);
        from = i + 1;
        min_indent = indent + 1;
    }
    found.map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_is_valid() {
        Policy::default().validate().unwrap();
        let p = Policy::from_yaml("{}", "test").unwrap();
        assert_eq!(p, Policy::default());
    }

    #[test]
    fn round_trip_and_errors() {
        let y = serde_saphyr::to_string(&Policy::default()).unwrap();
        assert_eq!(Policy::from_yaml(&y, "t").unwrap(), Policy::default());
        let e = Policy::from_yaml("namespacePrefix: env-\nttl:\n  max: 2x\n", "t").unwrap_err();
        assert!(e.to_string().contains("ttl.max"), "{e}");
        let e = Policy::from_yaml("namespacePrefx: env-\n", "t").unwrap_err();
        assert!(e.to_string().contains("line 1") || e.to_string().contains("1:"), "{e}");
    }

    #[test]
    fn semantic_errors_name_the_line() {
        let text = "namespacePrefix: env-\ntemplates:\n  standard:\n    podSecurity: baseline\n  web:\n    ttl: 90d\n    podSecurity: restricted\n";
        let e = Policy::from_yaml(text, "t").unwrap_err().to_string();
        assert!(e.contains("line 6") && e.contains("templates.web.ttl"), "{e}");
        let e = Policy::from_yaml("ttl:\n  default: 40d\n", "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("ttl.default"), "{e}");
        let e = Policy::from_yaml("sleep:\n  schedule: Mon-Fri 25:00-20:30 UTC\n", "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn partial_blocks_take_defaults() {
        let p = Policy::from_yaml(
            "templates:\n  standard:\n    quota:\n      pods: 7\n    limits:\n      defaultCpuLimit: \"1\"\n",
            "t",
        )
        .unwrap();
        let t = &p.templates["standard"];
        assert_eq!((t.quota.pods, t.quota.requests_cpu.as_str()), (7, "4"));
        assert_eq!(
            (
                t.limits.default_cpu_limit.as_str(),
                t.limits.default_memory_limit.as_str()
            ),
            ("1", "512Mi")
        );
    }

    #[test]
    fn derived_params_follow_the_policy() {
        let p = Policy::from_yaml(
            "ttl:\n  max: 10d\ntemplates:\n  standard:\n    podSecurity: restricted\n    quota:\n      pods: 7\n    network:\n      allowFromNamespace: ingress\n",
            "t",
        )
        .unwrap();
        let d = p.derived_params();
        assert_eq!(d["maxTTL"], "240h");
        assert_eq!(d["maxLifetime"], "2160h");
        assert_eq!(d["namespacePrefix"], "env-");
        assert_eq!(d["podSecurity.standard"], "restricted");
        assert_eq!(d["quota.standard.pods"], "7");
        assert_eq!(d["quota.standard.requests.cpu"], "4");
        assert_eq!(d["network.standard.allowFromNamespace"], "ingress");
        assert!(p.params_drift(&d).is_empty());
        let mut stale = d.clone();
        stale.insert("maxTTL".into(), "720h".into());
        stale.insert("quota.gone.pods".into(), "1".into());
        stale.remove("podSecurity.standard");
        let drift = p.params_drift(&stale);
        assert_eq!(drift.len(), 3, "{drift:?}");
        assert_eq!(go_duration(Duration::from_secs(90)), "90s");
        assert!(Policy::from_yaml("ttl:\n  maxLifetime: 1d\n", "t").is_err());
    }

    #[test]
    fn ttl_bounds() {
        let p = Policy::default();
        let (_, t) = p.template(None).unwrap();
        assert_eq!(p.resolve_ttl(None, t).unwrap(), Duration::from_secs(7 * 86_400));
        assert!(p.resolve_ttl(Some(Duration::from_secs(31 * 86_400)), t).is_err());
        assert!(p.template(Some("nope")).unwrap_err().to_string().contains("standard"));
    }
}
