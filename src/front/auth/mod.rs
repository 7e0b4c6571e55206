//! MiAuth over pnut's OAuth (mapping.md §2, §8): `GET /miauth/{session}` shows the app's
//! request; approving sends the browser through pnut's authorize page (or, without a pnut
//! client, takes a pasted pnut token); pnut's redirect (`/oauth/pnut/callback`) lands here,
//! the pnut token is kept for the session and the browser goes on to the app's
//! `callback?session=…`; `POST /api/miauth/{session}/check` then hands the app a bridge token,
//! once, with the user, as Misskey does (`{ok: false}` for an unknown, expired or used one).

mod pages;
pub mod pnut_oauth;

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::front::BridgeContext;
use crate::pnut::User;
use crate::ratelimit::token_hash;
use crate::storage::miauth::{MiAuthRequest, StartError};
use crate::translate::pnut_user_to_me;
use pnut_oauth::{CALLBACK_PATH, PnutClient, pnut_scopes};

/// Longest MiAuth session id accepted (Misskey apps send a UUID).
const MAX_SESSION_LEN: usize = 128;

struct AuthFront {
    ctx: Arc<BridgeContext>,
    http: reqwest::Client,
}

/// The MiAuth routes: the pages, pnut's redirect and `POST /api/miauth/{session}/check`.
pub fn routes(ctx: Arc<BridgeContext>) -> Router {
    let timeout = ctx.config().upstream.pnut.request_timeout;
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .unwrap_or_default();
    let front = Arc::new(AuthFront { ctx, http });
    Router::new()
        .route("/miauth/{session}", get(request_page))
        .route("/miauth/{session}/start", post(start))
        .route("/miauth/{session}/token", post(pasted_token))
        .route(CALLBACK_PATH, get(pnut_callback))
        .route(
            "/api/miauth/{session}/check",
            post(check).get(|| async {
                // As Misskey's catch-all `GET /api/*` answers.
                crate::front::misskey::rest::RestError::unknown_endpoint().into_response()
            }),
        )
        .with_state(front)
}

/// The app's request, as query parameters of the page or fields of its forms.
#[derive(Debug, Deserialize)]
struct RequestFields {
    name: Option<String>,
    icon: Option<String>,
    callback: Option<String>,
    permission: Option<String>,
    /// A pasted pnut token (the paste form only).
    token: Option<String>,
}

impl RequestFields {
    fn request(self, session: String) -> Option<MiAuthRequest> {
        let valid = !session.is_empty()
            && session.len() <= MAX_SESSION_LEN
            && session
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return None;
        }
        let permission = self
            .permission
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        let nonempty = |text: Option<String>| text.filter(|t| !t.trim().is_empty());
        Some(MiAuthRequest {
            session,
            name: nonempty(self.name).unwrap_or_else(|| "An app".to_owned()),
            icon: nonempty(self.icon),
            callback: nonempty(self.callback).filter(|c| safe_callback(c)),
            permission,
        })
    }
}

/// A callback the browser may be sent to: a URL whose scheme runs no script.
fn safe_callback(callback: &str) -> bool {
    url::Url::parse(callback).is_ok_and(|url| {
        !matches!(
            url.scheme(),
            "javascript" | "data" | "vbscript" | "file" | "blob"
        )
    })
}

fn bad_session() -> Response {
    pages::outcome(StatusCode::BAD_REQUEST, "This login link is not valid.")
}

async fn request_page(
    State(front): State<Arc<AuthFront>>,
    Path(session): Path<String>,
    Query(fields): Query<RequestFields>,
) -> Response {
    let Some(request) = fields.request(session) else {
        return bad_session();
    };
    let oauth = PnutClient::of(&front.ctx).is_some();
    pages::request(&request, &front.ctx.config().misskey_meta.name, oauth)
}

async fn start(
    State(front): State<Arc<AuthFront>>,
    Path(session): Path<String>,
    Form(fields): Form<RequestFields>,
) -> Response {
    let Some(request) = fields.request(session) else {
        return bad_session();
    };
    let Some(client) = PnutClient::of(&front.ctx) else {
        return pages::outcome(StatusCode::NOT_FOUND, "This bridge has no pnut login.");
    };
    let scopes = pnut_scopes(&request.permission);
    match begin(&front.ctx, request).await {
        Ok(state) => redirect(&client.authorize(&state, &scopes)),
        Err(refused) => refused,
    }
}

