//! `drive/files/create` (misskey.md §7.1): a `multipart/form-data` call whose text fields are
//! the parameters (`i`, `name`, `folderId`, `comment`, `isSensitive`, `force`) and whose file
//! part is stored in the caller's drive, as Misskey's `ApiCallService` reads it.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart};
use axum::http::{Request, header};
use serde_json::{Map, Value};

use super::super::ops;
use super::super::pack;
use super::super::world::{DriveFileRecord, World};
use super::{ApiError, Reply};

/// The file part of a multipart call.
#[derive(Debug, Clone)]
pub struct FilePart {
    /// The part's `filename`, if any.
    pub file_name: Option<String>,
    /// The part's `Content-Type` (`application/octet-stream` when absent).
    pub mime: String,
    /// The bytes.
    pub bytes: Bytes,
}

/// A multipart call: its text fields (as JSON strings) and its first file part.
#[derive(Debug, Default)]
pub struct Form {
    /// Text fields.
    pub fields: Map<String, Value>,
    /// The first file part.
    pub file: Option<FilePart>,
}

/// Whether `content_type` is `multipart/form-data`.
pub fn is_multipart(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|value| {
        value
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("multipart/form-data")
    })
}

/// Reads a multipart body: the fields before the first file part and that part (Misskey stops
/// at the first file). `None` when the body does not parse or has no file part (Misskey then
/// answers 400 with no body, "multipart payload not received").
pub async fn read_form(content_type: &str, body: Bytes) -> Option<Form> {
    let request = Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .ok()?;
    let mut multipart = Multipart::from_request(request, &()).await.ok()?;
    let mut form = Form::default();
    while let Some(field) = multipart.next_field().await.ok()? {
        let name = field.name().unwrap_or_default().to_owned();
        if field.file_name().is_some() {
            let file_name = field.file_name().map(str::to_owned);
            let mime = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_owned();
            let bytes = field.bytes().await.ok()?;
            form.file = Some(FilePart {
                file_name,
                mime,
                bytes,
            });
            return Some(form);
        }
        let text = field.text().await.ok()?;
        form.fields.insert(name, Value::String(text));
    }
    None
}

/// A boolean multipart field (`"true"`/`"false"`; absent: `false`).
fn flag(fields: &Map<String, Value>, name: &str) -> Result<bool, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(value)) => Ok(*value),
        Some(Value::String(text)) => match text.trim() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(ApiError::uncastable(name, "boolean")),
        },
        Some(_) => Err(ApiError::invalid_param(name, "must be boolean")),
    }
}

/// A nullable string field.
fn text(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ApiError::invalid_param(name, "must be string")),
    }
}

/// `drive/files/create` for `me`: stores `file` (none: `FILE_REQUIRED`; over `max_size`:
/// `FILE_SIZE_TOO_LARGE`) and answers the packed DriveFile; `drive:fileCreated` and
/// `main:driveFileCreated` go to the owner's streams.
pub fn create(
    world: &mut World,
    me: &str,
    fields: &Map<String, Value>,
    file: Option<FilePart>,
    max_size: u64,
) -> Result<Reply, ApiError> {
    let file = file.ok_or_else(ApiError::file_required)?;
    if file.bytes.len() as u64 > max_size {
        return Err(ApiError::file_size_too_large());
    }
    let sensitive = flag(fields, "isSensitive")?;
    flag(fields, "force")?;
    // The simulated drive has no folders: any folder id names none.
    if text(fields, "folderId")?.is_some() {
        return Err(ApiError::client(
            "NO_SUCH_FOLDER",
            "No such folder.",
            "ea8fb7a5-af77-4a08-b608-c0218176cd73",
        ));
    }
    let comment = text(fields, "comment")?;
    if comment.as_ref().is_some_and(|c| c.chars().count() > 512) {
        return Err(ApiError::invalid_param(
            "comment",
            "must NOT have more than 512 characters",
        ));
    }
    let name = text(fields, "name")?
        .or(file.file_name)
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty() && name != "blob")
        .unwrap_or_else(|| "untitled".to_owned());
    if name.chars().count() > 200 || name.contains(['/', '\\']) {
        return Err(ApiError::client(
            "INVALID_FILE_NAME",
            "Invalid file name.",
            "f449b209-0c60-4e51-84d5-29486263bfd4",
        ));
    }
    let id = world.ids.next_now();
    let record = DriveFileRecord {
        id: id.clone(),
        user_id: me.to_owned(),
        name,
        mime: file.mime,
        size: file.bytes.len() as u64,
        comment,
        sensitive,
        content: Some(file.bytes),
    };
    ops::add_file(world, record);
    let file = world.files.get(&id).ok_or_else(ApiError::internal)?;
    Ok(Reply::Json(pack::drive_file(world, file)))
}
