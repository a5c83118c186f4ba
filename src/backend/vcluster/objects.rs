//! The objects of a virtual cluster, as the vcluster Helm chart of the pinned version renders
//! them for kubenv's settings, built here without helm. Pure functions: no API calls.
//!
//! Written by hand because kubenv renders one fixed, small configuration (a StatefulSet with
//! a volume, the chart's default backing store, no cluster-scoped objects), and a Helm
//! template engine in the client would be far larger than these objects.

use crate::environment::{LABEL_ENV, LABEL_MANAGED_BY, MANAGED_BY};
use crate::policy::{Exposure, VClusterPolicy};
use serde_json::{Value, json};

/// The chart's default values of each supported version (`helm show values`, as JSON): the
/// config the syncer reads must be the whole merged document, as `helm install` writes it.
pub fn chart_values(version: &str) -> Option<Value> {
    let text = match version {
        "0.30.0" => include_str!("values-0.30.0.json"),
        _ => return None,
    };
    serde_json::from_str(text).ok()
}

/// The ClusterRole a virtual cluster's syncer is bound to in its namespace (what the chart's
/// Role `vc-NAME` grants), installed by `kubenv admin init`.
pub const SYNCER_ROLE: &str = "kubenv:vcluster";

/// The rules of [`SYNCER_ROLE`].
pub fn syncer_rules() -> Vec<Value> {
    let write = ["create", "delete", "patch", "update", "get", "list", "watch"];
    vec![
        json!({"apiGroups": [""], "resources": ["configmaps", "secrets", "services", "pods", "pods/attach",
               "pods/portforward", "pods/exec", "persistentvolumeclaims"], "verbs": write}),
        json!({"apiGroups": [""], "resources": ["pods/status", "pods/ephemeralcontainers"], "verbs": ["patch", "update"]}),
        json!({"apiGroups": ["apps"], "resources": ["statefulsets", "replicasets", "deployments"], "verbs": ["get", "list", "watch"]}),
        json!({"apiGroups": [""], "resources": ["endpoints", "pods/log"], "verbs": ["get", "list", "watch"]}),
        json!({"apiGroups": [""], "resources": ["events"], "verbs": ["create", "get", "list", "watch"]}),
        json!({"apiGroups": [""], "resources": ["endpoints"], "verbs": ["create", "delete", "patch", "update"]}),
        json!({"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"],
               "verbs": ["create", "list", "get", "delete", "patch", "update", "watch"]}),
    ]
}

/// Merges `over` into `base` as helm merges values: maps deeply, everything else replaced.
pub fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// The syncer's config (Secret `vc-config-NAME`, key `config.yaml`): the chart's values with
/// kubenv's settings: the OSS image, a volume for its state (so it is a StatefulSet), the
/// chart's default backing store, no cluster-scoped RBAC, no telemetry.
pub fn config(p: &VClusterPolicy) -> Option<Value> {
    let mut v = chart_values(&p.version)?;
    let (registry, repository) = p.image.split_once('/').unwrap_or(("", p.image.as_str()));
    merge(
        &mut v,
        &json!({
            "controlPlane": {
                "statefulSet": {
                    "image": {"registry": registry, "repository": repository, "tag": p.version},
                    "persistence": {"volumeClaim": {"enabled": true, "size": p.storage}}
                },
                "service": {"spec": {"type": service_type(p.expose)}}
            },
            "rbac": {"enableVolumeSnapshotRules": {"enabled": false}},
            "telemetry": {"enabled": false}
        }),
    );
    Some(v)
}

fn service_type(e: Exposure) -> &'static str {
    match e {
        Exposure::PortForward => "ClusterIP",
        Exposure::NodePort => "NodePort",
        Exposure::LoadBalancer => "LoadBalancer",
    }
}

/// What the objects are made for.
#[derive(Clone, Debug)]
pub struct Target<'a> {
    /// The virtual cluster's name (the environment's): the chart's release name.
    pub name: &'a str,
    pub namespace: &'a str,
    pub policy: &'a VClusterPolicy,
}

