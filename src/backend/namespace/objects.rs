//! The objects that make a namespace a governed environment, built from a template.
//! Pure functions: no API calls, so every guardrail is unit-testable.

use crate::environment::*;
use crate::names::label_value;
use crate::policy::{NetworkMode, PodSecurity, Template};
use k8s_openapi::api::core::v1::{LimitRange, LimitRangeItem, LimitRangeSpec, ResourceQuotaSpec, ServiceAccount};
use k8s_openapi::api::core::v1::{Namespace, ResourceQuota};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::api::rbac::v1::{RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

/// What an environment is made from.
#[derive(Clone, Debug)]
pub struct Spec {
    pub name: String,
    pub kind: Kind,
    pub namespace: String,
    pub owner: String,
    /// Bind the owner to the tenant's role in the namespace (only when the identity is known
    /// for sure).
    pub bind_owner: bool,
    pub team: Option<String>,
    pub template_name: String,
    pub template: Template,
    /// ClusterRole of the tenant ServiceAccount.
    pub tenant_role: String,
    /// How a virtual cluster is made (kind `vcluster` only).
    pub vcluster: crate::policy::VClusterPolicy,
    /// None: never expires (only a re-apply of an environment without one).
    pub expires_at: Option<jiff::Timestamp>,
    /// The user's own namespace labels and annotations (never kubenv's keys: checked when
    /// parsed, and kubenv's own values are inserted after them, so they win anyway).
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

fn q(s: &str) -> Quantity {
    Quantity(s.to_string())
}

fn labels(spec: &Spec) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_MANAGED_BY.to_string(), MANAGED_BY.to_string()),
        (LABEL_ENV.to_string(), spec.name.clone()),
    ])
}

fn meta(spec: &Spec, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(spec.namespace.clone()),
        labels: Some(labels(spec)),
        ..Default::default()
    }
}

pub fn namespace(spec: &Spec) -> Namespace {
    let mut l = spec.labels.clone();
    l.extend(labels(spec));
    l.insert(LABEL_OWNER.into(), owner_label(&spec.owner));
    if let Some(t) = &spec.team {
        l.insert(LABEL_TEAM.into(), label_value(t));
    }
    if spec.kind != Kind::Namespace {
        l.insert(LABEL_KIND.into(), spec.kind.to_string());
    }
    let level = spec.template.pod_security;
    // Warn and audit at `restricted` so engineers see what a stricter template would refuse.
    let advisory = if level == PodSecurity::Privileged {
        PodSecurity::Baseline
    } else {
        PodSecurity::Restricted
    }
    .to_string();
    l.insert("pod-security.kubernetes.io/enforce".into(), level.to_string());
    l.insert("pod-security.kubernetes.io/enforce-version".into(), "latest".into());
    l.insert("pod-security.kubernetes.io/warn".into(), advisory.clone());
    l.insert("pod-security.kubernetes.io/audit".into(), advisory);
    let mut a = spec.annotations.clone();
    a.extend([
        (ANN_OWNER.to_string(), spec.owner.clone()),
        (ANN_TEMPLATE.to_string(), spec.template_name.clone()),
    ]);
    if let Some(t) = &spec.team {
        a.insert(ANN_TEAM.into(), t.clone());
    }
    if let Some(e) = &spec.expires_at {
        a.insert(ANN_EXPIRES.into(), e.to_string());
    }
    a.insert(ANN_LAST_ACTIVITY.into(), now_stamp().to_string());
    Namespace {
        metadata: ObjectMeta {
            name: Some(spec.namespace.clone()),
            labels: Some(l),
            annotations: Some(a),
            ..Default::default()
        },
        ..Default::default()
    }
}

