//! pnut `io.pnut.core.oembed` photo raws ⇄ Misskey note `files` (mapping.md §5 "Files").

use serde_json::{Value, json};

use crate::misskey::{DriveFile, DriveFileProperties};
use crate::pnut::Raw;

/// The raw type pnut uses for embedded media.
pub const OEMBED_RAW: &str = "io.pnut.core.oembed";

/// Misskey files built from a post's oembed photo raws. File ids are `<note id>f<index>`
/// (pnut has no drive file behind an oembed; the id only has to be unique and alphanumeric).
pub fn oembed_photos_to_files(
    raw: Option<&Raw>,
    note_id: &str,
    user_id: &str,
    sensitive: bool,
) -> Vec<DriveFile> {
    let Some(items) = raw.and_then(|raw| raw.get(OEMBED_RAW)) else {
        return Vec::new();
    };
    items
        .iter()
        .filter(|item| item.get("type").and_then(Value::as_str) == Some("photo"))
        .filter_map(|item| {
            let url = item
                .get("url")
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty())?;
            Some((url, item))
        })
        .enumerate()
        .map(|(index, (url, item))| {
            let dimension = |key: &str| {
                item.get(key)
                    .and_then(Value::as_u64)
                    .and_then(|v| u32::try_from(v).ok())
            };
            let name = item
                .get("title")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .unwrap_or_else(|| file_name_of(url));
            DriveFile {
                id: format!("{note_id}f{index}"),
                name,
                mime_type: image_mime_of(url).to_owned(),
                is_sensitive: sensitive,
                properties: DriveFileProperties {
                    width: dimension("width"),
                    height: dimension("height"),
                    ..DriveFileProperties::default()
                },
                url: url.to_owned(),
                thumbnail_url: Some(
                    item.get("thumbnail_url")
                        .and_then(Value::as_str)
                        .unwrap_or(url)
                        .to_owned(),
                ),
                user_id: Some(user_id.to_owned()),
                ..DriveFile::default()
            }
        })
        .collect()
}

/// A post `raw` holding one oembed photo per image file of a note (`None` when there is none).
/// Non-image files have no pnut counterpart and are left out. Every photo has
/// `embeddable_url`, the page showing it (`page`, the note's page; the file URL when empty), as
/// App.net and pnut oembed annotations do (pnutty reads it unconditionally).
pub fn files_to_oembed_raw(files: &[DriveFile], page: &str) -> Option<Raw> {
    let photos: Vec<Value> = files
        .iter()
        .filter(|file| file.mime_type.starts_with("image/") && !file.url.is_empty())
        .map(|file| {
            let mut photo = json!({
                "type": "photo",
                "version": "1.0",
                "url": file.url,
                "width": file.properties.width.unwrap_or(0),
                "height": file.properties.height.unwrap_or(0),
                "title": file.name,
                "embeddable_url": if page.is_empty() { file.url.as_str() } else { page },
            });
            if let (Some(thumb), Some(object)) =
                (file.thumbnail_url.as_ref(), photo.as_object_mut())
            {
                object.insert("thumbnail_url".to_owned(), Value::String(thumb.clone()));
            }
            photo
        })
        .collect();
    (!photos.is_empty()).then(|| Raw::from([(OEMBED_RAW.to_owned(), photos)]))
}

/// The last path segment of a URL (without query), or `image`.
fn file_name_of(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    path.rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("image")
        .to_owned()
}

/// An image MIME type guessed from the URL's extension (`image/jpeg` when unknown).
fn image_mime_of(url: &str) -> &'static str {
    let name = file_name_of(url).to_ascii_lowercase();
    match name.rsplit('.').next() {
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("avif") => "image/avif",
        Some("svg") => "image/svg+xml",
        _ => "image/jpeg",
    }
}
