//! `GET /api/v1/usage`: what the firm used this month (calls answered,
//! intakes taken), for the dashboard's Usage page and for billing.
//!
//! Months are calendar months in UTC. Phone calls are metered against the
//! firm's plan (`crate::quota`); the browser test phone is counted in
//! `calls` but not metered.

use axum::extract::State;
use chrono::{Datelike, TimeZone, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Require, perm};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageOut {
    /// `YYYY-MM` (UTC).
    #[schema(example = "2026-11")]
    pub month: String,
    /// Calls that reached HERMES this month (any line, the test phone too).
    pub calls: u64,
    /// Intakes begun this month (calls and text conversations).
    pub intakes: u64,
    /// Phone calls counted against the plan this month.
    pub metered_calls: u64,
    /// Metered calls past the plan's allowance, answered by taking a
    /// message.
    pub calls_over_allowance: u64,
    /// The firm's plan.
    pub plan: PlanOut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanOut {
    /// `free`, `professional` or `enterprise`.
    #[schema(example = "free")]
    pub name: String,
    /// Answered calls included each month; absent when unlimited.
    pub calls_included: Option<u64>,
}

/// This month's usage.
#[utoipa::path(
    get, path = "/api/v1/usage", tag = "usage",
    security(("bearer" = ["billing:manage"])),
    responses(
        (status = 200, body = UsageOut),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    )
)]
pub async fn usage(
    auth: Require<perm::ManageBilling>,
    State(state): State<AppState>,
) -> ApiResult<Json<UsageOut>> {
    let now = Utc::now();
    let first = |y: i32, m: u32| {
        Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0)
            .single()
            .expect("the first of a month at midnight UTC exists once")
    };
    let start = first(now.year(), now.month());
    let next = if now.month() == 12 {
        first(now.year() + 1, 1)
    } else {
        first(now.year(), now.month() + 1)
    };
    let used = state.store.scoped(auth.tenant).usage(start, next).await?;
    let plan = state.tenant(auth.tenant).await?.plan;
    let included = plan.calls_included();
    Ok(Json(UsageOut {
        month: start.format("%Y-%m").to_string(),
        calls: used.calls,
        intakes: used.intakes,
        metered_calls: used.metered_calls,
        calls_over_allowance: included.map_or(0, |n| used.metered_calls.saturating_sub(n)),
        plan: PlanOut {
            name: plan.as_str().to_owned(),
            calls_included: included,
        },
    }))
}
