//! The user's kubeconfig: kubectl's rules for which file, one typed model of a file
//! ([`Kubeconfig`]) for reading (to reach the host cluster) and writing (the entries kubenv
//! adds and removes), and safe writes.
//!
//! The model types the fields kubenv reads or writes and keeps every other field, at every
//! level (top-level keys, `preferences`, extensions, cluster fields such as `proxy-url`,
//! exec plugin fields, ...), in an `other` map, so whatever kubenv does not know survives a
//! read and a write unchanged. Comments and formatting are not kept. Writes are atomic
//! ([`atomic::write`], 0600) and serialised across processes by a lock file, so parallel CI
//! jobs never lose an entry.

use super::{self as local, atomic};
use crate::error::Result;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Name of the extension kubenv puts on what it adds.
pub const EXTENSION: &str = "kubenv.dev";

// ---------------------------------------------------------------------------------------
// The model: one kubeconfig document, typed where kubenv reads or writes a field, and every
// other field kept as it was in `other` (at every level), so a read and a write give back
// what was there.
// ---------------------------------------------------------------------------------------

/// Fields kubenv does not model, in file order.
pub type Fields = Map<String, Value>;

/// One kubeconfig document (`kind: Config`). Fields are declared in the order kubectl writes
/// them (alphabetical), so a file kubectl wrote keeps its order; fields kubenv does not model
/// are kept in [`Kubeconfig::other`] and written after them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Kubeconfig {
    #[serde(rename = "apiVersion", default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(default, skip_serializing_if = "Entries::is_absent")]
    pub clusters: Entries<NamedCluster>,
    #[serde(default, skip_serializing_if = "Entries::is_absent")]
    pub contexts: Entries<NamedContext>,
    #[serde(rename = "current-context", default, skip_serializing_if = "Option::is_none")]
    pub current_context: Option<String>,
    #[serde(default, skip_serializing_if = "Entries::is_absent")]
    pub extensions: Entries<NamedExtension>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// kubectl's preferences, kept as they were (`null` too); kubenv does not use them.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "as_written")]
    pub preferences: Option<Value>,
    #[serde(default, skip_serializing_if = "Entries::is_absent")]
    pub users: Entries<NamedAuthInfo>,
    #[serde(flatten)]
    pub other: Fields,
}

/// A field that is there is kept as written, `null` included (`Option` alone would read
/// `null` as absent and drop it).
fn as_written<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// A `clusters` entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedCluster {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Cluster>,
    pub name: String,
    #[serde(flatten)]
    pub other: Fields,
}

/// How to reach a cluster. `insecure-skip-tls-verify`, `proxy-url`, `tls-server-name` and
/// the rest are in `other`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    #[serde(rename = "certificate-authority", default, skip_serializing_if = "Option::is_none")]
    pub certificate_authority: Option<String>,
    #[serde(
        rename = "certificate-authority-data",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub certificate_authority_data: Option<String>,
    #[serde(default, skip_serializing_if = "Entries::is_absent")]
    pub extensions: Entries<NamedExtension>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(flatten)]
    pub other: Fields,
}

/// A `users` entry (client-go's AuthInfo).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedAuthInfo {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<AuthInfo>,
    #[serde(flatten)]
    pub other: Fields,
}

/// Credentials. Tokens, client certificates, auth providers and the rest are in `other`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<ExecConfig>,
    #[serde(flatten)]
    pub other: Fields,
}

/// An exec credential plugin. `apiVersion`, `env`, `installHint`, `interactiveMode`,
/// `provideClusterInfo` and the rest are in `other`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExecConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(flatten)]
    pub other: Fields,
}

/// A `contexts` entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    pub name: String,
    #[serde(flatten)]
    pub other: Fields,
}

/// A cluster, a user and a namespace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    #[serde(default, skip_serializing_if = "Entries::is_absent")]
    pub extensions: Entries<NamedExtension>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(flatten)]
    pub other: Fields,
}

/// An entry of an `extensions` list: any document, under a name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedExtension {
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "as_written")]
    pub extension: Option<Value>,
    pub name: String,
    #[serde(flatten)]
    pub other: Fields,
}

/// How a file spelled a list, for when it is empty: absent, `null` (kubectl writes empty
/// lists so), or `[]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Spelling {
    #[default]
    Absent,
    Null,
    List,
}

/// A list of named entries (`clusters`, `users`, `contexts`, `extensions`): a `Vec` (through `Deref`)
/// that remembers how the file spelled it, so an empty list is written back as it was read.
#[derive(Clone, Debug, PartialEq)]
pub struct Entries<T> {
    items: Vec<T>,
    spelling: Spelling,
}

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries {
            items: Vec::new(),
            spelling: Spelling::Absent,
        }
    }
}

impl<T> Entries<T> {
    /// True when the list was not in the file and still has no entries: it is not written.
    pub fn is_absent(&self) -> bool {
        self.items.is_empty() && self.spelling == Spelling::Absent
    }

    /// Removes the entries `f` picks; returns whether any went. A list this empties is
    /// written as kubectl writes an empty list (`null`).
    pub fn remove_where(&mut self, mut f: impl FnMut(&T) -> bool) -> bool {
        let before = self.items.len();
        self.items.retain(|i| !f(i));
        if self.items.is_empty() && before > 0 {
            self.spelling = Spelling::Null;
        }
        self.items.len() != before
    }
}

impl<T> From<Vec<T>> for Entries<T> {
    fn from(items: Vec<T>) -> Self {
        Entries {
            items,
            spelling: Spelling::List,
        }
    }
}

impl<T> std::ops::Deref for Entries<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.items
    }
}

impl<T> std::ops::DerefMut for Entries<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.items
    }
}

