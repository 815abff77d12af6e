#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "monitor/event.h"

namespace terrain::monitor {

// A configuration or start-up problem a person must fix. The message names the key path and
// the bad value ("metrics[2].window: '5x' is not a duration ..."). Thrown, caught once in main.
class ConfigError final : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Matches events by kind, side and label equality. Empty parts match everything.
struct Filter {
    std::vector<std::string> kinds;
    std::optional<Side> side;
    Labels labels;

    bool matches(const Event& event) const;
    bool matches_except_kind(const Event& event) const;
};

enum class Aggregation : std::uint8_t { kCount, kSum, kRatio };

struct DetectorConfig {
    std::string type;      // registry name: "threshold", "ewma"
    std::string name;      // unique within the metric; defaults to type
    std::string severity;  // "critical" | "warning" | "info"
    nlohmann::json params;  // detector-specific keys, validated by the detector's factory
    std::string path;       // "metrics[3].detectors[0]", for error messages
    Aggregation aggregation = Aggregation::kCount;  // the metric's, for detectors that need one
    bool pair = false;                              // the metric is a pair
};

// What makes a metric a pair (configuration `pairs`): a MAP-side metric set against a
// customer-side one. The pair metric is a ratio, customer signals per unit of the MAP's
// exposure (the MAP metric's denominator, or its count); `claim` is what the MAP reports over
// the same exposure (its ratio's numerator: delivered, contained, self-served).
struct PairConfig {
    std::string title;  // one line: what goes wrong when this pair disagrees
    std::string map_metric;
    std::string customer_metric;
    std::string map_says;       // the MAP metric's help text, for alerts
    std::string customer_says;  // the customer metric's
    std::string action;         // what to do about it, in business words
    Filter claim;
    bool claim_is_ratio = false;  // false: the claim is the exposure count itself
};

// A metric series family: events that pass `filter` (or numerator / denominator for ratios),
// grouped by `group_by` labels into tumbling event-time windows of `window`. Each closed window
// yields one point per series, computed over the trailing `span` (a multiple of `window`), so a
// ratio whose numerator lags its denominator (complaints arrive hours after delivery) can be
// measured over a day while still being evaluated every few minutes.
struct MetricConfig {
    std::string name;
    std::string help;
    Aggregation aggregation = Aggregation::kCount;
    Filter filter;       // count and sum
    Filter numerator;    // ratio
    Filter denominator;  // ratio
    std::vector<std::string> group_by;
    std::int64_t window_ms = 300'000;
    std::int64_t span_ms = 300'000;
    std::int64_t idle_after_ms = 3'600'000;  // a series with no events for this long is dropped
    std::size_t max_series = 10'000;
    std::string team = "unassigned";  // who owns this metric's alerts (an alert label)
    std::vector<DetectorConfig> detectors;
    std::optional<PairConfig> pair;  // set for pairs
};

struct ReceiverConfig {
    std::string name;
    std::string type;  // "log" | "webhook" | "alertmanager"
    std::string url;   // webhook: the URL posted to; alertmanager: its base URL
    std::int64_t timeout_ms = 5000;
    int max_attempts = 8;
    std::int64_t initial_backoff_ms = 500;
    std::int64_t max_backoff_ms = 60'000;
};

struct ServerConfig {
    std::string listen = "127.0.0.1:8686";
    std::size_t max_body_bytes = 32 * 1024 * 1024;
    std::size_t max_events_per_request = 100'000;  // more: 413, nothing accepted
    int threads = 2;
};

struct PipelineConfig {
    std::int64_t allowed_lateness_ms = 120'000;
    std::int64_t idle_flush_ms = 30'000;
    std::int64_t snapshot_interval_ms = 60'000;  // how often detector state is saved
    std::int64_t max_future_ms = 3'600'000;
    std::int64_t max_past_ms = 30LL * 24 * 3'600'000;  // older events are refused (400)
    std::size_t queue_events = 2'000'000;
    std::size_t dedup_capacity = 1'000'000;
    // Series whose value, expected band and score are exported on /metrics; beyond this the
    // series is still watched but not exported (counted in terrain_series_export_refused_total).
    std::size_t export_series = 1'000;
    bool fsync = true;  // event log: fdatasync before answering (group commit)
};

// Where a secret comes from: an environment variable or a file, never the configuration
// itself. Read when terrain starts (resolve_secret); the value is never logged.
struct SecretRef {
    std::string env;
    std::string file;
    std::string path;  // "sources.sendgrid.token", for messages
    bool empty() const { return env.empty() && file.empty(); }
};

// Reads a secret; throws ConfigError naming the key path and the variable or file (not the
// value) when it is missing or empty. Trailing newlines of a file are dropped.
std::string resolve_secret(const SecretRef& ref);

// What a request to POST /ingest/<name> must prove. With neither a token nor a signature key
// configured, the source is open to loopback clients only.
struct SourceConfig {
    std::string name;
    SecretRef token;       // "Authorization: Bearer <token>"
    SecretRef public_key;   // sendgrid: the signature's public key (base64 DER, ECDSA P-256)
    SecretRef signing_key;  // mailgun, zendesk: the HMAC signing key
    bool verify_sns = false;  // ses: verify SNS signatures with Amazon's certificates
    // ses: where SNS certificates and subscription URLs may come from (Amazon SNS over HTTPS).
    std::string cert_url_pattern = R"(^https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/)";
    std::int64_t max_age_ms = 300'000;  // signed requests older than this are refused
    std::string path;
};

struct ApiConfig {
    SecretRef token;  // /api/v1/*: "Authorization: Bearer <token>"; unset: loopback only
};

struct Config {
    ServerConfig server;
    std::vector<SourceConfig> sources;
    ApiConfig api;
    PipelineConfig pipeline;
    std::vector<std::string> extra_labels;
    std::vector<MetricConfig> metrics;
    std::vector<ReceiverConfig> receivers;
};

// Parses and validates YAML text. `origin` names the file in messages. Throws ConfigError.
Config parse_config(std::string_view yaml, const std::string& origin);
Config load_config_file(const std::string& path);
Config default_config();
extern const std::string_view kDefaultConfigYaml;

// "did you mean" helper shared by every validator.
std::string suggest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace terrain::monitor
