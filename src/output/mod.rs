//! The only place that prints. Results go to stdout in the chosen format (table, json, yaml,
//! name, markdown, jsonpath): each result type says how it is each of them ([`Render`], in
//! `render.rs`). Progress, prompts and colour go to stderr, and only on a terminal. A closed
//! stdout (`kubenv list | head`) is [`kubenv::Error::OutputClosed`], which `main` ends with
//! exit 0.
//!
//! Every json/yaml result has one envelope (docs/json-output.md): `apiVersion` and `kind`
//! first, then the result's own fields; lists keep their entries in `items`. `-o jsonpath`
//! renders kubectl templates over that same document.

mod jsonpath;
mod markdown;
mod render;
mod table;

use kubenv::environment::Environment;
use kubenv::{Error, Result};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

pub use render::*;
pub use table::{environments_table, simple_table};

/// The envelope's API version: bump only with an incompatible change of a field.
pub const API_VERSION: &str = "kubenv.dev/v1";

#[derive(Clone, Debug, PartialEq, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Yaml,
    Name,
    /// A summary for a pull request (`get`, `create`).
    Markdown,
    /// kubectl's `-o jsonpath=TEMPLATE`, parsed when the flag is.
    JsonPath(jsonpath::Template),
}

/// What `-o` accepts, for help and error messages.
pub const FORMATS: &str = "table, json, yaml, name, markdown, jsonpath=TEMPLATE";

impl Format {
    /// Parses `-o`/`--output` (and `output` in the config file); a bad template is a usage
    /// error before anything runs.
    pub fn parse(s: &str) -> Result<Format, String> {
        let lower = s.to_ascii_lowercase();
        if let Some((kind, t)) = s.split_once('=')
            && matches!(kind.to_ascii_lowercase().as_str(), "jsonpath" | "jsonpath-as-json")
        {
            if t.trim().is_empty() {
                return Err("jsonpath needs a template, e.g. -o jsonpath='{.items[*].name}'".into());
            }
            return jsonpath::Template::parse(t)
                .map(Format::JsonPath)
                .map_err(|e| format!("in -o jsonpath template: {e}"));
        }
        Ok(match lower.as_str() {
            "table" | "wide" => Format::Table,
            "json" => Format::Json,
            "yaml" => Format::Yaml,
            "name" => Format::Name,
            "markdown" | "md" => Format::Markdown,
            "jsonpath" => return Err("jsonpath needs a template, e.g. -o jsonpath='{.items[*].name}'".into()),
            _ => return Err(format!("{s:?} is not an output format; use one of {FORMATS}")),
        })
    }
}

/// `--no-headers`, for every table; set once by the CLI before anything prints. A flag here
/// rather than a parameter because the tables are built by many commands with
/// [`simple_table`], and headers are a concern of printing only.
static NO_HEADERS: AtomicBool = AtomicBool::new(false);

pub fn set_no_headers(on: bool) {
    NO_HEADERS.store(on, Ordering::Relaxed);
}

pub(crate) fn no_headers() -> bool {
    NO_HEADERS.load(Ordering::Relaxed)
}

/// Set by a command that ends cleanly on Ctrl-C itself (`list --watch`), so that `main`
/// leaves the interrupt to it instead of exiting 130.
static HANDLES_INTERRUPT: AtomicBool = AtomicBool::new(false);

pub fn set_handles_interrupt() {
    HANDLES_INTERRUPT.store(true, Ordering::SeqCst);
}

pub fn handles_interrupt() -> bool {
    HANDLES_INTERRUPT.load(Ordering::SeqCst)
}

/// A result printed as a json/yaml document: which `kind` it is, and how it becomes the
/// document. Results with a format of their own (a kubeconfig, the policy file, which
/// `admin init --policy` reads back) have no kind and are printed as they are.
pub trait Document: Serialize {
    fn kind(&self) -> Option<&'static str>;

    fn document(&self) -> Value {
        let v = serde_json::to_value(self).unwrap_or(Value::Null);
        match (self.kind(), v) {
            (Some(kind), Value::Object(fields)) => envelope(kind, fields),
            (_, v) => v,
        }
    }
}

fn envelope(kind: &str, fields: Map<String, Value>) -> Value {
    let mut m = Map::new();
    m.insert("apiVersion".into(), json!(API_VERSION));
    m.insert("kind".into(), json!(kind));
    for (k, v) in fields {
        if k != "apiVersion" && k != "kind" {
            m.insert(k, v);
        }
    }
    Value::Object(m)
}

