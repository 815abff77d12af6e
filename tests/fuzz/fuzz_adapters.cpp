// libFuzzer targets for everything terrain parses from outside: one binary per adapter and one
// per action parser (the API's, Slack's block_actions, Mattermost's and the inbox's), chosen at compile time
// by TERRAIN_FUZZ_TARGET.
// Built with clang by scripts/fuzz; a crash, a sanitizer report or an exception escaping a
// parser fails the run.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/event.h"
#include "core/hash.h"
#include "core/personal.h"
#include "core/url.h"
#include "webhooks/sources/alertmanager/adapter.h"
#include "webhooks/api.h"
#include "alerts/teams/bot_framework_auth.h"
#include "webhooks/sources/connect/adapter.h"
#include "webhooks/sources/events/adapter.h"
#include "webhooks/interact.h"
#include "webhooks/sources/mailgun/adapter.h"
#include "webhooks/sources/postmark/adapter.h"
#include "webhooks/sources/sendgrid/adapter.h"
#include "webhooks/sources/ses/adapter.h"
#include "webhooks/sources/zendesk/adapter.h"

namespace {

using namespace terrain;

webhooks::AdapterContext context() {
    static const core::SubjectHasher hasher(core::HashKey{7});
    static const std::vector<std::string> labels = core::known_labels();
    webhooks::AdapterContext ctx;
    ctx.hasher = &hasher;
    ctx.now_ms = 1'795'400'000'000;
    ctx.labels = &labels;
    return ctx;
}

// A refused request must say why; an accepted click must name an alert and an action.
template <typename Click>
void click(const core::Result<Click>& r) {
    if (r.ok() ? r.value().alert.empty() || r.value().action.empty() : r.error().message.empty()) {
        __builtin_trap();
    }
}

template <typename Adapter>
void parse(std::string_view body) {
    static const Adapter adapter;
    const auto ctx = context();
    auto r = adapter.parse(body, ctx);
    if (r.ok()) {
        for (const auto& e : r.value().events) {
            // What an adapter accepts must be an event the pipeline can take. (Times far in the
            // past are refused centrally by the ingest endpoint, for every adapter.)
            if (e.kind.empty() || e.time_ms > ctx.now_ms + ctx.max_future_ms) {
                __builtin_trap();
            }
            // No label keeps a customer's address or phone number, however it was written.
            for (const auto& [k, v] : e.labels) {
                if (core::holds_contact(v) || v.size() > core::kMaxLabelBytes) {
                    __builtin_trap();
                }
            }
        }
        for (const auto& refused : r.value().refused) {
            if (refused.reason.empty() || refused.message.empty() || refused.index < 0) {
                __builtin_trap();  // an event set aside names its reason and its place
            }
        }
    } else if (r.error().reason.empty() || r.error().message.empty()) {
        __builtin_trap();  // every refusal names its reason
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
#if TERRAIN_FUZZ_TARGET == 1
    parse<webhooks::SendgridAdapter>(body);
#elif TERRAIN_FUZZ_TARGET == 2
    parse<webhooks::EventsAdapter>(body);
#elif TERRAIN_FUZZ_TARGET == 3
    parse<webhooks::AlertmanagerAdapter>(body);
#elif TERRAIN_FUZZ_TARGET == 4
    auto r = webhooks::parse_action_request(body);
    if (!r.ok() && r.error().message.empty()) {
        __builtin_trap();
    }
#elif TERRAIN_FUZZ_TARGET == 5
    parse<webhooks::MailgunAdapter>(body);
#elif TERRAIN_FUZZ_TARGET == 6
    parse<webhooks::SesAdapter>(body);
#elif TERRAIN_FUZZ_TARGET == 7
    parse<webhooks::PostmarkAdapter>(body);
#elif TERRAIN_FUZZ_TARGET == 8
    parse<webhooks::ZendeskAdapter>(body);
#elif TERRAIN_FUZZ_TARGET == 9
    parse<webhooks::ConnectAdapter>(body);
#elif TERRAIN_FUZZ_TARGET == 10
    click(webhooks::parse_slack_interaction(body));
#elif TERRAIN_FUZZ_TARGET == 11
    click(webhooks::parse_inbox_action(body));
#elif TERRAIN_FUZZ_TARGET == 12
    auto r = webhooks::parse_mattermost_action(body);
    if (r.ok() ? r.value().click.alert.empty() || r.value().click.action.empty()
               : r.error().message.empty()) {
        __builtin_trap();
    }
#elif TERRAIN_FUZZ_TARGET == 13
    auto r = webhooks::parse_teams_invoke(body);
    if (r.ok() ? r.value().click.alert.empty() || r.value().service_url.empty()
               : r.error().message.empty()) {
        __builtin_trap();
    }
#elif TERRAIN_FUZZ_TARGET == 14
    // Nothing listens on port 9: a token that parses as far as its key is refused for keys
    // that cannot be fetched (tried once; `now` stands still).
    static const alerts::BotFrameworkAuth auth("app", "http://127.0.0.1:9/openid");
    auto denied = auth.verify("Bearer " + std::string(body), "https://smba.example.com/",
                              "msteams", 1'764'500'000'000);
    if (!denied || denied->message.empty()) {
        __builtin_trap();  // no key can be fetched, so nothing may verify
    }
#elif TERRAIN_FUZZ_TARGET == 15
    // A silence's matchers (regular expressions included) are parsed, then tried on an alert:
    // a refused request names its problem, an accepted one matches without crashing.
    auto r = webhooks::parse_silence_request(body, 1'764'500'000'000);
    if (!r.ok()) {
        if (r.error().message.empty()) {
            __builtin_trap();
        }
        return 0;
    }
    alerts::Alert a;
    a.labels = {{"campaign", std::string(body.substr(0, 64))}, {"provider", "gmail.com"}};
    (void)alerts::route_matches(r.value().matchers, a);
#elif TERRAIN_FUZZ_TARGET == 16
    // URLs from outside: parsed in linear time or refused with a reason; a parsed URL's origin
    // parses back to the same scheme, host and port; an allowed one is on the allowed host.
    auto u = core::parse_url(body);
    if (!u.ok()) {
        if (u.error().message.empty()) {
            __builtin_trap();
        }
    } else {
        const auto& url = u.value();
        auto again = core::parse_url(url.origin() + url.target);
        if (!again.ok() || again.value().host != url.host || again.value().port != url.port ||
            again.value().scheme != url.scheme || url.target.empty() || url.target[0] != '/') {
            __builtin_trap();
        }
        static const auto amazon = core::OriginRule::parse("https://sns.*.amazonaws.com");
        const std::string_view suffix = ".amazonaws.com";
        if (amazon.value().matches(url) &&
            (url.host.size() < suffix.size() ||
             url.host.compare(url.host.size() - suffix.size(), suffix.size(), suffix) != 0 ||
             url.scheme != "https" || url.port != 443)) {
            __builtin_trap();
        }
    }
    (void)core::OriginRule::parse(body);
#elif TERRAIN_FUZZ_TARGET == 17
    // Label values: whatever the input, what is kept is bounded and holds no contact.
    static const core::SubjectHasher hasher(core::HashKey{9});
    const std::string kept = core::label_value(body, &hasher);
    if (kept.size() > core::kMaxLabelBytes || core::holds_contact(kept) ||
        (core::holds_contact(body) && kept.rfind("hashed:", 0) != 0)) {
        __builtin_trap();
    }
#else
#error "TERRAIN_FUZZ_TARGET must be 1 to 17"
#endif
    return 0;
}
