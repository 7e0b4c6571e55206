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
use super::super::world::{FileRec, World};
use super::{ApiError, Caller, Params, check_subscription, paginate, parse_id, respond, subscribe};
use crate::pnut::{File, Meta};

/// A multipart upload: pnut's fields (`type`, `name`, `kind`, `is_public`) and the
/// `content` part (its filename, `Content-Type` and bytes).
#[derive(Debug, Default, PartialEq, Eq)]
struct Upload {
    name: String,
    mime_type: String,
    content: Option<Bytes>,
    file_type: Option<String>,
    kind: Option<String>,
    is_public: Option<String>,
}

/// Reads a `multipart/form-data` upload; a body that does not parse is 400.
async fn read_multipart(content_type: &str, body: Bytes) -> Result<Upload, ApiError> {
    use axum::extract::FromRequest;
    let malformed = |_| ApiError::new(400, "Invalid multipart body");
    let request = axum::http::Request::builder()
        .header(axum::http::header::CONTENT_TYPE, content_type)
        .body(axum::body::Body::from(body))
        .map_err(|_| ApiError::new(400, "Invalid multipart body"))?;
    let mut multipart = axum::extract::Multipart::from_request(request, &())
        .await
        .map_err(|_| ApiError::new(400, "Invalid multipart body"))?;
    let mut upload = Upload {
        mime_type: "application/octet-stream".into(),
        ..Upload::default()
    };
    let mut name = None;
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        match field.name().unwrap_or_default() {
            "content" => {
                if let Some(filename) = field.file_name() {
                    upload.name = filename.to_owned();
                }
                if let Some(mime) = field.content_type() {
                    upload.mime_type = mime.to_owned();
                }
                upload.content = Some(field.bytes().await.map_err(malformed)?);
            }
            "name" => name = Some(field.text().await.map_err(malformed)?),
            "type" => upload.file_type = Some(field.text().await.map_err(malformed)?),
            "kind" => upload.kind = Some(field.text().await.map_err(malformed)?),
            "is_public" => upload.is_public = Some(field.text().await.map_err(malformed)?),
            _ => {}
        }
    }
    if let Some(name) = name {
        upload.name = name;
    }
    Ok(upload)
}

/// Checks a multipart upload as pnut does and turns it into a file record.
fn upload_record(me: u64, upload: Upload, max_size: u64) -> Result<FileRec, ApiError> {
    let content = upload
        .content
        .ok_or_else(|| ApiError::new(400, "Missing file content (content)"))?;
    if content.len() as u64 > max_size {
        return Err(ApiError::new(413, "File is too large"));
    }
    let file_type = upload
        .file_type
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| ApiError::new(400, "Missing file type (type)"))?;
    if let Some(kind) = &upload.kind
        && !matches!(kind.as_str(), "image" | "audio" | "video" | "other")
    {
        return Err(ApiError::new(400, format!("Invalid kind: {kind}")));
    }
    let is_public = match upload.is_public.as_deref() {
        None | Some("0" | "false") => false,
        Some("1" | "true") => true,
        Some(other) => return Err(ApiError::new(400, format!("Invalid is_public: {other}"))),
    };
    Ok(FileRec {
        user_id: me,
        name: upload.name,
        mime_type: upload.mime_type,
        size: content.len() as u64,
        file_type: Some(file_type),
        kind: upload.kind,
        is_public,
        content: Some(content),
        ..FileRec::default()
    })
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

/// `POST /files` (always complete): multipart as pnut documents it (`content` part, `type`,
/// `name`, `kind`, `is_public`; the bytes are kept), JSON or form `{name, mime_type?}`, or a
/// raw body with `?name=` → 201 File.
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
        let upload = read_multipart(&content_type, body).await?;
        let record = upload_record(me, upload, shared.options.max_upload_size)?;
        let mut world = shared.world.lock().await;
        let id = world.add_file(record)?;
        let file = world
            .files
            .get(&id)
            .map(|rec| render::file(&world, rec))
            .ok_or_else(|| ApiError::not_found("file"))?;
        return Ok(respond(201, Meta::default(), file));
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

    #[tokio::test]
    async fn multipart_content_part_is_read() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nio.pnut.core.file\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"content\"; filename=\"cat.png\"\r\n\
                    Content-Type: image/png\r\n\r\nPNGDATA\r\n--XyZ--\r\n";
        let upload = read_multipart("multipart/form-data; boundary=XyZ", Bytes::from(body))
            .await
            .expect("parses");
        assert_eq!(
            upload,
            Upload {
                name: "cat.png".into(),
                mime_type: "image/png".into(),
                content: Some(Bytes::from_static(b"PNGDATA")),
                file_type: Some("io.pnut.core.file".into()),
                ..Upload::default()
            }
        );
        assert_eq!(upload.content.map(|c| c.len()), Some(7));
        assert!(
            read_multipart("multipart/form-data", Bytes::from_static(b"junk"))
                .await
                .is_err()
        );
    }
}
