//! What a platform admin installs: the `kubenv-system` namespace, the policy ConfigMap, and
//! the RBAC engineers (and the in-cluster gc) need, each rule documented. Idempotent: every
//! object is server-side applied with the field manager `kubenv`.

use crate::cluster::Host;
use crate::env::ops::FIELD_MANAGER;
use crate::error::{Error, Result};
use crate::policy::{POLICY_CONFIGMAP, POLICY_KEY, Policy, SYSTEM_NAMESPACE};
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde::Serialize;
use serde_json::{Value, json};

pub const ENGINEER_ROLE: &str = "kubenv:engineer";
pub const ADMIN_ROLE: &str = "kubenv:admin";
pub const GC_ROLE: &str = "kubenv:gc";
pub const TENANT_ROLE: &str = "kubenv:tenant";
/// Bound per environment to its owner: tokens for that environment's tenant only.
pub const TOKEN_ROLE: &str = crate::env::objects::TOKEN_ROLE;
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
            json!({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "resourceNames": ["admin", TENANT_ROLE, TOKEN_ROLE], "verbs": ["bind"]}),
            "lets those RoleBindings name ClusterRoles admin and kubenv:tenant (scoped to the environment's namespace)",
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
            rule(&["coordination.k8s.io"], &["leases"], &["get", "create", "delete"]),
            "a per-environment lock so sleep, wake and gc take turns",
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
    ]
}

/// Platform admins: everything engineers can do, and acting on anyone's environment
/// (`environments.kubenv.dev`, a virtual resource kubenv checks with SelfSubjectAccessReview).
pub fn admin_rules() -> Vec<Value> {
    let mut v: Vec<Value> = engineer_rules().into_iter().map(|(r, _)| r).collect();
    v.push(json!({"apiGroups": ["kubenv.dev"], "resources": ["environments"], "verbs": ["*"]}));
    // Admins connect to any environment.
    v.push(json!({"apiGroups": [""], "resources": ["serviceaccounts/token"], "resourceNames": ["tenant"], "verbs": ["create"]}));
    v.push(json!({"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "create", "patch"]}));
    v
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
        rule(&["coordination.k8s.io"], &["leases"], &["get", "create", "delete"]),
        rule(&[""], &["events"], &["create", "list"]),
        rule(&[""], &["services", "configmaps", "pods"], &["list"]),
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

#[derive(Clone, Debug, Default)]
pub struct InitOptions {
    /// Policy text and where it came from; None installs the built-in defaults.
    pub policy: Option<(String, String)>,
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
pub fn manifests(opts: &InitOptions, policy_yaml: &str) -> Vec<Value> {
    let mut out = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": SYSTEM_NAMESPACE, "labels": {"app.kubernetes.io/managed-by": "kubenv-system"}}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": POLICY_CONFIGMAP, "namespace": SYSTEM_NAMESPACE, "labels": {"app.kubernetes.io/managed-by": "kubenv"}},
               "data": {POLICY_KEY: policy_yaml}}),
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
    host.require_supported_server().await?;
    let policy_yaml = match &opts.policy {
        Some((text, origin)) => {
            Policy::from_yaml(text, origin)?;
            text.clone()
        }
        None => serde_saphyr::to_string(&Policy::default()).map_err(|e| Error::Other(e.to_string()))?,
    };
    let mut objs = manifests(opts, &policy_yaml);
    // Without --policy, an installed policy stays: re-running init must not reset it.
    let mut kept = Vec::new();
    if opts.policy.is_none() {
        let cms: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(host.client.clone(), SYSTEM_NAMESPACE);
        if cms.get_opt(POLICY_CONFIGMAP).await.map_err(|e| host.map(e))?.is_some() {
            objs.retain(|o| o["kind"] != "ConfigMap");
            kept.push(format!("ConfigMap/{POLICY_CONFIGMAP}"));
        }
    }
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
    match api_for(host, first)
        .patch(&name(first), &pp, &Patch::Apply(first))
        .await
    {
        Ok(_) => {}
        Err(e) => return Err(host.map(e)),
    }
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
        applied.push(format!("{}/{}", m["kind"].as_str().unwrap_or_default(), name(m)));
    }
    Ok(InitReport {
        dry_run: opts.dry_run,
        applied,
        kept,
    })
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
        let m = manifests(&opts, "{}");
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
                "ClusterRole/kubenv:token-minter",
                "Role/kubenv:policy-reader",
                "RoleBinding/kubenv:policy-reader",
                "ClusterRoleBinding/kubenv:engineers"
            ]
        );
        // Engineers bind only admin and kubenv:tenant, mint tokens only for `tenant`, and
        // cannot act on others' environments.
        let eng = m[2]["rules"].as_array().unwrap();
        assert!(
            eng.iter()
                .any(|r| r["verbs"] == json!(["bind"])
                    && r["resourceNames"] == json!(["admin", TENANT_ROLE, TOKEN_ROLE]))
        );
        assert!(
            !m[2]["rules"].to_string().contains("serviceaccounts/token"),
            "engineers mint tokens only through an environment's owner binding"
        );
        assert!(!m[2]["rules"].to_string().contains("kubenv.dev"));
        assert!(m[5]["rules"].to_string().contains("kubenv.dev"), "the admin role");
        // Tenants read, but never write, their guardrails.
        for r in m[4]["rules"].as_array().unwrap() {
            let res = r["resources"].to_string();
            if res.contains("networkpolicies") || res.contains("resourcequotas") || res.contains("limitranges") {
                assert_eq!(r["verbs"], json!(READ), "{r}");
            }
        }
        let gc = gc_cronjob("example/kubenv:1", "*/10 * * * *");
        assert_eq!(
            gc.last().unwrap()["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"],
            "example/kubenv:1"
        );
    }
}
