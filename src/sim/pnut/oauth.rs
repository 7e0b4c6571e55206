//! pnut's OAuth web flow, simulated (pnut-api.md §1): `GET /oauth/authenticate` shows a form
//! to pick a demo account and approve or deny; approving redirects to `redirect_uri?code=…
//! &state=…` (denying: `?error=access_denied&state=…`); `POST /v1/oauth/access_token`
//! (form-encoded) exchanges a code, once, for `{access_token, token, user_id, username}`.
//! Any client id is accepted; the token issued is the demo account's.

use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::Shared;
use super::world::DEMO_USERS;
use crate::translate::html::escape;

/// Codes waiting for their exchange at most (older ones are dropped first).
const MAX_CODES: usize = 1024;

/// Issued, not yet exchanged codes: code → (username, redirect_uri), in issue order.
#[derive(Debug, Default)]
pub struct Codes(Mutex<Vec<(String, String, String)>>);

impl Codes {
    fn issue(&self, username: &str, redirect_uri: &str) -> String {
        let code = crate::storage::random_text(24);
        let mut codes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if codes.len() >= MAX_CODES {
            codes.remove(0);
        }
        codes.push((code.clone(), username.to_owned(), redirect_uri.to_owned()));
        code
    }

    fn take(&self, code: &str) -> Option<(String, String)> {
        let mut codes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let index = codes.iter().position(|(c, _, _)| c == code)?;
        let (_, username, redirect_uri) = codes.remove(index);
        Some((username, redirect_uri))
    }
}

/// The OAuth routes of the simulated pnut.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/oauth/authenticate", get(page).post(decide))
        .route("/v1/oauth/access_token", post(access_token))
}

#[derive(Debug, Deserialize)]
struct AuthorizeQuery {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
}

async fn page(Query(query): Query<AuthorizeQuery>) -> Response {
    let (Some(client_id), Some(redirect_uri)) = (query.client_id, query.redirect_uri) else {
        return (
            StatusCode::BAD_REQUEST,
            "client_id and redirect_uri are required",
        )
            .into_response();
    };
    let accounts: String = DEMO_USERS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let checked = if i == 0 { " checked" } else { "" };
            format!(
                "<label><input type=\"radio\" name=\"username\" value=\"{name}\"{checked}> \
                 @{name}</label><br>"
            )
        })
        .collect();
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Authorize - pnut (sim)</title>\
         </head><body><h1>Authorize {client}</h1><p>Scopes: {scope}</p>\
         <form method=\"post\" action=\"/oauth/authenticate\">{accounts}\
         <input type=\"hidden\" name=\"redirect_uri\" value=\"{redirect}\">\
         <input type=\"hidden\" name=\"state\" value=\"{state}\">\
         <button id=\"allow\" name=\"decision\" value=\"allow\">Authorize</button> \
         <button id=\"deny\" name=\"decision\" value=\"deny\">Deny</button></form></body></html>",
        client = escape(&client_id),
        scope = escape(query.scope.as_deref().unwrap_or("basic")),
        redirect = escape(&redirect_uri),
        state = escape(query.state.as_deref().unwrap_or_default()),
    );
    Html(html).into_response()
}

#[derive(Debug, Deserialize)]
struct Decision {
    username: Option<String>,
    redirect_uri: String,
    state: Option<String>,
    decision: String,
}

async fn decide(State(shared): State<Arc<Shared>>, Form(form): Form<Decision>) -> Response {
    let Ok(mut target) = url::Url::parse(&form.redirect_uri) else {
        return (StatusCode::BAD_REQUEST, "redirect_uri is not a URL").into_response();
    };
    let username = form.username.unwrap_or_default();
    {
        let mut pairs = target.query_pairs_mut();
        if form.decision == "allow" && DEMO_USERS.contains(&username.as_str()) {
            pairs.append_pair(
                "code",
                &shared.oauth_codes.issue(&username, &form.redirect_uri),
            );
        } else {
            pairs.append_pair("error", "access_denied");
        }
        if let Some(state) = &form.state {
            pairs.append_pair("state", state);
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
}

#[derive(Debug, Deserialize)]
struct Exchange {
    code: Option<String>,
    redirect_uri: Option<String>,
}

async fn access_token(State(shared): State<Arc<Shared>>, Form(form): Form<Exchange>) -> Response {
    let refused = || {
        let body = json!({"meta": {"code": 400, "error_message": "Invalid code."}});
        (StatusCode::BAD_REQUEST, Json(body)).into_response()
    };
    let Some((username, redirect_uri)) = form.code.and_then(|code| shared.oauth_codes.take(&code))
    else {
        return refused();
    };
    if form.redirect_uri.as_deref() != Some(redirect_uri.as_str()) {
        return refused();
    }
    let token = format!("demo-{username}");
    let Some(user_id) = shared.world.lock().await.user_by_token(&token) else {
        return refused();
    };
    Json(json!({
        "access_token": token,
        "token": {"app": {"id": "sim", "link": "", "name": "pnutkey"}, "scopes": ["basic", "stream"]},
        "user_id": user_id.to_string(),
        "username": username,
    }))
    .into_response()
}
