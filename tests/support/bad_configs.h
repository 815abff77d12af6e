#pragma once

#include <ostream>
#include <vector>

namespace terrain::testing {

// A configuration terrain must refuse, and a substring of the one-line message that names the
// problem. Read by the start-up table test (validation in process) and the check/run parity
// test (the real binary).
struct BadConfig {
    const char* name;
    const char* yaml;
    const char* message;
};

// Names the case in test listings instead of dumping its bytes.
inline void PrintTo(const BadConfig& c, std::ostream* os) { *os << c.name; }

inline constexpr const char* kMetric = "metrics:\n  - name: m\n    filter: {kind: email.delivered}\n";

inline const std::vector<BadConfig>& bad_configs() {
    static const std::vector<BadConfig> cases = {
        BadConfig{"not_yaml", "metrics: [", "test.yaml: not valid YAML"},
        // The scale-out mode's section (docs/cluster.md).
        BadConfig{"cluster_without_brokers", "cluster: {postgres: {env: TERRAIN_TEST_PG}}\n",
                  "cluster.brokers: is required"},
        BadConfig{"cluster_broker_without_port",
                  "cluster: {brokers: [kafka-1], postgres: {env: TERRAIN_TEST_PG}}\n",
                  "cluster.brokers: 'kafka-1' is not host:port"},
        BadConfig{"cluster_without_postgres", "cluster: {brokers: [127.0.0.1:9092]}\n",
                  "cluster.postgres: is required"},
        BadConfig{"cluster_postgres_inline",
                  "cluster: {brokers: [127.0.0.1:9092], postgres: \"host=db user=terrain\"}\n",
                  "cluster.postgres: secrets are not written in the configuration"},
        BadConfig{"cluster_postgres_env_unset",
                  "cluster: {brokers: [127.0.0.1:9092], postgres: {env: TERRAIN_TEST_UNSET_DSN}}\n",
                  "TERRAIN_TEST_UNSET_DSN"},
        BadConfig{"cluster_bad_topic",
                  "cluster: {brokers: [127.0.0.1:9092], topic: \"terrain events\", "
                  "postgres: {env: TERRAIN_TEST_PG}}\n",
                  "cluster.topic: 'terrain events' is not a Kafka topic name"},
        BadConfig{"cluster_advertise_not_url",
                  "cluster: {brokers: [127.0.0.1:9092], advertise: \"node-1:8686\", "
                  "postgres: {env: TERRAIN_TEST_PG}}\n",
                  "cluster.advertise: 'node-1:8686' is not an http(s) URL"},
        BadConfig{"cluster_zero_partitions",
                  "cluster: {brokers: [127.0.0.1:9092], partitions: 0, "
                  "postgres: {env: TERRAIN_TEST_PG}}\n",
                  "cluster.partitions: 0 is out of range [1, 10000]"},
        BadConfig{
            "unknown_top_key", "metricz: []", "metricz: unknown key; did you mean 'metrics'?"},
        // The traps marketing-ops fell into: each refused, naming the metric and the line.
        BadConfig{"filter_list_of_maps",
                  "metrics:\n  - name: winback_complaints\n    filter: {kind: email.complaint, "
                  "labels: {campaign: [{a: b}]}}\n",
                  "metrics[0].filter.labels.campaign: a list of values, each a string (line 3; metric winback_complaints)"},
        BadConfig{"filter_bad_expression",
                  "metrics:\n  - name: winback_complaints\n    filter: {kind: email.complaint, "
                  "labels: {campaign: \"=~winback-(q4\"}}\n",
                  "metrics[0].filter.labels.campaign: 'winback-(q4' is not a regular expression"},
        BadConfig{"ratio_limit_above_one",
                  "metrics:\n  - name: complaint_rate\n    aggregate: ratio\n"
                  "    numerator: {kind: email.complaint}\n    denominator: {kind: email.delivered}\n"
                  "    detectors:\n      - type: threshold\n        above: 3\n",
                  "metrics[0].detectors[0].above: 3 is not a fraction: this metric is a ratio, its "
                  "limits are from 0 to 1 (0.03 is 3%) (line 7; metric complaint_rate)"},
        BadConfig{"detector_error_names_metric_and_line",
                  "metrics:\n  - name: m\n    filter: {kind: a}\n  - name: second\n"
                  "    filter: {kind: b}\n    detectors:\n      - type: ewma\n        alpha: 7\n",
                  "metrics[1].detectors[0].alpha: 7 is out of range [0.0001, 1] (line 7; metric "
                  "second)"},
        BadConfig{"metric_error_names_metric",
                  "metrics:\n  - name: m\n    filter: {kind: a}\n  - name: second\n"
                  "    filter: {kind: b}\n    window: 5x\n",
                  "metrics[1].window: '5x' is not a duration (use e.g. 30s, 5m, 1h, 1d) (line 6; "
                  "metric second)"},
        BadConfig{"bad_window",
                  "metrics:\n  - name: m\n    filter: {kind: a}\n    window: 5x\n",
                  "metrics[0].window: '5x' is not a duration"},
        BadConfig{"attribution_unknown",
                  "metrics:\n  - name: m\n    aggregate: ratio\n    numerator: {kind: a}\n"
                  "    denominator: {kind: b}\n    attribution: message\n",
                  "metrics[0].attribution: 'message' is not an attribution (use send or window)"},
        BadConfig{"attribution_on_a_count",
                  "metrics:\n  - name: m\n    filter: {kind: a}\n    attribution: send\n",
                  "metrics[0].attribution: only a ratio is attributed to sends"},
        BadConfig{"horizon_without_attribution",
                  "metrics:\n  - name: m\n    filter: {kind: a}\n    horizon: 3d\n",
                  "metrics[0].horizon: an attribution horizon needs 'attribution: send'"},
        BadConfig{"span_with_attribution",
                  "metrics:\n  - name: m\n    aggregate: ratio\n    numerator: {kind: a}\n"
                  "    denominator: {kind: b}\n    attribution: send\n    span: 1h\n",
                  "metrics[0].span: a ratio attributed to sends is judged per send"},
        BadConfig{"horizon_too_long",
                  "metrics:\n  - name: m\n    aggregate: ratio\n    numerator: {kind: a}\n"
                  "    denominator: {kind: b}\n    attribution: send\n    horizon: 60d\n",
                  "metrics[0].horizon: must be between the window and 30d"},
        BadConfig{"span_not_multiple",
                  "metrics:\n  - name: m\n    filter: {kind: a}\n    window: 5m\n    span: 7m\n",
                  "metrics[0].span: 7m is not a multiple of the window (5m)"},
        BadConfig{"unknown_label",
                  "metrics:\n  - name: m\n    filter: {kind: a}\n    group_by: [campain]\n",
                  "metrics[0].group_by[0]: unknown label 'campain'; did you mean 'campaign'?"},
        BadConfig{"bad_aggregate",
                  "metrics:\n  - name: m\n    aggregate: average\n    filter: {kind: a}\n",
                  "metrics[0].aggregate: 'average' is not an aggregation"},
        BadConfig{"ratio_without_denominator",
                  "metrics:\n  - name: m\n    aggregate: ratio\n    numerator: {kind: a}\n",
                  "metrics[0]: a ratio needs both 'numerator' and 'denominator'"},
        BadConfig{"missing_filter",
                  "metrics:\n  - name: m\n",
                  "metrics[0]: missing required key 'filter'"},
        BadConfig{"empty_filter",
                  "metrics:\n  - name: m\n    filter: {}\n",
                  "metrics[0].filter: an empty filter would match every event"},
        BadConfig{"bad_side",
                  "metrics:\n  - name: m\n    filter: {kind: a, side: customers}\n",
                  "metrics[0].filter.side: 'customers' is not a side"},
        BadConfig{"bad_name",
                  "metrics:\n  - name: Spam-Rate\n    filter: {kind: a}\n",
                  "metrics[0].name: 'Spam-Rate' must be lower_snake_case"},
        BadConfig{
            "duplicate_metric",
            "metrics:\n  - name: m\n    filter: {kind: a}\n  - name: m\n    filter: {kind: b}\n",
            "metrics[1].name: 'm' is declared twice"},
        BadConfig{"unknown_detector",
                  "metrics:\n  - name: m\n    filter: {kind: a}\n    detectors:\n      - type: "
                  "treshold\n",
                  "metrics[0].detectors[0].type: unknown detector 'treshold'; did you mean "
                  "'threshold'?"},
        BadConfig{"detector_bad_param",
                  "metrics:\n  - name: m\n    filter: {kind: a}\n    detectors:\n      - type: "
                  "ewma\n        alpha: 3\n",
                  "metrics[0].detectors[0].alpha: 3 is out of range [0.0001, 1]"},
        BadConfig{"detector_unknown_param",
                  "metrics:\n  - name: m\n    filter: {kind: a}\n    detectors:\n      - type: "
                  "threshold\n        abov: 1\n",
                  "metrics[0].detectors[0].abov: unknown key; did you mean 'above'?"},
        BadConfig{
            "rate_on_counts",
            "metrics:\n  - name: m\n    filter: {kind: a}\n    detectors:\n      - type: rate\n",
            "metrics[0].detectors[0].type: 'rate' judges proportions and needs a ratio metric "
            "(aggregate: ratio)"},
        BadConfig{"threshold_without_bounds",
                  "metrics:\n  - name: m\n    filter: {kind: a}\n    detectors:\n      - type: "
                  "threshold\n",
                  "metrics[0].detectors[0]: a threshold needs 'above', 'below' or both"},
        BadConfig{"detector_not_number",
                  "metrics:\n  - name: m\n    filter: {kind: a}\n    detectors:\n      - type: "
                  "threshold\n        above: high\n",
                  "metrics[0].detectors[0].above: 'high' is not a number"},
        BadConfig{"bad_severity",
                  "metrics:\n  - name: m\n    filter: {kind: a}\n    detectors:\n      - type: "
                  "threshold\n        above: 1\n        severity: urgent\n",
                  "metrics[0].detectors[0].severity: 'urgent' is not a severity"},
        BadConfig{"bad_direction",
                  "metrics:\n  - name: m\n    filter: {kind: a}\n    detectors:\n      - type: "
                  "ewma\n        direction: upward\n",
                  "metrics[0].detectors[0].direction: 'upward' is not one of both, up, down"},
        BadConfig{"receiver_type",
                  "receivers:\n  - name: r\n    type: slak\n",
                  "receivers[0].type: 'slak' is not a receiver type"},
        BadConfig{"receiver_url",
                  "receivers:\n  - name: r\n    type: webhook\n    url: ftp://x\n",
                  "receivers[0].url: 'ftp://x' must start with http:// or https://"},
        BadConfig{"receiver_missing_url",
                  "receivers:\n  - name: r\n    type: webhook\n",
                  "receivers[0]: missing required key 'url'"},
        BadConfig{"alertmanager_missing_url",
                  "receivers:\n  - name: am\n    type: alertmanager\n",
                  "receivers[0]: missing required key 'url'"},
        BadConfig{"empty_team",
                  "metrics:\n  - name: m\n    filter: {kind: a}\n    team: ''\n",
                  "metrics[0].team: must be 1 to 64 characters"},
        BadConfig{"export_series_negative",
                  "pipeline:\n  export_series: -1\n",
                  "pipeline.export_series: -1 is out of range [0, 1000000]"},
        BadConfig{
            "bad_threads", "server:\n  threads: 0\n", "server.threads: 0 is out of range [1, 64]"},
        BadConfig{"bad_lateness",
                  "pipeline:\n  allowed_lateness: soon\n",
                  "pipeline.allowed_lateness: 'soon' is not a duration"},
        BadConfig{"pair_unknown_metric",
                  "metrics:\n  - name: sent\n    filter: {kind: a}\npairs:\n  - name: p\n    map: "
                  "snet\n    customer: sent\n",
                  "pairs[0].map: no metric named 'snet'; did you mean 'sent'?"},
        BadConfig{"pair_sum_map",
                  "metrics:\n  - name: s\n    aggregate: sum\n    filter: {kind: a}\n  - name: c\n "
                  "   filter: {kind: b}\n"
                  "pairs:\n  - name: p\n    map: s\n    customer: c\n",
                  "pairs[0].map: 's' is a sum; a pair needs a count or a ratio on the MAP side"},
        BadConfig{"pair_name_taken",
                  "metrics:\n  - name: c\n    filter: {kind: b}\npairs:\n  - name: c\n    map: c\n "
                  "   customer: c\n",
                  "pairs[0].name: 'c' is already the name of a metric or pair"},
        BadConfig{"pair_worse_sideways",
                  "metrics:\n  - name: c\n    filter: {kind: b}\npairs:\n  - name: p\n    map: c\n "
                  "   customer: c\n    worse: sideways\n",
                  "pairs[0].worse: 'sideways' is not a direction"},
        BadConfig{"pair_unknown_key",
                  "metrics:\n  - name: c\n    filter: {kind: b}\npairs:\n  - name: p\n    map: c\n "
                  "   customer: c\n    actoin: x\n",
                  "pairs[0].actoin: unknown key; did you mean 'action'?"},
        BadConfig{"disagreement_on_a_metric",
                  "metrics:\n  - name: m\n    aggregate: ratio\n    numerator: {kind: a}\n    "
                  "denominator: {kind: b}\n"
                  "    detectors:\n      - type: disagreement\n",
                  "'disagreement' watches pairs; declare it under `pairs`, not on a metric"},
        BadConfig{"signing_key_for_postmark",
                  "sources:\n  postmark:\n    verify_signature: maybe\n",
                  "sources.postmark.verify_signature: unknown key"},
        BadConfig{"max_series_text",
                  "metrics:\n  - name: m\n    filter: {kind: a}\n    max_series: lots\n",
                  "metrics[0].max_series: 'lots' is not an integer"},
        BadConfig{"match_unknown_label",
                  "receivers:\n  - name: r\n    type: log\n    match: {campain: x}\n",
                  "receivers[0].match.campain: unknown label 'campain'; did you mean 'campaign'?"},
        BadConfig{
            "escalate_to_nobody",
            "receivers:\n  - name: r\n    type: log\n    escalate_after: 5m\n    escalate_to: "
            "pagr\n"
            "  - name: pager\n    type: log\n",
            "receivers[0].escalate_to: 'pagr' is not another receiver; did you mean 'pager'?"},
        BadConfig{"escalate_half",
                  "receivers:\n  - name: r\n    type: log\n    escalate_after: 5m\n",
                  "receivers[0]: give 'escalate_after' and 'escalate_to' together"},
        BadConfig{"slack_token_literal",
                  "receivers:\n  - name: s\n    type: slack\n    channel: C1\n    token: xoxb-1\n",
                  "receivers[0].token: secrets are not written in the configuration"},
        BadConfig{
            "slack_without_signing_secret",
            "receivers:\n  - name: s\n    type: slack\n    channel: C1\n    token: {env: T}\n",
            "receivers[0]: a slack receiver needs interact.slack_signing_secret"},
        BadConfig{
            "mattermost_without_url",
            "receivers:\n  - name: m\n    type: mattermost\n    channel: c1\n    token: {env: T}\n",
            "receivers[0]: missing required key 'url'"},
        BadConfig{
            "mattermost_without_public_url",
            "receivers:\n  - name: m\n    type: mattermost\n    url: https://chat.example.com\n"
            "    channel: c1\n    token: {env: T}\n"
            "interact:\n  mattermost_secret: {env: S}\n",
            "receivers[0]: a mattermost receiver needs interact.mattermost_secret (to sign its "
            "buttons) and interact.public_url"},
        BadConfig{"snooze_time_not_a_duration", "interact:\n  snooze_times: [1h, two hours]\n",
                  "interact.snooze_times: 'two hours' is not a duration up to 30d"},
        BadConfig{"signal_link_breaks_markup",
                  "interact:\n  signal_links:\n    zendesk: 'https://acme.zendesk.com/t/{id}|x'\n",
                  "interact.signal_links: 'zendesk': 'https://acme.zendesk.com/t/{id}|x' is not an "
                  "https URL with {id} in it"},
        BadConfig{"signal_link_without_id",
                  "interact:\n  signal_links:\n    zendesk: https://acme.zendesk.com/agent/tickets\n",
                  "is not an https URL with {id} in it"},
        BadConfig{"teams_without_app",
                  "receivers:\n  - name: t\n    type: teams\n    channel: '19:c@thread.tacv2'\n",
                  "receivers[0]: a teams receiver needs interact.teams_app_id and "
                  "interact.teams_app_password"},
        BadConfig{"teams_password_literal",
                  "interact:\n  teams_app_password: hunter2\n",
                  "interact.teams_app_password: secrets are not written in the configuration"},
        BadConfig{"quiet_unknown_zone",
                  "quiet_windows:\n  - name: nights\n    time_zone: Europe/Berln\n",
                  "quiet_windows[0].time_zone: 'Europe/Berln' is not a time zone"},
        BadConfig{"quiet_bad_day",
                  "quiet_windows:\n  - name: nights\n    days: [weekday]\n",
                  "quiet_windows[0].days: 'weekday' is not a day (mon ... sun, weekdays, weekends "
                  "or every day); did you mean 'weekdays'?"},
        BadConfig{"quiet_bad_time",
                  "quiet_windows:\n  - name: nights\n    from: '8pm'\n",
                  "quiet_windows[0].from: '8pm' is not a time of day (HH:MM, 00:00 to 24:00)"},
        BadConfig{
            "quiet_unknown_match",
            "quiet_windows:\n  - name: nights\n    match: {severty: warning}\n",
            "quiet_windows[0].match.severty: unknown label 'severty'; did you mean 'severity'?"},
        BadConfig{"on_duty_unknown_person",
                  "people:\n  - {name: Ana Ortiz, slack: UANA}\n"
                  "on_duty:\n  - name: days\n    people: [Ana Ortis]\n",
                  "on_duty[0].people[0]: 'Ana Ortis' is not one of the people; did you mean "
                  "'Ana Ortiz'?"},
        BadConfig{"inbox_token_without_inbox",
                  "people:\n  - {name: Ana, slack: UANA, inbox_token: {env: ANA_INBOX}}\n",
                  "people[0].inbox_token: give the person's inbox identity too (inbox: ana)"},
        BadConfig{"inbox_token_literal",
                  "people:\n  - {name: Ana, inbox: ana, inbox_token: hunter2}\n",
                  "people[0].inbox_token: secrets are not written in the configuration"},
        BadConfig{"on_duty_nobody",
                  "on_duty:\n  - name: days\n    from: '08:00'\n",
                  "on_duty[0].people: name at least one person on duty"},
        BadConfig{"on_duty_unknown_key",
                  "on_duty:\n  - name: days\n    peeple: [Ana]\n",
                  "on_duty[0].peeple: unknown key; did you mean 'people'?"},
        BadConfig{"inhibit_without_target",
                  "inhibit_rules:\n  - source_match: {severity: critical}\n",
                  "inhibit_rules[0]: give both source_match and target_match"},
        BadConfig{"bad_regex_matcher",
                  "receivers:\n  - name: r\n    type: log\n    match: {campaign: '=~spring-('}\n",
                  "receivers[0].match.campaign: 'spring-(' is not a regular expression: "
                  "missing ): spring-("},
        BadConfig{"inhibit_unknown_equal",
                  "inhibit_rules:\n  - source_match: {severity: critical}\n"
                  "    target_match: {severity: warning}\n    equal: [campain]\n",
                  "inhibit_rules[0].equal[0]: unknown label 'campain'; did you mean 'campaign'?"},
        BadConfig{
            "group_by_on_webhook",
            "receivers:\n  - name: w\n    type: webhook\n    url: http://x\n    group_by: "
            "[campaign]\n",
            "receivers[0].group_by: unknown key"},
        BadConfig{"mattermost_secret_literal",
                  "interact:\n  mattermost_secret: hunter2\n",
                  "interact.mattermost_secret: secrets are not written in the configuration"},
        BadConfig{"holds_unknown_label",
                  "actions:\n  - name: pause\n    label: Pause\n    executor: dry_run\n"
                  "    holds: [campain]\n    call: {url: 'http://map/{{labels.campaign}}'}\n",
                  "actions[0].holds[0]: unknown label 'campain'; did you mean 'campaign'?"},
        BadConfig{"person_without_identity",
                  "people:\n  - name: Ana\n    roles: [x]\n",
                  "people[0]: give at least one identity"},
        BadConfig{
            "action_unknown_placeholder",
            "actions:\n  - name: pause\n    label: Pause\n    executor: http\n"
            "    call: {url: 'http://map/{{alert.idd}}'}\n",
            "actions[0].call.url: '{{alert.idd}}' is not a placeholder; did you mean 'alert.id'?"},
        BadConfig{
            "action_undeclared_secret",
            "actions:\n  - name: pause\n    label: Pause\n    executor: http\n"
            "    call: {url: 'http://map/x', headers: {Authorization: 'Bearer {{secret.key}}'}}\n",
            "'{{secret.key}}': no secret 'key' under actions[0].secrets"},
        BadConfig{"action_unclosed_placeholder",
                  "actions:\n  - name: pause\n    label: Pause\n    executor: dry_run\n"
                  "    call: {url: 'http://map/{{labels.campaign'}\n",
                  "actions[0].call.url: '{{' at offset 11 is never closed with '}}'"},
        BadConfig{"builtin_with_call",
                  "actions:\n  - name: snooze\n    call: {url: 'http://x'}\n",
                  "actions[0].call: 'snooze' is built in; give it only roles, label or confirm"},
        BadConfig{"revert_after_without_revert",
                  "actions:\n  - name: pause\n    label: Pause\n    executor: http\n"
                  "    call: {url: 'http://map/x'}\n    revert_after: 1h\n",
                  "actions[0].revert_after: needs 'revert'"},
        BadConfig{"unknown_executor",
                  "actions:\n  - name: pause\n    label: Pause\n    executor: htp\n    call: {url: "
                  "'http://x'}\n",
                  "actions[0].executor: 'htp' is not an executor (use http or dry_run); did you "
                  "mean 'http'?"}
    };
    return cases;
}

}  // namespace terrain::testing