impl<T: Serialize> Serialize for Entries<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if self.items.is_empty() && self.spelling == Spelling::Null {
            s.serialize_none()
        } else {
            self.items.serialize(s)
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(match Option::<Vec<T>>::deserialize(d)? {
            Some(items) => Entries {
                items,
                spelling: Spelling::List,
            },
            None => Entries {
                items: Vec::new(),
                spelling: Spelling::Null,
            },
        })
    }
}

impl Kubeconfig {
    /// A new, empty file, as kubectl starts one.
    pub fn new() -> Self {
        Kubeconfig {
            api_version: Some("v1".into()),
            kind: Some("Config".into()),
            ..Default::default()
        }
    }

    /// The YAML documents of one file's text: usually one, none when the file is empty.
    /// `path` is only for errors.
    pub fn parse_documents(text: &str, path: &Path) -> local::Result<Vec<Kubeconfig>> {
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let values: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|source| local::Error::NotYaml {
            path: path.to_path_buf(),
            source: Box::new(source),
        })?;
        values
            .into_iter()
            // An empty document (a lone `---`) holds nothing, as for kubectl.
            .filter(|v| !v.is_null())
            .map(|v| {
                if !v.is_object() {
                    return Err(local::Error::NotAKubeconfig {
                        path: path.to_path_buf(),
                    });
                }
                serde_json::from_value(v).map_err(|source| local::Error::Malformed {
                    path: path.to_path_buf(),
                    source,
                })
            })
            .collect()
    }

    /// Reads one file's documents. A file that is not there is [`local::Error::Unreadable`]
    /// ([`local::Error::is_not_found`]).
    pub fn read_documents(path: &Path) -> local::Result<Vec<Kubeconfig>> {
        let text = std::fs::read_to_string(path).map_err(|source| local::Error::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse_documents(&text, path)
    }

    /// The document as YAML.
    pub fn to_yaml(&self) -> local::Result<String> {
        serde_saphyr::to_string(self).map_err(|e| local::Error::Serialize { source: Box::new(e) })
    }

    /// The document as `kube`'s type, for the kube client. `path` is only for errors.
    pub fn to_kube(&self, path: &Path) -> local::Result<kube::config::Kubeconfig> {
        let malformed = |source| local::Error::Malformed {
            path: path.to_path_buf(),
            source,
        };
        serde_json::from_value(serde_json::to_value(self).map_err(malformed)?).map_err(malformed)
    }

    /// The first context of that name.
    pub fn context(&self, name: &str) -> Option<&NamedContext> {
        self.contexts.iter().find(|c| c.name == name)
    }

    /// The `kubenv.dev` extension of the first context of that name, if kubenv wrote it.
    pub fn kubenv_extension(&self, context: &str) -> Option<&Fields> {
        kubenv_ext(&self.context(context)?.context.as_ref()?.extensions)
    }
}

/// The `kubenv.dev` extension in an `extensions` list, if it is there and a mapping.
fn kubenv_ext(extensions: &Entries<NamedExtension>) -> Option<&Fields> {
    extensions
        .iter()
        .find(|e| e.name == EXTENSION)?
        .extension
        .as_ref()?
        .as_object()
}

fn ext_str<'a>(ext: &'a Fields, key: &str) -> Option<&'a str> {
    ext.get(key).and_then(Value::as_str)
}

/// Reads one kubeconfig file to connect with, as kubectl does: its documents merged (the
/// first of a name wins), in `kube`'s types. An empty file is an empty kubeconfig.
pub fn read_for_connection(path: &Path) -> local::Result<kube::config::Kubeconfig> {
    let mut merged = kube::config::Kubeconfig::default();
    for doc in Kubeconfig::read_documents(path)? {
        merged = merged
            .merge(doc.to_kube(path)?)
            .map_err(|source| local::Error::Unmergeable {
                path: path.to_path_buf(),
                source,
            })?;
    }
    Ok(merged)
}

// ---------------------------------------------------------------------------------------
// Which files, and what kubenv writes into them.
// ---------------------------------------------------------------------------------------

/// The files in force, in precedence order: --kubeconfig, else KUBECONFIG, else ~/.kube/config.
pub fn paths(explicit: Option<&Path>) -> Vec<PathBuf> {
    if let Some(p) = explicit {
        return vec![p.to_path_buf()];
    }
    if let Some(list) = std::env::var_os("KUBECONFIG") {
        let v: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !v.is_empty() {
            let mut seen = Vec::new();
            for p in v {
                if !seen.contains(&p) {
                    seen.push(p);
                }
            }
            return seen;
        }
    }
    vec![dirs::home_dir().unwrap_or_default().join(".kube").join("config")]
}

/// The exec plugin command written into environment contexts: the bare name `kubenv` when
/// that name, looked up on `path_var` (PATH) the way client-go does, is the running binary,
/// so the context survives upgrades that move the binary (brew, krew, a new `cargo install`
/// root); else the running binary's absolute path, which works off PATH too.
pub fn exec_command(exe: &Path, path_var: Option<&std::ffi::OsStr>) -> String {
    let exe_real = std::fs::canonicalize(exe).unwrap_or_else(|_| exe.to_path_buf());
    match kubenv_on_path(path_var) {
        Some(p) if p == exe_real => BIN_NAME.to_string(),
        _ => exe.to_string_lossy().into_owned(),
    }
}

/// The name kubectl looks up on PATH for environment contexts.
pub const BIN_NAME: &str = "kubenv";

