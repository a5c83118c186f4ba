//! Personal defaults: `~/.config/kubenv/config.yaml` (the platform's config dir; override the
//! path with KUBENV_CONFIG). Environment variables KUBENV_TEAM, KUBENV_TEMPLATE, KUBENV_TTL,
//! KUBENV_OUTPUT and KUBENV_SWITCH_CONTEXT override the file; flags override both.

use super::Error;
use crate::error::Result;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserConfig {
    /// Team for new environments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Template for new environments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// TTL for new environments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
    /// Output format: table, json, yaml or name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Whether `create` and `connect` switch kubectl to the environment (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switch_context: Option<bool>,
}

/// Where the personal config is: `$KUBENV_CONFIG`, else `kubenv/config.yaml` in the
/// platform's config dir.
pub fn path() -> PathBuf {
    match std::env::var_os("KUBENV_CONFIG") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => dirs::config_dir()
            .unwrap_or_default()
            .join("kubenv")
            .join("config.yaml"),
    }
}

/// The file (if any) with the environment's overrides applied.
pub fn load() -> Result<UserConfig> {
    let p = path();
    let mut c = match std::fs::read_to_string(&p) {
        Ok(t) if t.trim().is_empty() => UserConfig::default(),
        Ok(t) => serde_saphyr::from_str(&t).map_err(|source| Error::ConfigMalformed {
            path: p.clone(),
            source: Box::new(source),
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => UserConfig::default(),
        Err(source) => return Err(Error::ConfigUnreadable { path: p, source }.into()),
    };
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let Some(v) = var("KUBENV_TEAM") {
        c.team = Some(v);
    }
    if let Some(v) = var("KUBENV_TEMPLATE") {
        c.template = Some(v);
    }
    if let Some(v) = var("KUBENV_TTL") {
        c.ttl = Some(v);
    }
    if let Some(v) = var("KUBENV_OUTPUT") {
        c.output = Some(v);
    }
    if let Some(v) = var("KUBENV_SWITCH_CONTEXT") {
        c.switch_context = Some(match v.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => true,
            "0" | "false" | "no" => false,
            _ => {
                return Err(Error::ConfigVariable {
                    var: "KUBENV_SWITCH_CONTEXT",
                    value: v,
                    expected: "use true or false",
                }
                .into());
            }
        });
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_and_refuses_unknown_keys() {
        let c: super::UserConfig = serde_saphyr::from_str("team: web\nswitchContext: false\n").unwrap();
        assert_eq!(c.team.as_deref(), Some("web"));
        assert_eq!(c.switch_context, Some(false));
        assert!(serde_saphyr::from_str::<super::UserConfig>("tema: web\n").is_err());
    }
}
