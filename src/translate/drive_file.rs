//! pnut File ⇄ Misskey DriveFile (mapping.md §3.1 `drive`, §4.2 `/users/me/files`).

use crate::misskey::{DriveFile, DriveFileProperties};
use crate::pnut::{File, ImageInfo};

use super::dates::{misskey_date_to_pnut, pnut_date_to_misskey};
use super::error::{TranslateError, date_err};
use super::ids::{misskey_to_tool, pnut_to_client};
use super::options::Options;

/// MIME type of files that name none.
const OCTET_STREAM: &str = "application/octet-stream";
/// pnut file `type` given to files that come from a Misskey drive.
pub const DRIVE_FILE_TYPE: &str = "io.pnut.core.file";

/// pnut File → Misskey DriveFile. pnut has no md5 (it has sha256): `md5` is empty.
pub fn file_to_drive_file(file: &File, opts: &Options) -> Result<DriveFile, TranslateError> {
    let user_id = file
        .user
        .as_deref()
        .map(|user| user.id.as_str())
        .or(file.user_id.as_deref())
        .map(|id| pnut_to_client(id, "file.user_id", opts))
        .transpose()?;
    let url = file.url.clone().unwrap_or_default();
    Ok(DriveFile {
        id: pnut_to_client(&file.id, "file.id", opts)?,
        created_at: pnut_date_to_misskey(&file.created_at).map_err(date_err("file.created_at"))?,
        name: file.name.clone(),
        mime_type: file
            .mime_type
            .clone()
            .unwrap_or_else(|| OCTET_STREAM.to_owned()),
        size: file.size.unwrap_or(0),
        properties: DriveFileProperties {
            width: file.image_info.as_ref().map(|info| info.width),
            height: file.image_info.as_ref().map(|info| info.height),
            ..DriveFileProperties::default()
        },
        thumbnail_url: (file.media_kind == "image" && !url.is_empty()).then(|| url.clone()),
        url,
        user_id,
        ..DriveFile::default()
    })
}

/// Misskey DriveFile → pnut File (complete, public when it has a URL).
pub fn drive_file_to_file(file: &DriveFile, opts: &Options) -> Result<File, TranslateError> {
    let media_kind = ["image", "audio", "video"]
        .into_iter()
        .find(|kind| file.mime_type.starts_with(&format!("{kind}/")))
        .unwrap_or("other");
    let image_info = match (file.properties.width, file.properties.height) {
        (Some(width), Some(height)) => Some(ImageInfo { width, height }),
        _ => None,
    };
    Ok(File {
        id: misskey_to_tool(&file.id, "driveFile.id", opts)?,
        created_at: misskey_date_to_pnut(&file.created_at)
            .map_err(date_err("driveFile.createdAt"))?,
        kind: DRIVE_FILE_TYPE.to_owned(),
        media_kind: media_kind.to_owned(),
        name: file.name.clone(),
        mime_type: Some(file.mime_type.clone()).filter(|m| !m.is_empty()),
        size: Some(file.size),
        total_size: Some(file.size),
        is_complete: true,
        is_public: !file.url.is_empty(),
        url: Some(file.url.clone()).filter(|u| !u.is_empty()),
        user_id: file
            .user_id
            .as_deref()
            .map(|id| misskey_to_tool(id, "driveFile.userId", opts))
            .transpose()?,
        image_info: if media_kind == "image" {
            image_info
        } else {
            None
        },
        ..File::default()
    })
}
