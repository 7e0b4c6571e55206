//! Every subscribable pnut endpoint answers a subscribe through the production REST front:
//! the catalogue's endpoints, bridged or not as the default `[mapping.pnut_endpoints]` table
//! says.

use pnutkey::config::Config;
use pnutkey::mapping::MappingTables;
use pnutkey::mapping::catalog::SUBSCRIBABLE_PNUT_ENDPOINTS;

use super::support::*;

/// Walks the catalogue: a bridged endpoint answers 200 with `meta.subscription_id` and its
/// normal page, a non-bridged one 400 naming the endpoint.
#[tokio::test]
async fn every_subscribable_endpoint_answers_a_subscribe_through_the_rest_front() {
    let config = Config::default();
    let format = config.ids.misskey_format;
    let env = start_with(config).await;
    let control = env.control();
    let note = control.post("bob", "a thread root").await.expect("post");
    let note_id = note["id"].as_str().expect("note id");
    let post_id = pnutkey::ids::misskey_to_pnut(note_id, format).expect("pnut id");
    let channel = control.channel_id("general").await.expect("channel");
    let channel_id = pnutkey::ids::misskey_to_pnut(&channel, format).expect("pnut id");
    let table = MappingTables::default().pnut_endpoints;
    let (_ws, cid) = env.open("demo-alice").await;
    let mut bridged = 0;
    for pattern in SUBSCRIBABLE_PNUT_ENDPOINTS {
        let path = format!(
            "/v1{}",
            pattern
                .replace("{post_id}", &post_id)
                .replace("{channel_id}", &channel_id)
        );
        let (status, body) = env.subscribe("demo-alice", &path, &cid).await;
        assert_eq!(body["meta"]["code"], status, "{path}: {body}");
        if table.get(*pattern).is_some_and(|row| row.bridged) {
            bridged += 1;
            assert_eq!(status, 200, "{path}: {body}");
            let sid = body["meta"]["subscription_id"].as_str().unwrap_or_default();
            assert_eq!(sid.len(), 32, "{path}: {body}");
            assert!(body.get("data").is_some(), "{path}: {body}");
        } else {
            assert_eq!(status, 400, "{path}: {body}");
            let message = body["meta"]["error_message"].as_str().unwrap_or_default();
            assert!(
                message.contains(*pattern) && message.contains("not bridged"),
                "{path}: {body}"
            );
        }
    }
    assert_eq!(bridged, 10, "the default table bridges ten endpoints");
}