/// The first executable `kubenv` on `path_var`, symlinks resolved.
pub fn kubenv_on_path(path_var: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path_var?)
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join(BIN_NAME))
        .find(|p| {
            std::fs::metadata(p)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
        .and_then(|p| std::fs::canonicalize(p).ok())
}

/// Whether an exec `command` written by an older kubenv should become the bare name: an
/// absolute path to a kubenv binary that is gone (an upgrade moved it) or is the very binary
/// PATH finds anyway.
fn stale_exec_command(command: &str, on_path: &Path) -> bool {
    let p = Path::new(command);
    if !p.is_absolute()
        || !matches!(
            p.file_name().and_then(|f| f.to_str()),
            Some("kubenv" | "kubectl-kubenv")
        )
    {
        return false;
    }
    match std::fs::canonicalize(p) {
        Ok(real) => real == on_path,
        Err(_) => true,
    }
}

/// Rewrites the exec command of kubenv-made user entries (named `kubenv-ENV`, used by a
/// context carrying kubenv's extension, running `kubenv token`) from a stale absolute path
/// to the bare name. Returns the indexes of the documents changed.
fn upgrade_exec_commands(docs: &mut [Doc], on_path: &Path) -> Vec<usize> {
    let ours: Vec<String> = docs
        .iter()
        .flat_map(|d| d.config.contexts.iter())
        .filter_map(|c| c.context.as_ref())
        .filter(|c| kubenv_ext(&c.extensions).is_some())
        .filter_map(|c| c.user.clone())
        .filter(|u| u.starts_with("kubenv-"))
        .collect();
    let mut changed = Vec::new();
    for (i, d) in docs.iter_mut().enumerate() {
        for u in d.config.users.iter_mut() {
            let named = ours.contains(&u.name);
            let Some(exec) = u.user.as_mut().and_then(|a| a.exec.as_mut()) else {
                continue;
            };
            let runs_token = exec.args.as_ref().and_then(|a| a.first()).map(String::as_str) == Some("token");
            let stale = exec.command.as_deref().is_some_and(|c| stale_exec_command(c, on_path));
            if named && runs_token && stale {
                exec.command = Some(BIN_NAME.to_string());
                if !changed.contains(&i) {
                    changed.push(i);
                }
            }
        }
    }
    changed
}

pub use crate::environment::context_name;

/// For a context written by kubenv, the host context it was made from.
pub fn host_context_of(kc: &kube::config::Kubeconfig, name: &str) -> Option<Option<String>> {
    let ctx = kc.contexts.iter().find(|c| c.name == name)?.context.as_ref()?;
    let ext = ctx.extensions.as_ref()?.iter().find(|n| n.name == EXTENSION)?;
    Some(
        ext.extension
            .get("hostContext")
            .and_then(Value::as_str)
            .map(str::to_string),
    )
}

/// What kubenv writes for one environment.
#[derive(Clone, Debug)]
pub struct EnvEntry {
    pub env: String,
    pub namespace: String,
    pub host_context: String,
    pub cluster_name: String,
    /// The cluster entry (server, CA, ...) as kubeconfig YAML fields.
    pub cluster: Value,
    /// The user entry; None to use the host's own user entry (`--credentials host`).
    pub user: Option<Value>,
    pub host_user: String,
}

impl EnvEntry {
    pub fn user_name(&self) -> String {
        if self.user.is_some() {
            context_name(&self.env)
        } else {
            self.host_user.clone()
        }
    }

    /// The exec plugin command of the user entry, if it is an exec entry.
    pub fn exec_command(&self) -> Option<&str> {
        self.user.as_ref()?.pointer("/exec/command")?.as_str()
    }

    /// A complete kubeconfig with just this environment, current.
    pub fn standalone(&self) -> Value {
        let mut doc = Kubeconfig::new();
        doc.preferences = Some(json!({}));
        doc.clusters = Vec::new().into();
        doc.users = Vec::new().into();
        doc.contexts = Vec::new().into();
        self.put(&mut doc, None);
        doc.current_context = Some(context_name(&self.env));
        serde_json::to_value(&doc).unwrap_or_default()
    }

    fn context(&self, previous: Option<&str>) -> Context {
        let mut ext = json!({"environment": self.env, "hostContext": self.host_context});
        if let Some(p) = previous {
            ext["previousContext"] = json!(p);
        }
        Context {
            cluster: Some(self.cluster_name.clone()),
            user: Some(self.user_name()),
            namespace: Some(self.namespace.clone()),
            extensions: vec![NamedExtension {
                name: EXTENSION.into(),
                extension: Some(ext),
                other: Fields::new(),
            }]
            .into(),
            other: Fields::new(),
        }
    }

    /// Adds or replaces the environment's entries. An existing entry of the same name keeps
    /// its own unknown fields (beside `name` and the body); the body is kubenv's and is
    /// replaced whole.
    fn put(&self, doc: &mut Kubeconfig, previous: Option<&str>) {
        let mut cluster: Cluster = typed_body(&self.cluster);
        cluster.other.remove("extensions");
        cluster.extensions = vec![NamedExtension {
            name: EXTENSION.into(),
            extension: Some(json!({"managedBy": "kubenv"})),
            other: Fields::new(),
        }]
        .into();
        match doc.clusters.iter_mut().find(|c| c.name == self.cluster_name) {
            Some(c) => c.cluster = Some(cluster),
            None => doc.clusters.push(NamedCluster {
                cluster: Some(cluster),
                name: self.cluster_name.clone(),
                other: Fields::new(),
            }),
        }
        let ours = context_name(&self.env);
        match &self.user {
            Some(u) => {
                let user: AuthInfo = typed_body(u);
                match doc.users.iter_mut().find(|u| u.name == ours) {
                    Some(u) => u.user = Some(user),
                    None => doc.users.push(NamedAuthInfo {
                        name: ours.clone(),
                        user: Some(user),
                        other: Fields::new(),
                    }),
                }
            }
            // Switching to the host's credentials: drop the entry (and any token) kubenv made.
            None => {
                doc.users.remove_where(|u| u.name == ours);
            }
        }
        let context = self.context(previous);
        match doc.contexts.iter_mut().find(|c| c.name == ours) {
            Some(c) => c.context = Some(context),
            None => doc.contexts.push(NamedContext {
                context: Some(context),
                name: ours,
                other: Fields::new(),
            }),
        }
    }
}

/// An entry body kubenv built, in the model. One whose modelled fields have unexpected
/// types (kubenv builds none) is kept whole among the unmodelled fields, as it was given.
fn typed_body<T: Body>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|_| {
        let mut t = T::default();
        *t.other_mut() = v.as_object().cloned().unwrap_or_default();
        t
    })
}

