//! Issue 16: pnut's user streams live on their own host (pnut.io: `stream.pnut.io`, not
//! `api.pnut.io`). The simulated pnut is split the same way; the pnut client dials the
//! configured stream URL with the token where `stream_auth` says (query by default).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use pnutkey::ratelimit::{PnutQuotas, pnut_limiter};
use pnutkey::sim::pnut::{SimPnut, SimPnutOptions, StreamTokenPlaces};
use pnutkey::upstream::pnut::{PnutClient, PnutClientSettings, PnutStreamEvent, StreamAuth};
use serde_json::Value;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite;

const WAIT: Duration = Duration::from_secs(10);

async fn sim_accepting(places: StreamTokenPlaces) -> SimPnut {
    SimPnut::start(SimPnutOptions {
        stream_tokens: places,
        ..SimPnutOptions::default()
    })
    .await
    .expect("sim starts")
}

const QUERY_ONLY: StreamTokenPlaces = StreamTokenPlaces {
    query: true,
    header: false,
};
const HEADER_ONLY: StreamTokenPlaces = StreamTokenPlaces {
    query: false,
    header: true,
};

fn client(sim: &SimPnut, stream_url: String, stream_auth: StreamAuth) -> PnutClient {
    let settings = PnutClientSettings {
        base_url: sim.base_url(),
        stream_url,
        stream_auth,
        request_timeout: Duration::from_secs(5),
        backoff_min: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        ..PnutClientSettings::default()
    };
    PnutClient::new(settings, Arc::new(pnut_limiter(&PnutQuotas::default()))).expect("client")
}

/// The first thing the stream task reports (connected or rejected).
async fn first_outcome(client: &PnutClient, token: &str) -> PnutStreamEvent {
    let mut stream = client.open_stream(token);
    loop {
        let event = timeout(WAIT, stream.next_event())
            .await
            .expect("stream event in time")
            .expect("stream task alive");
        if !matches!(event, PnutStreamEvent::Disconnected { .. }) {
            stream.close().await;
            return event;
        }
    }
}

#[tokio::test]
async fn the_api_port_answers_a_stream_upgrade_with_a_404_envelope() {
    let sim = sim_accepting(StreamTokenPlaces::default()).await;
    let on_api = format!("ws://{}/v1/user?access_token=demo-alice", sim.addr());
    match tokio_tungstenite::connect_async(on_api).await {
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 404);
            let body: Value = serde_json::from_slice(response.body().as_deref().unwrap_or(b""))
                .expect("pnut envelope");
            assert_eq!(body["meta"]["code"], 404, "{body}");
            assert!(body.get("data").is_none(), "{body}");
        }
        other => panic!("expected an HTTP 404, got {other:?}"),
    }
    assert_ne!(sim.addr(), sim.stream_addr());
    assert_eq!(
        sim.stream_url(),
        format!("ws://{}/v1/user", sim.stream_addr())
    );
}

#[tokio::test]
async fn the_stream_host_hello_names_the_stream_host() {
    let sim = sim_accepting(QUERY_ONLY).await;
    let url = format!("{}?access_token=demo-bob", sim.stream_url());
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade on the stream host");
    let hello = timeout(WAIT, ws.next())
        .await
        .expect("hello in time")
        .expect("open")
        .expect("frame");
    let hello: Value = serde_json::from_str(hello.to_text().expect("text")).expect("json");
    assert_eq!(
        hello["meta"]["stream"]["endpoint"].as_str(),
        Some(sim.stream_url().as_str())
    );
    // A query-only stream host refuses the token in the header: 401.
    let mut request = tungstenite::client::IntoClientRequest::into_client_request(sim.stream_url())
        .expect("request");
    request
        .headers_mut()
        .insert("Authorization", "Bearer demo-bob".parse().expect("header"));
    match tokio_tungstenite::connect_async(request).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401),
        other => panic!("expected an HTTP 401, got {other:?}"),
    }
}

#[tokio::test]
async fn the_client_puts_the_token_in_the_query_by_default() {
    let sim = sim_accepting(QUERY_ONLY).await;
    assert_eq!(PnutClientSettings::default().stream_auth, StreamAuth::Query);
    let query = client(&sim, sim.stream_url(), StreamAuth::default());
    assert!(
        matches!(
            first_outcome(&query, "demo-alice").await,
            PnutStreamEvent::Connected { .. }
        ),
        "the query-token upgrade reaches the stream host"
    );
    // The same stream host refuses a client that sends the header only.
    let header = client(&sim, sim.stream_url(), StreamAuth::Header);
    assert_eq!(
        first_outcome(&header, "demo-alice").await,
        PnutStreamEvent::Rejected { status: 401 }
    );
}

#[tokio::test]
async fn header_mode_sends_the_bearer_header() {
    let sim = sim_accepting(HEADER_ONLY).await;
    let header = client(&sim, sim.stream_url(), StreamAuth::Header);
    assert!(matches!(
        first_outcome(&header, "demo-alice").await,
        PnutStreamEvent::Connected { .. }
    ));
    let query = client(&sim, sim.stream_url(), StreamAuth::Query);
    assert_eq!(
        first_outcome(&query, "demo-alice").await,
        PnutStreamEvent::Rejected { status: 401 }
    );
}

#[tokio::test]
async fn a_stream_url_derived_from_the_api_url_dials_the_wrong_host() {
    let sim = sim_accepting(StreamTokenPlaces::default()).await;
    // What the bridge did before stream_url existed: the API host with /v1/user.
    let derived = format!("ws://{}/v1/user", sim.addr());
    let wrong = client(&sim, derived, StreamAuth::Query);
    assert_eq!(
        first_outcome(&wrong, "demo-alice").await,
        PnutStreamEvent::Rejected { status: 404 }
    );
    assert_eq!(sim.control().counts().await.connections, 0);
}
