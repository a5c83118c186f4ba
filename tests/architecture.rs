//! The library's layout stays as docs/architecture.md draws it: no import cycles between its
//! modules, and the command line does no library work (it never talks to the API itself).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every library module (`a::b`) and the library modules its code (tests left out) names
/// through `crate::` or `super::`.
fn library_graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(&root).unwrap().to_string_lossy().into_owned();
            let Some(rel) = rel.strip_suffix(".rs") else { continue };
            if rel == "main" || rel == "lib" || rel.starts_with("cli/") || rel.starts_with("output/") {
                continue;
            }
            let mut parts: Vec<&str> = rel.split('/').collect();
            if parts.last() == Some(&"mod") {
                parts.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default().to_string();
            sources.insert(parts.join("::"), code);
        }
    }
    let names: BTreeSet<String> = sources.keys().cloned().collect();
    // The longest module that a path names.
    let resolve = |segs: &[&str]| -> Option<String> {
        (1..=segs.len())
            .rev()
            .map(|n| segs[..n].join("::"))
            .find(|c| names.contains(c))
    };
    let mut graph = BTreeMap::new();
    for (module, code) in &sources {
        let mut deps = BTreeSet::new();
        let parent: Vec<&str> = module.split("::").collect();
        let parent = &parent[..parent.len() - 1];
        for (prefix, base) in [("crate::", Vec::new()), ("super::", parent.to_vec())] {
            for (i, _) in code.match_indices(prefix) {
                let rest = &code[i + prefix.len()..];
                let path: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == ':')
                    .collect();
                let mut segs = base.clone();
                segs.extend(path.split("::").filter(|s| !s.is_empty()));
                if let Some(t) = resolve(&segs).filter(|t| t != module) {
                    deps.insert(t);
                }
            }
        }
        graph.insert(module.clone(), deps);
    }
    graph
}

#[test]
fn the_library_has_no_import_cycles() {
    let graph = library_graph();
    assert!(graph.len() > 30, "modules found: {:?}", graph.keys());
    assert!(
        graph["app::create"].contains("backend"),
        "the graph is read: {:?}",
        graph["app::create"]
    );
    // Depth-first search for a back edge; the path to it is the cycle.
    fn visit<'a>(
        m: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(at) = path.iter().position(|p| *p == m) {
            panic!("import cycle: {} -> {m}", path[at..].join(" -> "));
        }
        path.push(m);
        for d in &graph[m] {
            visit(d, graph, path, done);
        }
        path.pop();
        done.insert(m);
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
}

#[test]
fn the_layers_point_down() {
    let graph = library_graph();
    for (module, deps) in &graph {
        for d in deps {
            let below = |layer: &str| !d.starts_with(layer);
            if module.starts_with("backend") {
                assert!(below("app"), "{module} uses {d}: the backend is below the use cases");
            }
            if !module.starts_with("app") && !module.starts_with("backend") {
                assert!(
                    below("app") && below("backend"),
                    "{module} uses {d}: the model and the edges are below the backends and the use cases"
                );
            }
        }
    }
}

#[test]
fn command_files_make_no_api_calls() {
    let cli = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli");
    for entry in std::fs::read_dir(cli).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for forbidden in [
            "kube::Api",
            "Api::<",
            "Api::namespaced",
            "Api::all",
            "k8s_openapi::",
            "backend::",
        ] {
            assert!(
                !text.contains(forbidden),
                "{} uses {forbidden}: commands call kubenv::app, which reaches the cluster",
                path.display()
            );
        }
    }
}
