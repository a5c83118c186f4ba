//! Shell completion. Completion is dynamic: the scripts (`kubenv completions SHELL`, the
//! checked-in copies under completions/) only register kubenv with the shell, and every TAB
//! asks kubenv itself (clap_complete's `CompleteEnv`), which knows the flags, the context
//! names in the kubeconfig and the environments on the cluster, and honours a
//! `--context`/`--kubeconfig` typed earlier on the line. `kubenv __complete ARGS` answers
//! kubectl's plugin completion (`kubectl kubenv <TAB>`, through the `kubectl_complete-kubenv`
//! script install.sh installs). The checked-in scripts and the man pages under docs/man/ are
//! kept current by a test.

use super::{Cli, Ctx};
use clap::CommandFactory;
use clap_complete::Shell;
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate, PathCompleter};
use clap_complete::env::{CompleteEnv, EnvCompleter};
use kubenv::Result;
use kubenv::cluster::HostOptions;
use std::ffi::{OsStr, OsString};
use std::sync::OnceLock;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv completions bash > ~/.local/share/bash-completion/completions/kubenv
  kubenv completions zsh > \"${fpath[1]}/_kubenv\"
  kubenv completions fish > ~/.config/fish/completions/kubenv.fish
  source <(kubenv completions bash)        # just this shell")]
pub struct Args {
    /// bash, zsh, fish, powershell or elvish
    pub shell: Shell,
}

/// Subcommands whose first argument is an existing environment.
const TAKES_ENV: &[&str] = &[
    "get", "connect", "sleep", "wake", "delete", "extend", "history", "token",
];

/// The environment variable the registration scripts set for a completion request.
const VAR: &str = "COMPLETE";

/// `--kubeconfig` and `--context` as typed on the line being completed.
static LINE: OnceLock<HostOptions> = OnceLock::new();

/// The command definition with completers for context and environment names.
fn command() -> clap::Command {
    let mut cmd = Cli::command()
        .mut_arg("context", |a| a.add(ArgValueCompleter::new(complete_contexts)))
        .mut_arg("kubeconfig", |a| a.add(ArgValueCompleter::new(PathCompleter::file())));
    for sub in TAKES_ENV {
        cmd = cmd.mut_subcommand(*sub, |mut s| {
            // mut_arg moves an argument to the end, and positionals are numbered in order:
            // touch every positional, in order, so `connect NAME -- CMD` keeps its order.
            let positionals: Vec<String> = s
                .get_arguments()
                .filter(|a| a.is_positional())
                .map(|a| a.get_id().to_string())
                .collect();
            for id in positionals {
                s = s.mut_arg(&id, |a| {
                    if a.get_id() == "name" {
                        a.add(ArgValueCompleter::new(complete_environments))
                    } else {
                        a
                    }
                });
            }
            s
        });
    }
    cmd
}

fn matching(names: Vec<String>, current: &OsStr) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy();
    names
        .into_iter()
        .filter(|n| n.starts_with(prefix.as_ref()))
        .map(CompletionCandidate::new)
        .collect()
}

fn complete_contexts(current: &OsStr) -> Vec<CompletionCandidate> {
    let line = LINE.get().cloned().unwrap_or_default();
    matching(
        kubenv::app::completion::context_names(line.kubeconfig.as_deref()),
        current,
    )
}

fn complete_environments(current: &OsStr) -> Vec<CompletionCandidate> {
    let line = LINE.get().cloned().unwrap_or_default();
    matching(kubenv::app::completion::environment_names(&line), current)
}

/// `--context X`, `--context=X`, `--kubeconfig F` among the words of the line.
fn connection_flags(words: &[OsString]) -> HostOptions {
    let mut opts = HostOptions::default();
    let words: Vec<String> = words.iter().map(|w| w.to_string_lossy().into_owned()).collect();
    for (i, w) in words.iter().enumerate() {
        for (flag, is_context) in [("--context", true), ("--kubeconfig", false)] {
            // The word being completed (the last) is not a value yet.
            let value = if w == flag {
                words.get(i + 1).filter(|_| i + 2 < words.len()).cloned()
            } else {
                w.strip_prefix(&format!("{flag}="))
                    .filter(|_| i + 1 < words.len())
                    .map(str::to_string)
            };
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                if is_context {
                    opts.context = Some(v);
                } else {
                    opts.kubeconfig = Some(v.into());
                }
            }
        }
    }
    opts
}

