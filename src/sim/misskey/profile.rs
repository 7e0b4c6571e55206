//! World mutations of a user's own profile and drive (real-servers.md §1): `i/update` sends
//! `main:meUpdated` every time, a renamed drive file `drive:fileUpdated`, a deleted one
//! `drive:fileDeleted`.

use super::events;
use super::ops::OpError;
use super::pack;
use super::world::World;

/// Sets the display name (and description when given) of `user_id`: `main` `meUpdated`.
pub fn update_me(
    world: &mut World,
    user_id: &str,
    name: Option<String>,
    description: Option<String>,
) -> Result<(), OpError> {
    let user = world.users.get_mut(user_id).ok_or(OpError::NoSuchUser)?;
    if let Some(name) = name {
        user.name = Some(name).filter(|n| !n.is_empty());
    }
    if let Some(description) = description {
        user.description = Some(description).filter(|d| !d.is_empty());
    }
    let Some(user) = world.user(user_id) else {
        return Err(OpError::NoSuchUser);
    };
    let payload = pack::me_detailed(world, user);
    events::main_event(world, user_id, "meUpdated", payload);
    Ok(())
}

/// Renames a drive file of `user_id`: `drive` `fileUpdated` with the packed file.
pub fn rename_file(
    world: &mut World,
    user_id: &str,
    file_id: &str,
    name: &str,
) -> Result<(), OpError> {
    if name.trim().is_empty() {
        return Err(OpError::InvalidParam("name".into()));
    }
    let file = world.files.get_mut(file_id).ok_or(OpError::NoSuchFile)?;
    if file.user_id != user_id {
        return Err(OpError::AccessDenied);
    }
    file.name = name.to_string();
    let file = file.clone();
    let payload = pack::drive_file(world, &file);
    events::drive_event(world, user_id, "fileUpdated", payload);
    Ok(())
}

/// Deletes a drive file of `user_id`: `drive` `fileDeleted` with the file id.
pub fn delete_file(world: &mut World, user_id: &str, file_id: &str) -> Result<(), OpError> {
    let file = world.files.get(file_id).ok_or(OpError::NoSuchFile)?;
    if file.user_id != user_id {
        return Err(OpError::AccessDenied);
    }
    world.files.remove(file_id);
    for note in world.notes.values_mut() {
        note.file_ids.retain(|id| id != file_id);
    }
    events::drive_event(world, user_id, "fileDeleted", serde_json::json!(file_id));
    Ok(())
}
