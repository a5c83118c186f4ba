//! `-o markdown`: an environment as a short GitHub-flavoured markdown summary, for a
//! pull-request comment or `$GITHUB_STEP_SUMMARY` (what okteto's notify-pr posts).

use kubenv::environment::Environment;

/// Escapes what would break a table cell or start markup.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|").replace('\n', " ")
}

fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'"))
}

pub fn environment(env: &Environment, now: jiff::Timestamp) -> String {
    let mut md = format!("### Environment {} is {}\n\n", code(&env.name), env.status);
    md.push_str("| | |\n| --- | --- |\n");
    let expires = match env.expires_at {
        Some(t) if t > now => format!(
            "{t} (in {})",
            kubenv::names::human_duration(t.as_second() - now.as_second())
        ),
        Some(t) => format!("{t} (expired)"),
        None => "never".into(),
    };
    let dash = |o: &Option<String>| o.as_deref().map(cell).unwrap_or_else(|| "-".into());
    let rows = [
        ("Name", code(&env.name)),
        ("Namespace", code(&env.namespace)),
        ("Owner", dash(&env.owner)),
        ("Team", dash(&env.team)),
        ("Template", dash(&env.template)),
        ("Status", env.status.to_string()),
        ("Expires", cell(&expires)),
    ];
    for (k, v) in rows {
        md.push_str(&format!("| {k} | {v} |\n"));
    }
    if !env.labels.is_empty() {
        let l: Vec<String> = env.labels.iter().map(|(k, v)| code(&format!("{k}={v}"))).collect();
        md.push_str(&format!("| Labels | {} |\n", cell(&l.join(" "))));
    }
    md.push_str("\n#### Endpoints\n\n");
    match env.endpoints.as_deref() {
        None => md.push_str("Not looked up (`kubenv get NAME -o markdown` shows them).\n"),
        Some([]) => md.push_str("None yet: no Ingress, LoadBalancer or NodePort Service in the environment.\n"),
        Some(eps) => {
            md.push_str("| Kind | Name | URL / address | Ports |\n| --- | --- | --- | --- |\n");
            for e in eps {
                let kind = match &e.service_type {
                    Some(t) => format!("Service ({t})"),
                    None => e.kind.clone(),
                };
                let target = match (&e.url, &e.address, &e.host) {
                    (Some(u), _, _) => u.clone(),
                    (None, Some(a), _) => a.clone(),
                    (None, None, Some(h)) => format!("{h} (no address yet)"),
                    // A NodePort answers on every node's address.
                    _ if e.service_type.as_deref() == Some("NodePort") => "any node".into(),
                    _ => "pending".into(),
                };
                let ports = if e.ports.is_empty() {
                    "-".to_string()
                } else {
                    e.ports.join(", ")
                };
                md.push_str(&format!(
                    "| {kind} | {} | {} | {} |\n",
                    code(&e.name),
                    cell(&target),
                    cell(&ports)
                ));
            }
        }
    }
    md.push_str(&format!(
        "\n#### Connect\n\n```sh\nkubenv connect {}\nkubectl get pods   # now in {}\n```\n",
        env.name, env.namespace
    ));
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubenv::backend::Endpoint;
    use kubenv::environment::Status;

    #[test]
    fn summary_has_what_a_reviewer_needs() {
        let env = Environment {
            name: "feature-login-1a2b3c4d".into(),
            namespace: "env-feature-login-1a2b3c4d".into(),
            owner: Some("system:serviceaccount:ci:runner".into()),
            team: None,
            template: Some("standard".into()),
            status: Status::Active,
            created_at: None,
            expires_at: Some("2030-01-03T00:00:00Z".parse().unwrap()),
            sleeping_since: None,
            context: "kubenv-feature-login-1a2b3c4d".into(),
            quota: None,
            labels: [("tier".to_string(), "preview".to_string())].into(),
            annotations: Default::default(),
            endpoints: Some(vec![Endpoint {
                kind: "Ingress".into(),
                name: "web".into(),
                service_type: None,
                host: Some("pr.example.com".into()),
                path: Some("/".into()),
                url: Some("http://pr.example.com/".into()),
                address: None,
                ports: vec![],
            }]),
            kind: Default::default(),
            asleep: false,
        };
        let md = environment(&env, "2030-01-01T00:00:00Z".parse().unwrap());
        for want in [
            "### Environment `feature-login-1a2b3c4d` is Active",
            "| Namespace | `env-feature-login-1a2b3c4d` |",
            "| Owner | system:serviceaccount:ci:runner |",
            "| Expires | 2030-01-03T00:00:00Z (in 2d) |",
            "| Ingress | `web` | http://pr.example.com/ | - |",
            "kubenv connect feature-login-1a2b3c4d",
            "`tier=preview`",
        ] {
            assert!(md.contains(want), "missing {want:?} in\n{md}");
        }
        assert_eq!(cell("a|b"), "a\\|b");
    }
}
