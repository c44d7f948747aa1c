//! The browser test phone's page: sign in with the dashboard's account and
//! talk to the firm's agent over [`crate::voice::browser`]'s WebSocket.
//!
//! A handful of static files embedded in the binary (no CDN, nothing
//! fetched at run time), plain HTML and JavaScript with no build step: the
//! page is small enough that a framework would be most of it. The call
//! itself is the dashboard's `/app/call.js`; the dashboard has the same
//! phone (with a text-chat tab) as a page. Served under a CSP that allows
//! scripts from this origin only (no inline scripts) and the microphone.

use axum::Router;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::get;

use crate::state::AppState;

/// Path, content type, body.
const ASSETS: &[crate::dashboard::Asset] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../assets/phone/index.html"),
    ),
    (
        "phone.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/phone/phone.js"),
    ),
    (
        "phone.css",
        "text/css; charset=utf-8",
        include_str!("../assets/phone/phone.css"),
    ),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/phone", get(|| async { asset("index.html") }))
        .route("/phone/", get(|| async { asset("index.html") }))
        .route(
            "/phone/{file}",
            get(|Path(file): Path<String>| async move { asset(&file) }),
        )
}

fn asset(file: &str) -> Response {
    crate::dashboard::serve(ASSETS, file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn every_file_the_page_loads_is_served() {
        let page = ASSETS[0].2;
        let script = ASSETS[1].2;
        for (name, _, _) in &ASSETS[1..] {
            assert!(
                page.contains(&format!("/phone/{name}"))
                    || script.contains(&format!("/phone/{name}")),
                "{name} is served but nothing loads it"
            );
        }
        assert_eq!(asset("nope.js").status(), StatusCode::NOT_FOUND);
    }
}
