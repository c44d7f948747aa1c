//! Keyset paging for the list routes (calls, intakes, notifications):
//! newest first, `limit` rows (1 to 200, default 50), and `before` = the
//! last id of the previous page, so a page never shifts when new rows
//! arrive while someone reads.

use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// The page size asked for, checked.
pub fn limit(requested: Option<u32>) -> ApiResult<u32> {
    let limit = requested.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be 1 to 200".into()));
    }
    Ok(limit)
}

/// The `next_before` of a page: its last id when the page is full.
pub fn next_before<T>(rows: &[T], limit: u32, id: impl Fn(&T) -> Uuid) -> Option<Uuid> {
    (rows.len() == limit as usize)
        .then(|| rows.last().map(id))
        .flatten()
}

/// A filter value that must be one of `allowed`.
pub fn one_of(
    field: &'static str,
    v: Option<String>,
    allowed: &[&str],
) -> ApiResult<Option<String>> {
    match v {
        Some(s) if !allowed.contains(&s.as_str()) => Err(ApiError::BadRequest(format!(
            "{field} must be one of {}",
            allowed.join(", ")
        ))),
        other => Ok(other),
    }
}