/// The bodies kubenv builds from generic values.
trait Body: serde::de::DeserializeOwned + Default {
    fn other_mut(&mut self) -> &mut Fields;
}

impl Body for Cluster {
    fn other_mut(&mut self) -> &mut Fields {
        &mut self.other
    }
}

impl Body for AuthInfo {
    fn other_mut(&mut self) -> &mut Fields {
        &mut self.other
    }
}

/// One kubeconfig file, parsed, with its real path (symlinks followed) for writing.
struct Doc {
    path: PathBuf,
    real: PathBuf,
    config: Kubeconfig,
    existed: bool,
}

fn read_doc(path: &Path) -> local::Result<Doc> {
    let real = resolve_link(path);
    let (config, existed) = match Kubeconfig::read_documents(&real) {
        Ok(docs) => {
            let mut docs = docs.into_iter();
            let first = docs.next().unwrap_or_default();
            if docs.next().is_some() {
                // kubectl reads only the first document and would drop the others on a write.
                return Err(local::Error::NotAKubeconfig {
                    path: path.to_path_buf(),
                });
            }
            (first, true)
        }
        Err(e) if e.is_not_found() => (Kubeconfig::new(), false),
        Err(e) => return Err(with_path(e, path)),
    };
    Ok(Doc {
        path: path.to_path_buf(),
        real,
        config,
        existed,
    })
}

/// Errors name the path the user gave, not the link target.
fn with_path(e: local::Error, path: &Path) -> local::Error {
    let path = path.to_path_buf();
    match e {
        local::Error::Unreadable { source, .. } => local::Error::Unreadable { path, source },
        local::Error::NotYaml { source, .. } => local::Error::NotYaml { path, source },
        local::Error::NotAKubeconfig { .. } => local::Error::NotAKubeconfig { path },
        local::Error::Malformed { source, .. } => local::Error::Malformed { path, source },
        other => other,
    }
}

/// Follows a chain of symlinks to the file to write, keeping the links themselves.
fn resolve_link(path: &Path) -> PathBuf {
    let mut p = path.to_path_buf();
    for _ in 0..32 {
        match std::fs::read_link(&p) {
            Ok(target) => {
                p = if target.is_relative() {
                    p.parent().unwrap_or(Path::new("")).join(target)
                } else {
                    target
                };
            }
            Err(_) => break,
        }
    }
    p
}

/// Checks, before anything changes on the cluster, that `write_env` will be able to write:
/// the files exist or can be made, parse, and are not read-only.
pub fn preflight(paths: &[PathBuf]) -> Result<()> {
    let docs = load_all(paths)?;
    let idx = docs.iter().position(|d| d.existed).unwrap_or(0);
    check_writable(&docs[idx])?;
    check_writable(&docs[0])?;
    Ok(())
}

fn check_writable(doc: &Doc) -> local::Result<()> {
    if let Ok(meta) = std::fs::metadata(&doc.real)
        && meta.permissions().mode() & 0o200 == 0
    {
        return Err(local::Error::ReadOnly { path: doc.path.clone() });
    }
    Ok(())
}

/// Writes a document 0600, atomically. Deliberately not fsynced: the rename alone makes the
/// switch atomic for every reader, and kubectl, which writes the same file, does not fsync
/// either; it would double `create`'s time.
fn write_doc(doc: &Doc) -> local::Result<()> {
    let text = doc.config.to_yaml()?;
    atomic::create_dir(atomic::parent(&doc.real))?;
    atomic::write(
        &doc.real,
        text.as_bytes(),
        atomic::Options {
            mode: 0o600,
            sync: false,
        },
    )
    .map_err(|source| local::Error::Write {
        path: doc.path.clone(),
        source,
    })
}

/// An exclusive lock on the kubeconfig set, held until dropped. The lock file sits beside
/// the first file; kubectl's own `FILE.lock` is left alone so kubectl never sees it.
struct Lock(#[allow(dead_code)] File);

fn lock(paths: &[PathBuf]) -> local::Result<Lock> {
    let first = resolve_link(paths.first().map(PathBuf::as_path).unwrap_or(Path::new("config")));
    let dir = atomic::parent(&first);
    atomic::create_dir(dir)?;
    let name = first
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".into());
    let lock_path = dir.join(format!(".{name}.kubenv.lock"));
    let locked = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&lock_path)
        .and_then(|f| f.lock().map(|()| f));
    match locked {
        Ok(f) => Ok(Lock(f)),
        Err(source) => Err(local::Error::Lock {
            path: lock_path,
            source,
        }),
    }
}

/// Loads every file in force (call under the lock to change them).
fn load_all(paths: &[PathBuf]) -> local::Result<Vec<Doc>> {
    paths.iter().map(|p| read_doc(p)).collect()
}

fn current_context(docs: &[Doc]) -> Option<String> {
    docs.iter()
        .find_map(|d| d.config.current_context.clone().filter(|s| !s.is_empty()))
}

/// Index of the file that should hold the current-context: kubectl uses the first one
/// that exists.
fn current_context_file(docs: &[Doc]) -> usize {
    docs.iter().position(|d| d.existed).unwrap_or(0)
}

