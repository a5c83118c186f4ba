//! `kubenv completions SHELL`: shell completion scripts generated from the command
//! definition, with environment names completed from the cluster in bash and fish. The
//! checked-in copies under completions/ and the man pages under docs/man/ are kept current
//! by a test.

use super::{Cli, Ctx};
use clap::CommandFactory;
use clap_complete::Shell;
use kubenv::Result;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv completions bash > ~/.local/share/bash-completion/completions/kubenv
  kubenv completions zsh > \"${fpath[1]}/_kubenv\"
  kubenv completions fish > ~/.config/fish/completions/kubenv.fish")]
pub struct Args {
    /// bash, zsh, fish, powershell or elvish
    pub shell: Shell,
}

/// Subcommands whose first argument is an existing environment.
const TAKES_ENV: &str = "get connect sleep wake delete rm extend history token";

pub fn script(shell: Shell) -> String {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "kubenv", &mut buf);
    let mut s = String::from_utf8(buf).unwrap_or_default();
    match shell {
        Shell::Bash => s.push_str(&format!(
            r#"
# Environment names, from the cluster.
_kubenv_with_envs() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" sub="${{COMP_WORDS[1]}}"
    if [[ $COMP_CWORD -eq 2 && " {TAKES_ENV} " == *" $sub "* && "$cur" != -* ]]; then
        COMPREPLY=( $(compgen -W "$(kubenv list -o name 2>/dev/null | sed 's|^environment/||')" -- "$cur") )
        return 0
    fi
    _kubenv "$@"
}}
complete -F _kubenv_with_envs -o bashdefault -o default kubenv
complete -F _kubenv_with_envs -o bashdefault -o default kubectl-kubenv
"#
        )),
        Shell::Fish => s.push_str(&format!(
            "\n# Environment names, from the cluster.\ncomplete -c kubenv -n '__fish_seen_subcommand_from {TAKES_ENV}' -f -a '(kubenv list -o name 2>/dev/null | string replace environment/ \"\")'\n"
        )),
        _ => {}
    }
    s
}

pub async fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    ctx.out.out(&script(a.shell));
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
