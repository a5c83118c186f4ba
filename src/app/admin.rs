//! What a platform admin installs: the `kubenv-system` namespace, the policy ConfigMap (with
//! the flat parameters the admission policies read), the RBAC engineers (and the in-cluster
//! gc) need, each rule documented, and the ValidatingAdmissionPolicies that make the API
//! server enforce ownership and the policy (src/app/admission.yaml). Idempotent: every object is
//! server-side applied with the field manager `kubenv`. `check` reports what is in force.

use crate::cluster::FIELD_MANAGER;
use crate::cluster::Host;
use crate::error::{Error, Result};
use crate::policy::{POLICY_CONFIGMAP, POLICY_KEY, Policy, SYSTEM_NAMESPACE};
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub const ENGINEER_ROLE: &str = "kubenv:engineer";
pub const ADMIN_ROLE: &str = "kubenv:admin";
pub const GC_ROLE: &str = "kubenv:gc";
pub const TENANT_ROLE: &str = "kubenv:tenant";
/// Bound per environment to its owner: tokens for that environment's tenant only.
pub const TOKEN_ROLE: &str = crate::backend::namespace::objects::TOKEN_ROLE;
/// What a virtual cluster's syncer may do in its environment's namespace.
pub const SYNCER_ROLE: &str = crate::backend::vcluster::objects::SYNCER_ROLE;
/// ClusterRoles with this label add rules to `kubenv:tenant` (e.g. for a CRD).
pub const TENANT_AGGREGATION_LABEL: &str = "kubenv.dev/aggregate-to-tenant";

const ALL: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const READ: &[&str] = &["get", "list", "watch"];

/// What a tenant may do in its own namespace: what ClusterRole `admin` allows, except
/// changing the guardrails: NetworkPolicies, ResourceQuotas and LimitRanges are read-only.
pub fn tenant_rules() -> Vec<Value> {
    vec![
        rule(
            &[""],
            &[
                "pods",
                "pods/attach",
                "pods/exec",
                "pods/portforward",
                "pods/proxy",
                "configmaps",
                "endpoints",
                "persistentvolumeclaims",
                "replicationcontrollers",
                "replicationcontrollers/scale",
                "secrets",
                "serviceaccounts",
                "services",
                "services/proxy",
            ],
            ALL,
        ),
        rule(
            &[""],
            &[
                "events",
                "pods/log",
                "pods/status",
                "limitranges",
                "resourcequotas",
                "resourcequotas/status",
                "namespaces",
                "namespaces/status",
                "bindings",
                "persistentvolumeclaims/status",
                "services/status",
            ],
            READ,
        ),
        rule(&[""], &["serviceaccounts"], &["impersonate"]),
        rule(
            &["apps"],
            &[
                "daemonsets",
                "deployments",
                "deployments/rollback",
                "deployments/scale",
                "replicasets",
                "replicasets/scale",
                "statefulsets",
                "statefulsets/scale",
                "controllerrevisions",
            ],
            ALL,
        ),
        rule(&["autoscaling"], &["horizontalpodautoscalers"], ALL),
        rule(&["batch"], &["cronjobs", "jobs"], ALL),
        rule(&["networking.k8s.io"], &["ingresses"], ALL),
        rule(&["networking.k8s.io"], &["networkpolicies"], READ),
        rule(&["policy"], &["poddisruptionbudgets"], ALL),
        rule(&["rbac.authorization.k8s.io"], &["roles", "rolebindings"], ALL),
        rule(&["coordination.k8s.io"], &["leases"], ALL),
        rule(&["discovery.k8s.io"], &["endpointslices"], READ),
        rule(&["authorization.k8s.io"], &["localsubjectaccessreviews"], &["create"]),
    ]
}

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Value {
    json!({"apiGroups": groups, "resources": resources, "verbs": verbs})
}

