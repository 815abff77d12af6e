// libFuzzer targets for everything terrain parses from outside: each adapter, each action parser
// (the API's, Slack's block_actions, Mattermost's, Teams' and the inbox's), the Bot Framework
// token check, silences, URLs and label values. One binary; the environment variable
// TERRAIN_FUZZ_TARGET names the target, e.g. TERRAIN_FUZZ_TARGET=sendgrid build-fuzz/fuzz/terrain_fuzz.
// Built with clang by scripts/fuzz; a crash, a sanitizer report or an exception escaping a
// parser fails the run.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string_view>

#include "core/event.h"
#include "core/hash.h"
#include "core/personal.h"
#include "core/url.h"
#include "webhooks/sources/alertmanager/adapter.h"
#include "webhooks/api.h"
#include "alerts/teams/bot_framework_auth.h"
#include "webhooks/sources/connect/adapter.h"
#include "webhooks/sources/connect_ctr/adapter.h"
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

void fuzz_sendgrid(std::string_view body) {
    parse<webhooks::SendgridAdapter>(body);
}

void fuzz_events(std::string_view body) {
    parse<webhooks::EventsAdapter>(body);
}

void fuzz_alertmanager(std::string_view body) {
    parse<webhooks::AlertmanagerAdapter>(body);
}

void fuzz_actions(std::string_view body) {
    auto r = webhooks::parse_action_request(body);
    if (!r.ok() && r.error().message.empty()) {
        __builtin_trap();
    }
}

void fuzz_mailgun(std::string_view body) {
    parse<webhooks::MailgunAdapter>(body);
}

void fuzz_ses(std::string_view body) {
    parse<webhooks::SesAdapter>(body);
}

void fuzz_postmark(std::string_view body) {
    parse<webhooks::PostmarkAdapter>(body);
}

void fuzz_zendesk(std::string_view body) {
    parse<webhooks::ZendeskAdapter>(body);
}

void fuzz_connect(std::string_view body) {
    parse<webhooks::ConnectAdapter>(body);
}

void fuzz_connect_ctr(std::string_view body) {
    parse<webhooks::ConnectCtrAdapter>(body);
}

void fuzz_slack_click(std::string_view body) {
    click(webhooks::parse_slack_interaction(body));
}

void fuzz_inbox_click(std::string_view body) {
    click(webhooks::parse_inbox_action(body));
}

void fuzz_mattermost_click(std::string_view body) {
    auto r = webhooks::parse_mattermost_action(body);
    if (r.ok() ? r.value().click.alert.empty() || r.value().click.action.empty()
               : r.error().message.empty()) {
        __builtin_trap();
    }
}

void fuzz_teams_click(std::string_view body) {
    auto r = webhooks::parse_teams_invoke(body);
    if (r.ok() ? r.value().click.alert.empty() || r.value().service_url.empty()
               : r.error().message.empty()) {
        __builtin_trap();
    }
}

void fuzz_bot_token(std::string_view body) {
    // Nothing listens on port 9: a token that parses as far as its key is refused for keys
    // that cannot be fetched (tried once; `now` stands still).
    static const alerts::BotFrameworkAuth auth("app", "http://127.0.0.1:9/openid");
    auto denied = auth.verify("Bearer " + std::string(body), "https://smba.example.com/",
                              "msteams", 1'764'500'000'000);
    if (!denied || denied->message.empty()) {
        __builtin_trap();  // no key can be fetched, so nothing may verify
    }
}

void fuzz_silence(std::string_view body) {
    // A silence's matchers (regular expressions included) are parsed, then tried on an alert:
    // a refused request names its problem, an accepted one matches without crashing.
    auto r = webhooks::parse_silence_request(body, 1'764'500'000'000);
    if (!r.ok()) {
        if (r.error().message.empty()) {
            __builtin_trap();
        }
        return;
    }
    alerts::Alert a;
    a.labels = {{"campaign", std::string(body.substr(0, 64))}, {"provider", "gmail.com"}};
    (void)alerts::route_matches(r.value().matchers, a);
}

void fuzz_url(std::string_view body) {
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
}

void fuzz_label(std::string_view body) {
    // Label values: whatever the input, what is kept is bounded and holds no contact.
    static const core::SubjectHasher hasher(core::HashKey{9});
    const std::string kept = core::label_value(body, &hasher);
    if (kept.size() > core::kMaxLabelBytes || core::holds_contact(kept) ||
        (core::holds_contact(body) && kept.rfind("hashed:", 0) != 0)) {
        __builtin_trap();
    }
}

using Target = void (*)(std::string_view);

const std::map<std::string_view, Target>& targets() {
    static const std::map<std::string_view, Target> kTargets = {
        {"sendgrid", fuzz_sendgrid},
        {"events", fuzz_events},
        {"alertmanager", fuzz_alertmanager},
        {"actions", fuzz_actions},
        {"mailgun", fuzz_mailgun},
        {"ses", fuzz_ses},
        {"postmark", fuzz_postmark},
        {"zendesk", fuzz_zendesk},
        {"connect", fuzz_connect},
        {"connect_ctr", fuzz_connect_ctr},
        {"slack_click", fuzz_slack_click},
        {"inbox_click", fuzz_inbox_click},
        {"mattermost_click", fuzz_mattermost_click},
        {"teams_click", fuzz_teams_click},
        {"bot_token", fuzz_bot_token},
        {"silence", fuzz_silence},
        {"url", fuzz_url},
        {"label", fuzz_label},
    };
    return kTargets;
}

Target chosen = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    const char* name = std::getenv("TERRAIN_FUZZ_TARGET");
    auto it = targets().find(name != nullptr ? name : "");
    if (it == targets().end()) {
        std::fprintf(stderr, "terrain_fuzz: set TERRAIN_FUZZ_TARGET to one of:");
        for (const auto& [known, fn] : targets()) {
            std::fprintf(stderr, " %.*s", static_cast<int>(known.size()), known.data());
        }
        std::fprintf(stderr, "\n");
        std::exit(2);
    }
    chosen = it->second;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    chosen(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
