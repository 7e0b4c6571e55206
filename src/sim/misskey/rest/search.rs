//! Search and server-level endpoints a pnut tool reaches through the bridge: `users/search`,
//! `notes/search`, `notes/search-by-tag`, `stats`, `drive/files/show`.

use serde_json::{Value, json};

use super::super::filter;
use super::super::pack::{self, Depth};
use super::super::world::{NoteRecord, World};
use super::params::paginate;
use super::{ApiError, Call, Reply};

/// Notes `call.user_id` may see that `keep` takes, paginated, packed.
fn notes(
    world: &World,
    call: Call<'_>,
    keep: impl Fn(&NoteRecord) -> bool,
) -> Result<Reply, ApiError> {
    let page = call.params.page()?;
    let items: Vec<(String, &NoteRecord)> = world
        .notes
        .values()
        .filter(|note| filter::can_see(world, note, call.user_id) && keep(note))
        .map(|note| (note.id.clone(), note))
        .collect();
    let packed: Vec<Value> = paginate(items, &page)
        .into_iter()
        .map(|note| pack::note(world, note, call.user_id, Depth::Full))
        .collect();
    Ok(Reply::Json(Value::Array(packed)))
}

/// Runs one search or server-level endpoint.
pub fn handle(world: &mut World, endpoint: &str, call: Call<'_>) -> Result<Reply, ApiError> {
    match endpoint {
        "users/search" => {
            let query = call
                .params
                .opt_str("query")?
                .unwrap_or_default()
                .to_lowercase();
            let limit = usize::try_from(call.params.int("limit", 10, 1, 100)?).unwrap_or(10);
            let users: Vec<Value> = world
                .users
                .values()
                .filter(|user| {
                    user.username.to_lowercase().contains(&query)
                        || user
                            .name
                            .as_deref()
                            .is_some_and(|name| name.to_lowercase().contains(&query))
                })
                .take(limit)
                .map(|user| pack::user_detailed(world, user, call.user_id))
                .collect();
            Ok(Reply::Json(Value::Array(users)))
        }
        "notes/search" => {
            let query = call
                .params
                .opt_str("query")?
                .unwrap_or_default()
                .to_lowercase();
            notes(world, call, |note| {
                note.text
                    .as_deref()
                    .is_some_and(|text| text.to_lowercase().contains(&query))
            })
        }
        "notes/search-by-tag" => {
            let tag = call
                .params
                .opt_str("tag")?
                .unwrap_or_default()
                .to_lowercase();
            let hashtag = format!("#{tag}");
            notes(world, call, |note| {
                note.text.as_deref().is_some_and(|text| {
                    text.to_lowercase()
                        .split(|c: char| c.is_whitespace())
                        .any(|word| word.trim_end_matches(['.', ',', '!', '?']) == hashtag)
                })
            })
        }
        "stats" => Ok(Reply::Json(json!({
            "notesCount": world.notes.len(),
            "originalNotesCount": world.notes.len(),
            "usersCount": world.users.len(),
            "originalUsersCount": world.users.len(),
            "instances": 0,
            "driveUsageLocal": 0,
            "driveUsageRemote": 0,
        }))),
        "drive/files/show" => {
            let me = call.me()?;
            let id = call.params.req_id("fileId")?;
            let file = world
                .files
                .get(&id)
                .filter(|file| file.user_id == me)
                .ok_or_else(|| ApiError::from(super::super::ops::OpError::NoSuchFile))?;
            Ok(Reply::Json(pack::drive_file(world, file)))
        }
        _ => Err(ApiError::unknown_endpoint()),
    }
}
