//! Drive endpoints over pnut files: `drive` (usage), `drive/files`, `drive/files/show`,
//! `drive/files/update`, `drive/files/delete` (mapping.md §3.3). pnut has no folders (`drive/folders` is `[]`).

use serde_json::{Value, json};

use super::call::{Call, Reply};
use super::error::{Missing, RestError};
use super::params::borrow_query;
use super::users::to_json;
use crate::pnut::{File, Token};
use crate::translate::file_to_drive_file;

/// `drive/files`: `GET /users/me/files`, paginated.
pub async fn files(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    let page = call.params.page()?;
    let query = page.pnut_query();
    let files: Vec<File> = call
        .get("/users/me/files", &borrow_query(&query), Missing::Other)
        .await?;
    let mut out = Vec::new();
    for file in files.iter().filter(|file| file.is_deleted != Some(true)) {
        match file_to_drive_file(file, &call.ctx.translate) {
            Ok(drive_file) => out.push(to_json(&drive_file)?),
            Err(error) => tracing::warn!(%error, "misskey REST: dropping a file"),
        }
    }
    Ok(Reply::Json(Value::Array(page.order(out))))
}

/// The `fileId` parameter as a pnut file id (an id that cannot be one names no file).
fn file_id(call: &Call<'_>) -> Result<String, RestError> {
    let id = call.params.required_string("fileId")?;
    crate::ids::pnut_id_from_misskey(id).map_err(|_| no_such_file())
}

fn no_such_file() -> RestError {
    RestError::client(
        "NO_SUCH_FILE",
        "No such file.",
        "067bc436-2718-4795-b0fb-ecbe43949e31",
    )
}

/// `drive/files/show` (`fileId`): `GET /files/{id}` → DriveFile; a deleted file is
/// `NO_SUCH_FILE`.
pub async fn show(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    let id = file_id(call)?;
    let file: File = call
        .get(&format!("/files/{id}"), &[], Missing::File)
        .await?;
    if file.is_deleted == Some(true) {
        return Err(no_such_file());
    }
    Ok(Reply::Json(to_json(&file_to_drive_file(
        &file,
        &call.ctx.translate,
    )?)?))
}

/// `drive/files/update` (`fileId`, `name`): `PUT /files/{id}` → DriveFile. pnut files have
/// no folders, sensitivity or comments: `folderId`, `isSensitive`, `comment` are refused
/// (`INVALID_PARAM` naming them) rather than answered as if saved.
pub async fn update(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    let id = file_id(call)?;
    for name in ["folderId", "isSensitive", "comment"] {
        if call.params.has(name) {
            return Err(RestError::invalid_param(
                name,
                "pnut files keep only their name",
            ));
        }
    }
    let name = call.params.required_string("name")?;
    let file = call
        .write::<File>(
            reqwest::Method::PUT,
            &format!("/files/{id}"),
            Some(&json!({"name": name})),
            Missing::File,
        )
        .await?
        .ok_or_else(no_such_file)?;
    Ok(Reply::Json(to_json(&file_to_drive_file(
        &file,
        &call.ctx.translate,
    )?)?))
}

/// `drive/files/delete` (`fileId`): `DELETE /files/{id}` → 204.
pub async fn delete(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    let id = file_id(call)?;
    call.write::<Value>(
        reqwest::Method::DELETE,
        &format!("/files/{id}"),
        None,
        Missing::File,
    )
    .await?;
    Ok(Reply::NoContent)
}

/// `drive`: `{capacity, usage}` in bytes from the token's pnut storage (`GET /token`:
/// `storage.total`, used = total − available); 0 when pnut gives none.
pub async fn usage(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    let token: Token = call.get("/token", &[], Missing::Other).await?;
    let (capacity, usage) = token.storage.map_or((0, 0), |storage| {
        (
            storage.total,
            storage.total.saturating_sub(storage.available),
        )
    });
    Ok(Reply::Json(json!({"capacity": capacity, "usage": usage})))
}
