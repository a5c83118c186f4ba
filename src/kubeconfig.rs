//! The user's kubeconfig: kubectl's rules for which file, entries kubenv adds and removes,
//! and safe writes. Files are edited as generic YAML documents so every entry and every
//! field kubenv did not write survives; writes are atomic (temp file + rename, 0600) and
//! serialised across processes by a lock file, so parallel CI jobs never lose an entry.

use crate::error::{Error, Result};
use serde_json::{Map, Value, json};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Name of the extension kubenv puts on what it adds.
pub const EXTENSION: &str = "kubenv.dev";

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
        .flat_map(|d| {
            d.value
                .get("contexts")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter(|c| kubenv_ext(c, "context").is_some())
        .filter_map(|c| c.pointer("/context/user").and_then(Value::as_str).map(str::to_string))
        .filter(|u| u.starts_with("kubenv-"))
        .collect();
    let mut changed = Vec::new();
    for (i, d) in docs.iter_mut().enumerate() {
        let Some(users) = d.value.get_mut("users").and_then(Value::as_array_mut) else {
            continue;
        };
        for u in users.iter_mut() {
            let named = u
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| ours.iter().any(|o| o == n));
            let Some(exec) = u.pointer_mut("/user/exec").and_then(Value::as_object_mut) else {
                continue;
            };
            let runs_token = exec
                .get("args")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(Value::as_str)
                == Some("token");
            let stale = exec
                .get("command")
                .and_then(Value::as_str)
                .is_some_and(|c| stale_exec_command(c, on_path));
            if named && runs_token && stale {
                exec.insert("command".into(), json!(BIN_NAME));
                if !changed.contains(&i) {
                    changed.push(i);
                }
            }
        }
    }
    changed
}

pub fn context_name(env: &str) -> String {
    format!("kubenv-{env}")
}

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
        let mut doc = json!({"apiVersion": "v1", "kind": "Config", "preferences": {}, "clusters": [], "users": [], "contexts": []});
        self.put(&mut doc, None);
        doc["current-context"] = json!(context_name(&self.env));
        doc
    }

    fn context_value(&self, previous: Option<&str>) -> Value {
        let mut ext = json!({"environment": self.env, "hostContext": self.host_context});
        if let Some(p) = previous {
            ext["previousContext"] = json!(p);
        }
        json!({
            "cluster": self.cluster_name,
            "user": self.user_name(),
            "namespace": self.namespace,
            "extensions": [{"name": EXTENSION, "extension": ext}],
        })
    }

    fn put(&self, doc: &mut Value, previous: Option<&str>) {
        let mut cluster = self.cluster.clone();
        if let Some(o) = cluster.as_object_mut() {
            o.insert(
                "extensions".into(),
                json!([{"name": EXTENSION, "extension": {"managedBy": "kubenv"}}]),
            );
        }
        upsert_named(doc, "clusters", "cluster", &self.cluster_name, cluster);
        match &self.user {
            Some(u) => upsert_named(doc, "users", "user", &self.user_name(), u.clone()),
            // Switching to the host's credentials: drop the entry (and any token) kubenv made.
            None => list_mut(doc, "users")
                .retain(|u| u.get("name").and_then(Value::as_str) != Some(context_name(&self.env).as_str())),
        }
        upsert_named(
            doc,
            "contexts",
            "context",
            &context_name(&self.env),
            self.context_value(previous),
        );
    }
}

fn list_mut<'a>(doc: &'a mut Value, key: &str) -> &'a mut Vec<Value> {
    if !doc.is_object() {
        *doc = json!({});
    }
    let o = doc.as_object_mut().expect("object");
    let slot = o.entry(key.to_string()).or_insert_with(|| json!([]));
    if !slot.is_array() {
        *slot = json!([]);
    }
    slot.as_array_mut().expect("array")
}

fn upsert_named(doc: &mut Value, list: &str, field: &str, name: &str, body: Value) {
    let items = list_mut(doc, list);
    let entry = json!({"name": name, field: body});
    match items
        .iter_mut()
        .find(|i| i.get("name").and_then(Value::as_str) == Some(name))
    {
        Some(i) => {
            // Keep unknown sibling fields of the entry; replace what kubenv owns.
            if let (Some(dst), Some(src)) = (i.as_object_mut(), entry.as_object()) {
                for (k, v) in src {
                    dst.insert(k.clone(), v.clone());
                }
            }
        }
        None => items.push(entry),
    }
}

fn has_named(doc: &Value, list: &str, name: &str) -> bool {
    doc.get(list)
        .and_then(Value::as_array)
        .is_some_and(|v| v.iter().any(|i| i.get("name").and_then(Value::as_str) == Some(name)))
}

