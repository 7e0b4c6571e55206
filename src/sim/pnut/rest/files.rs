//! File routes: my files (subscribable), upload (JSON, form, multipart or raw body), lookup
//! and deletion.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::super::Shared;
use super::super::hub::SubTarget;
use super::super::render;
use super::super::world::World;
use super::{ApiError, Caller, Params, check_subscription, paginate, parse_id, respond, subscribe};
use crate::pnut::{File, Meta};

/// Name, MIME type and size of an uploaded file.
#[derive(Debug, Default, PartialEq, Eq)]
struct Upload {
    name: String,
    mime_type: String,
    size: u64,
}

/// Minimal `multipart/form-data` reading: the `name` field and the `content` part
/// (its filename, `Content-Type` and size). Malformed input yields what could be read.
fn parse_multipart(content_type: &str, body: &[u8]) -> Upload {
    let mut upload = Upload {
        mime_type: "application/octet-stream".into(),
        ..Upload::default()
    };
    let Some(boundary) = content_type
        .split(';')
        .find_map(|part| part.trim().strip_prefix("boundary="))
        .map(|b| format!("--{}", b.trim_matches('"')))
    else {
        return upload;
    };
    let text = String::from_utf8_lossy(body);
    for part in text.split(boundary.as_str()) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        let field = head
            .split(';')
            .find_map(|p| p.trim().strip_prefix("name="))
            .map(|n| n.trim_matches('"').to_string())
            .unwrap_or_default();
        let filename = head
            .split(';')
            .find_map(|p| p.trim().strip_prefix("filename="))
            .and_then(|n| n.split("\r\n").next())
            .map(|n| n.trim_matches('"').to_string());
        match field.as_str() {
            "content" => {
                upload.size = value.len() as u64;
                if upload.name.is_empty()
                    && let Some(filename) = filename
                {
                    upload.name = filename;
                }
                if let Some(mime) = head.lines().find_map(|line| {
                    line.strip_prefix("Content-Type:")
                        .or_else(|| line.strip_prefix("content-type:"))
                }) {
                    upload.mime_type = mime.trim().to_string();
                }
            }
            "name" => upload.name = value.to_string(),
            _ => {}
        }
    }
    upload
}

fn owned_file(world: &World, raw_id: &str, me: u64) -> Result<File, ApiError> {
    let id = parse_id(raw_id, "file")?;
    world
        .files
        .get(&id)
        .filter(|f| f.user_id == me)
        .map(|rec| render::file(world, rec))
        .ok_or_else(|| ApiError::not_found("file"))
}

/// `GET /users/me/files` (subscribable: file events).
pub async fn my_files(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let mut world = shared.world.lock().await;
    check_subscription(&world, caller, &params)?;
    let keyed = world
        .files
        .values()
        .filter(|f| f.user_id == me && !f.deleted)
        .map(|f| (f.id, f.id))
        .collect();
    let (page, mut meta) = paginate(keyed, &params);
    let files: Vec<_> = page
        .into_iter()
        .filter_map(|(_, fid)| world.files.get(&fid))
        .map(|rec| {
            let mut file = render::file(&world, rec);
            file.pagination_id = Some(rec.id.to_string());
            file
        })
        .collect();
    meta.subscription_id = subscribe(&mut world, caller, &params, SubTarget::Files)?;
    Ok(respond(200, meta, files))
}

/// `POST /files` (minimal, always complete): JSON or form `{name, mime_type?}`, multipart
/// with a `content` part, or a raw body with `?name=` → 201 File.
pub async fn upload_file(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Query(params): Query<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let (name, mime_type, size) = if content_type.starts_with("application/json") {
        let value: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|error| ApiError::new(400, format!("Invalid JSON body: {error}")))?;
        let field = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_string);
        (
            field("name").unwrap_or_default(),
            field("mime_type").unwrap_or_else(|| "application/octet-stream".into()),
            value.get("size").and_then(|v| v.as_u64()).unwrap_or(0),
        )
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let mut name = String::new();
        let mut mime = "application/octet-stream".to_string();
        for (key, value) in url::form_urlencoded::parse(&body) {
            match key.as_ref() {
                "name" => name = value.into_owned(),
                "mime_type" => mime = value.into_owned(),
                _ => {}
            }
        }
        (name, mime, 0)
    } else if content_type.starts_with("multipart/form-data") {
        let upload = parse_multipart(&content_type, &body);
        (upload.name, upload.mime_type, upload.size)
    } else {
        (
            params.get("name").cloned().unwrap_or_default(),
            content_type,
            body.len() as u64,
        )
    };
    let mut world = shared.world.lock().await;
    let id = world.upload_file(me, name, mime_type, size)?;
    let file = world
        .files
        .get(&id)
        .map(|rec| render::file(&world, rec))
        .ok_or_else(|| ApiError::not_found("file"))?;
    Ok(respond(201, Meta::default(), file))
}

