//! The MiAuth pages the user's browser sees: the request ("APP wants to use your pnut
//! account"), with a button to pnut's authorize page or, without a pnut client, a field to
//! paste a pnut token; and the one-line outcomes. Every text from the request is escaped.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::storage::miauth::MiAuthRequest;
use crate::translate::html::escape;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;\
padding:0 1rem;color:#222}img{width:64px;height:64px;border-radius:12px}\
button{font-size:1rem;padding:.5rem 1.2rem;margin-top:1rem}input[type=password]{width:100%;\
font-size:1rem;padding:.4rem}li{font-family:monospace}";

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{}</title>\
         <style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        escape(title)
    );
    (status, Html(html)).into_response()
}

fn hidden_fields(request: &MiAuthRequest) -> String {
    let mut fields = format!(
        "<input type=\"hidden\" name=\"name\" value=\"{}\">",
        escape(&request.name)
    );
    for (name, value) in [("icon", &request.icon), ("callback", &request.callback)] {
        if let Some(value) = value {
            fields.push_str(&format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(value)
            ));
        }
    }
    fields.push_str(&format!(
        "<input type=\"hidden\" name=\"permission\" value=\"{}\">",
        escape(&request.permission.join(","))
    ));
    fields
}

/// The request page: with a pnut client, one button to pnut's authorize page; without, a
/// field to paste a pnut token.
pub fn request(request: &MiAuthRequest, bridge_name: &str, oauth: bool) -> Response {
    let session = escape(&request.session);
    let icon = request
        .icon
        .as_deref()
        .map(|icon| format!("<img id=\"icon\" src=\"{}\" alt=\"\">", escape(icon)))
        .unwrap_or_default();
    let permissions: String = if request.permission.is_empty() {
        "<li>read your account</li>".to_owned()
    } else {
        request
            .permission
            .iter()
            .map(|p| format!("<li>{}</li>", escape(p)))
            .collect()
    };
    let action = if oauth {
        format!(
            "<form method=\"post\" action=\"/miauth/{session}/start\">{}\
             <button id=\"approve\" type=\"submit\">Continue at pnut</button></form>",
            hidden_fields(request)
        )
    } else {
        format!(
            "<p>This bridge has no pnut login of its own: paste a pnut access token of your \
             account (it stays on the bridge; the app gets a token of the bridge).</p>\
             <form method=\"post\" action=\"/miauth/{session}/token\">{}\
             <label>pnut token <input id=\"token\" name=\"token\" type=\"password\" \
             autocomplete=\"off\" required></label>\
             <button id=\"approve\" type=\"submit\">Log in</button></form>",
            hidden_fields(request)
        )
    };
    let body = format!(
        "{icon}<h1 id=\"title\"><span id=\"app\">{}</span> wants to use your pnut account</h1>\
         <p>through {}, a Misskey front for pnut. It asks to:</p><ul>{permissions}</ul>{action}",
        escape(&request.name),
        escape(bridge_name)
    );
    page(StatusCode::OK, "Log in with pnut", &body)
}

/// A one-message outcome page (`id="outcome"`).
pub fn outcome(status: StatusCode, message: &str) -> Response {
    page(
        status,
        "pnut login",
        &format!("<p id=\"outcome\">{}</p>", escape(message)),
    )
}
