//! `kubenv name BRANCH`: the environment name `create --from-branch BRANCH` would use. Needs
//! no cluster, so CI can compute it once and pass it to every later step.

use super::Ctx;
use crate::output::Format;
use kubenv::Result;
use kubenv::names::{BRANCH_NAME_MAX, BRANCH_NAME_MIN, MAX_NAMESPACE_LEN, branch_name};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv name feature/Login-Page        feature-login-page-d95e5a61
  kubenv name main                      main (already a valid name: kept as it is)
  ENV=$(kubenv name \"$CI_COMMIT_REF_NAME\")

Lowercase, anything but a-z and 0-9 turned into '-', unicode transliterated, at most 40
characters. A branch that needed cleaning or cutting gets a suffix hashed from the whole
branch name, so feature/Foo and feature-foo never share an environment.")]
pub struct Args {
    /// A git branch or ref (refs/heads/ is dropped)
    pub branch: String,
    /// Longest name to make (16 to 63)
    #[arg(long, value_name = "N", default_value_t = BRANCH_NAME_MAX)]
    pub max_length: usize,
}

pub async fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    if !(BRANCH_NAME_MIN..=MAX_NAMESPACE_LEN).contains(&a.max_length) {
        return Err(kubenv::Error::InvalidInput(format!(
            "--max-length {} is out of range; use {BRANCH_NAME_MIN} to {MAX_NAMESPACE_LEN} (the policy's namespace prefix counts towards 63)",
            a.max_length
        )));
    }
    let name = branch_name(&a.branch, a.max_length);
    match ctx.out.format {
        Format::Name => ctx.out.out(&format!("environment/{name}")),
        Format::Table | Format::Markdown => ctx.out.out(&name),
        _ => ctx.out.value(&crate::output::BranchName {
            branch: &a.branch,
            name: &name,
        }),
    }
    Ok(0)
}
