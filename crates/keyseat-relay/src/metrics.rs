//! `/metrics`, in Prometheus' text format: requests by endpoint and status and their
//! latency, upstream calls by kind and outcome and their latency, and validations by where
//! their answer came from (upstream, the store, the store when stale).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Request {
    endpoint: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Endpoint {
    endpoint: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Upstream {
    call: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Source {
    source: String,
}

type Latencies<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency() -> Histogram {
    // 0.5 ms to about 16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// Every metric the relay keeps.
pub struct Metrics {
    registry: Registry,
    requests: Family<Request, Counter>,
    request_seconds: Latencies<Endpoint>,
    upstream: Family<Upstream, Counter>,
    upstream_seconds: Latencies<Upstream>,
    answers: Family<Source, Counter>,
}

impl Metrics {
    /// Empty metrics, registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("keyseat_relay");
        let requests = Family::<Request, Counter>::default();
        let request_seconds = Latencies::<Endpoint>::new_with_constructor(latency);
        let upstream = Family::<Upstream, Counter>::default();
        let upstream_seconds = Latencies::<Upstream>::new_with_constructor(latency);
        let answers = Family::<Source, Counter>::default();
        registry.register(
            "requests",
            "Client requests, by endpoint and status",
            requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time to answer a client request",
            request_seconds.clone(),
        );
        registry.register(
            "upstream_calls",
            "Calls to Dodo, by call and outcome (ok, refused, failed, budget_spent)",
            upstream.clone(),
        );
        registry.register(
            "upstream_duration_seconds",
            "Time of a call to Dodo",
            upstream_seconds.clone(),
        );
        registry.register(
            "validation_answers",
            "Validations answered, by where the answer came from (upstream, store, stale)",
            answers.clone(),
        );
        Metrics {
            registry,
            requests,
            request_seconds,
            upstream,
            upstream_seconds,
            answers,
        }
    }

    /// A client request to `endpoint` answered with `status` in `seconds`.
    pub fn request(&self, endpoint: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&Request {
                endpoint: endpoint.to_owned(),
                status: status.to_string(),
            })
            .inc();
        self.request_seconds
            .get_or_create(&Endpoint {
                endpoint: endpoint.to_owned(),
            })
            .observe(seconds);
    }

    /// A call to Dodo (or one the budget held back), and how long it took.
    pub fn upstream(&self, call: &str, outcome: &str, seconds: Option<f64>) {
        let labels = Upstream {
            call: call.to_owned(),
            outcome: outcome.to_owned(),
        };
        self.upstream.get_or_create(&labels).inc();
        if let Some(s) = seconds {
            self.upstream_seconds.get_or_create(&labels).observe(s);
        }
    }

    /// A validation answered from `source`.
    pub fn answer(&self, source: &str) {
        self.answers
            .get_or_create(&Source {
                source: source.to_owned(),
            })
            .inc();
    }

    /// Calls to Dodo so far that reached it (any outcome but a held-back one).
    pub fn upstream_calls(&self) -> u64 {
        // The family's own view: sum of the counters whose outcome is not budget_spent.
        let text = self.encode();
        text.lines()
            .filter(|l| l.starts_with("keyseat_relay_upstream_calls_total{"))
            .filter(|l| !l.contains("outcome=\"budget_spent\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }

    /// The text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_show_in_the_text_format() {
        let m = Metrics::new();
        m.request("validate", 200, 0.002);
        m.upstream("validate", "ok", Some(0.01));
        m.upstream("validate", "budget_spent", None);
        m.answer("store");
        let text = m.encode();
        for line in [
            "keyseat_relay_requests_total{endpoint=\"validate\",status=\"200\"} 1",
            "keyseat_relay_upstream_calls_total{call=\"validate\",outcome=\"ok\"} 1",
            "keyseat_relay_validation_answers_total{source=\"store\"} 1",
            "# TYPE keyseat_relay_request_duration_seconds histogram",
        ] {
            assert!(text.contains(line), "{line} not in\n{text}");
        }
        assert_eq!(m.upstream_calls(), 1);
    }
}
