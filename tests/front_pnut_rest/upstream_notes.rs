//! What a real Misskey timeline holds (real-servers.md §1) through the REST front: `more`
//! from the upstream page, renotes of deleted notes kept, quotes keeping the quoted note,
//! every oembed raw with `embeddable_url`, users without invented counts.

use pnutkey::sim::misskey::NewNote;
use reqwest::StatusCode;
use serde_json::Value;

use super::support::*;

fn texts(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("data list")
        .iter()
        .map(|p| p["content"]["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn more_comes_from_the_upstream_page_not_the_translated_one() {
    let bridge = start().await;
    let control = bridge.control();
    for i in 0..3 {
        control
            .post("bob", &format!("public {i}"))
            .await
            .expect("note");
    }
    // Newest: a followers-only note, which the default visibilities leave out.
    let hidden = NewNote {
        text: Some("followers only".into()),
        visibility: Some("followers".into()),
        ..NewNote::default()
    };
    control.create_note("bob", hidden).await.expect("note");
    let (status, page) = bridge.get("/posts/streams/me?count=3", "demo-alice").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(texts(&page), ["public 2", "public 1", "public 0"]);
    assert_eq!(
        page["meta"]["more"], true,
        "older posts exist: {}",
        page["meta"]
    );
}

#[tokio::test]
async fn renotes_of_deleted_notes_and_quotes_are_kept() {
    let bridge = start().await;
    let control = bridge.control();
    let original = control.post("bob", "soon deleted").await.expect("note");
    let original_id = original["id"].as_str().expect("id").to_owned();
    let renote = NewNote {
        renote_id: Some(original_id.clone()),
        ..NewNote::default()
    };
    let renote = control.create_note("bob", renote).await.expect("renote");
    let quoted = control.post("carol", "quote me").await.expect("note");
    let quoted_id = quoted["id"].as_str().expect("id").to_owned();
    let quote = NewNote {
        text: Some("see this".into()),
        renote_id: Some(quoted_id.clone()),
        ..NewNote::default()
    };
    control.create_note("bob", quote).await.expect("quote");
    control.delete_note(&original_id).await.expect("delete");
    let (status, page) = bridge.get("/posts/streams/me?count=5", "demo-alice").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let posts = page["data"].as_array().expect("list");
    let renote_post = posts
        .iter()
        .find(|p| p["id"] == Bridge::pnut_id(renote["id"].as_str().expect("id")).as_str())
        .unwrap_or_else(|| panic!("the renote of a deleted note is kept: {page}"));
    assert_eq!(
        renote_post["repost_of"]["id"],
        Bridge::pnut_id(&original_id).as_str()
    );
    assert_eq!(renote_post["repost_of"]["is_deleted"], true);
    let quote_post = &posts[0];
    let text = quote_post["content"]["text"].as_str().unwrap_or_default();
    let url = format!("/notes/{quoted_id}");
    assert!(
        text.starts_with("see this") && text.ends_with(&url),
        "{text}"
    );
    let links = quote_post["content"]["entities"]["links"]
        .as_array()
        .expect("links");
    assert!(
        links
            .iter()
            .any(|l| l["url"].as_str().is_some_and(|u| u.ends_with(&url))),
        "{quote_post}"
    );
}

#[tokio::test]
async fn oembed_raws_have_embeddable_url_and_users_have_no_invented_counts() {
    let bridge = start().await;
    let control = bridge.control();
    let file = control
        .upload_file("bob", "cat.png", "image/png", 10)
        .await
        .expect("upload");
    let note = NewNote {
        text: Some("a cat".into()),
        file_ids: vec![file["id"].as_str().expect("id").to_owned()],
        ..NewNote::default()
    };
    let note = control.create_note("bob", note).await.expect("note");
    let post_id = Bridge::pnut_id(note["id"].as_str().expect("id"));
    let (status, post) = bridge
        .get(
            &format!("/posts/{post_id}?include_post_raw=1"),
            "demo-alice",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{post}");
    let embeds = post["data"]["raw"]["io.pnut.core.oembed"]
        .as_array()
        .unwrap_or_else(|| panic!("oembed raw: {post}"));
    assert!(!embeds.is_empty());
    for embed in embeds {
        let page = embed["embeddable_url"].as_str().unwrap_or_default();
        assert!(
            page.starts_with("http") && page.contains(note["id"].as_str().expect("id")),
            "{embed}"
        );
    }
    // Notes embed a short user without counts: the post's user has none rather than zeros.
    assert!(post["data"]["user"].get("counts").is_none(), "{post}");
}