/// Answers a completion request and exits, or returns when this is a normal run. Called
/// first thing in `main`.
pub fn complete_if_asked() {
    let args: Vec<OsString> = std::env::args_os().collect();
    let kubectl = args.get(1).is_some_and(|a| a == "__complete");
    if !kubectl && std::env::var_os(VAR).is_none_or(|v| v.is_empty() || v == "0") {
        return;
    }
    let _ = LINE.set(connection_flags(&args[1..]));
    if kubectl {
        // kubectl's plugin completion speaks cobra's protocol: one candidate a line, then
        // `:4` (ShellCompDirectiveNoFileComp).
        let mut words: Vec<OsString> = vec!["kubenv".into()];
        words.extend(args[2..].iter().cloned());
        if words.len() == 1 {
            words.push(OsString::new());
        }
        let index = words.len() - 1;
        let mut out = String::new();
        if let Ok(cands) = clap_complete::engine::complete(&mut command(), words, index, None) {
            for c in cands.into_iter().filter(|c| !c.is_hide_set()) {
                out.push_str(&c.get_value().to_string_lossy());
                if let Some(h) = c.get_help() {
                    out.push('\t');
                    out.push_str(&h.to_string());
                }
                out.push('\n');
            }
        }
        out.push_str(":4\n");
        // A closed stdout is the shell's business: exit 0 either way.
        let _ = crate::output::Output::new(crate::output::Format::Table, false, 0).out(&out);
        std::process::exit(0);
    }
    CompleteEnv::with_factory(command)
        .var(VAR)
        .bin("kubenv")
        .completer("kubenv")
        .complete();
}

/// The script that registers kubenv's completion with a shell.
pub fn script(shell: Shell) -> String {
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &clap_complete::env::Bash,
        Shell::Zsh => &clap_complete::env::Zsh,
        Shell::Fish => &clap_complete::env::Fish,
        Shell::Elvish => &clap_complete::env::Elvish,
        _ => &clap_complete::env::Powershell,
    };
    let mut buf = Vec::new();
    let _ = completer.write_registration(VAR, "kubenv", "kubenv", "kubenv", &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

pub async fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    ctx.out.out(&script(a.shell))?;
    Ok(0)
}

/// Man pages: kubenv.1 and kubenv-SUBCOMMAND.1 (written to docs/man/ by the test below).
#[cfg(test)]
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    let mut page = |name: String, c: clap::Command| {
        let mut buf = Vec::new();
        clap_mangen::Man::new(c).render(&mut buf).expect("rendering to memory");
        out.push((format!("{name}.1"), buf));
    };
    page("kubenv".into(), cmd.clone());
    for sub in cmd.get_subcommands() {
        let name = format!("kubenv-{}", sub.get_name());
        let named: &'static str = Box::leak(name.clone().into_boxed_str());
        page(name, sub.clone().name(named));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Fails when completions/ or docs/man/ no longer match the command definition.
    /// `KUBENV_UPDATE_GENERATED=1 cargo test generated` rewrites them.
    #[test]
    fn generated_files_are_current() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<(std::path::PathBuf, Vec<u8>)> = Vec::new();
        for (shell, file) in [
            (Shell::Bash, "kubenv.bash"),
            (Shell::Zsh, "_kubenv"),
            (Shell::Fish, "kubenv.fish"),
            (Shell::PowerShell, "_kubenv.ps1"),
        ] {
            files.push((root.join("completions").join(file), script(shell).into_bytes()));
        }
        for (name, page) in man_pages() {
            files.push((root.join("docs/man").join(name), page));
        }
        let update = std::env::var_os("KUBENV_UPDATE_GENERATED").is_some();
        let mut stale = Vec::new();
        for (path, want) in files {
            if std::fs::read(&path).ok().as_deref() != Some(&want[..]) {
                if update {
                    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                    std::fs::write(&path, want).unwrap();
                } else {
                    stale.push(path.display().to_string());
                }
            }
        }
        assert!(
            stale.is_empty(),
            "stale generated files (run KUBENV_UPDATE_GENERATED=1 cargo test generated): {stale:?}"
        );
    }

    /// Completers are attached without changing how arguments parse.
    #[test]
    fn completers_keep_positional_order() {
        let mut cmd = command();
        cmd.build();
        for sub in TAKES_ENV {
            let s = cmd.find_subcommand(sub).unwrap();
            let name = s.get_positionals().find(|a| a.get_id() == "name");
            let name = name.unwrap_or_else(|| panic!("{sub} has NAME"));
            assert_eq!(name.get_index(), Some(1), "{sub}");
            assert!(name.get::<ArgValueCompleter>().is_some(), "{sub}");
        }
    }

    #[test]
    fn connection_flags_from_the_line() {
        let w = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        let o = connection_flags(&w(&["--", "kubenv", "--kubeconfig", "/k", "--context=c", "get", ""]));
        assert_eq!(o.context.as_deref(), Some("c"));
        assert_eq!(o.kubeconfig.as_deref(), Some(std::path::Path::new("/k")));
        let o = connection_flags(&w(&["kubenv", "list", "--context", "par"]));
        assert_eq!(o.context, None, "the word being completed is no value yet");
    }

    #[test]
    fn every_command_has_an_example() {
        let cmd = Cli::command();
        for sub in cmd.get_subcommands() {
            let help = sub.get_after_help().map(|h| h.to_string()).unwrap_or_default();
            let nested = sub
                .get_subcommands()
                .all(|s| s.get_after_help().is_some() || s.get_name() == "policy");
            assert!(
                help.contains("kubenv") || (sub.has_subcommands() && nested),
                "{} has no example",
                sub.get_name()
            );
        }
    }
}
