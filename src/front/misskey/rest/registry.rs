//! `i/registry/*` (Misskey's client-settings registry) over the bridge's store: values per pnut
//! user and scope, as Misskey keeps them for its web client (domain `null`), so that every app
//! of a user shares them and `set` reaches the user's `main` sockets as `registryUpdated`.

use serde_json::{Map, Value, json};

use super::call::{Call, Reply};
use super::error::{Missing, RestError};
use crate::misskey::{ApiErrorBody, ErrorKind};
use crate::storage::StoreError;
use crate::upstream::UpstreamKind;

/// Largest value `set` stores (serialized JSON): Misskey's `/api` request body limit.
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

/// Serves `i/registry/<name>`.
pub async fn serve(call: &Call<'_>, name: &str) -> Result<Reply, RestError> {
    let user = user_id(call).await?;
    let store = call.ctx.store();
    match name {
        "get" | "get-detail" => {
            let (scope, key) = (scope(call)?, call.params.required_string("key")?);
            let item = store
                .registry_get(&user, &scope, key)
                .await
                .map_err(store_failed)?
                .ok_or_else(|| no_such_key(name))?;
            Ok(Reply::Json(if name == "get" {
                item.value
            } else {
                json!({"updatedAt": item.updated_at, "value": item.value})
            }))
        }
        "get-all" | "keys" | "keys-with-type" => {
            let items = store
                .registry_all(&user, &scope(call)?)
                .await
                .map_err(store_failed)?;
            Ok(Reply::Json(match name {
                "keys" => items
                    .into_iter()
                    .map(|item| Value::String(item.key))
                    .collect(),
                "get-all" => Value::Object(
                    items
                        .into_iter()
                        .map(|item| (item.key, item.value))
                        .collect(),
                ),
                _ => Value::Object(
                    items
                        .into_iter()
                        .map(|item| (item.key, Value::String(type_name(&item.value).into())))
                        .collect::<Map<_, _>>(),
                ),
            }))
        }
        "set" => set(call, &user).await,
        "remove" => {
            let (scope, key) = (scope(call)?, call.params.required_string("key")?);
            store
                .registry_remove(&user, &scope, key)
                .await
                .map_err(store_failed)?;
            Ok(Reply::NoContent)
        }
        "scopes-with-domain" => {
            let scopes = store.registry_scopes(&user).await.map_err(store_failed)?;
            Ok(Reply::Json(if scopes.is_empty() {
                json!([])
            } else {
                json!([{"domain": null, "scopes": scopes}])
            }))
        }
        _ => Err(RestError::unknown_endpoint()),
    }
}

async fn set(call: &Call<'_>, user: &str) -> Result<Reply, RestError> {
    let scope = scope(call)?;
    let key = call.params.required_string("key")?;
    if key.is_empty() {
        return Err(RestError::invalid_param(
            "key",
            "must NOT have fewer than 1 characters",
        ));
    }
    let value = call
        .params
        .raw("value")
        .ok_or_else(|| RestError::invalid_param("value", "must have required property"))?;
    if value.to_string().len() > MAX_VALUE_BYTES {
        return Err(RestError::invalid_param("value", "too large"));
    }
    call.ctx
        .store()
        .registry_set(user, &scope, key, value)
        .await
        .map_err(store_failed)?;
    let event = json!({"scope": scope, "key": key, "value": value});
    crate::front::misskey::stream::to_user_main(call.ctx, user, "registryUpdated", &event);
    Ok(Reply::NoContent)
}

/// The caller's pnut user id: the bridge token's, else the one pnut gave for the token lately,
/// else asked of pnut (`GET /users/me`).
pub(super) async fn user_id(call: &Call<'_>) -> Result<String, RestError> {
    if let Some(grant) = call.grant() {
        return Ok(grant.user_id.clone());
    }
    let token = call.token()?;
    let checks = &call.ctx.token_checks;
    if let Some(id) = checks.fresh(UpstreamKind::Pnut, token) {
        return Ok(id.to_string());
    }
    let me: Value = call.get("/users/me", &[], Missing::Other).await?;
    let id = me
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| RestError::internal("pnut answered /users/me without an id"))?
        .to_owned();
    checks.accepted(UpstreamKind::Pnut, token, &id);
    Ok(id)
}

/// `scope`: a list of names of letters, digits and `_` (default `[]`).
fn scope(call: &Call<'_>) -> Result<Vec<String>, RestError> {
    let scope = call.params.strings("scope")?.unwrap_or_default();
    let bad = |name: &&str| {
        name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if scope.iter().any(bad) {
        return Err(RestError::invalid_param(
            "scope",
            "must match pattern \"^[a-zA-Z0-9_]+$\"",
        ));
    }
    Ok(scope.into_iter().map(str::to_owned).collect())
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Array(_) => "array",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Bool(_) => "boolean",
        Value::Object(_) => "object",
    }
}

/// `NO_SUCH_KEY` (400), with the id Misskey gives it in `get` or `get-detail`.
fn no_such_key(endpoint: &str) -> RestError {
    let id = if endpoint == "get" {
        "ac3ed68a-62f0-422b-a7bc-d5e09e8f6a6a"
    } else {
        "97a1e8e7-c0f7-47d2-957a-92e61256e01a"
    };
    RestError::client_error(ApiErrorBody::new(
        "NO_SUCH_KEY",
        "No such key.",
        id,
        ErrorKind::Client,
    ))
}

/// A store failure: `INTERNAL_ERROR` naming it (e.g. a full disk: nothing was written).
pub fn store_failed(error: StoreError) -> RestError {
    tracing::warn!(%error, "misskey REST: the store failed");
    RestError::internal(&error.to_string())
}