/// The least an engineer needs for kubenv's commands, with what each rule is for.
pub fn engineer_rules() -> Vec<(Value, &'static str)> {
    vec![
        (
            rule(
                &[""],
                &["namespaces"],
                &["get", "list", "watch", "create", "patch", "delete"],
            ),
            "create makes the namespace; list/get show environments; patch records expiry, sleep and activity; delete removes it",
        ),
        (
            rule(
                &[""],
                &["resourcequotas"],
                &["get", "list", "create", "patch", "delete"],
            ),
            "the quota guardrail (applied at create), usage shown by list, the pod block of sleep (deleted by wake)",
        ),
        (
            rule(&[""], &["limitranges", "serviceaccounts"], &["get", "create", "patch"]),
            "the LimitRange guardrail and the tenant ServiceAccount, applied at create",
        ),
        (
            rule(
                &["networking.k8s.io"],
                &["networkpolicies"],
                &["get", "create", "patch"],
            ),
            "the NetworkPolicy guardrails, applied at create",
        ),
        (
            rule(
                &["rbac.authorization.k8s.io"],
                &["rolebindings"],
                &["get", "create", "patch"],
            ),
            "the tenant and owner RoleBindings, applied at create",
        ),
        (
            json!({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "resourceNames": ["admin", TENANT_ROLE, TOKEN_ROLE, SYNCER_ROLE], "verbs": ["bind"]}),
            "lets those RoleBindings name ClusterRoles admin, kubenv:tenant and (for a virtual cluster's syncer) kubenv:vcluster, scoped to the environment's namespace",
        ),
        (
            rule(&["apps"], &["deployments", "statefulsets"], &["get", "list", "patch"]),
            "sleep scales workloads to zero and records their replicas; wake restores them",
        ),
        (
            rule(&["batch"], &["cronjobs"], &["get", "list", "patch"]),
            "sleep suspends CronJobs; wake resumes them",
        ),
        (
            rule(
                &["coordination.k8s.io"],
                &["leases"],
                &["get", "create", "update", "delete"],
            ),
            "a per-environment lock so sleep, wake and gc take turns (renewed during long work)",
        ),
        (
            rule(&[""], &["events"], &["create", "list"]),
            "the audit trail (history)",
        ),
        (
            rule(&[""], &["pods"], &["list"]),
            "cost: the resources pods actually request",
        ),
        (
            rule(&["authorization.k8s.io"], &["selfsubjectaccessreviews"], &["create"]),
            "checks whether the caller may act on someone else's environment",
        ),
        (
            json!({"apiGroups": ["kubenv.dev"], "resources": ["environments"], "verbs": ["create"]}),
            "marks the holder as a kubenv engineer: the admission policies confine such requests to environments they own",
        ),
    ]
}

