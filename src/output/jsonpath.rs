//! `-o jsonpath=TEMPLATE`: kubectl's template syntax over the same document as `-o json`.
//!
//! The path expressions inside `{…}` are evaluated by `jsonpath-rust` (RFC 9535, already in
//! the dependency tree through kube). kubectl's *template* layer around them — literal text,
//! `{range …}…{end}`, `{"\n"}` string literals, joining several results with a space,
//! relative `.field` paths — is not JSONPath and no maintained crate implements it, so it is
//! written here; it is small and only splits text and braces.

use jsonpath_rust::JsonPath;
use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Text(String),
    /// A path, already in RFC 9535 form (`$.items[*].name`).
    Path(String),
    Range(String, Vec<Node>),
}

/// Splits a template into text and `{…}` actions, honouring quotes inside braces.
fn tokens(t: &str) -> Result<Vec<(bool, String)>, String> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '{' {
            text.push(c);
            continue;
        }
        if !text.is_empty() {
            out.push((false, std::mem::take(&mut text)));
        }
        let mut action = String::new();
        let mut quote: Option<char> = None;
        let mut closed = false;
        while let Some(c) = chars.next() {
            match quote {
                Some(q) => {
                    action.push(c);
                    if c == '\\' {
                        if let Some(n) = chars.next() {
                            action.push(n);
                        }
                    } else if c == q {
                        quote = None;
                    }
                }
                None if c == '"' || c == '\'' => {
                    quote = Some(c);
                    action.push(c);
                }
                None if c == '}' => {
                    closed = true;
                    break;
                }
                None => action.push(c),
            }
        }
        if !closed {
            return Err(format!("unclosed action {{{action}: add the closing '}}'"));
        }
        out.push((true, action.trim().to_string()));
    }
    if !text.is_empty() {
        out.push((false, text));
    }
    Ok(out)
}

/// `.a.b` → `$.a.b`; `$…` and `@…` as they are; `a.b` (kubectl also takes it) → `$.a.b`.
fn to_rfc(path: &str) -> String {
    if let Some(rest) = path.strip_prefix('@') {
        format!("${rest}")
    } else if path.starts_with('$') {
        path.to_string()
    } else if path.starts_with('.') || path.starts_with('[') {
        format!("${path}")
    } else {
        format!("$.{path}")
    }
}

fn unquote(s: &str) -> Option<String> {
    let q = s.chars().next()?;
    if !(q == '"' || q == '\'') || s.len() < 2 || !s.ends_with(q) {
        return None;
    }
    let mut out = String::new();
    let mut it = s[1..s.len() - 1].chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// A parsed template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template(Vec<Node>);

impl Template {
    /// Parses kubectl's syntax; errors name the problem and the fix. A template without
    /// braces that starts with `.` or `$` is taken as one path, as kubectl does.
    pub fn parse(t: &str) -> Result<Template, String> {
        let owned;
        let t = if !t.contains('{') && (t.starts_with('.') || t.starts_with('$')) {
            owned = format!("{{{t}}}");
            owned.as_str()
        } else {
            t
        };
        let toks = tokens(t)?;
        let mut stack: Vec<(Option<String>, Vec<Node>)> = vec![(None, Vec::new())];
        for (is_action, s) in toks {
            let top = &mut stack.last_mut().expect("root").1;
            if !is_action {
                top.push(Node::Text(s));
            } else if let Some(lit) = unquote(&s) {
                top.push(Node::Text(lit));
            } else if let Some(p) = s.strip_prefix("range ") {
                let p = to_rfc(p.trim());
                check_path(&p)?;
                stack.push((Some(p), Vec::new()));
            } else if s == "end" {
                let (p, body) = stack.pop().expect("root");
                let Some(p) = p else {
                    return Err("{end} without a {range …} before it".into());
                };
                stack.last_mut().expect("root").1.push(Node::Range(p, body));
            } else if s.is_empty() {
                return Err("empty action {}: put a path in it, e.g. {.items[*].name}".into());
            } else {
                let p = to_rfc(&s);
                check_path(&p)?;
                top.push(Node::Path(p));
            }
        }
        if stack.len() != 1 {
            return Err("{range …} without its {end}".into());
        }
        Ok(Template(stack.pop().expect("root").1))
    }

    /// Renders against a document. Missing fields print nothing, as with kubectl's default
    /// `--allow-missing-template-keys=true`.
    pub fn render(&self, doc: &Value) -> String {
        let mut out = String::new();
        render(&self.0, doc, &mut out);
        out
    }
}

fn check_path(p: &str) -> Result<(), String> {
    Value::Null
        .query(p)
        .map(drop)
        .map_err(|e| format!("invalid JSONPath {p:?}: {e}; e.g. {{.items[*].name}}"))
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn render(nodes: &[Node], doc: &Value, out: &mut String) {
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Path(p) => {
                let vals = doc.query(p).unwrap_or_default();
                out.push_str(&vals.iter().map(|v| scalar(v)).collect::<Vec<_>>().join(" "));
            }
            Node::Range(p, body) => {
                for v in doc.query(p).unwrap_or_default() {
                    // A range over one array visits its elements, as kubectl's does.
                    match v {
                        Value::Array(items) if !p.ends_with("[*]") => {
                            for i in items {
                                render(body, i, out);
                            }
                        }
                        _ => render(body, v, out),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({"apiVersion": "kubenv.dev/v1", "kind": "EnvironmentList", "items": [
            {"name": "pr-1", "status": "Active", "quota": {"pods": {"used": "2"}}, "labels": {"tier": "preview"}},
            {"name": "pr-2", "status": "Sleeping", "quota": null, "labels": {}}
        ]})
    }

    fn r(t: &str) -> String {
        Template::parse(t).unwrap().render(&doc())
    }

    #[test]
    fn kubectl_templates() {
        assert_eq!(r("{.items[*].name}"), "pr-1 pr-2");
        assert_eq!(r("{range .items[*]}{.name}{\"\\n\"}{end}"), "pr-1\npr-2\n");
        assert_eq!(
            r("{range .items[*]}{.name}{'\\t'}{.status}{\"\\n\"}{end}"),
            "pr-1\tActive\npr-2\tSleeping\n"
        );
        assert_eq!(r("kind={.kind}!"), "kind=EnvironmentList!");
        assert_eq!(r("{.items[0].quota.pods.used}"), "2");
        assert_eq!(r("{.items[1].quota}"), "");
        assert_eq!(r("{.items[0].labels}"), "{\"tier\":\"preview\"}");
        assert_eq!(r("{.missing}"), "");
        assert_eq!(r("{$.kind}"), "EnvironmentList");
        assert_eq!(r(".kind"), "EnvironmentList");
        assert_eq!(r("{.items[?(@.status==\"Sleeping\")].name}"), "pr-2");
        assert_eq!(r("{range .items}{.name},{end}"), "pr-1,pr-2,");
        assert_eq!(r("{\"{braces}\"}"), "{braces}");
    }

    #[test]
    fn bad_templates_say_why() {
        for (t, want) in [
            ("{.items", "unclosed"),
            ("{end}", "without a {range"),
            ("{range .items[*]}{.name}", "without its {end}"),
            ("{}", "empty action"),
            ("{.items[}", "invalid JSONPath"),
        ] {
            let e = Template::parse(t).unwrap_err();
            assert!(e.contains(want), "{t}: {e}");
        }
    }
}