/// Adds or updates an environment's context (and cluster/user entries); switches to it
/// when asked. Returns the file written.
pub fn write_env(paths: &[PathBuf], entry: &EnvEntry, switch: bool) -> Result<PathBuf> {
    let _lock = lock(paths)?;
    let mut docs = load_all(paths)?;
    let ctx = context_name(&entry.env);
    let idx = docs.iter().position(|d| d.config.context(&ctx).is_some()).unwrap_or(0);
    let current = current_context(&docs);
    // Remember where to go back to; a switch from one environment to another keeps the
    // original host context.
    let previous = match &current {
        Some(c) if *c == ctx => existing_previous(&docs, &ctx),
        Some(c) => match find_context_ext(&docs, c) {
            Some(ext) => ext_str(ext, "previousContext").map(str::to_string).or(Some(c.clone())),
            None => Some(c.clone()),
        },
        None => None,
    }
    .or_else(|| existing_previous(&docs, &ctx));
    check_writable(&docs[idx])?;
    entry.put(&mut docs[idx].config, previous.as_deref());
    let mut touched = vec![idx];
    // Contexts written by an older kubenv with an absolute path move to the bare name too.
    if entry.exec_command() == Some(BIN_NAME)
        && let Some(on_path) = kubenv_on_path(std::env::var_os("PATH").as_deref())
    {
        for i in upgrade_exec_commands(&mut docs, &on_path) {
            check_writable(&docs[i])?;
            touched.push(i);
        }
    }
    if switch {
        let cidx = current_context_file(&docs);
        check_writable(&docs[cidx])?;
        docs[cidx].config.current_context = Some(ctx);
        touched.push(cidx);
    }
    touched.sort_unstable();
    touched.dedup();
    for i in touched {
        write_doc(&docs[i])?;
    }
    Ok(docs[idx].path.clone())
}

/// The kubenv extension of the first context of that name that has one, in file order.
fn find_context_ext<'a>(docs: &'a [Doc], name: &str) -> Option<&'a Fields> {
    docs.iter().find_map(|d| d.config.kubenv_extension(name))
}

fn existing_previous(docs: &[Doc], ctx: &str) -> Option<String> {
    ext_str(find_context_ext(docs, ctx)?, "previousContext").map(str::to_string)
}

/// Removes what kubenv added for an environment: its context, its user entry, and the
/// cluster entry when no other context uses it. Returns whether anything was removed.
pub fn remove_env(paths: &[PathBuf], env: &str) -> Result<bool> {
    let _lock = lock(paths)?;
    let mut docs = load_all(paths)?;
    let ctx = context_name(env);
    let Some(ext) = find_context_ext(&docs, &ctx) else {
        return Ok(false);
    };
    if ext_str(ext, "environment") != Some(env) {
        return Ok(false);
    }
    let previous = ext_str(ext, "previousContext").map(str::to_string);
    let mut changed = vec![false; docs.len()];
    let mut cluster_of_ctx = None;
    for (i, d) in docs.iter_mut().enumerate() {
        changed[i] |= d.config.contexts.remove_where(|c| {
            let hit = c.name == ctx;
            if hit {
                cluster_of_ctx = c.context.as_ref().and_then(|c| c.cluster.clone());
            }
            hit
        });
    }
    // Users: only the one kubenv named for this environment (also when the context had
    // moved to other credentials since, so no token is left behind).
    for (i, d) in docs.iter_mut().enumerate() {
        changed[i] |= d.config.users.remove_where(|u| u.name == ctx);
    }
    // The cluster entry, if kubenv made it and nothing else refers to it.
    if let Some(cl) = cluster_of_ctx {
        let used = docs.iter().any(|d| {
            d.config
                .contexts
                .iter()
                .any(|c| c.context.as_ref().and_then(|c| c.cluster.as_deref()) == Some(cl.as_str()))
        });
        if !used {
            for (i, d) in docs.iter_mut().enumerate() {
                changed[i] |= d.config.clusters.remove_where(|c| {
                    c.name == cl && c.cluster.as_ref().is_some_and(|b| kubenv_ext(&b.extensions).is_some())
                });
            }
        }
    }
    for (i, d) in docs.iter_mut().enumerate() {
        if d.config.current_context.as_deref() == Some(ctx.as_str()) {
            d.config.current_context = previous.clone();
            changed[i] = true;
        }
    }
    for (i, d) in docs.iter().enumerate() {
        if changed[i] {
            check_writable(d)?;
        }
    }
    for (i, d) in docs.iter().enumerate() {
        if changed[i] {
            write_doc(d)?;
        }
    }
    Ok(true)
}

/// A context kubenv wrote, as recorded in its `kubenv.dev` extension.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KubenvContext {
    pub context: String,
    pub environment: String,
    pub namespace: String,
    pub host_context: String,
}

/// Every context kubenv wrote (carrying its extension with the environment and host
/// context), in file order.
pub fn kubenv_contexts(paths: &[PathBuf]) -> Result<Vec<KubenvContext>> {
    let docs = load_all(paths)?;
    let mut out: Vec<KubenvContext> = Vec::new();
    for d in &docs {
        for c in d.config.contexts.iter() {
            let Some(body) = &c.context else { continue };
            let Some(ext) = kubenv_ext(&body.extensions) else {
                continue;
            };
            let field = |v: Option<&str>| v.unwrap_or_default().to_string();
            let k = KubenvContext {
                context: c.name.clone(),
                environment: field(ext_str(ext, "environment")),
                namespace: field(body.namespace.as_deref()),
                host_context: field(ext_str(ext, "hostContext")),
            };
            // kubectl uses the first file's entry of a name; so does kubenv.
            if !k.environment.is_empty() && !out.iter().any(|o| o.context == k.context) {
                out.push(k);
            }
        }
    }
    Ok(out)
}

/// Switches back from an environment context to the context that was current before.
/// Returns the context now current, or None when the current one is not kubenv's.
pub fn disconnect(paths: &[PathBuf]) -> Result<Option<String>> {
    let _lock = lock(paths)?;
    let mut docs = load_all(paths)?;
    let Some(current) = current_context(&docs) else {
        return Ok(None);
    };
    let Some(ext) = find_context_ext(&docs, &current) else {
        return Ok(None);
    };
    let prev = ext_str(ext, "previousContext")
        .or_else(|| ext_str(ext, "hostContext"))
        .map(str::to_string);
    let Some(prev) = prev else { return Ok(None) };
    for d in docs.iter_mut() {
        if d.config.current_context.as_deref() == Some(current.as_str()) {
            check_writable(d)?;
            d.config.current_context = Some(prev.clone());
            write_doc(d)?;
        }
    }
    Ok(Some(prev))
}