/// Platform admins: everything engineers can do, and acting on anyone's environment
/// (`environments.kubenv.dev`, a virtual resource kubenv checks with SelfSubjectAccessReview).
pub fn admin_rules() -> Vec<Value> {
    let mut v: Vec<Value> = engineer_rules()
        .into_iter()
        .map(|(r, _)| r)
        .filter(|r| r["apiGroups"] != json!(["kubenv.dev"]))
        .collect();
    v.push(json!({"apiGroups": ["kubenv.dev"], "resources": ["environments"], "verbs": ["*"]}));
    // Admins connect to any environment.
    v.push(json!({"apiGroups": [""], "resources": ["serviceaccounts/token"], "resourceNames": ["tenant"], "verbs": ["create"]}));
    v.push(json!({"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "create", "patch"]}));
    // `kubenv admin check` reads what is enforced.
    v.push(json!({"apiGroups": ["admissionregistration.k8s.io"],
                  "resources": ["validatingadmissionpolicies", "validatingadmissionpolicybindings"], "verbs": ["get", "list"]}));
    v
}

/// The ValidatingAdmissionPolicies and their bindings (src/app/admission.yaml), in order.
pub fn admission_policies() -> Vec<Value> {
    serde_saphyr::from_str(include_str!("admission.yaml")).expect("src/app/admission.yaml is valid YAML")
}

/// The policy ConfigMap: the policy as written, and the flat parameters derived from it.
pub fn policy_configmap(policy_yaml: &str, policy: &Policy) -> Value {
    let mut data: BTreeMap<String, String> = policy.derived_params();
    data.insert(POLICY_KEY.into(), policy_yaml.into());
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": POLICY_CONFIGMAP, "namespace": SYSTEM_NAMESPACE, "labels": {"app.kubernetes.io/managed-by": "kubenv"}},
           "data": data})
}

/// The in-cluster gc: deletes expired environments and puts idle ones to sleep.
pub fn gc_rules() -> Vec<Value> {
    vec![
        rule(&[""], &["namespaces"], &["get", "list", "patch", "delete"]),
        rule(
            &[""],
            &["resourcequotas"],
            &["get", "list", "create", "patch", "delete"],
        ),
        rule(&["apps"], &["deployments", "statefulsets"], &["get", "list", "patch"]),
        rule(&["batch"], &["cronjobs"], &["get", "list", "patch"]),
        rule(
            &["coordination.k8s.io"],
            &["leases"],
            &["get", "create", "update", "delete"],
        ),
        rule(&[""], &["events"], &["create", "list"]),
        rule(&[""], &["services", "configmaps", "pods"], &["list"]),
        // Pausing a virtual cluster deletes the pods it synced, as `vcluster pause` does.
        rule(&[""], &["pods"], &["deletecollection"]),
        json!({"apiGroups": ["kubenv.dev"], "resources": ["environments"], "verbs": ["delete", "sleep"]}),
    ]
}

fn cluster_role(name: &str, rules: Vec<Value>) -> Value {
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
           "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "kubenv"}}, "rules": rules})
}

fn binding(kind: &str, name: &str, role_kind: &str, role: &str, subjects: Vec<Value>, ns: Option<&str>) -> Value {
    let mut meta = json!({"name": name, "labels": {"app.kubernetes.io/managed-by": "kubenv"}});
    if let Some(n) = ns {
        meta["namespace"] = json!(n);
    }
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta,
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role}, "subjects": subjects})
}

fn group(g: &str) -> Value {
    json!({"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": g})
}

/// A policy file, read and checked.
#[derive(Clone, Debug)]
pub struct PolicyFile {
    pub path: std::path::PathBuf,
    pub text: String,
    pub policy: Policy,
}

impl PolicyFile {
    /// Reads and validates a policy file (offline); errors name the line.
    pub fn read(path: &std::path::Path) -> Result<PolicyFile> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::InvalidInput(format!("cannot read policy file {}: {e}", path.display())))?;
        let policy = Policy::from_yaml(&text, &path.display().to_string())?;
        Ok(PolicyFile {
            path: path.to_path_buf(),
            text,
            policy,
        })
    }
}

/// The policy in force (the cluster's, or the built-in defaults), and where it came from.
pub async fn policy(host: &Host) -> Result<(Policy, crate::policy::PolicySource)> {
    host.deadline("the policy", crate::policy::load(host)).await
}

