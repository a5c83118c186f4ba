//! What an environment exposes outside the cluster: Ingress hosts and paths, and Services of
//! type LoadBalancer or NodePort, with their external address and ports once assigned. Looked
//! up by `get` and `create` (two list calls in the environment's namespace), never by `list`,
//! whose request count must not grow with the number of environments.

use crate::cluster::Host;
pub use crate::environment::Endpoint;
use crate::error::Result;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, ListParams};

fn lb_address(ingress: Option<&Vec<k8s_openapi::api::core::v1::LoadBalancerIngress>>) -> Option<String> {
    ingress?
        .iter()
        .find_map(|i| i.ip.clone().or_else(|| i.hostname.clone()))
}

fn ingress_lb(ing: &Ingress) -> Option<String> {
    let lb = ing.status.as_ref()?.load_balancer.as_ref()?;
    lb.ingress
        .as_ref()?
        .iter()
        .find_map(|i| i.ip.clone().or_else(|| i.hostname.clone()))
}

/// The endpoints of these objects, Ingress rules first, each kind sorted by name.
pub fn from_objects(ingresses: &[Ingress], services: &[Service]) -> Vec<Endpoint> {
    let mut out = Vec::new();
    let mut ingresses: Vec<&Ingress> = ingresses.iter().collect();
    ingresses.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    for ing in ingresses {
        let name = ing.metadata.name.clone().unwrap_or_default();
        let spec = ing.spec.clone().unwrap_or_default();
        let tls_hosts: Vec<String> = spec
            .tls
            .iter()
            .flatten()
            .flat_map(|t| t.hosts.clone().unwrap_or_default())
            .collect();
        let address = ingress_lb(ing);
        let rules = spec.rules.unwrap_or_default();
        // An Ingress with only a default backend still is a way in.
        let mut pairs: Vec<(Option<String>, String)> = Vec::new();
        for r in &rules {
            let paths: Vec<String> = r
                .http
                .as_ref()
                .map(|h| {
                    h.paths
                        .iter()
                        .map(|p| p.path.clone().unwrap_or_else(|| "/".into()))
                        .collect()
                })
                .unwrap_or_default();
            if paths.is_empty() {
                pairs.push((r.host.clone(), "/".into()));
            }
            for p in paths {
                pairs.push((r.host.clone(), p));
            }
        }
        if pairs.is_empty() && spec.default_backend.is_some() {
            pairs.push((None, "/".into()));
        }
        for (host, path) in pairs {
            let target = host.clone().or_else(|| address.clone());
            let scheme = match &host {
                Some(h) if tls_hosts.contains(h) => "https",
                _ => "http",
            };
            out.push(Endpoint {
                kind: "Ingress".into(),
                name: name.clone(),
                service_type: None,
                url: target.map(|t| format!("{scheme}://{t}{path}")),
                host,
                path: Some(path),
                address: address.clone(),
                ports: Vec::new(),
            });
        }
    }
    let mut services: Vec<&Service> = services.iter().collect();
    services.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    for svc in services {
        let spec = svc.spec.clone().unwrap_or_default();
        let ty = spec.type_.clone().unwrap_or_default();
        if ty != "LoadBalancer" && ty != "NodePort" {
            continue;
        }
        let ports = spec
            .ports
            .iter()
            .flatten()
            .map(|p| {
                let proto = p.protocol.clone().unwrap_or_else(|| "TCP".into());
                match p.node_port {
                    Some(n) => format!("{}:{n}/{proto}", p.port),
                    None => format!("{}/{proto}", p.port),
                }
            })
            .collect();
        let address = svc
            .status
            .as_ref()
            .and_then(|s| s.load_balancer.as_ref())
            .and_then(|lb| lb_address(lb.ingress.as_ref()))
            .or_else(|| spec.external_ips.as_ref().and_then(|e| e.first().cloned()));
        out.push(Endpoint {
            kind: "Service".into(),
            name: svc.metadata.name.clone().unwrap_or_default(),
            service_type: Some(ty),
            host: None,
            path: None,
            url: None,
            address,
            ports,
        });
    }
    out
}

/// Lists the namespace's Ingresses and Services (two requests, in parallel).
pub async fn list(host: &Host, namespace: &str) -> Result<Vec<Endpoint>> {
    let ing: Api<Ingress> = Api::namespaced(host.client.clone(), namespace);
    let svc: Api<Service> = Api::namespaced(host.client.clone(), namespace);
    let lp = ListParams::default();
    let (i, s) = futures::join!(ing.list(&lp), svc.list(&lp));
    let i = i.map_err(|e| host.map(e))?;
    let s = s.map_err(|e| host.map(e))?;
    Ok(from_objects(&i.items, &s.items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ingress_rules_and_outside_services() {
        let ing: Ingress = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web"},
            "spec": {
                "tls": [{"hosts": ["secure.example.com"]}],
                "rules": [
                    {"host": "pr-42.example.com", "http": {"paths": [
                        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}},
                        {"path": "/api", "pathType": "Prefix", "backend": {"service": {"name": "api", "port": {"number": 80}}}}]}},
                    {"host": "secure.example.com", "http": {"paths": [
                        {"pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}
                ]
            },
            "status": {"loadBalancer": {"ingress": [{"ip": "10.1.2.3"}]}}
        }))
        .unwrap();
        let svcs: Vec<Service> = serde_json::from_value(serde_json::json!([
            {"metadata": {"name": "internal"}, "spec": {"type": "ClusterIP", "ports": [{"port": 80}]}},
            {"metadata": {"name": "np"}, "spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}},
            {"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "ports": [{"port": 443, "nodePort": 31443}]},
             "status": {"loadBalancer": {"ingress": [{"hostname": "lb.example.com"}]}}}
        ]))
        .unwrap();
        let e = from_objects(&[ing], &svcs);
        let urls: Vec<Option<&str>> = e.iter().map(|e| e.url.as_deref()).collect();
        assert_eq!(
            urls,
            [
                Some("http://pr-42.example.com/"),
                Some("http://pr-42.example.com/api"),
                Some("https://secure.example.com/"),
                None,
                None
            ]
        );
        assert_eq!(e[0].address.as_deref(), Some("10.1.2.3"));
        assert_eq!(
            (e[3].name.as_str(), e[3].address.as_deref()),
            ("lb", Some("lb.example.com"))
        );
        assert_eq!(e[3].ports, ["443:31443/TCP"]);
        assert_eq!((e[4].name.as_str(), e[4].address.as_deref()), ("np", None));
        assert_eq!(e[4].ports, ["80:30080/TCP"]);
        assert_eq!(e[4].service_type.as_deref(), Some("NodePort"));
        let v = serde_json::to_value(&e[4]).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["kind", "name", "type", "host", "path", "url", "address", "ports"]
        );
    }
}