async fn pasted_token(
    State(front): State<Arc<AuthFront>>,
    Path(session): Path<String>,
    Form(mut fields): Form<RequestFields>,
) -> Response {
    let token = fields.token.take().unwrap_or_default().trim().to_owned();
    let Some(request) = fields.request(session) else {
        return bad_session();
    };
    let ctx = &front.ctx;
    let user_id = match pnut_user(ctx, &token).await {
        Some(user) => user.id,
        None => {
            tracing::info!(token = %token_hash(&token), "miauth: pasted token refused by pnut");
            return pages::outcome(StatusCode::UNAUTHORIZED, "pnut refused this token.");
        }
    };
    let state = match begin(ctx, request).await {
        Ok(state) => state,
        Err(refused) => return refused,
    };
    approve(ctx, &state, &token, &user_id).await
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn pnut_callback(
    State(front): State<Arc<AuthFront>>,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let ctx = &front.ctx;
    let Some(state) = query.state else {
        return pages::outcome(StatusCode::BAD_REQUEST, "pnut sent no login state.");
    };
    if query.error.is_some() || query.code.is_none() {
        let refused = ctx.store().refuse_miauth(&state).await;
        let name = match refused {
            Ok(Some(request)) => request.name,
            _ => "The app".to_owned(),
        };
        return pages::outcome(
            StatusCode::OK,
            &format!("Login refused: {name} was not given access to your pnut account."),
        );
    }
    let (Some(client), Some(code)) = (PnutClient::of(ctx), query.code) else {
        return pages::outcome(StatusCode::NOT_FOUND, "This bridge has no pnut login.");
    };
    let lifetime = ctx.config().oauth.miauth_lifetime;
    match ctx.store().miauth_by_state(&state, lifetime).await {
        Ok(Some(_)) => {}
        Ok(None) => return expired(),
        Err(error) => return store_failed(&error),
    }
    let exchanged = match client.exchange(&front.http, &code).await {
        Ok(exchanged) => exchanged,
        Err(error) => {
            tracing::warn!(%error, "miauth: exchanging the OAuth code at pnut failed");
            return pages::outcome(StatusCode::BAD_GATEWAY, &error.to_string());
        }
    };
    let user_id = match exchanged.user_id {
        Some(id) => id,
        None => match pnut_user(ctx, &exchanged.access_token).await {
            Some(user) => user.id,
            None => {
                return pages::outcome(StatusCode::BAD_GATEWAY, "pnut refused its own token.");
            }
        },
    };
    approve(ctx, &state, &exchanged.access_token, &user_id).await
}

/// Starts the login of `request` in the store; its OAuth `state`, or the page refusing it.
async fn begin(ctx: &BridgeContext, request: MiAuthRequest) -> Result<String, Response> {
    let oauth = &ctx.config().oauth;
    ctx.store()
        .start_miauth(request, oauth.miauth_lifetime, oauth.max_pending)
        .await
        .map_err(|error| match error {
            StartError::TooMany => pages::outcome(
                StatusCode::SERVICE_UNAVAILABLE,
                "Too many logins are under way; try again in a few minutes.",
            ),
            StartError::AlreadyApproved => pages::outcome(
                StatusCode::CONFLICT,
                "This login was already approved; go back to the app.",
            ),
            StartError::Store(error) => store_failed(&error),
        })
}

/// Records the approval and sends the browser on to the app's callback (or says it is done).
async fn approve(ctx: &BridgeContext, state: &str, pnut_token: &str, user_id: &str) -> Response {
    let lifetime = ctx.config().oauth.miauth_lifetime;
    let request = match ctx
        .store()
        .approve_miauth(state, pnut_token, user_id, lifetime)
        .await
    {
        Ok(Some(request)) => request,
        Ok(None) => return expired(),
        Err(error) => return store_failed(&error),
    };
    match &request.callback {
        Some(callback) => {
            let mut url = match url::Url::parse(callback) {
                Ok(url) => url,
                Err(_) => return done(&request.name),
            };
            url.query_pairs_mut()
                .append_pair("session", &request.session);
            redirect(url.as_str())
        }
        None => done(&request.name),
    }
}

fn done(name: &str) -> Response {
    pages::outcome(
        StatusCode::OK,
        &format!("Done: {name} can use your pnut account now. You can close this page."),
    )
}

fn expired() -> Response {
    pages::outcome(
        StatusCode::BAD_REQUEST,
        "This login is unknown or expired; start again from the app.",
    )
}

fn store_failed(error: &crate::storage::StoreError) -> Response {
    tracing::warn!(%error, "miauth: the store failed");
    pages::outcome(StatusCode::SERVICE_UNAVAILABLE, &error.to_string())
}

fn redirect(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response()
}

/// The pnut user of `token`, or `None` when pnut refuses it (or cannot answer).
async fn pnut_user(ctx: &BridgeContext, token: &str) -> Option<User> {
    if token.is_empty() || crate::front::token::from_text(token).is_err() {
        return None;
    }
    ctx.pnut
        .get::<User>(token, "/users/me", &[])
        .await
        .ok()
        .and_then(|envelope| envelope.data)
}

/// `POST /api/miauth/{session}/check`: `{ok: true, token, user}` once for an approved,
/// unexpired session; `{ok: false}` otherwise (as Misskey answers).
async fn check(State(front): State<Arc<AuthFront>>, Path(session): Path<String>) -> Response {
    let ctx = &front.ctx;
    let lifetime = ctx.config().oauth.miauth_lifetime;
    let not_ok = || Json(json!({"ok": false})).into_response();
    let fetched = match ctx.store().fetch_miauth(&session, lifetime).await {
        Ok(Some(fetched)) => fetched,
        Ok(None) => return not_ok(),
        Err(error) => {
            tracing::warn!(%error, "miauth check: the store failed");
            return crate::front::misskey::rest::RestError::internal(&error.to_string())
                .into_response();
        }
    };
    let user = match pnut_user(ctx, &fetched.pnut_token).await {
        Some(user) => pnut_user_to_me(&user, &ctx.translate)
            .ok()
            .and_then(|me| serde_json::to_value(me).ok())
            .unwrap_or(Value::Null),
        None => Value::Null,
    };
    Json(json!({"ok": true, "token": fetched.token, "user": user})).into_response()
}
