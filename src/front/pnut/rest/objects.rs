//! Fetching and translating Misskey objects for the pnut REST front (notes → posts,
//! users → users, follow relations, drive files), shared by reads and writes.

use serde_json::{Map, Value, json};

use super::params::{Page, misskey_id};
use super::reply::{RestError, newest_first};
use crate::front::BridgeContext;
use crate::misskey::{DriveFile, Following, MeDetailed, Note, UserDetailed};
use crate::pnut::{File, Post, User};
use crate::translate::{self, Translated};

/// One authenticated call context: the shared state and the upstream token.
#[derive(Clone, Copy)]
pub struct Caller<'a> {
    /// Shared front state.
    pub ctx: &'a BridgeContext,
    /// Upstream Misskey token (never logged).
    pub token: &'a str,
}

/// A Misskey body with one key.
pub fn body1(key: &str, value: Value) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert(key.to_owned(), value);
    body
}

impl Caller<'_> {
    /// A read call.
    pub async fn read<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: &str,
        body: Map<String, Value>,
    ) -> Result<T, RestError> {
        Ok(self.ctx.misskey.read(self.token, endpoint, body).await?)
    }

    /// A write call (its answer ignored).
    pub async fn write(
        &self,
        endpoint: &str,
        body: Map<String, Value>,
    ) -> Result<Value, RestError> {
        Ok(self.ctx.misskey.write(self.token, endpoint, body).await?)
    }

    /// The token's user.
    pub async fn me(&self) -> Result<MeDetailed, RestError> {
        self.read("i", Map::new()).await
    }

    /// A pnut user reference (`me`, `@username`, decimal id) → the Misskey user id.
    pub async fn user_id(&self, reference: &str) -> Result<String, RestError> {
        if reference == "me" {
            return Ok(self.me().await?.user.lite.id);
        }
        if let Some(name) = reference.strip_prefix('@') {
            let (username, host) = match name.split_once('@') {
                Some((user, host)) => (user, Some(host)),
                None => (name, None),
            };
            let mut body = body1("username", json!(username));
            if let Some(host) = host {
                body.insert("host".into(), json!(host));
            }
            let user: UserDetailed = self.read("users/show", body).await?;
            return Ok(user.lite.id);
        }
        misskey_id(self.ctx, reference, "user id")
    }

    /// The pnut user for a reference.
    pub async fn user(&self, reference: &str) -> Result<User, RestError> {
        if reference == "me" {
            let me = self.me().await?;
            return Ok(translate::misskey_me_to_pnut(&me, &self.ctx.translate)?);
        }
        let id = self.user_id(reference).await?;
        self.user_by_id(&id).await
    }

    /// The pnut user of a Misskey user id.
    pub async fn user_by_id(&self, misskey_id: &str) -> Result<User, RestError> {
        let user: UserDetailed = self
            .read("users/show", body1("userId", json!(misskey_id)))
            .await?;
        Ok(translate::misskey_detailed_to_pnut(
            &user,
            &self.ctx.translate,
        )?)
    }

    /// One note by Misskey id.
    pub async fn note(&self, note_id: &str) -> Result<Note, RestError> {
        self.read("notes/show", body1("noteId", json!(note_id)))
            .await
    }

    /// One post by Misskey id; a note pnut may not see is a 404.
    pub async fn post(&self, note_id: &str) -> Result<Post, RestError> {
        let note = self.note(note_id).await?;
        self.note_to_post(&note)?
            .ok_or_else(|| RestError::NotFound("Post not found".to_owned()))
    }

    /// A note as a post with `pagination_id`; `None` when its visibility is not bridged.
    pub fn note_to_post(&self, note: &Note) -> Result<Option<Post>, RestError> {
        Ok(
            match translate::note_to_post(note, None, &self.ctx.translate)? {
                Translated::Done(mut post) => {
                    post.pagination_id = Some(post.id.clone());
                    Some(post)
                }
                Translated::Skipped(_) => None,
            },
        )
    }

    /// Notes of one or more list endpoints → newest-first posts, deduplicated, cut to the page.
    pub async fn post_list(
        &self,
        calls: &[(&str, Map<String, Value>)],
        page: &Page,
    ) -> Result<(Vec<(String, Post)>, bool), RestError> {
        let mut posts = Vec::new();
        // `more` comes from the upstream pages: notes left out after the call (visibility, an
        // untranslatable one) do not make a page look like the last (issue 15).
        let mut upstream_more = false;
        for (endpoint, body) in calls {
            let notes: Vec<Note> = self.read(endpoint, body.clone()).await?;
            let limit = body
                .get("limit")
                .and_then(Value::as_u64)
                .and_then(|l| usize::try_from(l).ok())
                .unwrap_or(usize::MAX);
            upstream_more |= notes.len() > page.count || notes.len() >= limit;
            for note in &notes {
                // An untranslatable note is dropped from the list, not the whole answer (§5).
                match self.note_to_post(note) {
                    Ok(Some(post)) => posts.push((post.id.clone(), post)),
                    Ok(None) => {}
                    Err(error) => {
                        tracing::warn!(kind = "note", endpoint, %error, "dropped untranslatable note");
                    }
                }
            }
        }
        newest_first(&mut posts);
        let more = page.cut(&mut posts) || upstream_more;
        Ok((posts, more))
    }

    /// Followers (`followers = true`) or followings of a Misskey user as pnut users whose
    /// `pagination_id` is the relation's id.
    pub async fn relations(
        &self,
        user_id: &str,
        followers: bool,
        page: &Page,
    ) -> Result<(Vec<(String, User)>, bool), RestError> {
        let endpoint = if followers {
            "users/followers"
        } else {
            "users/following"
        };
        let rows: Vec<Following> = self
            .read(endpoint, page.body_with(&[("userId", json!(user_id))]))
            .await?;
        let mut users = Vec::new();
        for row in &rows {
            let other = if followers {
                &row.follower
            } else {
                &row.followee
            };
            let Some(other) = other else { continue };
            let mut user = translate::misskey_detailed_to_pnut(other, &self.ctx.translate)?;
            let pagination_id = crate::ids::misskey_to_pnut(&row.id, self.ctx.translate.id_format)
                .map_err(|source| translate::TranslateError::Id {
                    field: "following.id",
                    source,
                })?;
            user.pagination_id = Some(pagination_id.clone());
            users.push((pagination_id, user));
        }
        newest_first(&mut users);
        let more = page.cut(&mut users);
        Ok((users, more))
    }

    /// The token's drive files as pnut files.
    pub async fn files(&self, page: &Page) -> Result<(Vec<(String, File)>, bool), RestError> {
        let rows: Vec<DriveFile> = self.read("drive/files", page.body.clone()).await?;
        let mut files = Vec::new();
        for row in &rows {
            let mut file = translate::drive_file_to_file(row, &self.ctx.translate)?;
            file.pagination_id = Some(file.id.clone());
            files.push((file.id.clone(), file));
        }
        newest_first(&mut files);
        let more = page.cut(&mut files);
        Ok((files, more))
    }
}
