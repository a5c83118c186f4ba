//! A template's extra manifests (a golden path: config, an image pull secret, a starter app),
//! applied into the environment with server-side apply. Any namespaced kind the cluster
//! serves works: the kind is resolved through discovery, once per group/version.

use crate::cluster::{FIELD_MANAGER, Host};
use crate::environment::{LABEL_ENV, LABEL_MANAGED_BY, MANAGED_BY};
use crate::error::{Error, Result, api_code};
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::{Scope, pinned_kind};
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

fn gvk_of(m: &Value) -> Option<GroupVersionKind> {
    let api_version = m.get("apiVersion")?.as_str()?;
    let kind = m.get("kind")?.as_str()?;
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    Some(GroupVersionKind::gvk(group, version, kind))
}

/// The manifest as it lands: in the environment's namespace, labelled as kubenv's.
pub fn prepare(m: &Value, namespace: &str, env: &str) -> Value {
    let mut m = m.clone();
    let meta = m.as_object_mut().and_then(|o| {
        o.entry("metadata").or_insert_with(|| serde_json::json!({}));
        o.get_mut("metadata")?.as_object_mut()
    });
    if let Some(meta) = meta {
        meta.insert("namespace".into(), Value::String(namespace.into()));
        let labels = meta.entry("labels").or_insert_with(|| serde_json::json!({}));
        if let Some(l) = labels.as_object_mut() {
            l.insert(LABEL_MANAGED_BY.into(), Value::String(MANAGED_BY.into()));
            l.insert(LABEL_ENV.into(), Value::String(env.into()));
        }
    }
    m
}

/// Applies every manifest. A freshly made owner RoleBinding may take a moment to reach the
/// API server's authorizer, so a 403 is retried briefly.
pub async fn apply(host: &Host, manifests: &[Value], namespace: &str, env: &str) -> Result<usize> {
    if manifests.is_empty() {
        return Ok(0);
    }
    let mut kinds = HashMap::new();
    for m in manifests {
        let gvk =
            gvk_of(m).ok_or_else(|| Error::InvalidManifest("a template manifest has no apiVersion/kind".into()))?;
        let key = (gvk.group.clone(), gvk.version.clone(), gvk.kind.clone());
        if !kinds.contains_key(&key) {
            let (ar, caps) = pinned_kind(&host.client, &gvk).await.map_err(|e| match e {
                kube::Error::Discovery(_) => Error::InvalidManifest(format!(
                    "the template names {}/{} {}, which this cluster does not serve; fix the template in the policy",
                    gvk.group, gvk.version, gvk.kind
                )),
                other => host.map(other),
            })?;
            if caps.scope != Scope::Namespaced {
                return Err(Error::InvalidManifest(format!(
                    "template manifest kind {} is cluster-scoped; templates may only hold namespaced objects",
                    gvk.kind
                )));
            }
            kinds.insert(key.clone(), ar);
        }
    }
    let tasks = manifests.iter().map(|m| {
        let gvk = gvk_of(m).expect("checked above");
        let ar = kinds[&(gvk.group.clone(), gvk.version.clone(), gvk.kind.clone())].clone();
        let obj = prepare(m, namespace, env);
        async move {
            let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
            let api: Api<DynamicObject> = Api::namespaced_with(host.client.clone(), namespace, &ar);
            let pp = PatchParams::apply(FIELD_MANAGER).force();
            let mut delay = Duration::from_millis(50);
            for attempt in 0..8 {
                match api.patch(&name, &pp, &Patch::Apply(&obj)).await {
                    Ok(_) => return Ok(()),
                    Err(e) if api_code(&e) == Some(403) && attempt < 7 => {
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_millis(800));
                    }
                    Err(e) => {
                        return Err(match host.map(e) {
                            Error::Api { code, reason, message } if code == 422 || code == 400 => Error::InvalidManifest(format!(
                                "template manifest {} {name} was refused by the API server: {message} ({reason}); fix the template",
                                ar.kind
                            )),
                            other => other,
                        });
                    }
                }
            }
            unreachable!("the loop returns")
        }
    });
    futures::future::try_join_all(tasks).await?;
    Ok(manifests.len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn prepared_manifest_lands_in_the_environment() {
        let m = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "elsewhere"}});
        let p = super::prepare(&m, "env-a", "a");
        assert_eq!(p["metadata"]["namespace"], "env-a");
        assert_eq!(p["metadata"]["labels"]["app.kubernetes.io/managed-by"], "kubenv");
        let g = super::gvk_of(&serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment"})).unwrap();
        assert_eq!((g.group.as_str(), g.version.as_str()), ("apps", "v1"));
    }
}
