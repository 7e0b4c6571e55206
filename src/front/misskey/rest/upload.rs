//! `drive/files/create` (misskey.md §7.1): Misskey's multipart upload → pnut `POST /files`.
//! As Misskey's `ApiCallService`: the text fields before the file part are the parameters
//! (`i`, `name`, `folderId`, `comment`, `isSensitive`, `force`; booleans cast from text), the
//! token comes from `Authorization: Bearer` or the `i` field, and the file is read only after
//! the caller is known, chunk by chunk, refused with `FILE_SIZE_TOO_LARGE` (413) once it passes
//! `limits.max_upload_size`.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::StatusCode;
use serde_json::Value;

use super::call::{Call, Reply};
use super::error::{Missing, RestError};
use super::params::Params;
use super::users::to_json;
use crate::front::BridgeContext;
use crate::http::upload::{PartError, read_part, read_text};
use crate::misskey::ApiErrorBody;
use crate::pnut::File;
use crate::translate::file_to_drive_file;
use crate::upstream::Upload;

/// The endpoint this module serves.
pub const ENDPOINT: &str = "drive/files/create";

fn too_large() -> RestError {
    RestError {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        body: Box::new(ApiErrorBody::file_size_too_large()),
        retry_after: None,
    }
}

/// `FILE_REQUIRED` (400): the call carried no file.
pub fn file_required() -> RestError {
    RestError::client_error(ApiErrorBody::file_required())
}

impl From<PartError> for RestError {
    fn from(error: PartError) -> Self {
        match error {
            PartError::TooLarge => too_large(),
            PartError::Malformed(reason) => RestError::invalid_param("file", &reason),
        }
    }
}

/// Serves a multipart `drive/files/create` call.
pub async fn create(ctx: &BridgeContext, request: Request) -> Result<Reply, RestError> {
    let headers = request.headers().clone();
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|_| RestError::invalid_param("file", "multipart payload not received"))?;
    // The fields before the first file part, as Misskey reads them.
    let mut fields = Vec::new();
    loop {
        let Some(mut field) = multipart.next_field().await.map_err(PartError::from)? else {
            return Err(file_required());
        };
        if field.file_name().is_some() || field.name() == Some("file") {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&fields)
                .finish();
            return store(ctx, &headers, &query, field).await;
        }
        let name = field.name().unwrap_or_default().to_owned();
        let value = read_text(&mut field).await?;
        fields.push((name, value));
    }
}

/// Authenticates the call (`fields` as its parameters), then reads `field` (the file) and
/// uploads it to pnut.
async fn store(
    ctx: &BridgeContext,
    headers: &axum::http::HeaderMap,
    fields: &str,
    mut field: axum::extract::multipart::Field<'_>,
) -> Result<Reply, RestError> {
    let call = Call::with_params(ctx, headers, Params::from_query(fields)).await?;
    let token = call.token()?;
    let options = Options::of(&call.params)?;
    let max = ctx.config().limits.max_upload_size.as_u64();
    // Held until the upload is answered: the bytes live that long.
    let _slot = ctx
        .upload_slot()
        .ok_or_else(|| RestError::rate_limited(std::time::Duration::from_secs(1)))?;
    let file_name = field.file_name().map(str::to_owned);
    let mime = field
        .content_type()
        .unwrap_or("application/octet-stream")
        .to_owned();
    // Whatever follows the file part is not read, as Misskey ignores it.
    let bytes = read_part(&mut field, max).await?;
    let name = options
        .name
        .or(file_name)
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty() && name != "blob")
        .unwrap_or_else(|| "untitled".to_owned());
    let kind = ["image", "audio", "video"]
        .into_iter()
        .find(|kind| mime.starts_with(&format!("{kind}/")))
        .unwrap_or("other");
    let upload = Upload {
        part: "content",
        bytes,
        file_name: name.clone(),
        mime,
        fields: vec![
            (
                "type".to_owned(),
                crate::translate::drive_file::DRIVE_FILE_TYPE.to_owned(),
            ),
            ("name".to_owned(), name),
            ("kind".to_owned(), kind.to_owned()),
        ],
    };
    let file = ctx
        .pnut
        .upload::<File>(token, "/files", &upload)
        .await
        .map_err(|error| match error.status() {
            Some(413) => too_large(),
            Some(507) => RestError::client(
                "NO_FREE_SPACE",
                "Cannot upload the file because you have no free space of drive.",
                "d08dbc37-a6a9-463a-8c47-96c32ab5f064",
            ),
            _ => RestError::from_upstream(&error, Missing::Other),
        })?
        .data
        .ok_or_else(|| RestError::internal("pnut answered the upload without a file"))?;
    Ok(Reply::Json(to_json(&file_to_drive_file(
        &file,
        &ctx.translate,
    )?)?))
}

/// `drive/files/create` called with a JSON body: Misskey's `FILE_REQUIRED` once the caller is
/// known.
pub async fn without_file(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    Err(file_required())
}

/// The parameters besides the file.
struct Options {
    name: Option<String>,
}

impl Options {
    /// Checks the parameters: pnut files have no folders, sensitivity or comments, so a
    /// folder, `isSensitive: true` or a comment is refused (`INVALID_PARAM` naming it) rather
    /// than dropped; `force` is accepted (pnut keeps every upload).
    fn of(params: &Params) -> Result<Self, RestError> {
        let cast = |name: &str| {
            params.flag(name, false).map_err(|_| {
                let mut error = RestError::invalid_param(name, "cannot cast to boolean");
                error.body.error.id = "0b5f1631-7c1a-41a6-b399-cce335f34d85".to_owned();
                error
            })
        };
        cast("force")?;
        if cast("isSensitive")? {
            return Err(RestError::invalid_param(
                "isSensitive",
                "pnut files cannot be marked sensitive",
            ));
        }
        for name in ["folderId", "comment"] {
            match params.raw(name) {
                None | Some(Value::Null) => {}
                Some(Value::String(text)) if text.is_empty() || text == "null" => {}
                Some(_) => {
                    return Err(RestError::invalid_param(
                        name,
                        "pnut files keep only their name",
                    ));
                }
            }
        }
        Ok(Self {
            name: params.string("name")?.map(str::to_owned),
        })
    }
}
