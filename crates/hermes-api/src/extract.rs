//! Extractors whose rejections are [`ApiError`]s, so that a malformed body,
//! path or query answers in the API's JSON error shape like everything else.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `axum::Json`, with JSON error bodies.
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::BadRequest(
                "send a JSON body with Content-Type: application/json".into(),
            )),
            Err(JsonRejection::JsonDataError(e)) => {
                let text = e.body_text();
                let text = text
                    .strip_prefix("Failed to deserialize the JSON body into the target type: ")
                    .unwrap_or(&text);
                if is_shape_error(text) {
                    Err(ApiError::BadRequest(format!(
                        "invalid request body: {text}"
                    )))
                } else {
                    Err(ApiError::InvalidBody(text.to_owned()))
                }
            }
            Err(JsonRejection::JsonSyntaxError(_)) => Err(ApiError::BadRequest(
                "request body is not valid JSON".into(),
            )),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::PayloadTooLarge)
            }
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// Whether a deserialisation error is about the body's shape (a field that
/// is unknown, missing or of the wrong JSON type: 400) rather than a value
/// that a domain type refused while parsing (a phone number, a time range:
/// 422, like every other validation failure). serde reports shape errors in
/// fixed phrases; the domain types' messages never use them (a test in
/// `hermes` checks both kinds over HTTP).
fn is_shape_error(text: &str) -> bool {
    const SHAPE: [&str; 7] = [
        "unknown field `",
        "missing field `",
        "duplicate field `",
        "unknown variant `",
        "invalid type: ",
        "invalid length ",
        "invalid value: ",
    ];
    SHAPE.iter().any(|p| text.contains(p))
}

/// `axum::extract::Path`, with JSON error bodies. A malformed id is a 400
/// that names the parameter.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e: PathRejection| ApiError::BadRequest(e.body_text()))
    }
}

/// `axum::extract::Query`, with JSON error bodies.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e: QueryRejection| ApiError::BadRequest(e.body_text()))
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}