fn kubenv_ext<'a>(entry: &'a Value, field: &str) -> Option<&'a Map<String, Value>> {
    entry
        .get(field)?
        .get("extensions")?
        .as_array()?
        .iter()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(EXTENSION))?
        .get("extension")?
        .as_object()
}

/// One kubeconfig file, parsed, with its real path (symlinks followed) for writing.
struct Doc {
    path: PathBuf,
    real: PathBuf,
    value: Value,
    existed: bool,
}

fn read_doc(path: &Path) -> Result<Doc> {
    let real = resolve_link(path);
    match std::fs::read_to_string(&real) {
        Ok(text) => {
            let value = if text.trim().is_empty() {
                json!({})
            } else {
                serde_saphyr::from_str::<Value>(&text).map_err(|e| Error::Kubeconfig {
                    path: path.to_path_buf(),
                    message: format!("is not valid YAML ({e}); fix it or pass --kubeconfig with another file"),
                })?
            };
            if !value.is_object() {
                return Err(Error::Kubeconfig {
                    path: path.to_path_buf(),
                    message: "is not a kubeconfig (the document is not a mapping); fix it or pass --kubeconfig".into(),
                });
            }
            Ok(Doc {
                path: path.to_path_buf(),
                real,
                value,
                existed: true,
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Doc {
            path: path.to_path_buf(),
            real,
            value: json!({"apiVersion": "v1", "kind": "Config"}),
            existed: false,
        }),
        Err(e) => Err(Error::Kubeconfig {
            path: path.to_path_buf(),
            message: format!("cannot read it: {e}"),
        }),
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
    check_writable(&docs[0])
}

fn check_writable(doc: &Doc) -> Result<()> {
    if let Ok(meta) = std::fs::metadata(&doc.real)
        && meta.permissions().mode() & 0o200 == 0
    {
        return Err(Error::Kubeconfig {
            path: doc.path.clone(),
            message: "is read-only; make it writable (chmod u+w), pass --kubeconfig with a writable file, \
                          or use `kubenv connect NAME --print > FILE`"
                .into(),
        });
    }
    Ok(())
}

fn write_doc(doc: &Doc) -> Result<()> {
    let dir = doc
        .real
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    }
    let text = serde_saphyr::to_string(&doc.value).map_err(|e| Error::Other(format!("serializing kubeconfig: {e}")))?;
    let fname = doc
        .real
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".into());
    let tmp = dir.join(format!(".{fname}.kubenv-{}-{}.tmp", std::process::id(), nanos()));
    let res = (|| -> std::io::Result<()> {
        let mut f = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        f.write_all(text.as_bytes())?;
        // No fsync: the rename alone makes the switch atomic for every reader, and kubectl,
        // which writes the same file, does not fsync either; it would double `create`'s time.
        std::fs::rename(&tmp, &doc.real)
    })();
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Kubeconfig {
            path: doc.path.clone(),
            message: format!("cannot write it: {e}"),
        });
    }
    Ok(())
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// An exclusive lock on the kubeconfig set, held until dropped. The lock file sits beside
/// the first file; kubectl's own `FILE.lock` is left alone so kubectl never sees it.
struct Lock(#[allow(dead_code)] File);

fn lock(paths: &[PathBuf]) -> Result<Lock> {
    let first = resolve_link(paths.first().map(PathBuf::as_path).unwrap_or(Path::new("config")));
    let dir = first
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    }
    let name = first
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".into());
    let lock_path = dir.join(format!(".{name}.kubenv.lock"));
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&lock_path)
        .map_err(|e| Error::Kubeconfig {
            path: lock_path.clone(),
            message: format!("cannot open the lock file: {e}"),
        })?;
    f.lock().map_err(|e| Error::Kubeconfig {
        path: lock_path,
        message: format!("cannot lock: {e}"),
    })?;
    Ok(Lock(f))
}

/// Loads every file in force under the lock.
fn load_all(paths: &[PathBuf]) -> Result<Vec<Doc>> {
    paths.iter().map(|p| read_doc(p)).collect()
}