/// Writes a standalone kubeconfig to `path` (0600), for `connect -- CMD`.
pub fn write_standalone(path: &Path, doc: &Value) -> Result<()> {
    let d = Doc {
        path: path.to_path_buf(),
        real: path.to_path_buf(),
        config: from_value(doc)?,
        existed: false,
    };
    write_doc(&d)?;
    Ok(())
}

/// A kubeconfig document (as [`EnvEntry::standalone`] makes) as YAML.
pub fn to_yaml(v: &Value) -> Result<String> {
    Ok(from_value(v)?.to_yaml()?)
}

fn from_value(v: &Value) -> local::Result<Kubeconfig> {
    serde_json::from_value(v.clone()).map_err(|e| local::Error::Serialize { source: Box::new(e) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn entry(env: &str) -> EnvEntry {
        EnvEntry {
            env: env.into(),
            namespace: format!("env-{env}"),
            host_context: "host".into(),
            cluster_name: "kubenv-host".into(),
            cluster: json!({"server": "https://127.0.0.1:6443", "certificate-authority-data": "Q0E="}),
            user: Some(json!({"token": "t"})),
            host_user: "admin".into(),
        }
    }

    const ORIGINAL: &str = "apiVersion: v1\nkind: Config\nclusters:\n- name: host\n  cluster:\n    server: https://h:6443\n    x-unknown: keep-me\ncontexts:\n- name: host\n  context:\n    cluster: host\n    user: admin\nusers:\n- name: admin\n  user:\n    token: abc\ncurrent-context: host\npreferences:\n  colors: true\nx-top-level: 42\n";

    #[test]
    fn write_switch_remove_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config");
        std::fs::write(&p, ORIGINAL).unwrap();
        let paths = vec![p.clone()];
        write_env(&paths, &entry("a"), true).unwrap();
        write_env(&paths, &entry("b"), false).unwrap();
        let v: Value = serde_saphyr::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(v["current-context"], "kubenv-a");
        assert_eq!(v["contexts"].as_array().unwrap().len(), 3);
        assert_eq!(v["x-top-level"], 42);
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);

        assert!(remove_env(&paths, "a").unwrap());
        let v: Value = serde_saphyr::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(v["current-context"], "host");
        assert!(
            v["clusters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["name"] == "kubenv-host"),
            "still used by b"
        );
        assert!(remove_env(&paths, "b").unwrap());
        let v: Value = serde_saphyr::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let orig: Value = serde_saphyr::from_str(ORIGINAL).unwrap();
        assert_eq!(v, orig, "only kubenv's entries were removed");
        assert!(!remove_env(&paths, "b").unwrap());
    }

    #[test]
    fn disconnect_goes_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config");
        std::fs::write(&p, ORIGINAL).unwrap();
        let paths = vec![p.clone()];
        write_env(&paths, &entry("a"), true).unwrap();
        write_env(&paths, &entry("b"), true).unwrap();
        assert_eq!(disconnect(&paths).unwrap().as_deref(), Some("host"));
        assert_eq!(disconnect(&paths).unwrap(), None);
    }

    #[test]
    fn symlink_kept_and_read_only_refused() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::write(&real, ORIGINAL).unwrap();
        let link = dir.path().join("config");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_env(std::slice::from_ref(&link), &entry("a"), false).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert!(std::fs::read_to_string(&real).unwrap().contains("kubenv-a"));

        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o400)).unwrap();
        let e = write_env(std::slice::from_ref(&link), &entry("b"), false).unwrap_err();
        assert!(e.to_string().contains("read-only"), "{e}");
        assert!(!std::fs::read_to_string(&real).unwrap().contains("kubenv-b"));
    }

    #[test]
    fn kubeconfig_list_writes_new_entries_to_first_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::write(&b, ORIGINAL).unwrap();
        let paths = vec![a.clone(), b.clone()];
        write_env(&paths, &entry("x"), true).unwrap();
        assert!(std::fs::read_to_string(&a).unwrap().contains("kubenv-x"));
        // current-context goes to the first file that exists (b) as kubectl does.
        let vb: Value = serde_saphyr::from_str(&std::fs::read_to_string(&b).unwrap()).unwrap();
        assert_eq!(vb["current-context"], "kubenv-x");
    }

    /// Fields kubenv does not model, at every level: top-level keys, `preferences`,
    /// top-level extensions, entry siblings of `name`, cluster fields, another tool's
    /// extensions, user credentials, exec plugin fields.
    const EVERY_LEVEL: &str = r#"apiVersion: v1
kind: Config
x-top-level:
  nested: [1, 2]
preferences:
  colors: true
  extensions:
  - name: other-tool
    extension: {a: 1}
extensions:
- name: top-tool
  extension: {b: 2}
  x-in-extension: 3
clusters:
- name: host
  x-named: keep
  cluster:
    server: https://h:6443
    proxy-url: http://proxy:3128
    tls-server-name: api.h
    insecure-skip-tls-verify: false
    disable-compression: true
    certificate-authority-data: Q0E=
    x-unknown: keep-me
    extensions:
    - name: other-tool
      extension: {c: [x]}
      x-in-extension: 1
contexts:
- name: host
  x-named: keep
  context:
    cluster: host
    user: admin
    namespace: default
    x-context: 1
    extensions:
    - name: other-tool
      extension: hello
users:
- name: admin
  x-named: keep
  user:
    token: abc
    x-user: 1
