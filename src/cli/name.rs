//! `kubenv name BRANCH`: the environment name `create --from-branch BRANCH` would use. Needs
//! no cluster, so CI can compute it once and pass it to every later step.

use super::Ctx;
use crate::output::BranchName;
use kubenv::Result;
use kubenv::names::{BRANCH_NAME_MAX, name_for_branch};

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
    let name = name_for_branch(&a.branch, a.max_length)?;
    ctx.out.show(&BranchName {
        branch: &a.branch,
        name: &name,
    })?;
    Ok(0)
}
