//! `POST /v1/files` (pnut's multipart upload: a `content` part, `type`, `name`, `kind`,
//! `is_public`) → Misskey `drive/files/create`; answers the new file as a pnut File (201).
//! The content is read part by part and refused (413) once it passes
//! `limits.max_upload_size`: never more than that is held.

use std::sync::Arc;

use axum::extract::{FromRequest, Multipart, RawQuery, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::params;
use super::reply::{RestError, RestResult, ok};
use crate::front::BridgeContext;
use crate::http::upload::{PartError, read_part, read_text};
use crate::misskey::DriveFile;
use crate::translate;
use crate::upstream::Upload;

/// What the form carried.
#[derive(Debug, Default)]
struct Form {
    content: Option<(bytes::Bytes, Option<String>, Option<String>)>,
    file_type: Option<String>,
    name: Option<String>,
    kind: Option<String>,
}

impl From<PartError> for RestError {
    fn from(error: PartError) -> Self {
        match error {
            PartError::TooLarge => {
                RestError::TooLarge("File too large (limits.max_upload_size)".to_owned())
            }
            PartError::Malformed(message) => RestError::BadRequest(message),
        }
    }
}

/// The `/v1/files` route: `POST` uploads; other methods are 404, as before.
pub async fn handle(
    State(ctx): State<Arc<BridgeContext>>,
    RawQuery(raw_query): RawQuery,
    request: Request,
) -> Response {
    if request.method() != Method::POST {
        return RestError::NotFound("Not Found".to_owned()).into_response();
    }
    match upload(&ctx, raw_query.as_deref(), request).await {
        Ok(reply) => reply.into_response(),
        Err(error) => error.into_response(),
    }
}

async fn upload(ctx: &BridgeContext, raw_query: Option<&str>, request: Request) -> RestResult {
    let token = params::upstream_token(ctx, request.headers(), raw_query)?;
    let max = ctx.config().limits.max_upload_size.as_u64();
    // Held until the upload is answered: the bytes live that long.
    let _slot = ctx.upload_slot().ok_or_else(|| {
        RestError::Busy("Too many uploads at once (limits.max_concurrent_uploads)".to_owned())
    })?;
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|_| RestError::BadRequest("POST /files takes multipart/form-data".to_owned()))?;
    let form = read_form(&mut multipart, max).await?;
    let (bytes, file_name, mime) = form
        .content
        .ok_or_else(|| RestError::BadRequest("Missing file content (content)".to_owned()))?;
    let file_type = form.file_type.filter(|t| !t.trim().is_empty());
    if file_type.is_none() {
        return Err(RestError::BadRequest("Missing file type (type)".to_owned()));
    }
    if let Some(kind) = &form.kind
        && !matches!(kind.as_str(), "image" | "audio" | "video" | "other")
    {
        return Err(RestError::BadRequest(format!("Invalid kind: {kind}")));
    }
    let name = form
        .name
        .or(file_name)
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .ok_or_else(|| RestError::BadRequest("Missing file name (name)".to_owned()))?;
    let upload = Upload {
        part: "file",
        bytes,
        file_name: name.clone(),
        mime: mime.unwrap_or_else(|| "application/octet-stream".to_owned()),
        fields: vec![("name".to_owned(), name)],
    };
    let row: DriveFile = ctx
        .misskey
        .upload(&token, "drive/files/create", &upload)
        .await?;
    let mut file = translate::drive_file_to_file(&row, &ctx.translate)?;
    file.file_token = Some(file_token(&file.id));
    ok(StatusCode::CREATED, file)
}

/// The `file_token` the bridge shows for its caller's own files. Attaching a file needs no
/// secret over Misskey (`notes/create` takes only the caller's own files), so it is derived from
/// the id; tools copy it into `+io.pnut.core.file` values, where the bridge ignores it.
pub fn file_token(file_id: &str) -> String {
    format!("bridge-file-{file_id}")
}

/// Reads the parts: `content` bounded by `max`, text fields bounded by their own limit;
/// unknown parts are read past (bounded too).
async fn read_form(multipart: &mut Multipart, max: u64) -> Result<Form, RestError> {
    let mut form = Form::default();
    while let Some(mut field) = multipart.next_field().await.map_err(PartError::from)? {
        match field.name().unwrap_or_default() {
            "content" => {
                let file_name = field.file_name().map(str::to_owned);
                let mime = field.content_type().map(str::to_owned);
                let bytes = read_part(&mut field, max).await?;
                form.content = Some((bytes, file_name, mime));
            }
            "type" => form.file_type = Some(read_text(&mut field).await?),
            "name" => form.name = Some(read_text(&mut field).await?),
            "kind" => form.kind = Some(read_text(&mut field).await?),
            // `is_public`, `raw`, …: Misskey drive files have no counterpart.
            _ => {
                read_part(&mut field, crate::http::upload::MAX_TEXT_FIELD).await?;
            }
        }
    }
    Ok(form)
}