/// A result in its envelope, serialized as it goes (no intermediate JSON tree).
#[derive(Serialize)]
struct Enveloped<'a, T: Serialize> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    #[serde(flatten)]
    inner: &'a T,
}

#[derive(Serialize)]
struct EnvelopedList<'a, T: Serialize> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    items: &'a [T],
}

/// A list document: `{apiVersion, kind: "…List", items}`.
pub fn list_document<T: Serialize>(kind: &'static str, items: &[T]) -> Value {
    let mut m = Map::new();
    m.insert("items".into(), serde_json::to_value(items).unwrap_or(Value::Null));
    envelope(kind, m)
}

#[derive(Clone, Debug)]
pub struct Output {
    pub format: Format,
    pub quiet: bool,
    pub verbose: u8,
    pub color: bool,
    pub stderr_tty: bool,
    pub stdin_tty: bool,
}

impl Output {
    pub fn new(format: Format, quiet: bool, verbose: u8) -> Self {
        let stderr_tty = std::io::stderr().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Output {
            format,
            quiet,
            verbose,
            color: stderr_tty && !no_color,
            stderr_tty,
            stdin_tty: std::io::stdin().is_terminal(),
        }
    }

    /// Writes a line (or lines) to stdout.
    pub fn out(&self, text: &str) -> Result<()> {
        if text.ends_with('\n') {
            self.out_raw(text)
        } else {
            self.out_raw(&format!("{text}\n"))
        }
    }

    /// A result in the chosen format.
    pub fn show<T: Render>(&self, r: &T) -> Result<()> {
        for n in r.notes() {
            self.note(&n);
        }
        if let Some(text) = r.verbatim() {
            return self.out(&text);
        }
        if r.is_empty() {
            return Ok(());
        }
        match &self.format {
            Format::Table => self.out_nonempty(&r.table()),
            Format::Name => self.out_nonempty(&r.names().join("\n")),
            Format::Markdown => match r.markdown() {
                Some(m) => self.out(&m),
                None => self.out_nonempty(&r.names().join("\n")),
            },
            _ => self.value(r),
        }
    }

    fn out_nonempty(&self, text: &str) -> Result<()> {
        if text.is_empty() { Ok(()) } else { self.out(text) }
    }

    /// A result as a document: json, yaml or a jsonpath template over the json.
    pub fn value<T: Document + ?Sized>(&self, v: &T) -> Result<()> {
        self.document(&v.document())
    }

    fn document(&self, doc: &Value) -> Result<()> {
        match &self.format {
            Format::Yaml => self.out(&serde_saphyr::to_string(doc).unwrap_or_default()),
            Format::JsonPath(t) => {
                let text = t.render(doc);
                // kubectl prints exactly the template, without a newline of its own.
                if text.is_empty() { Ok(()) } else { self.out_raw(&text) }
            }
            _ => self.out(&serde_json::to_string_pretty(doc).unwrap_or_default()),
        }
    }

    /// Writes to stdout as it is, without adding a newline.
    fn out_raw(&self, text: &str) -> Result<()> {
        let mut o = std::io::stdout().lock();
        o.write_all(text.as_bytes()).and_then(|_| o.flush()).map_err(closed)
    }

    /// One change seen by `list --watch`: a table row (the header before the first), or one
    /// compact JSON object a line, `{apiVersion, kind: "WatchEvent", type, object}`.
    pub fn watch_event(&self, event: &str, env: &Environment, first: bool) -> Result<()> {
        match &self.format {
            Format::Table | Format::Markdown => {
                let t = table::environments_table_with(std::slice::from_ref(env), jiff::Timestamp::now(), true);
                let mut lines = t.lines();
                let header = lines.next().unwrap_or_default();
                let row = lines.next().unwrap_or_default();
                if first && !no_headers() {
                    self.out(&format!("{:<9} {header}", "EVENT"))?;
                }
                self.out(&format!("{event:<9} {row}"))
            }
            Format::Name => self.out(&format!("environment/{}", env.name)),
            _ => {
                let mut m = Map::new();
                m.insert("type".into(), json!(event));
                m.insert("object".into(), env.document());
                let doc = envelope("WatchEvent", m);
                match &self.format {
                    Format::JsonPath(t) => self.out(&t.render(&doc)),
                    Format::Yaml => self.out(&format!("---\n{}", serde_saphyr::to_string(&doc).unwrap_or_default())),
                    _ => self.out(&serde_json::to_string(&doc).unwrap_or_default()),
                }
            }
        }
    }

