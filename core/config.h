#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/event.h"

namespace terrain::core {

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
    // Label matchers as everywhere else (core/matcher.h): "spring", "!=spring", "=~spring-.*",
    // "!~test-.*"; a list of values is written as the expression matching any of them.
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
    std::string where;      // " (line 12; metric complaint_rate)", appended to them
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
    // Which way the customer side goes when customers are worse off: up (complaints, tickets,
    // returns) or down (opens, clicks: mail that stops reaching people).
    bool worse_below = false;
    // A label of `on` whose values are judged against each other within one send (the
    // mailbox provider): each one's customer signals as its share of the send's, set against
    // the share its exposure would have if it fared like the send's others. What the whole
    // send shares (its subject line, its hour) cancels out; what one of them does alone stands
    // out. Empty: each series against its own baseline only.
    std::string across;
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
    // Ratios only: `attribution: send` judges each send (cohort) by the signals joined to it by
    // message id, over `horizon` after it (core/aggregator.h); otherwise the trailing span.
    bool by_send = false;
    std::int64_t horizon_ms = 3 * 86'400'000LL;
    // `roll_up: [[campaign], [provider]]`: the same metric judged at coarser groupings too,
    // each a metric of its own named <name>_by_<labels>. All share `family` (the declared
    // name): one incident seen at several levels is one alert (alerts/manager.h).
    std::vector<std::vector<std::string>> roll_up;
    std::string family;
    std::size_t max_series = 10'000;
    std::string team = "unassigned";  // who owns this metric's alerts (an alert label)
    // What to do about its alerts, in plain words, on every card ("Suggested: ..."); a pair's
    // is its `action` too.
    std::string action;
    std::vector<DetectorConfig> detectors;
    std::optional<PairConfig> pair;  // set for pairs
};

struct ServerConfig {
    std::string listen = "127.0.0.1:8686";
    std::size_t max_body_bytes = 32 * 1024 * 1024;
    std::size_t max_events_per_request = 100'000;  // more: 413, nothing accepted
    int threads = 2;
    std::size_t max_connections = 1024;  // open at once; more wait in the kernel's backlog
    // Host names terrain answers to besides loopback names and the listen address (its public
    // name behind a proxy, for vendor webhooks); "*" for any. Others get 421 (DNS rebinding).
    std::vector<std::string> hosts;
};

