//! CORS as Misskey answers it (`@fastify/cors` with `origin: '*'`) on `/api/*`, `/streaming`
//! and nodeinfo: a preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered 204
//! with the allowed methods and the asked-for headers, before any route; every other answer
//! there, errors included, carries `Access-Control-Allow-Origin: *`.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

/// Methods a preflight allows.
pub const ALLOWED_METHODS: &str = "GET,HEAD,POST";

/// Whether CORS applies to `path`.
fn covered(path: &str) -> bool {
    path.starts_with("/api/")
        || path == "/streaming"
        || path == "/.well-known/nodeinfo"
        || path.starts_with("/nodeinfo/")
}

/// The CORS middleware (see the module doc).
pub async fn cors(request: Request, next: Next) -> Response {
    if !covered(request.uri().path()) {
        return next.run(request).await;
    }
    let asked = request
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .is_some();
    if request.method() == Method::OPTIONS && asked {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOWED_METHODS),
        );
        if let Some(wanted) = request
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        {
            headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, wanted.clone());
        }
        headers.insert(
            header::VARY,
            HeaderValue::from_static("Access-Control-Request-Headers"),
        );
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        allow_any_origin(&mut response);
        return response;
    }
    let mut response = next.run(request).await;
    allow_any_origin(&mut response);
    response
}

fn allow_any_origin(response: &mut Response) {
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}
