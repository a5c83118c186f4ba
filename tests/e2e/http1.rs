//! kubenv behind a proxy that speaks only HTTP/1.1 over TLS (ALPN offers no h2), as some
//! corporate and mesh proxies do: kubenv and the contexts it writes work there, as kubectl
//! does.

use crate::common::*;
use base64::Engine;
use std::process::Command;

/// A CA and a certificate for 127.0.0.1 signed by it (rustls refuses a self-signed leaf).
fn certificates(s: &Sandbox) -> (String, String, String) {
    let dir = s.path("tls");
    std::fs::create_dir_all(&dir).unwrap();
    let p = |f: &str| dir.join(f).to_str().unwrap().to_string();
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    for args in [
        vec![
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &p("ca.key"),
            "-out",
            &p("ca.crt"),
            "-days",
            "1",
            "-subj",
            "/CN=kubenv-test-proxy-ca",
        ],
        vec![
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &p("tls.key"),
            "-out",
            &p("tls.csr"),
            "-subj",
            "/CN=127.0.0.1",
        ],
        vec![
            "x509",
            "-req",
            "-in",
            &p("tls.csr"),
            "-CA",
            &p("ca.crt"),
            "-CAkey",
            &p("ca.key"),
            "-CAcreateserial",
            "-out",
            &p("tls.crt"),
            "-days",
            "1",
            "-extfile",
            &p("san.ext"),
        ],
    ] {
        let o = Command::new("openssl").args(&args).output().expect("openssl runs");
        assert!(
            o.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    (p("ca.crt"), p("tls.crt"), p("tls.key"))
}

#[test]
fn works_through_a_tls_proxy_that_speaks_only_http1() {
    let s = Sandbox::new();
    let name = s.name("h1");
    let (ca, cert, key) = certificates(&s);
    let p = Proxy::start_with(&s, &[], 0.0, None, &["--tls-cert", &cert, "--tls-key", &key]);
    let mut kc: serde_json::Value = serde_saphyr::from_str(&std::fs::read_to_string(&p.kubeconfig).unwrap()).unwrap();
    kc["clusters"][0]["cluster"] = serde_json::json!({
        "server": format!("https://127.0.0.1:{}", p.port),
        "certificate-authority-data": base64::engine::general_purpose::STANDARD.encode(std::fs::read(&ca).unwrap()),
    });
    std::fs::write(&s.kubeconfig, serde_saphyr::to_string(&kc).unwrap()).unwrap();

    // kubectl agrees the proxy works (and only speaks HTTP/1.1).
    s.kubectl(&["get", "namespaces", "-o", "name"]).ok();
    // kubenv: parallel requests (policy, identity, version) and the written context.
    s.kubenv(&["create", &name]).ok();
    let listed = s.kubenv(&["list", "-o", "json"]).ok().stdout;
    assert!(listed.contains(&name), "{listed}");
    s.kubectl(&["create", "configmap", "via-h1", "--from-literal=a=b"]).ok();
    s.admin(&["-n", &format!("env-{name}"), "get", "configmap", "via-h1"])
        .ok();
    let seen = p.requests();
    assert!(
        seen.iter().any(|r| r.2.contains("/namespaces") && r.0 == "POST"),
        "the create went through the proxy: {seen:?}"
    );
    s.kubenv(&["delete", &name, "--yes"]).ok();
}