/// `GET /files/{id}` (own files only).
pub async fn show(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let world = shared.world.lock().await;
    Ok(respond(200, Meta::default(), owned_file(&world, &id, me)?))
}

/// The token a file's owner uses in `+io.pnut.core.file` replacement values.
pub fn file_token(id: u64) -> String {
    format!("sim-file-token-{id}")
}

/// Expands `+io.pnut.core.file` replacement values (`{file_id, file_token, format: "oembed"}`)
/// in a new post's `io.pnut.core.oembed` raw into the file's oEmbed (`photo` for images,
/// else `link`), as pnut does; a wrong id or token is 400.
pub fn expand_file_oembeds(
    world: &World,
    me: u64,
    raw: &mut Option<crate::pnut::Raw>,
) -> Result<(), ApiError> {
    let Some(items) = raw
        .as_mut()
        .and_then(|raw| raw.get_mut(crate::pnut::OEMBED_RAW_TYPE))
    else {
        return Ok(());
    };
    for item in items.iter_mut() {
        let Some(replacement) = item.get("+io.pnut.core.file") else {
            continue;
        };
        let id = replacement
            .get("file_id")
            .and_then(serde_json::Value::as_str)
            .and_then(|id| id.parse::<u64>().ok());
        let token = replacement
            .get("file_token")
            .and_then(serde_json::Value::as_str);
        let file = id
            .and_then(|id| world.files.get(&id))
            .filter(|f| !f.deleted && f.user_id == me && Some(file_token(f.id).as_str()) == token)
            .ok_or_else(|| ApiError::new(400, "Invalid file_id or file_token"))?;
        let rendered = render::file(world, file);
        let kind = if file.mime_type.starts_with("image/") {
            "photo"
        } else {
            "link"
        };
        *item = serde_json::json!({
            "type": kind, "version": "1.0", "title": file.name,
            "url": rendered.url, "embeddable_url": rendered.url,
            "file_id": file.id.to_string(),
        });
    }
    Ok(())
}

/// `PUT /files/{id}` (JSON `name`) → 200 File.
pub async fn update(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
    axum::Json(body): axum::Json<serde_json::Value>,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let mut world = shared.world.lock().await;
    if let Some(name) = body.get("name").and_then(serde_json::Value::as_str) {
        world.rename_file(me, parse_id(&id, "file")?, name.to_owned())?;
    }
    Ok(respond(200, Meta::default(), owned_file(&world, &id, me)?))
}

/// `DELETE /files/{id}` → 200 deleted File.
pub async fn remove(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let mut world = shared.world.lock().await;
    world.delete_file(me, parse_id(&id, "file")?)?;
    Ok(respond(200, Meta::default(), owned_file(&world, &id, me)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_content_part_is_read() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nio.pnut.core.file\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"content\"; filename=\"cat.png\"\r\n\
                    Content-Type: image/png\r\n\r\nPNGDATA\r\n--XyZ--\r\n";
        let upload = parse_multipart("multipart/form-data; boundary=XyZ", body.as_bytes());
        assert_eq!(
            upload,
            Upload {
                name: "cat.png".into(),
                mime_type: "image/png".into(),
                size: 7,
            }
        );
        assert_eq!(
            parse_multipart("multipart/form-data", b"junk"),
            Upload {
                mime_type: "application/octet-stream".into(),
                ..Upload::default()
            }
        );
    }
}
