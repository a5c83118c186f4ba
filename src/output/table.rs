//! The environments table: NAME OWNER TEAM STATUS AGE EXPIRES CPU MEMORY PODS.

use comfy_table::{Table, presets};
use kubenv::environment::Environment;
use kubenv::names::human_duration;
use kubenv::quantity::{format_bytes, format_cpu, parse};

fn since(t: Option<jiff::Timestamp>, now: jiff::Timestamp) -> Option<i64> {
    Some(now.as_second() - t?.as_second())
}

fn usage(used: &str, hard: &str, fmt: fn(f64) -> String) -> String {
    let f = |s: &str| parse(s).map(fmt).unwrap_or_else(|| s.to_string());
    format!("{}/{}", f(used), f(hard))
}

pub fn environments_table(envs: &[Environment], now: jiff::Timestamp) -> String {
    environments_table_with(envs, now, !super::no_headers())
}

pub(crate) fn environments_table_with(envs: &[Environment], now: jiff::Timestamp, headers: bool) -> String {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    t.set_header([
        "NAME", "OWNER", "TEAM", "STATUS", "AGE", "EXPIRES", "CPU", "MEMORY", "PODS", "TYPE",
    ]);
    for e in envs {
        let age = since(e.created_at, now)
            .map(human_duration)
            .unwrap_or_else(|| "-".into());
        let expires = match since(e.expires_at, now) {
            Some(s) if s >= 0 => "expired".to_string(),
            Some(s) => format!("in {}", human_duration(-s)),
            None => "never".into(),
        };
        let (cpu, mem, pods) = match &e.quota {
            Some(q) => (
                usage(&q.cpu.used, &q.cpu.hard, format_cpu),
                usage(&q.memory.used, &q.memory.hard, format_bytes),
                format!("{}/{}", q.pods.used, q.pods.hard),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        t.add_row([
            e.name.clone(),
            e.owner.clone().unwrap_or_else(|| "-".into()),
            e.team.clone().unwrap_or_else(|| "-".into()),
            e.status.to_string(),
            age,
            expires,
            cpu,
            mem,
            pods,
            e.kind.to_string(),
        ]);
    }
    finish(&t, headers)
}

/// comfy-table pads each cell with a space on both sides; kubectl-style output has none on
/// the left. `--no-headers` drops the header line, as kubectl's does.
fn finish(t: &Table, headers: bool) -> String {
    t.to_string()
        .lines()
        .skip(usize::from(!headers))
        .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A plain kubectl-style table of strings.
pub fn simple_table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    t.set_header(headers.to_vec());
    for r in rows {
        t.add_row(r);
    }
    finish(&t, !super::no_headers())
}