#[derive(Clone, Debug, Default)]
pub struct InitOptions {
    /// The policy to install; None keeps an installed one, else installs the defaults.
    pub policy: Option<PolicyFile>,
    pub dry_run: bool,
    /// Groups to bind to the engineer and admin roles.
    pub engineers_group: Option<String>,
    pub admins_group: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InitReport {
    pub dry_run: bool,
    /// `Kind/name` of every object applied (or that would be).
    pub applied: Vec<String>,
    /// Objects left as they were: the installed policy, when no new one was given.
    pub kept: Vec<String>,
}

/// Every object `admin init` installs, in order.
pub fn manifests(opts: &InitOptions, policy_yaml: &str, policy: &Policy) -> Vec<Value> {
    let mut out = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": SYSTEM_NAMESPACE, "labels": {"app.kubernetes.io/managed-by": "kubenv-system"}}}),
        policy_configmap(policy_yaml, policy),
        cluster_role(ENGINEER_ROLE, engineer_rules().into_iter().map(|(r, _)| r).collect()),
        // kubenv:tenant is an aggregate, so platform teams can add rules (a CRD) by label.
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": TENANT_ROLE, "labels": {"app.kubernetes.io/managed-by": "kubenv"}},
                              // No `rules`: the aggregation controller owns them; applying an empty list would
               // leave every tenant without rights until it refills them.
               "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {TENANT_AGGREGATION_LABEL: "true"}}]}}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": "kubenv:tenant-base", "labels": {"app.kubernetes.io/managed-by": "kubenv", TENANT_AGGREGATION_LABEL: "true"}},
               "rules": tenant_rules()}),
        cluster_role(ADMIN_ROLE, admin_rules()),
        cluster_role(SYNCER_ROLE, crate::backend::vcluster::objects::syncer_rules()),
        // Engineers mint tokens only where an environment's RoleBinding names them owner.
        cluster_role(
            TOKEN_ROLE,
            vec![
                json!({"apiGroups": [""], "resources": ["serviceaccounts/token"], "resourceNames": ["tenant"], "verbs": ["create"]}),
            ],
        ),
        // Engineers read the policy and write the audit trail in kubenv-system, nothing more there.
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
               "metadata": {"name": "kubenv:policy-reader", "namespace": SYSTEM_NAMESPACE, "labels": {"app.kubernetes.io/managed-by": "kubenv"}},
               "rules": [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": [POLICY_CONFIGMAP], "verbs": ["get"]},
                         {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "list"]}]}),
        binding(
            "RoleBinding",
            "kubenv:policy-reader",
            "Role",
            "kubenv:policy-reader",
            vec![group("system:authenticated")],
            Some(SYSTEM_NAMESPACE),
        ),
    ];
    if let Some(g) = &opts.engineers_group {
        out.push(binding(
            "ClusterRoleBinding",
            "kubenv:engineers",
            "ClusterRole",
            ENGINEER_ROLE,
            vec![group(g)],
            None,
        ));
    }
    if let Some(g) = &opts.admins_group {
        out.push(binding(
            "ClusterRoleBinding",
            "kubenv:admins",
            "ClusterRole",
            ADMIN_ROLE,
            vec![group(g)],
            None,
        ));
    }
    out.extend(admission_policies());
    out
}