fn current_context(docs: &[Doc]) -> Option<String> {
    docs.iter().find_map(|d| {
        d.value
            .get("current-context")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    })
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
    let idx = docs
        .iter()
        .position(|d| has_named(&d.value, "contexts", &ctx))
        .unwrap_or(0);
    let current = current_context(&docs);
    // Remember where to go back to; a switch from one environment to another keeps the
    // original host context.
    let previous = match &current {
        Some(c) if *c == ctx => existing_previous(&docs, &ctx),
        Some(c) => match find_context_ext(&docs, c) {
            Some(ext) => ext
                .get("previousContext")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or(Some(c.clone())),
            None => Some(c.clone()),
        },
        None => None,
    }
    .or_else(|| existing_previous(&docs, &ctx));
    check_writable(&docs[idx])?;
    entry.put(&mut docs[idx].value, previous.as_deref());
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
        docs[cidx].value["current-context"] = json!(ctx);
        touched.push(cidx);
    }
    touched.sort_unstable();
    touched.dedup();
    for i in touched {
        write_doc(&docs[i])?;
    }
    Ok(docs[idx].path.clone())
}

fn find_context_ext(docs: &[Doc], name: &str) -> Option<Map<String, Value>> {
    docs.iter().find_map(|d| {
        d.value
            .get("contexts")?
            .as_array()?
            .iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
            .and_then(|c| kubenv_ext(c, "context"))
            .cloned()
    })
}

fn existing_previous(docs: &[Doc], ctx: &str) -> Option<String> {
    find_context_ext(docs, ctx)?
        .get("previousContext")
        .and_then(Value::as_str)
        .map(str::to_string)
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
    if ext.get("environment").and_then(Value::as_str) != Some(env) {
        return Ok(false);
    }
    let previous = ext.get("previousContext").and_then(Value::as_str).map(str::to_string);
    let mut changed = vec![false; docs.len()];
    let mut cluster_of_ctx = None;
    for (i, d) in docs.iter_mut().enumerate() {
        let items = list_mut(&mut d.value, "contexts");
        let before = items.len();
        items.retain(|c| {
            let hit = c.get("name").and_then(Value::as_str) == Some(&ctx);
            if hit {
                cluster_of_ctx = c
                    .pointer("/context/cluster")
                    .and_then(Value::as_str)
                    .map(str::to_string);
            }
            !hit
        });
        changed[i] |= items.len() != before;
    }
    // Users: only the one kubenv named for this environment (also when the context had
    // moved to other credentials since, so no token is left behind).
    {
        for (i, d) in docs.iter_mut().enumerate() {
            let items = list_mut(&mut d.value, "users");
            let before = items.len();
            items.retain(|u| u.get("name").and_then(Value::as_str) != Some(&ctx));
            changed[i] |= items.len() != before;
        }
    }
    // The cluster entry, if kubenv made it and nothing else refers to it.
    if let Some(cl) = cluster_of_ctx {
        let used = docs.iter().any(|d| {
            d.value.get("contexts").and_then(Value::as_array).is_some_and(|v| {
                v.iter()
                    .any(|c| c.pointer("/context/cluster").and_then(Value::as_str) == Some(cl.as_str()))
            })
        });
        if !used {
            for (i, d) in docs.iter_mut().enumerate() {
                let items = list_mut(&mut d.value, "clusters");
                let before = items.len();
                items.retain(|c| {
                    !(c.get("name").and_then(Value::as_str) == Some(cl.as_str()) && kubenv_ext(c, "cluster").is_some())
                });
                changed[i] |= items.len() != before;
            }
        }
    }
    for (i, d) in docs.iter_mut().enumerate() {
        if d.value.get("current-context").and_then(Value::as_str) == Some(&ctx) {
            match &previous {
                Some(p) => d.value["current-context"] = json!(p),
                None => {
                    d.value.as_object_mut().map(|o| o.remove("current-context"));
                }
            }
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
        for c in d.value.get("contexts").and_then(Value::as_array).into_iter().flatten() {
            let Some(ext) = kubenv_ext(c, "context") else { continue };
            let field = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
            let k = KubenvContext {
                context: field(c.get("name")),
                environment: field(ext.get("environment")),
                namespace: field(c.pointer("/context/namespace")),
                host_context: field(ext.get("hostContext")),
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
    let prev = ext
        .get("previousContext")
        .or_else(|| ext.get("hostContext"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let Some(prev) = prev else { return Ok(None) };
    for d in docs.iter_mut() {
        if d.value.get("current-context").and_then(Value::as_str) == Some(current.as_str()) {
            check_writable(d)?;
            d.value["current-context"] = json!(prev);
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
        value: doc.clone(),
        existed: false,
    };
    write_doc(&d)
}

pub fn to_yaml(v: &Value) -> Result<String> {
    serde_saphyr::to_string(v).map_err(|e| Error::Other(format!("serializing YAML: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(has_named(&v, "clusters", "kubenv-host"), "still used by b");
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
}