fn labels(t: &Target<'_>) -> Value {
    json!({
        "app": "vcluster",
        "chart": format!("vcluster-{}", t.policy.version),
        "release": t.name,
        "heritage": "Helm",
        LABEL_MANAGED_BY: MANAGED_BY,
        LABEL_ENV: t.name,
    })
}

fn meta(t: &Target<'_>, name: &str) -> Value {
    json!({"name": name, "namespace": t.namespace, "labels": labels(t)})
}

/// Every object of the virtual cluster, in the order they are applied (the StatefulSet last:
/// its pod needs the rest). `config_hash` is the config's digest, which restarts the pod when
/// the config changes.
pub fn objects(t: &Target<'_>, config_yaml: &str, config_hash: &str) -> Vec<Value> {
    let name = t.name;
    let sa = format!("vc-{name}");
    let selector = json!({"app": "vcluster", "release": name});
    let p = t.policy;
    let ports = match p.expose {
        Exposure::PortForward => json!([
            {"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"},
            {"name": "kubelet", "port": 10250, "targetPort": 8443, "protocol": "TCP"}]),
        _ => json!([{"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"}]),
    };
    let mut service_labels = labels(t);
    service_labels["vcluster.loft.sh/service"] = json!("true");
    let probe = |path: &str, period: u32, failures: u32| {
        json!({"httpGet": {"path": path, "port": 8443, "scheme": "HTTPS"},
               "periodSeconds": period, "timeoutSeconds": 3, "failureThreshold": failures})
    };
    let mut liveness = probe("/healthz", 2, 60);
    liveness["initialDelaySeconds"] = json!(60);
    let field = |path: &str| json!({"fieldRef": {"fieldPath": path}});
    vec![
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(t, &sa)}),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(t, &format!("vc-workload-{name}"))}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta(t, &sa),
               "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": t.namespace}],
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": SYNCER_ROLE}}),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta(t, &format!("vc-config-{name}")), "type": "Opaque",
               "stringData": {"config.yaml": config_yaml}}),
        // With annotations: the syncer writes its own (the service CIDR) into the map, and
        // panics on a Service without one (the chart's come with kubectl's).
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": t.namespace, "labels": service_labels,
               "annotations": {LABEL_ENV: name}},
               "spec": {"type": service_type(p.expose), "ports": ports, "selector": selector}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": meta(t, &format!("{name}-headless")),
               "spec": {"publishNotReadyAddresses": true, "clusterIP": "None", "selector": selector,
                        "ports": [{"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"}]}}),
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta(t, name), "spec": {
            "selector": {"matchLabels": selector},
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain"},
            "serviceName": format!("{name}-headless"),
            "podManagementPolicy": "Parallel",
            "replicas": 1,
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": p.storage}}}}],
            "template": {
                "metadata": {"labels": selector, "annotations": {"vClusterConfigHash": config_hash}},
                "spec": {
                    "terminationGracePeriodSeconds": 10,
                    "serviceAccountName": sa,
                    "enableServiceLinks": true,
                    "volumes": [
                        {"name": "helm-cache", "emptyDir": {}}, {"name": "binaries", "emptyDir": {}},
                        {"name": "tmp", "emptyDir": {}}, {"name": "certs", "emptyDir": {}},
                        {"name": "vcluster-config", "secret": {"secretName": format!("vc-config-{name}")}}],
                    "initContainers": [{
                        "name": "kubernetes", "image": p.kubernetes_image,
                        "command": ["cp"], "args": ["-r", "/kubernetes/.", "/binaries/"],
                        "volumeMounts": [{"mountPath": "/binaries", "name": "binaries"}],
                        "securityContext": {"allowPrivilegeEscalation": false},
                        "resources": {"limits": {"cpu": "100m", "memory": "256Mi"}, "requests": {"cpu": "40m", "memory": "64Mi"}}}],
                    "containers": [{
                        "name": "syncer",
                        "image": format!("{}:{}", p.image, p.version),
                        "livenessProbe": liveness,
                        "readinessProbe": probe("/readyz", 2, 60),
                        "startupProbe": probe("/readyz", 6, 300),
                        "securityContext": {"allowPrivilegeEscalation": false, "runAsUser": 0, "runAsGroup": 0},
                        "resources": {"limits": {"ephemeral-storage": "10Gi", "memory": "4Gi"},
                                      "requests": {"ephemeral-storage": "1Gi", "cpu": "200m", "memory": "256Mi"}},
                        "env": [
                            {"name": "VCLUSTER_NAME", "value": name},
                            {"name": "LOFT_LOG_ENCODING", "value": "console"},
                            {"name": "POD_NAME", "valueFrom": field("metadata.name")},
                            {"name": "POD_IP", "valueFrom": field("status.podIP")},
                            {"name": "NODE_NAME", "valueFrom": field("spec.nodeName")},
                            {"name": "NODE_IP", "valueFrom": field("status.hostIP")}],
                        "volumeMounts": [
                            {"name": "data", "mountPath": "/data"}, {"name": "binaries", "mountPath": "/binaries"},
                            {"name": "certs", "mountPath": "/pki"}, {"name": "helm-cache", "mountPath": "/.cache/helm"},
                            {"name": "vcluster-config", "mountPath": "/var/lib/vcluster"}, {"name": "tmp", "mountPath": "/tmp"}]
                    }]
                }
            }
        }}),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_the_whole_chart_values_with_kubenvs_settings() {
        let p = VClusterPolicy::default();
        let c = config(&p).unwrap();
        let ss = &c["controlPlane"]["statefulSet"];
        assert_eq!(ss["image"]["repository"], "loft-sh/vcluster-oss");
        assert_eq!(ss["image"]["registry"], "ghcr.io");
        assert_eq!(ss["image"]["tag"], "0.30.0");
        assert_eq!(ss["persistence"]["volumeClaim"]["enabled"], true);
        // The rest of the chart's values are there, untouched (the syncer merges nothing in).
        assert_eq!(ss["probes"]["startupProbe"]["failureThreshold"], 300);
        assert_eq!(ss["persistence"]["volumeClaim"]["accessModes"][0], "ReadWriteOnce");
        assert_eq!(c["telemetry"]["enabled"], false);
        assert_eq!(c["rbac"]["enableVolumeSnapshotRules"]["enabled"], false);
        assert!(c["sync"].is_object() && c["networking"].is_object());
        assert!(chart_values("0.1.0").is_none());
    }

    #[test]
    fn objects_are_the_charts_for_one_release() {
        let p = VClusterPolicy::default();
        let t = Target {
            name: "pr-1",
            namespace: "env-pr-1",
            policy: &p,
        };
        let objs = objects(&t, "{}", "abc");
        let kinds: Vec<String> = objs
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
            kinds,
            [
                "ServiceAccount/vc-pr-1",
                "ServiceAccount/vc-workload-pr-1",
                "RoleBinding/vc-pr-1",
                "Secret/vc-config-pr-1",
                "Service/pr-1",
                "Service/pr-1-headless",
                "StatefulSet/pr-1"
            ]
        );
        for o in &objs {
            assert_eq!(o["metadata"]["namespace"], "env-pr-1");
            assert_eq!(o["metadata"]["labels"]["release"], "pr-1");
        }
        // Bound to kubenv's ClusterRole, which the admission policy allows for this name only.
        assert_eq!(objs[2]["roleRef"]["name"], SYNCER_ROLE);
        assert_eq!(objs[2]["subjects"][0]["name"], "vc-pr-1");
        let sts = &objs[6]["spec"];
        assert_eq!(sts["selector"]["matchLabels"]["release"], "pr-1");
        assert_eq!(
            sts["template"]["spec"]["containers"][0]["image"],
            "ghcr.io/loft-sh/vcluster-oss:0.30.0"
        );
        assert_eq!(
            sts["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"],
            "5Gi"
        );
        assert_eq!(sts["template"]["metadata"]["annotations"]["vClusterConfigHash"], "abc");
    }

    #[test]
    fn merge_is_helms() {
        let mut a = json!({"a": {"b": 1, "c": [1, 2]}, "d": 1});
        merge(&mut a, &json!({"a": {"c": [3], "e": true}, "d": {"x": 1}}));
        assert_eq!(a, json!({"a": {"b": 1, "c": [3], "e": true}, "d": {"x": 1}}));
    }
}