pub fn resource_quota(spec: &Spec) -> ResourceQuota {
    let t = &spec.template.quota;
    let hard = BTreeMap::from([
        ("requests.cpu".to_string(), q(&t.requests_cpu)),
        ("requests.memory".to_string(), q(&t.requests_memory)),
        ("limits.cpu".to_string(), q(&t.limits_cpu)),
        ("limits.memory".to_string(), q(&t.limits_memory)),
        ("pods".to_string(), q(&t.pods.to_string())),
        ("services".to_string(), q(&t.services.to_string())),
        (
            "persistentvolumeclaims".to_string(),
            q(&t.persistent_volume_claims.to_string()),
        ),
        ("services.loadbalancers".to_string(), q(&t.load_balancers.to_string())),
        ("services.nodeports".to_string(), q(&t.node_ports.to_string())),
    ]);
    ResourceQuota {
        metadata: meta(spec, QUOTA_NAME),
        spec: Some(ResourceQuotaSpec {
            hard: Some(hard),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn limit_range(spec: &Spec) -> LimitRange {
    let l = &spec.template.limits;
    LimitRange {
        metadata: meta(spec, "kubenv-limits"),
        spec: Some(LimitRangeSpec {
            limits: vec![LimitRangeItem {
                type_: "Container".into(),
                default: Some(BTreeMap::from([
                    ("cpu".to_string(), q(&l.default_cpu_limit)),
                    ("memory".to_string(), q(&l.default_memory_limit)),
                ])),
                default_request: Some(BTreeMap::from([
                    ("cpu".to_string(), q(&l.default_cpu_request)),
                    ("memory".to_string(), q(&l.default_memory_request)),
                ])),
                ..Default::default()
            }],
        }),
    }
}

fn same_namespace() -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        pod_selector: Some(LabelSelector::default()),
        ..Default::default()
    }
}

fn namespace_named(name: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(LabelSelector {
            match_labels: Some(BTreeMap::from([(
                "kubernetes.io/metadata.name".to_string(),
                name.to_string(),
            )])),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Ingress: only from pods of the same namespace (and the ingress controller's namespace
/// when the template names one). `strict` also limits egress to the namespace and DNS.
pub fn network_policies(spec: &Spec) -> Vec<NetworkPolicy> {
    let net = &spec.template.network;
    if net.mode == NetworkMode::Open {
        return vec![];
    }
    let mut from = vec![same_namespace()];
    if let Some(ns) = &net.allow_from_namespace {
        from.push(namespace_named(ns));
    }
    let mut out = vec![NetworkPolicy {
        metadata: meta(spec, "kubenv-isolate-ingress"),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector::default()),
            policy_types: Some(vec!["Ingress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(from),
                ports: None,
            }]),
            egress: None,
        }),
    }];
    if net.mode == NetworkMode::Strict {
        let dns = |proto: &str| NetworkPolicyPort {
            port: Some(IntOrString::Int(53)),
            protocol: Some(proto.to_string()),
            end_port: None,
        };
        out.push(NetworkPolicy {
            metadata: meta(spec, "kubenv-limit-egress"),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(LabelSelector::default()),
                policy_types: Some(vec!["Egress".into()]),
                ingress: None,
                egress: Some(vec![
                    NetworkPolicyEgressRule {
                        to: Some(vec![same_namespace()]),
                        ports: None,
                    },
                    NetworkPolicyEgressRule {
                        to: Some(vec![NetworkPolicyPeer {
                            namespace_selector: Some(LabelSelector::default()),
                            ..Default::default()
                        }]),
                        ports: Some(vec![dns("UDP"), dns("TCP")]),
                    },
                ]),
            }),
        });
    }
    out
}

pub fn service_account(spec: &Spec) -> ServiceAccount {
    ServiceAccount {
        metadata: meta(spec, TENANT_SA),
        ..Default::default()
    }
}

fn admin_binding(spec: &Spec, name: &str, role: &str, subject: Subject) -> RoleBinding {
    RoleBinding {
        metadata: meta(spec, name),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: role.into(),
        },
        subjects: Some(vec![subject]),
    }
}

/// The RBAC subject for an identity: service accounts as such, anyone else as a User.
pub fn subject_for(identity: &str) -> Subject {
    if let Some(rest) = identity.strip_prefix("system:serviceaccount:")
        && let Some((ns, name)) = rest.split_once(':')
    {
        return Subject {
            kind: "ServiceAccount".into(),
            name: name.into(),
            namespace: Some(ns.into()),
            api_group: None,
        };
    }
    Subject {
        kind: "User".into(),
        name: identity.into(),
        namespace: None,
        api_group: Some("rbac.authorization.k8s.io".into()),
    }
}

