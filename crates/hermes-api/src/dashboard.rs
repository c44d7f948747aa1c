//! The firm's dashboard: a small single-page application over the same
//! HTTP API everything else uses, served by the binary itself.
//!
//! Plain ES modules, no framework and no build step (see ARCHITECTURE.md,
//! "The dashboard"): every file below is embedded with `include_str!`, so
//! nothing is fetched from a CDN or read from disk at run time. `/` serves
//! the page; `/app/<file>` its scripts and styles. The page renders with
//! `textContent` only (never `innerHTML`), under a CSP without inline
//! scripts or styles (see [`crate::middleware`]).

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

/// Path, content type, body.
pub type Asset = (&'static str, &'static str, &'static str);

macro_rules! assets {
    ($dir:literal: $($file:literal),* $(,)?) => {
        &[$((
            $file,
            kind($file),
            include_str!(concat!("../assets/", $dir, "/", $file)),
        )),*]
    };
}

const fn kind(file: &str) -> &'static str {
    let b = file.as_bytes();
    match b[b.len() - 1] {
        b'l' => "text/html; charset=utf-8",
        b's' if b[b.len() - 2] == b'j' => "text/javascript; charset=utf-8",
        _ => "text/css; charset=utf-8",
    }
}

const ASSETS: &[Asset] = assets!("app":
    "index.html",
    "app.css",
    "app.js",
    "api.js",
    "ui.js",
    "call.js",
    "capture.js",
    "today.js",
    "calls.js",
    "intakes.js",
    "reviews.js",
    "calendar.js",
    "settings.js",
    "admin.js",
    "testphone.js",
);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { serve(ASSETS, "index.html") }))
        .route(
            "/app/{file}",
            get(|Path(file): Path<String>| async move { serve(ASSETS, &file) }),
        )
}

/// One embedded file, or a JSON 404.
pub fn serve(assets: &[Asset], file: &str) -> Response {
    match assets.iter().find(|(name, _, _)| *name == file) {
        Some((_, kind, body)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
                // Small, and changed with every release: always revalidate.
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            *body,
        )
            .into_response(),
        None => crate::error::ApiError::NotFound("no such file").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    /// Every module is imported by some other file (or is the page's entry
    /// point), and every import names a file that is served.
    #[test]
    fn every_file_is_loaded_and_every_import_is_served() {
        let all: String = ASSETS.iter().map(|(_, _, body)| *body).collect();
        for (name, _, _) in &ASSETS[1..] {
            assert!(
                all.contains(&format!("/app/{name}")) || all.contains(&format!("./{name}")),
                "{name} is served but nothing loads it"
            );
        }
        for (_, _, body) in ASSETS {
            for part in body.split("from './").skip(1) {
                let file = &part[..part.find('\'').unwrap()];
                assert!(
                    ASSETS.iter().any(|(n, _, _)| *n == file),
                    "{file} is imported but not served"
                );
            }
        }
        assert_eq!(serve(ASSETS, "nope.js").status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(kind("a.html"), "text/html; charset=utf-8");
        assert_eq!(kind("a.js"), "text/javascript; charset=utf-8");
        assert_eq!(kind("a.css"), "text/css; charset=utf-8");
    }

    #[test]
    fn the_page_has_no_inline_script_or_style() {
        for (name, _, body) in ASSETS {
            assert!(!body.contains("innerHTML"), "{name} writes HTML");
            if name.ends_with(".html") {
                assert!(!body.contains("<script>"), "{name}");
                assert!(!body.contains("style="), "{name}");
                let handler = body.match_indices(" on").any(|(i, _)| {
                    let rest = &body[i + 3..];
                    let word = rest.len()
                        - rest
                            .trim_start_matches(|c: char| c.is_ascii_lowercase())
                            .len();
                    word > 0 && rest[word..].starts_with('=')
                });
                assert!(!handler, "{name} has an inline event handler");
            }
        }
    }
}