/// The in-cluster gc: ServiceAccount, RBAC and a CronJob running `kubenv gc` on a schedule.
pub fn gc_cronjob(image: &str, schedule: &str) -> Vec<Value> {
    vec![
        cluster_role(GC_ROLE, gc_rules()),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "kubenv-gc", "namespace": SYSTEM_NAMESPACE}}),
        binding(
            "ClusterRoleBinding",
            "kubenv:gc",
            "ClusterRole",
            GC_ROLE,
            vec![json!({"kind": "ServiceAccount", "name": "kubenv-gc", "namespace": SYSTEM_NAMESPACE})],
            None,
        ),
        binding(
            "RoleBinding",
            "kubenv:gc-policy",
            "Role",
            "kubenv:policy-reader",
            vec![json!({"kind": "ServiceAccount", "name": "kubenv-gc", "namespace": SYSTEM_NAMESPACE})],
            Some(SYSTEM_NAMESPACE),
        ),
        json!({"apiVersion": "batch/v1", "kind": "CronJob",
               "metadata": {"name": "kubenv-gc", "namespace": SYSTEM_NAMESPACE},
               "spec": {"schedule": schedule, "concurrencyPolicy": "Forbid", "successfulJobsHistoryLimit": 1,
                        "jobTemplate": {"spec": {"backoffLimit": 1, "template": {"spec": {
                            "serviceAccountName": "kubenv-gc", "restartPolicy": "Never",
                            "securityContext": {"runAsNonRoot": true, "runAsUser": 65532, "seccompProfile": {"type": "RuntimeDefault"}},
                            "containers": [{"name": "gc", "image": image, "args": ["gc", "-o", "json"],
                                "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}},
                                "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}}]}}}}}}),
    ]
}

fn api_for(host: &Host, m: &Value) -> Api<DynamicObject> {
    let av = m["apiVersion"].as_str().unwrap_or("v1");
    let kind = m["kind"].as_str().unwrap_or_default();
    let (g, v) = av.split_once('/').unwrap_or(("", av));
    let plural = match kind {
        "Namespace" => "namespaces",
        "ConfigMap" => "configmaps",
        "ClusterRole" => "clusterroles",
        "ClusterRoleBinding" => "clusterrolebindings",
        "Role" => "roles",
        "RoleBinding" => "rolebindings",
        "ServiceAccount" => "serviceaccounts",
        "CronJob" => "cronjobs",
        "ValidatingAdmissionPolicy" => "validatingadmissionpolicies",
        "ValidatingAdmissionPolicyBinding" => "validatingadmissionpolicybindings",
        _ => "",
    };
    let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(g, v, kind), plural);
    match m.pointer("/metadata/namespace").and_then(Value::as_str) {
        Some(ns) => Api::namespaced_with(host.client.clone(), ns, &ar),
        None => Api::all_with(host.client.clone(), &ar),
    }
}

/// Installs (or with `dry_run`, checks with the server) everything, idempotently.
pub async fn init(host: &Host, opts: &InitOptions) -> Result<InitReport> {
    host.deadline("admin init", init_inner(host, opts)).await
}

async fn init_inner(host: &Host, opts: &InitOptions) -> Result<InitReport> {
    host.require_supported_server().await?;
    let (mut policy_yaml, mut policy) = match &opts.policy {
        Some(f) => (f.text.clone(), f.policy.clone()),
        None => (
            serde_saphyr::to_string(&Policy::default()).map_err(|e| Error::Other(e.to_string()))?,
            Policy::default(),
        ),
    };
    // Without --policy, an installed policy stays: re-running init must not reset it. Its
    // derived parameters are still rewritten from it, so an upgrade brings them in.
    let mut kept = Vec::new();
    if opts.policy.is_none() {
        let cms: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(host.client.clone(), SYSTEM_NAMESPACE);
        if let Some(cm) = cms.get_opt(POLICY_CONFIGMAP).await.map_err(|e| host.map(e))?
            && let Some(text) = cm.data.as_ref().and_then(|d| d.get(POLICY_KEY))
        {
            policy = Policy::from_yaml(text, &format!("{SYSTEM_NAMESPACE}/{POLICY_CONFIGMAP}"))?;
            policy_yaml = text.clone();
            kept.push(format!("ConfigMap/{POLICY_CONFIGMAP}"));
        }
    }
    let objs = manifests(opts, &policy_yaml, &policy);
    let mut pp = PatchParams::apply(FIELD_MANAGER).force();
    pp.dry_run = opts.dry_run;
    let mut applied = Vec::new();
    // The namespace first (the rest may live in it); then everything else at once.
    let (first, rest) = objs.split_first().expect("init has objects");
    let name = |m: &Value| {
        m.pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    // The policy's parameters go in before the namespace is touched again: the admission
    // policies refuse every namespace change while they are missing (fail closed), so an init
    // that repairs a deleted policy ConfigMap must not start with the namespace. Best effort:
    // on a new cluster the namespace is not there yet, and the ConfigMap follows it below.
    let apply_one = |m: &Value| {
        let api = api_for(host, m);
        let pp = pp.clone();
        let (m, n) = (m.clone(), name(m));
        async move { api.patch(&n, &pp, &Patch::Apply(&m)).await }
    };
    let params = rest.iter().find(|m| {
        m["kind"] == "ConfigMap" && m.pointer("/metadata/name").and_then(Value::as_str) == Some(POLICY_CONFIGMAP)
    });
    if let (Some(params), false) = (params, opts.dry_run) {
        let _ = apply_one(params).await;
    }
    apply_one(first).await.map_err(|e| host.map(e))?;
    applied.push(format!(
        "{}/{}",
        first["kind"].as_str().unwrap_or_default(),
        name(first)
    ));
    let dry_ns_missing = opts.dry_run;
    let results = futures::future::join_all(rest.iter().map(|m| {
        let api = api_for(host, m);
        let pp = pp.clone();
        async move { (m, api.patch(&name(m), &pp, &Patch::Apply(m)).await) }
    }))
    .await;
    for (m, r) in results {
        match r {
            Ok(_) => {}
            // A dry run cannot place objects in a namespace that it did not really create.
            Err(e) if dry_ns_missing && crate::error::api_code(&e) == Some(404) => {}
            Err(e) => return Err(host.map(e)),
        }
        let id = format!("{}/{}", m["kind"].as_str().unwrap_or_default(), name(m));
        if !kept.contains(&id) {
            applied.push(id);
        }
    }
    Ok(InitReport {
        dry_run: opts.dry_run,
        applied,
        kept,
    })
}

/// One admission policy as installed on the cluster.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PolicyState {
    pub name: String,
    pub installed: bool,
    /// Its binding exists, with validationActions Deny.
    pub bound: bool,
    /// The installed one is the one this kubenv would install.
    pub current: bool,
    /// What the server's type check found in its expressions.
    pub warnings: Vec<String>,
}

/// What `kubenv admin check` found: what the API server enforces on this cluster.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport {
    pub policies: Vec<PolicyState>,
    /// The policy ConfigMap is there and readable.
    pub params_present: bool,
    /// Derived parameters that differ from policy.yaml (see `kubenv admin init`).
    pub params_drift: Vec<String>,
    /// Everything installed, bound, current and in sync.
    pub enforced: bool,
    /// What to do about it, when not.
    pub problems: Vec<String>,
}

fn admission_api(host: &Host, kind: &str) -> Api<DynamicObject> {
    api_for(
        host,
        &json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind}),
    )
}

/// Reads what is enforced: every policy and binding kubenv installs, and the parameters.
pub async fn check(host: &Host) -> Result<CheckReport> {
    host.deadline("admin check", check_inner(host)).await
}

async fn check_inner(host: &Host) -> Result<CheckReport> {
    host.require_supported_server().await?;
    let wanted = admission_policies();
    let (vaps, vapbs) = (
        admission_api(host, "ValidatingAdmissionPolicy"),
        admission_api(host, "ValidatingAdmissionPolicyBinding"),
    );
    let cms: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(host.client.clone(), SYSTEM_NAMESPACE);
    let names: Vec<String> = wanted
        .iter()
        .filter(|o| o["kind"] == "ValidatingAdmissionPolicy")
        .filter_map(|o| o.pointer("/metadata/name").and_then(Value::as_str).map(String::from))
        .collect();
    let lookups = futures::future::try_join_all(names.iter().map(|n| {
        let (vaps, vapbs) = (vaps.clone(), vapbs.clone());
        async move {
            let (p, b) = futures::join!(vaps.get_opt(n), vapbs.get_opt(n));
            Ok::<_, kube::Error>((p?, b?))
        }
    }));
    let (found, cm) = futures::join!(lookups, cms.get_opt(POLICY_CONFIGMAP));
    let found = found.map_err(|e| host.map(e))?;
    let cm = cm.map_err(|e| host.map(e))?;
    let mut problems = Vec::new();
    let mut policies = Vec::new();
    for (name, (p, b)) in names.iter().zip(found) {
        let want = wanted
            .iter()
            .find(|o| o["kind"] == "ValidatingAdmissionPolicy" && o["metadata"]["name"] == name.as_str());
        let current = match (&p, want) {
            (Some(p), Some(w)) => p.data.get("spec").is_some_and(|have| same_spec(have, &w["spec"])),
            _ => false,
        };
        let bound = b.as_ref().is_some_and(|b| {
            b.data
                .pointer("/spec/validationActions")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|v| v == "Deny"))
        });
        let warnings: Vec<String> = p
            .as_ref()
            .and_then(|p| p.data.pointer("/status/typeChecking/expressionWarnings"))
            .and_then(Value::as_array)
            .map(|ws| {
                ws.iter()
                    .map(|w| {
                        format!(
                            "{}: {}",
                            w["fieldRef"].as_str().unwrap_or(""),
                            w["warning"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if p.is_none() {
            problems.push(format!(
                "ValidatingAdmissionPolicy {name} is not installed: run `kubenv admin init`"
            ));
        } else if !current {
            problems.push(format!(
                "ValidatingAdmissionPolicy {name} differs from this kubenv's: run `kubenv admin init`"
            ));
        }
        if !bound {
            problems.push(format!(
                "ValidatingAdmissionPolicyBinding {name} is missing or does not deny: run `kubenv admin init`"
            ));
        }
        policies.push(PolicyState {
            name: name.clone(),
            installed: p.is_some(),
            bound,
            current,
            warnings,
        });
    }
    let (params_present, params_drift) = match cm.as_ref().and_then(|c| c.data.clone()) {
        Some(data) => {
            let data: BTreeMap<String, String> = data.into_iter().collect();
            match data.get(POLICY_KEY) {
                Some(text) => {
                    let p = Policy::from_yaml(text, &format!("{SYSTEM_NAMESPACE}/{POLICY_CONFIGMAP}"))?;
                    (true, p.params_drift(&data))
                }
                None => (true, vec![format!("{POLICY_KEY} is missing")]),
            }
        }
        None => (false, vec![]),
    };
    if !params_present {
        problems.push(format!(
            "the policy ConfigMap {SYSTEM_NAMESPACE}/{POLICY_CONFIGMAP} is missing: every engineer request is denied until `kubenv admin init` installs it"
        ));
    }
    if !params_drift.is_empty() {
        problems.push(
            "the admission parameters are out of sync with policy.yaml (edited by hand?): re-run `kubenv admin init --policy FILE`"
                .into(),
        );
    }
    Ok(CheckReport {
        enforced: problems.is_empty(),
        policies,
        params_present,
        params_drift,
        problems,
    })
}

/// Whether an installed spec is the wanted one: every field kubenv sets has its value (the
/// server adds defaults of its own, e.g. matchPolicy, which are left out of the comparison).
fn same_spec(have: &Value, want: &Value) -> bool {
    match (have, want) {
        (Value::Object(h), Value::Object(w)) => w.iter().all(|(k, wv)| h.get(k).is_some_and(|hv| same_spec(hv, wv))),
        (Value::Array(h), Value::Array(w)) => h.len() == w.len() && h.iter().zip(w).all(|(a, b)| same_spec(a, b)),
        _ => have == want,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_are_complete() {
        let opts = InitOptions {
            engineers_group: Some("devs".into()),
            ..Default::default()
        };
        let m = manifests(&opts, "{}", &Policy::default());
        let names: Vec<String> = m
            .iter()
            .map(|o| {
                format!(
                    "{}/{}",
                    o["kind"].as_str().unwrap(),
                    o["metadata"]["name"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                "Namespace/kubenv-system",
                "ConfigMap/kubenv-policy",
                "ClusterRole/kubenv:engineer",
                "ClusterRole/kubenv:tenant",
                "ClusterRole/kubenv:tenant-base",
                "ClusterRole/kubenv:admin",
                "ClusterRole/kubenv:vcluster",
                "ClusterRole/kubenv:token-minter",
                "Role/kubenv:policy-reader",
                "RoleBinding/kubenv:policy-reader",
                "ClusterRoleBinding/kubenv:engineers",
                "ValidatingAdmissionPolicy/kubenv-namespaces",
                "ValidatingAdmissionPolicy/kubenv-environment-objects",
                "ValidatingAdmissionPolicy/kubenv-tenant-limits",
                "ValidatingAdmissionPolicy/kubenv-audit-trail",
                "ValidatingAdmissionPolicyBinding/kubenv-namespaces",
                "ValidatingAdmissionPolicyBinding/kubenv-environment-objects",
                "ValidatingAdmissionPolicyBinding/kubenv-tenant-limits",
                "ValidatingAdmissionPolicyBinding/kubenv-audit-trail"
            ]
        );
        // The parameters the policies read are in the ConfigMap, derived from the policy.
        assert_eq!(m[1]["data"]["maxTTL"], "720h");
        assert_eq!(m[1]["data"]["quota.standard.pods"], "50");
        assert_eq!(m[1]["data"]["policy.yaml"], "{}");
        // Engineers bind only admin and kubenv:tenant, mint tokens only for `tenant`, and
        // cannot act on others' environments.
        let eng = m[2]["rules"].as_array().unwrap();
        assert!(eng.iter().any(|r| r["verbs"] == json!(["bind"])
            && r["resourceNames"] == json!(["admin", TENANT_ROLE, TOKEN_ROLE, SYNCER_ROLE])));
        assert!(
            !m[2]["rules"].to_string().contains("serviceaccounts/token"),
            "engineers mint tokens only through an environment's owner binding"
        );
        // Engineers may `create` environments (what marks them for the admission policies),
        // never act on anyone's (`delete`, `sleep`, `*`).
        let env_rules: Vec<&Value> = eng.iter().filter(|r| r.to_string().contains("kubenv.dev")).collect();
        assert_eq!(env_rules.len(), 1);
        assert_eq!(env_rules[0]["verbs"], json!(["create"]));
        assert!(m[5]["rules"].to_string().contains("kubenv.dev"), "the admin role");
        // Tenants read, but never write, their guardrails.
        for r in m[4]["rules"].as_array().unwrap() {
            let res = r["resources"].to_string();
            if res.contains("networkpolicies") || res.contains("resourcequotas") || res.contains("limitranges") {
                assert_eq!(r["verbs"], json!(READ), "{r}");
            }
        }
        // Every policy is bound with Deny; those reading the policy fail closed without it.
        for b in m.iter().filter(|o| o["kind"] == "ValidatingAdmissionPolicyBinding") {
            assert_eq!(b["spec"]["validationActions"], json!(["Deny"]));
            let p = m
                .iter()
                .find(|o| o["kind"] == "ValidatingAdmissionPolicy" && o["metadata"]["name"] == b["spec"]["policyName"])
                .expect("the bound policy is installed");
            assert_eq!(p["spec"]["failurePolicy"], "Fail");
            if p["spec"]["paramKind"].is_object() {
                assert_eq!(b["spec"]["paramRef"]["name"], POLICY_CONFIGMAP);
                assert_eq!(b["spec"]["paramRef"]["parameterNotFoundAction"], "Deny");
            }
            // Every refusal is a 403 (kubenv maps it to exit 5) and says it comes from kubenv.
            for v in p["spec"]["validations"].as_array().unwrap() {
                assert_eq!(v["reason"], "Forbidden", "{v}");
                let msg = v["message"].as_str().or(v["messageExpression"].as_str()).unwrap();
                assert!(msg.contains("kubenv: "), "{msg}");
            }
        }
        assert!(same_spec(
            &json!({"a": 1, "b": [{"c": 2, "d": 3}]}),
            &json!({"b": [{"c": 2}]})
        ));
        assert!(!same_spec(&json!({"b": [{"c": 2}]}), &json!({"b": [{"c": 3}]})));
        let gc = gc_cronjob("example/kubenv:1", "*/10 * * * *");
        assert_eq!(
            gc.last().unwrap()["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"],
            "example/kubenv:1"
        );
    }
}