/// ClusterRole allowing tokens for ServiceAccounts named `tenant`; bound per environment.
pub const TOKEN_ROLE: &str = "kubenv:token-minter";

pub fn role_bindings(spec: &Spec) -> Vec<RoleBinding> {
    let mut v = vec![admin_binding(
        spec,
        "kubenv-tenant",
        &spec.tenant_role,
        Subject {
            kind: "ServiceAccount".into(),
            name: TENANT_SA.into(),
            namespace: Some(spec.namespace.clone()),
            api_group: None,
        },
    )];
    if spec.bind_owner {
        // The tenant's role, not `admin`: `admin` would let the owner rewrite the
        // NetworkPolicies that isolate the environment. kubenv's own commands act through the
        // engineer ClusterRole, which the admission policies confine to owned environments.
        v.push(admin_binding(
            spec,
            "kubenv-owner",
            &spec.tenant_role,
            subject_for(&spec.owner),
        ));
        // Tokens for this environment's tenant, for its owner only (connect, token).
        v.push(admin_binding(
            spec,
            "kubenv-owner-token",
            TOKEN_ROLE,
            subject_for(&spec.owner),
        ));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    fn spec() -> Spec {
        let p = Policy::default();
        let (n, t) = p.template(None).unwrap();
        Spec {
            kind: Kind::Namespace,
            name: "pr-1".into(),
            namespace: "env-pr-1".into(),
            owner: "alice@example.com".into(),
            bind_owner: true,
            team: Some("payments".into()),
            template_name: n.into(),
            template: t.clone(),
            tenant_role: "kubenv:tenant".into(),
            expires_at: Some("2030-01-01T00:00:00Z".parse().unwrap()),
            vcluster: Default::default(),
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
        }
    }

    #[test]
    fn user_labels_never_replace_kubenv_ones() {
        let mut s = spec();
        s.labels.insert("tier".into(), "preview".into());
        // Refused when parsed; even if one slipped through, kubenv's value wins.
        s.labels.insert(LABEL_ENV.into(), "other".into());
        s.annotations.insert("example.com/pr".into(), "42".into());
        s.annotations.insert(ANN_OWNER.into(), "mallory".into());
        let ns = namespace(&s);
        let l = ns.metadata.labels.unwrap();
        let a = ns.metadata.annotations.unwrap();
        assert_eq!((l["tier"].as_str(), l[LABEL_ENV].as_str()), ("preview", "pr-1"));
        assert_eq!(
            (a["example.com/pr"].as_str(), a[ANN_OWNER].as_str()),
            ("42", "alice@example.com")
        );
    }

    #[test]
    fn guardrails() {
        let s = spec();
        let ns = namespace(&s);
        let l = ns.metadata.labels.unwrap();
        assert_eq!(l["pod-security.kubernetes.io/enforce"], "baseline");
        assert_eq!(l[LABEL_OWNER], "alice_example.com");
        assert_eq!(ns.metadata.annotations.unwrap()[ANN_OWNER], "alice@example.com");
        let hard = resource_quota(&s).spec.unwrap().hard.unwrap();
        assert_eq!(hard["services.loadbalancers"].0, "0");
        assert_eq!(hard["services.nodeports"].0, "0");
        assert_eq!(network_policies(&s).len(), 1);
        let rbs = role_bindings(&s);
        assert_eq!(rbs.len(), 3);
        assert_eq!(rbs[1].subjects.as_ref().unwrap()[0].kind, "User");
        assert_eq!(
            rbs[1].role_ref.name, "kubenv:tenant",
            "the owner gets the tenant's role, not admin"
        );
        let sa = subject_for("system:serviceaccount:ci:runner");
        assert_eq!(
            (sa.kind.as_str(), sa.name.as_str(), sa.namespace.as_deref()),
            ("ServiceAccount", "runner", Some("ci"))
        );
    }
}
