//! Prometheus metrics.
//!
//! The `metrics` facade has one global recorder per process, so the
//! Prometheus recorder is installed once (tests start many servers in one
//! process and share it). Request metrics are labelled by route *template*
//! (`/api/v1/users/{id}`), never by raw path, so ids cannot blow up the
//! number of series. Pool gauges, the calls in progress and whether the
//! node is draining are sampled when `/metrics` is scraped (per node, even
//! with several servers in one test process).

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Latency buckets in seconds: fine-grained where API calls live (sub-ms to
/// tens of ms), coarse beyond.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Voice timing buckets in seconds: fine around the 20 ms frame (pacing
/// lateness, server-added turn latency) and the 250 ms barge-in target.
/// Histograms rather than summaries: a scrape at each end of a load run
/// subtracts into what happened between them (`hermes-voice-bench`).
const VOICE_BUCKETS: &[f64] = &[
    0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5, 1.0, 2.0,
    5.0,
];

pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let mut builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("hermes_http_request_duration_seconds".into()),
                    LATENCY_BUCKETS,
                )
                .expect("static buckets are valid");
            for name in [
                "hermes_voice_pacing_lateness_seconds",
                "hermes_voice_turn_latency_seconds",
                "hermes_voice_barge_in_seconds",
            ] {
                builder = builder
                    .set_buckets_for_metric(Matcher::Full(name.into()), VOICE_BUCKETS)
                    .expect("static buckets are valid");
            }
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
            }
            describe();
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(std::time::Duration::from_secs(5));
                        upkeep.run_upkeep();
                    }
                })
                .expect("spawn metrics upkeep thread");
            handle
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!(
        "hermes_http_requests_total",
        "HTTP requests by method, route template and status"
    );
    metrics::describe_histogram!(
        "hermes_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "HTTP request latency by method and route template"
    );
    metrics::describe_gauge!(
        "hermes_db_pool_connections",
        "Database pool connections by state (open, idle, max)"
    );
    metrics::describe_gauge!(
        "hermes_calls_active",
        "Calls (phone and browser) in progress on this node"
    );
    metrics::describe_gauge!(
        "hermes_draining",
        "1 while this node is stopping and waits for its calls to end"
    );
    metrics::describe_counter!(
        "hermes_rate_limited_total",
        "Requests refused by a rate limit, by bucket"
    );
    metrics::describe_counter!(
        "hermes_auth_rejected_total",
        "Bearer credentials refused, by reason"
    );
    metrics::describe_counter!(
        "hermes_login_total",
        "Login attempts by outcome (success, failure, locked)"
    );
    metrics::describe_counter!(
        "hermes_shared_state_errors_total",
        "Failed calls to the shared state (Redis)"
    );
    metrics::describe_counter!(
        "hermes_notifications_sent_total",
        "Escalation notifications delivered, by kind (sms, email)"
    );
    metrics::describe_counter!(
        "hermes_notifications_failed_total",
        "Failed delivery attempts of escalation notifications, by kind"
    );
    metrics::describe_counter!(
        "hermes_notifications_dead_total",
        "Escalation notifications that ran out of attempts, by kind"
    );
    metrics::describe_histogram!(
        "hermes_voice_pacing_lateness_seconds",
        metrics::Unit::Seconds,
        "How late each send of a call's agent audio ran against its 20 ms schedule"
    );
    metrics::describe_histogram!(
        "hermes_voice_turn_latency_seconds",
        metrics::Unit::Seconds,
        "End of the caller's turn decided → first frame of the reply sent"
    );
    metrics::describe_histogram!(
        "hermes_voice_barge_in_seconds",
        metrics::Unit::Seconds,
        "Arrival of the caller audio that started a barge-in → clear sent"
    );
    metrics::describe_counter!(
        "hermes_vad_frames_total",
        "Frames scored by the node's VAD service (model or gate)"
    );
    metrics::describe_counter!(
        "hermes_vad_frames_gated_total",
        "Frames the Silero backend's energy gate answered without the model"
    );
    metrics::describe_counter!(
        "hermes_vad_verdicts_dropped_total",
        "VAD verdicts lost because a call's verdict queue was full or gone"
    );
}

/// Text exposition of every metric, with the pool sampled now.
pub fn render(state: &AppState) -> String {
    let pool = state.store.pool_stats();
    metrics::gauge!("hermes_db_pool_connections", "state" => "open").set(pool.size as f64);
    metrics::gauge!("hermes_db_pool_connections", "state" => "idle").set(pool.idle as f64);
    metrics::gauge!("hermes_db_pool_connections", "state" => "max").set(pool.max as f64);
    metrics::gauge!("hermes_calls_active").set(state.drain.calls() as f64);
    metrics::gauge!("hermes_draining").set(if state.drain.is_draining() { 1.0 } else { 0.0 });
    state.metrics.render()
}
