//! TLS on the listener with a CA made at test time: https and wss through the running bridge,
//! and a SIGHUP-style reload that swaps the certificate for new handshakes.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::SinkExt;
use pnutkey::app::Running;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls_pki_types::pem::PemObject;
use serde_json::json;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_tungstenite::Connector;

mod common;

use common::api::scratch_dir;

/// A CA (its PEM) and a certificate + key it issued for 127.0.0.1, written to `dir`.
fn issue(dir: &Path, ca_name: &str) -> String {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, ca_name);
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA cert");
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf_params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("params");
    let leaf = leaf_params
        .signed_by(&leaf_key, &issuer)
        .expect("leaf cert");
    std::fs::write(dir.join("cert.pem"), leaf.pem()).expect("write cert");
    std::fs::write(dir.join("key.pem"), leaf_key.serialize_pem()).expect("write key");
    ca_cert.pem()
}

fn trusting(ca_pem: &str) -> (reqwest::Client, Arc<ClientConfig>) {
    let https = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("CA")])
        .build()
        .expect("client");
    let mut roots = RootCertStore::empty();
    let ca = rustls_pki_types::CertificateDer::from_pem_slice(ca_pem.as_bytes()).expect("CA der");
    roots.add(ca).expect("root");
    let config = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (https, Arc::new(config))
}

async fn start(dir: &Path) -> Running {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    common::app::start(move |config| {
        config.storage.path = ":memory:".to_owned();
        config.listen.tls_cert = Some(cert);
        config.listen.tls_key = Some(key);
    })
    .await
}

async fn meta_over_https(
    client: &reqwest::Client,
    running: &Running,
) -> reqwest::Result<serde_json::Value> {
    client
        .post(format!("https://{}/api/meta", running.addr))
        .json(&json!({}))
        .send()
        .await?
        .json()
        .await
}

#[tokio::test]
async fn https_and_wss_with_the_test_ca() {
    let dir = scratch_dir("tls");
    let ca = issue(&dir, "pnutkey test CA");
    let running = start(&dir).await;
    let (https, tls_config) = trusting(&ca);
    let meta = meta_over_https(&https, &running).await.expect("https meta");
    assert_eq!(meta["uri"], format!("https://{}", running.addr));
    let (status, me) = {
        let response = https
            .post(format!("https://{}/api/i", running.addr))
            .bearer_auth("demo-alice")
            .json(&json!({}))
            .send()
            .await
            .expect("https i");
        (
            response.status().as_u16(),
            response.json::<serde_json::Value>().await.expect("JSON"),
        )
    };
    assert_eq!((status, me["username"].as_str()), (200, Some("alice")));

    let url = format!("wss://{}/streaming?i=demo-alice", running.addr);
    let (mut ws, response) = tokio_tungstenite::connect_async_tls_with_config(
        url,
        None,
        false,
        Some(Connector::Rustls(tls_config)),
    )
    .await
    .expect("wss upgrade");
    assert_eq!(response.status().as_u16(), 101);
    let connect = json!({"type": "connect", "body": {"channel": "main", "id": "m", "params": {}, "pong": true}});
    ws.send(tokio_tungstenite::tungstenite::Message::text(
        connect.to_string(),
    ))
    .await
    .expect("send");
    loop {
        let frame = common::ws::next_json(&mut ws).await;
        if frame["type"] == "connected" {
            assert_eq!(frame["body"]["id"], "m");
            break;
        }
    }
    drop(ws);
    // Plain http on the TLS port is no way in.
    let plain = reqwest::get(format!("http://{}/api/meta", running.addr)).await;
    assert!(!plain.is_ok_and(|r| r.status().is_success()));
    running.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_reload_swaps_the_certificate_and_a_bad_one_is_refused() {
    let dir = scratch_dir("tls-reload");
    let first_ca = issue(&dir, "first CA");
    let running = start(&dir).await;
    let (first, _) = trusting(&first_ca);
    meta_over_https(&first, &running)
        .await
        .expect("first CA trusted");

    let second_ca = issue(&dir, "second CA");
    // Like SIGHUP: the config (here the embedded default) and the certificate are read again.
    running.reload_from(None).expect("reload");
    let (second, _) = trusting(&second_ca);
    let (fresh_first, _) = trusting(&first_ca);
    meta_over_https(&second, &running)
        .await
        .expect("second CA trusted after reload");
    assert!(
        meta_over_https(&fresh_first, &running).await.is_err(),
        "the old certificate is gone"
    );

    // A broken pair is refused; the running certificate stays.
    std::fs::write(dir.join("key.pem"), "not a key").expect("break key");
    running.reload_from(None).expect("config reload");
    let (again, _) = trusting(&second_ca);
    meta_over_https(&again, &running)
        .await
        .expect("still the second certificate");
    running.stop(Duration::from_secs(5)).await;
}
