//! Percentiles of samples, and the server's Prometheus histograms read
//! from `/metrics` text: cumulative bucket counts, so that two scrapes
//! subtract into what happened between them.

use std::collections::BTreeMap;

/// The `q` quantile (0..=1) of `values`, nearest rank; `None` when empty.
pub fn quantile(values: &mut [u64], q: f64) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    Some(values[rank - 1])
}

/// `p50 / p95 / p99` of `values`, or `—`.
pub fn summary(values: &mut [u64]) -> String {
    match (
        quantile(values, 0.5),
        quantile(values, 0.95),
        quantile(values, 0.99),
    ) {
        (Some(a), Some(b), Some(c)) => format!("{a} / {b} / {c}"),
        _ => "—".into(),
    }
}

/// `{n, p50, p95, p99, max}` of `values` (ms or µs, as given); `null`
/// quantiles when empty.
pub fn percentiles(values: &mut [u64]) -> serde_json::Value {
    let mut q = |p| quantile(values, p);
    let (p50, p95, p99, max) = (q(0.5), q(0.95), q(0.99), q(1.0));
    serde_json::json!({"n": values.len(), "p50": p50, "p95": p95, "p99": p99, "max": max})
}

/// One scrape of `/metrics`: every sample line, `name{labels}` → value.
#[derive(Debug, Clone, Default)]
pub struct Scrape(BTreeMap<String, f64>);

impl Scrape {
    pub fn parse(text: &str) -> Self {
        Scrape(
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| {
                    let (key, value) = l.rsplit_once(' ')?;
                    Some((key.to_owned(), value.parse().ok()?))
                })
                .collect(),
        )
    }

    /// A counter (or gauge) summed over its label sets; 0 when absent.
    pub fn total(&self, name: &str) -> f64 {
        self.0
            .iter()
            .filter(|(k, _)| {
                k.as_str() == name || k.strip_prefix(name).is_some_and(|r| r.starts_with('{'))
            })
            .map(|(_, v)| v)
            .sum()
    }

    /// A labelled sample, e.g. `hermes_vad_batch_size{quantile="0.5"}`.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.0.get(key).copied()
    }

    /// The cumulative buckets of histogram `name` (`le` → count).
    pub fn buckets(&self, name: &str) -> Vec<(f64, f64)> {
        let prefix = format!("{name}_bucket{{le=\"");
        let mut out: Vec<(f64, f64)> = self
            .0
            .iter()
            .filter_map(|(k, v)| {
                let le = k.strip_prefix(&prefix)?.strip_suffix("\"}")?;
                let le = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().ok()?
                };
                Some((le, *v))
            })
            .collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        out
    }
}

/// What a histogram recorded between two scrapes.
#[derive(Debug, Clone)]
pub struct Buckets(Vec<(f64, f64)>);

impl Buckets {
    pub fn between(before: &Scrape, after: &Scrape, name: &str) -> Self {
        let b = before.buckets(name);
        Buckets(
            after
                .buckets(name)
                .into_iter()
                .map(|(le, n)| {
                    let was = b.iter().find(|(l, _)| *l == le).map_or(0.0, |(_, n)| *n);
                    (le, n - was)
                })
                .collect(),
        )
    }

    pub fn count(&self) -> f64 {
        self.0.last().map_or(0.0, |(_, n)| *n)
    }

    /// The smallest bucket bound holding at least `q` of the samples: the
    /// quantile is at most this.
    pub fn quantile_bound(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total == 0.0 {
            return None;
        }
        self.0
            .iter()
            .find(|(_, n)| *n >= q * total)
            .map(|(le, _)| *le)
    }

    /// Share of samples above `bound` (which must be a bucket bound).
    pub fn share_above(&self, bound: f64) -> f64 {
        let total = self.count();
        let within = self
            .0
            .iter()
            .find(|(le, _)| *le >= bound)
            .map_or(total, |(_, n)| *n);
        if total == 0.0 {
            0.0
        } else {
            (total - within) / total
        }
    }
}

/// `≤ 20 ms` from a bucket bound in seconds.
pub fn bound_ms(b: Option<f64>) -> String {
    match b {
        Some(s) if s.is_infinite() => "> largest bucket".into(),
        Some(s) => format!("≤ {} ms", s * 1000.0),
        None => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let mut v: Vec<u64> = (1..=100).collect();
        assert_eq!(quantile(&mut v, 0.5), Some(50));
        assert_eq!(quantile(&mut v, 0.99), Some(99));
        assert_eq!(quantile(&mut [], 0.5), None);
        let mut v: Vec<u64> = (1..=1000).rev().collect();
        let p = percentiles(&mut v);
        assert_eq!(
            (p["n"].as_u64(), p["p99"].as_u64(), p["max"].as_u64()),
            (Some(1000), Some(990), Some(1000))
        );
        assert!(percentiles(&mut [])["p50"].is_null());
    }

    #[test]
    fn histograms_subtract_between_scrapes() {
        let a = Scrape::parse(
            "# TYPE x histogram\nx_bucket{le=\"0.01\"} 5\nx_bucket{le=\"0.02\"} 9\nx_bucket{le=\"+Inf\"} 10\nc{kind=\"a\"} 2\nc{kind=\"b\"} 3\n",
        );
        let b = Scrape::parse(
            "x_bucket{le=\"0.01\"} 95\nx_bucket{le=\"0.02\"} 108\nx_bucket{le=\"+Inf\"} 110\n",
        );
        let h = Buckets::between(&a, &b, "x");
        assert_eq!(h.count(), 100.0);
        assert_eq!(h.quantile_bound(0.9), Some(0.01));
        assert_eq!(h.quantile_bound(0.99), Some(0.02));
        assert!((h.share_above(0.02) - 0.01).abs() < 1e-9);
        assert_eq!(a.total("c"), 5.0);
        assert_eq!(a.total("x_bucket"), 24.0);
    }
}