struct PipelineConfig {
    std::int64_t allowed_lateness_ms = 120'000;
    std::int64_t idle_flush_ms = 30'000;
    std::int64_t checkpoint_interval_ms = 60'000;  // how often the pipeline checkpoints
    std::int64_t max_future_ms = 3'600'000;
    std::int64_t max_past_ms = 30LL * 24 * 3'600'000;  // older events are refused (400)
    std::size_t queue_events = 2'000'000;
    std::size_t dedup_capacity = 1'000'000;
    // Series whose value, expected band and score are exported on /metrics; beyond this the
    // series is still watched but not exported (counted in terrain_series_export_refused_total).
    std::size_t export_series = 1'000;
    bool fsync = true;  // event log: fdatasync before answering (group commit)
    // A customer contacting again this soon after a contact is a return (contact.return,
    // derived from the keyed hash of their identifier); 0 turns it off.
    std::int64_t return_within_ms = 3'600'000;
    std::size_t return_capacity = 1'000'000;  // customers remembered for returns
    std::size_t send_capacity = 2'000'000;    // sends remembered to join their late signals
    // Memory for quiet series' detector state; past it, the longest unseen go to the store.
    std::size_t parked_bytes = 256u << 20;
    // Event-log segments a checkpoint covers that are kept anyway, newest first, up to this
    // many bytes: the history `terrain backtest --from` replays (what-if); 0 keeps none.
    std::uint64_t history_bytes = 1ULL << 30;
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

// Where alerts go. `match` routes: an alert goes to a receiver when it carries every listed
// label (severity and team count as labels here); an empty match takes every alert. A
// receiver named by another's `escalate_to` is an escalation target: it hears of an alert
// only once the alert has escalated (nobody acknowledged it within `escalate_after`).
struct ReceiverConfig {
    std::string name;
    std::string type;  // a receiver kind: log, webhook, slack, ... (alerts/receivers.h)
    // The kind's own keys (where it posts, its token, ...), validated by the kind.
    nlohmann::json params = nlohmann::json::object();
    Labels match;
    std::int64_t escalate_after_ms = 0;  // 0: never escalates
    std::string escalate_to;
    std::int64_t remind_every_ms = 0;  // acknowledged but still firing: a reminder this often
    std::int64_t timeout_ms = 5000;
    int max_attempts = 8;
    std::int64_t initial_backoff_ms = 500;
    std::int64_t max_backoff_ms = 60'000;
    std::string path;  // "receivers[2]", for messages
};

// A person who may act on alerts, known by their identities on each chat platform (the user
// ids those platforms put in verified requests: slack "U024BE7LH"; inbox "local" for the
// local inbox).
struct PersonConfig {
    std::string name;
    std::vector<std::string> roles;
    std::vector<std::pair<std::string, std::string>> ids;  // platform -> user id
    std::string mattermost_username;  // for @mentions (Mattermost mentions by name, not id)
    // The person's own inbox login: a request bearing it acts as them (their `inbox` id), from
    // any address. Unset: they use the inbox only as `local`, if that is their id.
    SecretRef inbox_token;
};

// An HTTP request an executor sends, as templates: {{labels.campaign}}, {{alert.id}},
// {{alert.metric}}, {{alert.fingerprint}}, {{person}}, {{idempotency_key}},
// {{secret.NAME}}. Values are percent-encoded in the URL and JSON-escaped in the body.
struct HttpCallConfig {
    std::string method = "POST";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

// An action a person can take from an alert. Built-in ones act on the alert itself
// (acknowledge, snooze, resolve, not_a_problem, confirm); the others run an executor against
// the MAP or ESP: `http` sends `call` (and `revert` after `revert_after`), `dry_run` records
// the request it would send without sending it.
struct ActionConfig {
    std::string name;
    std::string label;
    std::vector<std::string> roles;  // empty: every person in `people`
    std::string confirm;             // shown before it runs: what it will do, and the impact
    std::string executor;            // builtin | http | dry_run
    HttpCallConfig call;
    std::optional<HttpCallConfig> revert;
    std::int64_t revert_after_ms = 0;  // 0: never reverted automatically
    // An override with a revert has an undo action beside it in alerts::Policy, `undo_<name>`
    // (executor "undo", `undoes` naming this one), offered on the card once this one is done:
    // its button says `revert_label` ("Resume campaign"; default "Undo: <label>").
    std::string revert_label;
    std::string undoes;
    std::vector<std::pair<std::string, SecretRef>> secrets;
    std::int64_t timeout_ms = 10'000;
    int max_attempts = 5;
    std::int64_t initial_backoff_ms = 500;
    std::vector<std::string> needs_labels;  // from the templates: shown only on such alerts
    // While this override is done (not failed or reverted), other alerts with the same values
    // of these labels are held: a paused campaign's downstream alerts do not notify.
    std::vector<std::string> holds;
    // High impact: a second person (another allowed person) must approve before it runs.
    bool second_approver = false;
    std::string path;
};

// Chat interactivity: where chat servers reach terrain and how old a signed click may be. Each
// chat platform's own keys (its signing secret, its app's id) are in `params`, validated by
// the receiver kinds that use them.
struct InteractConfig {
    std::string public_url;  // where chat servers reach terrain (Mattermost buttons)
    std::int64_t max_age_ms = 300'000;  // signed clicks older than this are refused
    std::vector<std::string> not_a_problem_reasons = {
        "expected (planned send)", "known issue, handled elsewhere", "detector too sensitive",
        "data problem, not a customer problem"};
    // The snooze times cards and the inbox offer; the API and clicks accept only these.
    std::vector<std::string> snooze_times = {"1h", "4h", "1d"};
    // How long the inbox keeps showing a resolved alert (with Confirm and Not a problem).
    std::int64_t inbox_resolved_for_ms = 24 * 3'600'000LL;
    // Where a customer signal on a card links, by its source: an https URL with {id} for the
    // vendor's id (a Zendesk ticket number): zendesk: https://acme.zendesk.com/agent/tickets/{id}
    std::vector<std::pair<std::string, std::string>> signal_links;
    nlohmann::json params = nlohmann::json::object();
};

// The built-in actions: every configuration has them, with any person allowed unless
// `actions` lists one of them by name with its own roles.
const std::vector<std::string>& builtin_actions();

// What a request to POST /ingest/<name> must prove: the bearer `token`, or the vendor's own
// signature, whose keys are in `params` and are validated by the source's kind
// (webhooks/sources/registry.h). With neither, the source is open to loopback clients only.
struct SourceConfig {
    std::string name;
    SecretRef token;  // "Authorization: Bearer <token>"
    std::int64_t max_age_ms = 300'000;  // signed requests older than this are refused
    nlohmann::json params = nlohmann::json::object();
    std::string path;
};

// A weekly time in business terms: on the listed days, from `from` to `to` local time in
// `time_zone`, for the alerts it matches. A `to` at or before `from` ends the next day ("20:00"
// to "08:00"). As a quiet window, the alerts it matches are held as a silence holds them (they
// exist and say why, but no receiver hears of them and nothing escalates); when it ends the
// still-firing ones are told once. As an on-duty shift, see OnDutyConfig.
struct WeeklyWindowConfig {
    std::string name;
    std::string time_zone = "UTC";  // an IANA name: Europe/Berlin, America/New_York
    std::vector<int> days;          // the days it starts on, 0 Sunday to 6 Saturday
    int from_minute = 0;            // minutes after local midnight
    int to_minute = 24 * 60;
    Labels match;  // labels, severity, team, metric, detector; empty: every alert
    std::string path;
};

// As in Alertmanager: while an alert matching `source_match` fires, alerts matching
// `target_match` that have the same values for every label in `equal` are held (a campaign's
// critical spam alert holds the same campaign's warnings).
struct InhibitRuleConfig {
    Labels source_match;  // labels, severity, team, metric, detector
    Labels target_match;
    std::vector<std::string> equal;
    std::string path;
};

// The people on duty for the alerts `shift.match` matches, during the shift: an alert firing
// then names them, and the chat receivers mention them (a Slack or Teams mention, Mattermost's
// @username) so the message reaches someone who can act.
struct OnDutyConfig {
    WeeklyWindowConfig shift;
    std::vector<std::string> people;  // names of configured people
};

struct ApiConfig {
    SecretRef token;  // /api/v1/*: "Authorization: Bearer <token>"; unset: loopback only
};

// The scale-out mode (docs/cluster.md): present, the event log is a Kafka topic that every
// node produces to and consumes its share of (one consumer group), and each partition's
// windows and detector state are checkpointed with their offset in PostgreSQL. Absent (the
// default), terrain is one process with its local event log and SQLite.
struct ClusterConfig {
    bool enabled = false;
    std::vector<std::string> brokers;  // host:port
    std::string topic = "terrain-events";
    int partitions = 6;                // made when terrain creates the topic
    int replication = 3;               // of the topic it creates; min.insync.replicas is 2 at 3
    std::string group = "terrain";
    std::string node;                  // this node's name (default: the host name and port)
    std::string advertise;             // this node's API as the others reach it (http://...);
                                       // empty: http://<server.listen>
    SecretRef postgres;                // a libpq connection string, from env or a file
    std::int64_t produce_timeout_ms = 10'000;  // an append not acknowledged by then: 503
};

struct Config {
    ServerConfig server;
    ClusterConfig cluster;
    std::vector<SourceConfig> sources;
    ApiConfig api;
    PipelineConfig pipeline;
    std::vector<std::string> extra_labels;
    std::vector<MetricConfig> metrics;
    std::vector<ReceiverConfig> receivers;
    std::vector<WeeklyWindowConfig> quiet_windows;
    std::vector<InhibitRuleConfig> inhibit_rules;
    std::vector<PersonConfig> people;
    std::vector<OnDutyConfig> on_duty;
    std::vector<ActionConfig> actions;  // built-ins first, then the configured ones
    InteractConfig interact;
};

// What alert matchers and groupings may name: the known and declared labels, severity, team,
// metric and detector.
std::vector<std::string> alert_keys(const Config& config);

// Parses and validates YAML text. `origin` names the file in messages. Throws ConfigError.
Config parse_config(std::string_view yaml, const std::string& origin);
// The file's text; throws ConfigError when it cannot be read.
std::string read_config_file(const std::string& path);
Config load_config_file(const std::string& path);

// "did you mean" helper shared by every validator.
std::string suggest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace terrain::core
