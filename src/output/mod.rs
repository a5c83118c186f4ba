//! The only place that prints. Results go to stdout in the chosen format (table, json, yaml,
//! name); progress, prompts and colour go to stderr, and only on a terminal. A closed
//! stdout (`kubenv list | head`) ends the program quietly with exit 0.

mod table;

use kubenv::env::Environment;
use serde::Serialize;
use std::io::{IsTerminal, Write};

pub use table::{environments_table, simple_table};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Yaml,
    Name,
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

    /// Writes to stdout; a closed pipe exits 0 at once, as `head` expects.
    pub fn out(&self, text: &str) {
        let mut o = std::io::stdout().lock();
        let r = o.write_all(text.as_bytes()).and_then(|_| {
            if text.ends_with('\n') {
                Ok(())
            } else {
                o.write_all(b"\n")
            }
        });
        if let Err(e) = r.and_then(|_| o.flush())
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            std::process::exit(0);
        }
    }

    /// A structured value in json or yaml.
    pub fn value<T: Serialize>(&self, v: &T) {
        match self.format {
            Format::Yaml => self.out(&serde_saphyr::to_string(v).unwrap_or_default()),
            _ => self.out(&serde_json::to_string_pretty(v).unwrap_or_default()),
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

    /// One environment: table row, json/yaml object, or `environment/NAME`.
    pub fn environment(&self, env: &Environment) {
        self.environments_inner(std::slice::from_ref(env), false);
    }

    pub fn environments(&self, envs: &[Environment]) {
        self.environments_inner(envs, true);
    }

    fn environments_inner(&self, envs: &[Environment], as_list: bool) {
        match self.format {
            Format::Table => {
                if envs.is_empty() {
                    if !self.quiet {
                        let _ = writeln!(std::io::stderr(), "No environments found.");
                    }
                } else {
                    self.out(&environments_table(envs, jiff::Timestamp::now()));
                }
            }
            Format::Name => {
                let names: Vec<String> = envs.iter().map(|e| format!("environment/{}", e.name)).collect();
                if !names.is_empty() {
                    self.out(&names.join("\n"));
                }
            }
            Format::Json | Format::Yaml => {
                if as_list {
                    self.value(
                        &serde_json::json!({"apiVersion": "kubenv.dev/v1", "kind": "EnvironmentList", "items": envs}),
                    );
                } else if let Some(e) = envs.first() {
                    self.value(e);
                }
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
