//! pnut `io.pnut.core.oembed` photo raws ⇄ Misskey note `files` (mapping.md §5 "Files").

use serde_json::{Value, json};

use crate::misskey::{DriveFile, DriveFileProperties};
use crate::pnut::Raw;

use super::ids::pnut_to_client;
use super::options::Options;

/// MIME type of files whose type nothing tells.
const OCTET_STREAM: &str = "application/octet-stream";

/// The raw type pnut uses for embedded media.
pub const OEMBED_RAW: &str = "io.pnut.core.oembed";

/// The note a post's files belong to: its id, author, sensitivity and creation time.
#[derive(Debug, Clone, Copy)]
pub struct FileOwner<'a> {
    /// The note's (Misskey-side) id.
    pub note_id: &'a str,
    /// The note author's (Misskey-side) id.
    pub user_id: &'a str,
    /// The post is NSFW.
    pub sensitive: bool,
    /// The note's `createdAt` (a file is at least as old as its post).
    pub created_at: &'a str,
}

/// Misskey files built from a post's oembed raws: every photo, and every oembed of a pnut
/// file (any type). An oembed naming its pnut file (`file_id`, what pnut's `+io.pnut.core.file`
/// replacement value expands to) is that drive file: its id is the file's (padded like every
/// pnut id, so `drive/files/show` takes it back), its `type`/`size` those the raw gives
/// (`mime_type`, `size`), else guessed from the file's name, then its URL. A photo with no pnut
/// file behind it gets the id `<note id>f<index>` (unique and alphanumeric).
pub fn oembed_photos_to_files(
    raw: Option<&Raw>,
    owner: FileOwner<'_>,
    opts: &Options,
) -> Vec<DriveFile> {
    let Some(items) = raw.and_then(|raw| raw.get(OEMBED_RAW)) else {
        return Vec::new();
    };
    items
        .iter()
        .filter(|item| {
            item.get("type").and_then(Value::as_str) == Some("photo") || file_id_of(item).is_some()
        })
        .filter_map(|item| {
            let url = item
                .get("url")
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty())?;
            Some((url, item))
        })
        .enumerate()
        .map(|(index, (url, item))| oembed_file(index, url, item, owner, opts))
        .collect()
}

/// The pnut file an oembed item was made from (`file_id`, a decimal id).
fn file_id_of(item: &Value) -> Option<&str> {
    item.get("file_id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

fn oembed_file(
    index: usize,
    url: &str,
    item: &Value,
    owner: FileOwner<'_>,
    opts: &Options,
) -> DriveFile {
    let text = |key: &str| {
        item.get(key)
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
    };
    let dimension = |key: &str| {
        item.get(key)
            .and_then(Value::as_u64)
            .and_then(|v| u32::try_from(v).ok())
    };
    let name = text("title")
        .map(str::to_owned)
        .unwrap_or_else(|| file_name_of(url));
    let pnut_file = file_id_of(item).and_then(|id| pnut_to_client(id, "oembed.file_id", opts).ok());
    let photo = item.get("type").and_then(Value::as_str) == Some("photo");
    let mime_type = text("mime_type")
        .filter(|mime| mime.contains('/'))
        .map(str::to_owned)
        .or_else(|| mime_of(&name).map(str::to_owned))
        .or_else(|| mime_of(&file_name_of(url)).map(str::to_owned))
        .unwrap_or_else(|| if photo { "image/jpeg" } else { OCTET_STREAM }.to_owned());
    let thumbnail = text("thumbnail_url").or(photo.then_some(url));
    DriveFile {
        id: pnut_file.unwrap_or_else(|| format!("{}f{index}", owner.note_id)),
        created_at: owner.created_at.to_owned(),
        name,
        mime_type,
        size: item.get("size").and_then(Value::as_u64).unwrap_or(0),
        is_sensitive: owner.sensitive,
        properties: DriveFileProperties {
            width: dimension("width"),
            height: dimension("height"),
            ..DriveFileProperties::default()
        },
        url: url.to_owned(),
        thumbnail_url: thumbnail.map(str::to_owned),
        user_id: Some(owner.user_id.to_owned()),
        ..DriveFile::default()
    }
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

/// A MIME type guessed from a file name's extension (`None` when unknown).
fn mime_of(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    let (_, extension) = name.rsplit_once('.')?;
    Some(match extension {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        _ => return None,
    })
}