- name: sso
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: /usr/bin/sso
      args: [login, --quiet]
      env: [{name: A, value: b}]
      interactiveMode: IfAvailable
      provideClusterInfo: true
      installHint: get sso
      x-exec: 1
    auth-provider:
      name: oidc
      config: {client-id: x}
current-context: host
"#;

    /// Written by kubectl v1.32 (`kubectl config set-cluster/set-credentials/set-context/
    /// use-context/set preferences.colors`), as it wrote it.
    const KUBECTL: &str = r#"apiVersion: v1
clusters:
- cluster:
    insecure-skip-tls-verify: true
    server: https://dev.example:6443
  name: dev
- cluster:
    certificate-authority: /etc/ca.pem
    proxy-url: http://proxy:3128
    server: https://prod.example:6443
    tls-server-name: api.prod
  name: prod
contexts:
- context:
    cluster: dev
    user: alice
  name: dev
- context:
    cluster: prod
    namespace: web
    user: bob
  name: prod
current-context: prod
kind: Config
preferences:
  colors: true
users:
- name: alice
  user:
    token: abc
- name: bob
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - eks
      - get-token
      command: aws
      env:
      - name: AWS_PROFILE
        value: prod
      interactiveMode: Never
      provideClusterInfo: true
- name: carol
  user:
    client-certificate: c.crt
    client-key: c.key
