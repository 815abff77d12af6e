#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace terrain::alerts {

// base64url (RFC 4648 section 5, no padding), as JSON Web Tokens use it.
std::optional<std::string> base64url_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);

// Verifies the token the Bot Framework sends with every activity it delivers to a bot
// ("Authorization: Bearer <JWT>"), the way the Bot Framework's authentication documentation
// asks a bot to:
// - an RS256 JSON Web Token signed by one of the keys listed at the jwks_uri of the OpenID
//   metadata document (interact.teams_openid_url). Keys are fetched on first use and kept;
//   a token signed with an unknown key id fetches them again (at most once a minute), and
//   they are fetched again after a day;
// - issuer https://api.botframework.com, audience the bot's Microsoft App ID;
// - within its nbf and exp, with five minutes of clock skew;
// - its serviceUrl claim equal to the activity's serviceUrl;
// - the key endorsed for the activity's channel ("msteams") when the key lists endorsements.
// Thread-safe.
class BotFrameworkAuth final {
public:
    BotFrameworkAuth(std::string app_id, std::string openid_url);
    ~BotFrameworkAuth();
    BotFrameworkAuth(const BotFrameworkAuth&) = delete;
    BotFrameworkAuth& operator=(const BotFrameworkAuth&) = delete;

    // nullopt: the activity came from the Bot Framework for this bot. Otherwise the reason
    // (unauthorized, bad_signature, stale_timestamp) and a message naming what is wrong.
    std::optional<core::Error> verify(std::string_view authorization,
                                         const std::string& service_url,
                                         const std::string& channel_id,
                                         std::int64_t now_ms) const;

private:
    struct Keys;
    std::unique_ptr<Keys> keys_;
    std::string app_id_;
};

}  // namespace terrain::alerts
