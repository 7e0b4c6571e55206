//! Mutes, blocks, favorites and reactions by user: `mute/create|delete|list`,
//! `blocking/create|delete|list`, `i/favorites`, `users/reactions`.

use serde_json::{Value, json};

use super::super::aidx::iso_of_id;
use super::super::pack::{self, Depth};
use super::super::world::World;
use super::params::paginate;
use super::{ApiError, Call, Reply};

/// `(owner, target)` pairs with their record id: `world.mutes` or `world.blocks`.
fn list_of(world: &mut World, blocks: bool) -> &mut Vec<(String, String, String)> {
    if blocks {
        &mut world.blocks
    } else {
        &mut world.mutes
    }
}

/// Runs one relation endpoint.
pub fn handle(world: &mut World, endpoint: &str, call: Call<'_>) -> Result<Reply, ApiError> {
    let me = call.me()?.to_owned();
    let blocks = endpoint.starts_with("blocking/");
    match endpoint {
        "mute/create" | "blocking/create" => {
            let target = call.params.req_id("userId")?;
            if world.user(&target).is_none() {
                return Err(ApiError::no_such_user(axum::http::StatusCode::BAD_REQUEST));
            }
            if list_of(world, blocks)
                .iter()
                .any(|(o, t, _)| *o == me && *t == target)
            {
                let (code, id) = if blocks {
                    ("ALREADY_BLOCKING", "787fed64-acb9-464a-82eb-afbd745b9614")
                } else {
                    ("ALREADY_MUTING", "7e7359cb-160c-4956-b08f-4d1c653cd007")
                };
                return Err(ApiError::client(code, "Already.", id));
            }
            let id = world.ids.next_now();
            list_of(world, blocks).push((me.clone(), target.clone(), id));
            // blocking/create answers the blockee (UserDetailed); mute/create nothing.
            Ok(match world.user(&target).filter(|_| blocks) {
                Some(user) => Reply::Json(pack::user_detailed(world, user, Some(&me))),
                None => Reply::NoContent,
            })
        }
        "mute/delete" | "blocking/delete" => {
            let target = call.params.req_id("userId")?;
            let list = list_of(world, blocks);
            let before = list.len();
            list.retain(|(o, t, _)| !(*o == me && *t == target));
            if list.len() == before {
                let (code, id) = if blocks {
                    ("NOT_BLOCKING", "8e45e4a1-3f4b-4f2c-9e55-0b9d3c5c6e4a")
                } else {
                    ("NOT_MUTING", "b086d1a8-0b1a-4a1a-8a4a-1c3b2f5b9a11")
                };
                return Err(ApiError::client(code, "Not.", id));
            }
            Ok(Reply::NoContent)
        }
        "mute/list" | "blocking/list" => {
            let page = call.params.page()?;
            let key = if blocks { "blockee" } else { "mutee" };
            let items: Vec<(String, Value)> = list_of(world, blocks)
                .clone()
                .into_iter()
                .filter(|(owner, _, _)| *owner == me)
                .filter_map(|(_, target, id)| {
                    let user = world.user(&target)?;
                    Some((
                        id.clone(),
                        json!({
                            "id": id,
                            "createdAt": iso_of_id(&id),
                            format!("{key}Id"): target,
                            key: pack::user_detailed(world, user, Some(&me)),
                        }),
                    ))
                })
                .collect();
            Ok(Reply::Json(Value::Array(paginate(items, &page))))
        }
        "i/favorites" => {
            let page = call.params.page()?;
            let items: Vec<(String, Value)> = world
                .favorites
                .iter()
                .filter(|f| f.user_id == me)
                .filter_map(|f| {
                    let note = world.notes.get(&f.note_id)?;
                    Some((
                        f.note_id.clone(),
                        json!({
                            "id": f.note_id,
                            "createdAt": iso_of_id(&f.note_id),
                            "noteId": f.note_id,
                            "note": pack::note(world, note, Some(&me), Depth::Full),
                        }),
                    ))
                })
                .collect();
            Ok(Reply::Json(Value::Array(paginate(items, &page))))
        }
        "users/reactions" => {
            let user_id = call.params.req_id("userId")?;
            let page = call.params.page()?;
            let items: Vec<(String, Value)> = world
                .notes
                .values()
                .filter_map(|note| {
                    let reaction = note.reactions.get(&user_id)?;
                    Some((
                        note.id.clone(),
                        json!({
                            "id": note.id,
                            "createdAt": iso_of_id(&note.id),
                            "user": pack::user_lite_by_id(world, &user_id),
                            "type": reaction,
                            "note": pack::note(world, note, Some(&me), Depth::Full),
                        }),
                    ))
                })
                .collect();
            Ok(Reply::Json(Value::Array(paginate(items, &page))))
        }
        _ => Err(ApiError::unknown_endpoint()),
    }
}