"#;

    /// What kubectl leaves after deleting the last context of a file it made.
    const KUBECTL_EMPTY: &str = "apiVersion: v1\nclusters: null\ncontexts: null\ncurrent-context: \"\"\nkind: Config\npreferences: {}\nusers: null\n";

    fn yaml(text: &str) -> Value {
        serde_saphyr::from_str(text).unwrap()
    }

    fn read(p: &Path) -> Value {
        yaml(&std::fs::read_to_string(p).unwrap())
    }

    /// The document without kubenv's entries (a list left empty spelled as kubectl does).
    fn without_kubenv(mut v: Value, current: &str) -> Value {
        for list in ["clusters", "users", "contexts"] {
            if let Some(items) = v[list].as_array_mut() {
                items.retain(|i| !i["name"].as_str().unwrap().starts_with("kubenv-"));
                if items.is_empty() {
                    v[list] = Value::Null;
                }
            }
        }
        v["current-context"] = json!(current);
        v
    }

    #[test]
    fn unknown_fields_at_every_level_survive_write_and_remove() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config");
        std::fs::write(&p, EVERY_LEVEL).unwrap();
        let paths = vec![p.clone()];
        let original = yaml(EVERY_LEVEL);

        write_env(&paths, &entry("a"), true).unwrap();
        write_env(&paths, &entry("b"), false).unwrap();
        let written = read(&p);
        assert_eq!(written["current-context"], "kubenv-a");
        assert_eq!(
            without_kubenv(written.clone(), "host"),
            original,
            "only kubenv's entries were added"
        );
        // What kubenv wrote reads back in the model and in kube's types.
        let model = &Kubeconfig::read_documents(&p).unwrap()[0];
        let ext = model.kubenv_extension("kubenv-a").unwrap();
        assert_eq!(ext["previousContext"], "host");
        assert_eq!(ext["hostContext"], "host");
        let kube = read_for_connection(&p).unwrap();
        assert_eq!(host_context_of(&kube, "kubenv-b"), Some(Some("host".into())));
        assert_eq!(kube.other["x-top-level"], json!({"nested": [1, 2]}));

        // Someone else's field beside kubenv's own entry survives kubenv rewriting it.
        let mut v = written;
        for list in ["clusters", "users", "contexts"] {
            for i in v[list].as_array_mut().unwrap() {
                if i["name"] == "kubenv-a" || i["name"] == "kubenv-host" {
                    i["x-named"] = json!("mine");
                }
            }
        }
        std::fs::write(&p, serde_saphyr::to_string(&v).unwrap()).unwrap();
        write_env(&paths, &entry("a"), false).unwrap();
        let again = read(&p);
        assert_eq!(again, v, "rewriting the same entry changes nothing else");

        assert!(remove_env(&paths, "a").unwrap());
        assert!(remove_env(&paths, "b").unwrap());
        assert_eq!(read(&p), original, "only kubenv's entries were removed");
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn unknown_fields_survive_in_every_file_of_a_list() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (dir.path().join("first"), dir.path().join("second"));
        std::fs::write(&first, KUBECTL).unwrap();
        std::fs::write(&second, EVERY_LEVEL).unwrap();
        let paths = vec![first.clone(), second.clone()];
        write_env(&paths, &entry("a"), true).unwrap();
        assert_eq!(read(&first)["current-context"], "kubenv-a");
        assert_eq!(read(&second), yaml(EVERY_LEVEL), "the second file is not touched");
        assert_eq!(disconnect(&paths).unwrap().as_deref(), Some("prod"));
        assert!(remove_env(&paths, "a").unwrap());
        assert_eq!(read(&first), yaml(KUBECTL));
        assert_eq!(read(&second), yaml(EVERY_LEVEL));
    }

    #[test]
    fn a_kubeconfig_kubectl_wrote_reads_back_identically() {
        let docs = Kubeconfig::parse_documents(KUBECTL, Path::new("config")).unwrap();
        assert_eq!(docs.len(), 1);
        let model = &docs[0];
        assert_eq!(model.current_context.as_deref(), Some("prod"));
        assert_eq!(
            model
                .context("prod")
                .unwrap()
                .context
                .as_ref()
                .unwrap()
                .namespace
                .as_deref(),
            Some("web")
        );
        let exec = model.users[1].user.as_ref().unwrap().exec.as_ref().unwrap();
        assert_eq!(exec.command.as_deref(), Some("aws"));
        assert_eq!(exec.other["interactiveMode"], "Never");
        assert_eq!(
            model.clusters[1].cluster.as_ref().unwrap().other["tls-server-name"],
            "api.prod"
        );

        // Written and read again: the same model, the same document, the same key order.
        let text = model.to_yaml().unwrap();
        let again = Kubeconfig::parse_documents(&text, Path::new("config")).unwrap();
        assert_eq!(&again[0], model);
        assert_eq!(yaml(&text), yaml(KUBECTL));
        let keys = |t: &str| -> Vec<String> { yaml(t).as_object().unwrap().keys().cloned().collect() };
        assert_eq!(keys(&text), keys(KUBECTL));

        // For the kube client: what kube itself reads from the same text.
        let ours = model.to_kube(Path::new("config")).unwrap();
        let theirs = kube::config::Kubeconfig::from_yaml(KUBECTL).unwrap();
        assert_eq!(
            serde_json::to_value(&ours).unwrap(),
            serde_json::to_value(&theirs).unwrap()
        );

        // kubectl's empty lists (`null`) and empty current context stay as they were.
        let empty = Kubeconfig::parse_documents(KUBECTL_EMPTY, Path::new("config")).unwrap();
        assert_eq!(yaml(&empty[0].to_yaml().unwrap()), yaml(KUBECTL_EMPTY));
        assert!(empty[0].to_kube(Path::new("config")).unwrap().contexts.is_empty());
    }

    #[test]
    fn kubectl_files_are_unchanged_by_a_write_and_remove() {
        for (original, current) in [(KUBECTL, "prod"), (KUBECTL_EMPTY, "")] {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("config");
            std::fs::write(&p, original).unwrap();
            let paths = vec![p.clone()];
            write_env(&paths, &entry("a"), false).unwrap();
            assert_eq!(without_kubenv(read(&p), current), yaml(original));
            assert!(remove_env(&paths, "a").unwrap());
            assert_eq!(read(&p), yaml(original), "{original}");
        }
    }

    #[test]
    fn reading_for_a_connection() {
        let dir = tempfile::tempdir().unwrap();
        // Several documents merge as kubectl's loader does: the first of a name wins.
        let multi = dir.path().join("multi");
        std::fs::write(
            &multi,
            "clusters:\n- name: a\n  cluster: {server: https://one}\n---\nclusters:\n- name: a\n  cluster: {server: https://two}\n- name: b\n  cluster: {server: https://b}\ncurrent-context: x\n",
        )
        .unwrap();
        let kc = read_for_connection(&multi).unwrap();
        let servers: Vec<_> = kc
            .clusters
            .iter()
            .map(|c| c.cluster.as_ref().unwrap().server.clone().unwrap())
            .collect();
        assert_eq!(servers, ["https://one", "https://b"]);
        assert_eq!(kc.current_context.as_deref(), Some("x"));
        // ... but kubenv does not edit such a file (kubectl would keep the first document only).
        let e = write_env(std::slice::from_ref(&multi), &entry("a"), false).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::USAGE, "{e}");

        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        assert!(read_for_connection(&empty).unwrap().contexts.is_empty());
        let missing = read_for_connection(&dir.path().join("missing")).unwrap_err();
        assert!(missing.is_not_found());
    }

    #[test]
    fn errors_keep_their_source_and_leave_flags_to_the_hint() {
        use std::error::Error as _;
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("clusters: [unclosed\n", "not a valid kubeconfig (not YAML"),
            ("- a\n- b\n", "the document is not a mapping"),
            ("clusters: 3\n", "not a valid kubeconfig"),
            ("contexts:\n- context: {cluster: c}\n", "not a valid kubeconfig"),
        ];
        for (text, says) in cases {
            let p = dir.path().join("bad");
            std::fs::write(&p, text).unwrap();
            for e in [
                crate::Error::from(read_for_connection(&p).unwrap_err()),
                write_env(std::slice::from_ref(&p), &entry("a"), false).unwrap_err(),
            ] {
                let msg = e.to_string();
                assert!(
                    msg.contains(says) && msg.contains(p.to_str().unwrap()),
                    "{text:?}: {msg}"
                );
                assert!(!msg.contains("--kubeconfig"), "no flags in library messages: {msg}");
                assert!(e.hint().unwrap().contains("--kubeconfig"), "{msg}");
                assert_eq!(e.exit_code(), crate::error::exit::USAGE, "{msg}");
                assert!(e.source().is_some(), "the local error is the source: {msg}");
            }
            assert_eq!(std::fs::read_to_string(&p).unwrap(), text, "left alone");
        }

        let p = dir.path().join("ro");
        std::fs::write(&p, KUBECTL).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o400)).unwrap();
        let e = preflight(std::slice::from_ref(&p)).unwrap_err();
        assert!(
            matches!(&e, crate::Error::Local(l) if matches!(**l, local::Error::ReadOnly { .. })),
            "{e:?}"
        );
        assert!(!e.to_string().contains("--print"), "{e}");
        assert!(e.hint().unwrap().contains("--print"), "{e}");
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);

        // A folder that cannot be made is the machine's problem: exit 1, as before.
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let e = write_env(&[blocker.join("sub").join("config")], &entry("a"), false).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::FAILURE, "{e}");
        assert_eq!(e.hint(), None);
        let io = e.source().and_then(|s| s.source()).unwrap();
        assert!(io.downcast_ref::<std::io::Error>().is_some(), "{io:?}");
    }

    #[test]
    fn standalone_documents_go_through_the_model() {
        let doc = entry("a").standalone();
        assert_eq!(doc["current-context"], "kubenv-a");
        assert_eq!(doc["preferences"], json!({}));
        assert_eq!(doc["users"][0]["user"]["token"], "t");
        let text = to_yaml(&doc).unwrap();
        assert_eq!(yaml(&text), doc);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("kubeconfig");
        write_standalone(&p, &doc).unwrap();
        assert_eq!(read(&p), doc);
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        let kube = read_for_connection(&p).unwrap();
        assert_eq!(host_context_of(&kube, "kubenv-a"), Some(Some("host".into())));
    }
}