    /// A status line for people: stderr, only on a terminal, not with --quiet.
    pub fn note(&self, msg: &str) {
        if self.stderr_tty && !self.quiet {
            let _ = writeln!(std::io::stderr(), "{}", self.paint(msg, "32"));
        }
    }

    pub fn debug(&self, msg: &str) {
        if self.verbose > 0 {
            let _ = writeln!(std::io::stderr(), "{} {msg}", self.paint("debug:", "2"));
        }
    }

    /// An error as the user reads it: what went wrong and what to do, then (for what a flag
    /// fixes) the flag.
    pub fn failure(&self, e: &Error) {
        self.error(&e.hint().map_or_else(|| e.to_string(), |hint| format!("{e}; {hint}")));
    }

    pub fn error(&self, msg: &str) {
        let _ = writeln!(std::io::stderr(), "{} {msg}", self.paint("error:", "31;1"));
    }

    fn paint(&self, s: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// A spinner on stderr that shows each step, on a terminal only.
    pub fn progress(&self) -> Progress {
        let bar = (self.stderr_tty && !self.quiet).then(|| {
            let b = indicatif::ProgressBar::new_spinner();
            b.enable_steady_tick(std::time::Duration::from_millis(80));
            b
        });
        Progress {
            bar,
            verbose: self.verbose > 0 && !self.stderr_tty,
            start: std::time::Instant::now(),
        }
    }

    /// `list`: the table, names, or one EnvironmentList document.
    pub fn environments(&self, envs: &[Environment]) -> Result<()> {
        match &self.format {
            Format::Markdown => {
                for e in envs {
                    self.out(&markdown::environment(e, jiff::Timestamp::now()))?;
                }
                Ok(())
            }
            Format::Table => {
                if envs.is_empty() {
                    if !self.quiet {
                        let _ = writeln!(std::io::stderr(), "No environments found.");
                    }
                    Ok(())
                } else {
                    self.out(&environments_table(envs, jiff::Timestamp::now()))
                }
            }
            Format::Name => {
                let names: Vec<String> = envs.iter().map(|e| format!("environment/{}", e.name)).collect();
                self.out_nonempty(&names.join("\n"))
            }
            // Straight from the environments to stdout: a long list never exists as a JSON
            // tree or as one string (the same bytes as the document path).
            Format::Json => {
                let items: Vec<Enveloped<'_, Environment>> = envs
                    .iter()
                    .map(|e| Enveloped {
                        api_version: API_VERSION,
                        kind: "Environment",
                        inner: e,
                    })
                    .collect();
                let list = EnvelopedList {
                    api_version: API_VERSION,
                    kind: "EnvironmentList",
                    items: &items,
                };
                let mut o = std::io::BufWriter::new(std::io::stdout().lock());
                serde_json::to_writer_pretty(&mut o, &list)
                    .map_err(std::io::Error::from)
                    .and_then(|_| o.write_all(b"\n"))
                    .and_then(|_| o.flush())
                    .map_err(closed)
            }
            Format::Yaml | Format::JsonPath(_) => {
                let items: Vec<Value> = envs.iter().map(Document::document).collect();
                self.document(&list_document("EnvironmentList", &items))
            }
        }
    }

    /// Asks yes/no on a terminal.
    pub fn confirm(&self, prompt: &str) -> bool {
        dialoguer::Confirm::new()
            .with_prompt(prompt)
            .default(false)
            .interact()
            .unwrap_or(false)
    }

    /// Lets the user pick one item on a terminal.
    pub fn pick(&self, prompt: &str, items: &[String]) -> Option<usize> {
        dialoguer::Select::new()
            .with_prompt(prompt)
            .items(items)
            .default(0)
            .interact_opt()
            .ok()
            .flatten()
    }
}

/// A write error on stdout: a reader that went away is [`Error::OutputClosed`] (exit 0).
fn closed(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Error::OutputClosed
    } else {
        Error::io("writing to standard output", e)
    }
}

pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    verbose: bool,
    start: std::time::Instant,
}

impl Progress {
    pub fn step(&self, msg: &str) {
        if let Some(b) = &self.bar {
            b.set_message(msg.to_string());
        } else if self.verbose {
            let _ = writeln!(std::io::stderr(), "[{:>5}ms] {msg}", self.start.elapsed().as_millis());
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
