//! Reading the policy in force from the cluster.

use super::{Error, POLICY_CONFIGMAP, POLICY_KEY, Policy, PolicySource, SYSTEM_NAMESPACE};

/// Loads the policy in force: the cluster's, else the built-in defaults. A policy that is
/// present but malformed, or that the caller may not read, is an error (fail closed): the
/// defaults are only for a cluster that has none.
pub async fn load(host: &crate::cluster::Host) -> crate::Result<(Policy, PolicySource)> {
    let api: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
        kube::Api::namespaced(host.client.clone(), SYSTEM_NAMESPACE);
    match api.get_opt(POLICY_CONFIGMAP).await {
        Ok(Some(cm)) => {
            let text = cm
                .data
                .as_ref()
                .and_then(|d| d.get(POLICY_KEY))
                .ok_or(Error::MissingKey)?;
            let p = Policy::from_yaml(text, &format!("{SYSTEM_NAMESPACE}/{POLICY_CONFIGMAP}"))?;
            Ok((p, PolicySource::Cluster))
        }
        Ok(None) => {
            // `kubenv admin init` makes both, so no policy means no kubenv-system either.
            Ok((Policy::builtin(), PolicySource::BuiltIn))
        }
        // A policy may be there: acting on the defaults could break its rules.
        Err(e) if crate::error::api_code(&e) == Some(403) => Err(crate::Error::Forbidden {
            message: format!(
                "cannot read the policy {SYSTEM_NAMESPACE}/{POLICY_CONFIGMAP} ({}); kubenv does not guess it: ask your platform team to re-run `kubenv admin init`, which lets every authenticated user read it",
                crate::error::root_cause(&e)
            ),
        }),
        Err(e) => Err(host.map(e)),
    }
}
