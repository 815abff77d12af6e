#include "webhooks/auth.h"

#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "monitor/duration.h"
#include "monitor/hash.h"
#include "webhooks/document.h"
#include "webhooks/fetcher.h"
#include "webhooks/json_poster.h"
#include "monitor/url.h"

namespace terrain::webhooks {

std::optional<std::string_view> bearer_token(std::string_view authorization) {
    constexpr std::string_view kBearer = "Bearer ";
    if (!authorization.starts_with(kBearer)) {
        return std::nullopt;
    }
    return authorization.substr(kBearer.size());
}

monitor::Error refuse(std::string reason, std::string message) {
    return {std::move(reason), std::move(message), -1, ""};
}

namespace {

std::array<unsigned char, SHA256_DIGEST_LENGTH> sha256(std::string_view s) {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
    SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out.data());
    return out;
}

}  // namespace

bool secret_equals(std::string_view a, std::string_view b) {
    const auto da = sha256(a);
    const auto db = sha256(b);
    return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

std::optional<std::string> base64_decode(std::string_view text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    while (!text.empty() && text.back() == '=') {
        text.remove_suffix(1);
    }
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        const int v = value(c);
        if (v < 0) {
            return std::nullopt;
        }
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    if (bits >= 6) {
        return std::nullopt;  // a lone trailing character cannot be valid base64
    }
    return out;
}

std::string base64_encode(std::string_view bytes) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const std::uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                                (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                                static_cast<unsigned char>(bytes[i + 2]);
        for (int shift : {18, 12, 6, 0}) {
            out.push_back(kAlphabet[(v >> shift) & 63]);
        }
    }
    if (i < bytes.size()) {
        std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
        if (i + 1 < bytes.size()) {
            v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        }
        out.push_back(kAlphabet[(v >> 18) & 63]);
        out.push_back(kAlphabet[(v >> 12) & 63]);
        out.push_back(i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

std::string hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts) {
    std::string data;
    for (auto p : parts) {
        data.append(p);
    }
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(kDigits[c >> 4]);
        out.push_back(kDigits[c & 15]);
    }
    return out;
}

std::string mattermost_token(std::string_view secret, std::string_view alert,
                             std::string_view action) {
    return hex(hmac_sha256(secret, {"terrain-mattermost\n", alert, "\n", action}));
}

void ReplayGuard::remember_in(monitor::Store* store, std::string scope) {
    std::lock_guard lock(mutex_);
    store_ = store;
    scope_ = std::move(scope);
}

bool ReplayGuard::first_use(const std::string& signature, std::int64_t now_ms,
                            std::int64_t expires_ms) {
    std::lock_guard lock(mutex_);
    if (store_ != nullptr) {
        return store_->first_use(scope_, monitor::sha256_hex(signature), now_ms, expires_ms);
    }
    while (!by_expiry_.empty() &&
           (by_expiry_.front().first < now_ms || by_expiry_.size() >= capacity_)) {
        seen_.erase(by_expiry_.front().second);
        by_expiry_.pop_front();
    }
    if (!seen_.insert(signature).second) {
        return false;
    }
    // Expiry times are not monotonic across requests, but close enough: an entry may be kept a
    // little longer than needed, never shorter than the freshness window of the request that
    // expires first.
    by_expiry_.emplace_back(expires_ms, signature);
    return true;
}

struct SendgridSignature::Key {
    EVP_PKEY* pkey = nullptr;
    ~Key() { EVP_PKEY_free(pkey); }
};

SendgridSignature::SendgridSignature(const std::string& public_key_b64, std::int64_t max_age_ms)
    : key_(std::make_unique<Key>()), max_age_ms_(max_age_ms) {
    auto der = base64_decode(public_key_b64);
    if (!der) {
        throw std::invalid_argument("the SendGrid public key is not base64");
    }
    const auto* p = reinterpret_cast<const unsigned char*>(der->data());
    key_->pkey = d2i_PUBKEY(nullptr, &p, static_cast<long>(der->size()));
    if (key_->pkey == nullptr || EVP_PKEY_get_base_id(key_->pkey) != EVP_PKEY_EC) {
        throw std::invalid_argument(
            "the SendGrid public key is not a DER-encoded EC public key (it starts MFkwEwYH...)");
    }
}

SendgridSignature::~SendgridSignature() = default;

std::optional<monitor::Error> SendgridSignature::verify(const HttpRequest& req,
                                                        std::int64_t now_ms) const {
    const std::string* sig_b64 = req.header("x-twilio-email-event-webhook-signature");
    const std::string* ts = req.header("x-twilio-email-event-webhook-timestamp");
    if (sig_b64 == nullptr || ts == nullptr) {
        return refuse("unauthorized",
                      "missing X-Twilio-Email-Event-Webhook-Signature or -Timestamp header");
    }
    char* end = nullptr;
    const long long secs = std::strtoll(ts->c_str(), &end, 10);
    if (ts->empty() || *end != '\0') {
        return refuse("bad_signature", "X-Twilio-Email-Event-Webhook-Timestamp is not UNIX seconds");
    }
    auto sig = base64_decode(*sig_b64);
    if (!sig) {
        return refuse("bad_signature", "X-Twilio-Email-Event-Webhook-Signature is not base64");
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool ok =
        ctx != nullptr &&
        EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) == 1 &&
        EVP_DigestVerifyUpdate(ctx, ts->data(), ts->size()) == 1 &&
        EVP_DigestVerifyUpdate(ctx, req.body.data(), req.body.size()) == 1 &&
        EVP_DigestVerifyFinal(ctx, reinterpret_cast<const unsigned char*>(sig->data()),
                              sig->size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        return refuse("bad_signature",
                      "the signature does not match the timestamp and body for the configured "
                      "SendGrid public key");
    }
    const std::int64_t ts_ms = secs * 1000;
    if (ts_ms < now_ms - max_age_ms_ || ts_ms > now_ms + max_age_ms_) {
        return refuse("stale_timestamp", "the signed timestamp is more than " +
                                             std::to_string(max_age_ms_ / 1000) +
                                             " s from terrain's clock");
    }
    if (!replays_.first_use(*sig_b64, now_ms, ts_ms + max_age_ms_)) {
        return refuse("replayed", "this signed request was already received");
    }
    return std::nullopt;
}

namespace {

// A signed time must be within max_age of terrain's clock, either way.
std::optional<monitor::Error> check_fresh(std::int64_t signed_ms, std::int64_t now_ms,
                                          std::int64_t max_age_ms) {
    if (signed_ms < now_ms - max_age_ms || signed_ms > now_ms + max_age_ms) {
        return refuse("stale_timestamp", "the signed timestamp is more than " +
                                             monitor::format_duration_ms(max_age_ms) +
                                             " from terrain's clock");
    }
    return std::nullopt;
}

}  // namespace

std::optional<monitor::Error> MailgunSignature::verify(const HttpRequest& req,
                                                       std::int64_t now_ms) const {
    const auto body = nlohmann::json::parse(req.body, nullptr, false);
    const auto sig = body.is_object() ? body.find("signature") : body.end();
    if (!body.is_object() || sig == body.end() || !sig->is_object()) {
        return refuse("unauthorized", "missing the Mailgun 'signature' object in the body");
    }
    auto field = [&](const char* key) { return text_at(*sig, key); };
    const std::string timestamp = field("timestamp");
    const std::string token = field("token");
    const std::string signature = field("signature");
    if (timestamp.empty() || token.empty() || signature.empty()) {
        return refuse("unauthorized",
                      "the Mailgun signature needs 'timestamp', 'token' and 'signature' strings");
    }
    if (!secret_equals(hex(hmac_sha256(key_, {timestamp, token})), signature)) {
        return refuse("bad_signature", "the signature does not match the timestamp and token for "
                                       "the configured Mailgun signing key");
    }
    char* end = nullptr;
    const long long secs = std::strtoll(timestamp.c_str(), &end, 10);
    if (*end != '\0') {
        return refuse("bad_signature", "the signature's timestamp is not UNIX seconds");
    }
    if (auto stale = check_fresh(secs * 1000, now_ms, max_age_ms_)) {
        return stale;
    }
    if (!replays_.first_use(token, now_ms, secs * 1000 + max_age_ms_)) {
        return refuse("replayed", "this Mailgun token was already used");
    }
    return std::nullopt;
}

std::optional<monitor::Error> ZendeskSignature::verify(const HttpRequest& req,
                                                       std::int64_t now_ms) const {
    const std::string* sig = req.header("x-zendesk-webhook-signature");
    const std::string* ts = req.header("x-zendesk-webhook-signature-timestamp");
    if (sig == nullptr || ts == nullptr) {
        return refuse("unauthorized",
                      "missing X-Zendesk-Webhook-Signature or X-Zendesk-Webhook-Signature-Timestamp");
    }
    if (!secret_equals(base64_encode(hmac_sha256(secret_, {*ts, req.body})), *sig)) {
        return refuse("bad_signature", "the signature does not match the timestamp and body for "
                                       "the configured Zendesk signing secret");
    }
    const auto at = monitor::parse_rfc3339_ms(*ts);
    if (!at) {
        return refuse("bad_signature", "X-Zendesk-Webhook-Signature-Timestamp is not RFC 3339");
    }
    if (auto stale = check_fresh(*at, now_ms, max_age_ms_)) {
        return stale;
    }
    if (!replays_.first_use(*sig, now_ms, *at + max_age_ms_)) {
        return refuse("replayed", "this signed request was already received");
    }
    return std::nullopt;
}

std::optional<monitor::Error> SlackSignature::verify(const HttpRequest& req,
                                                    std::int64_t now_ms) const {
    const std::string* sig = req.header("x-slack-signature");
    const std::string* ts = req.header("x-slack-request-timestamp");
    if (sig == nullptr || ts == nullptr) {
        return refuse("unauthorized", "missing X-Slack-Signature or X-Slack-Request-Timestamp");
    }
    if (!secret_equals("v0=" + hex(hmac_sha256(secret_, {"v0:", *ts, ":", req.body})), *sig)) {
        return refuse("bad_signature", "the signature does not match the timestamp and body for "
                                       "the configured Slack signing secret");
    }
    std::int64_t seconds = 0;
    if (ts->empty() || ts->size() > 12 ||
        !std::all_of(ts->begin(), ts->end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return refuse("bad_signature", "X-Slack-Request-Timestamp is not UNIX seconds");
    }
    seconds = std::stoll(*ts);
    if (auto stale = check_fresh(seconds * 1000, now_ms, max_age_ms_)) {
        return stale;
    }
    if (!replays_.first_use(*sig, now_ms, seconds * 1000 + max_age_ms_)) {
        return refuse("replayed", "this signed request was already received");
    }
    return std::nullopt;
}

namespace {

constexpr std::int64_t kRetryFailedFetchMs = 60'000;  // a certificate that failed, at most so often

std::vector<monitor::OriginRule> origin_rules(const std::vector<std::string>& origins) {
    std::vector<monitor::OriginRule> rules;
    for (const auto& o : origins) {
        auto rule = monitor::OriginRule::parse(o);
        if (!rule.ok()) {
            throw std::invalid_argument("'" + o + "' is not an origin: " + rule.error().message);
        }
        rules.push_back(std::move(rule.value()));
    }
    return rules;
}

// The URL, parsed, when one of the rules allows it; otherwise why not.
monitor::Result<monitor::Url> allowed_url(std::string_view text,
                                          const std::vector<monitor::OriginRule>& rules) {
    auto url = monitor::parse_url(text);
    if (!url.ok()) {
        return url;
    }
    for (const auto& r : rules) {
        if (r.matches(url.value())) {
            return url;
        }
    }
    return monitor::Error{"bad_url", "its origin " + url.value().origin() + " is not allowed", -1, ""};
}

}  // namespace

struct SnsSignature::Certs {
    std::vector<monitor::OriginRule> rules;
    std::mutex mutex;
    std::map<std::string, EVP_PKEY*> by_url;
    std::map<std::string, std::pair<std::int64_t, std::string>> failed;  // url -> (when, why)
    BackgroundFetcher fetcher;
    ~Certs() {
        for (auto& [url, key] : by_url) {
            EVP_PKEY_free(key);
        }
    }
};

SnsSignature::SnsSignature(const std::vector<std::string>& cert_origins, std::int64_t max_age_ms)
    : certs_(std::make_shared<Certs>()), max_age_ms_(max_age_ms) {
    certs_->rules = origin_rules(cert_origins);
}

SnsSignature::~SnsSignature() = default;

std::optional<monitor::Error> SnsSignature::verify(const HttpRequest& req,
                                                   std::int64_t now_ms) const {
    const auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object()) {
        return refuse("unauthorized", "the body is not an SNS message");
    }
    auto field = [&](const char* key) { return text_at(body, key); };
    const std::string type = field("Type");
    const std::string version = field("SignatureVersion");
    const std::string cert_text = field("SigningCertURL");
    if (type.empty() || cert_text.empty() || field("Signature").empty()) {
        return refuse("unauthorized",
                      "an SNS message needs Type, Signature and SigningCertURL");
    }
    const auto cert_url = allowed_url(cert_text, certs_->rules);
    if (!cert_url.ok()) {
        return refuse("bad_signature", "SigningCertURL is not an Amazon SNS certificate URL (" +
                                           cert_url.error().message + ")");
    }
    const auto signature = base64_decode(field("Signature"));
    if (!signature || signature->empty()) {
        return refuse("bad_signature", "the SNS Signature is not base64");
    }
    if (version != "1" && version != "2") {
        return refuse("bad_signature", "SignatureVersion must be 1 or 2");
    }
    // SNS's canonical string: name and value lines of the signed fields, in this order.
    const bool notification = type == "Notification";
    std::string canonical;
    static const std::vector<const char*> kNotification = {"Message", "MessageId", "Subject",
                                                           "Timestamp", "TopicArn", "Type"};
    static const std::vector<const char*> kConfirmation = {
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"};
    for (const char* key : notification ? kNotification : kConfirmation) {
        if (notification && std::string_view(key) == "Subject" && !body.contains("Subject")) {
            continue;
        }
        canonical.append(key).append("\n").append(field(key)).append("\n");
    }
    const std::string url = cert_url.value().origin() + cert_url.value().target;
    EVP_PKEY* key = nullptr;
    {
        std::lock_guard lock(certs_->mutex);
        if (auto it = certs_->by_url.find(url); it != certs_->by_url.end()) {
            key = it->second;
        } else if (auto f = certs_->failed.find(url);
                   f != certs_->failed.end() && now_ms - f->second.first < kRetryFailedFetchMs) {
            return refuse("bad_signature",
                          "cannot fetch the SNS signing certificate: " + f->second.second);
        }
    }
    if (key == nullptr) {
        // Fetched off the request path; SNS retries a 503.
        std::weak_ptr<Certs> weak = certs_;
        certs_->fetcher.request(url, [weak, url, now_ms](std::optional<std::string> pem,
                                                         const std::string& error) {
            auto certs = weak.lock();
            if (!certs) {
                return;
            }
            EVP_PKEY* fetched = nullptr;
            std::string why = error;
            if (pem) {
                BIO* bio = BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size()));
                X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
                BIO_free(bio);
                fetched = cert != nullptr ? X509_get_pubkey(cert) : nullptr;
                X509_free(cert);
                why = "the SNS signing certificate is not a PEM certificate with a usable key";
            }
            std::lock_guard lock(certs->mutex);
            if (fetched == nullptr) {
                certs->failed[url] = {now_ms, why};
            } else if (!certs->by_url.emplace(url, fetched).second) {
                EVP_PKEY_free(fetched);
            }
        });
        return refuse("key_pending", "terrain is fetching the SNS signing certificate; retry");
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool ok =
        ctx != nullptr &&
        EVP_DigestVerifyInit(ctx, nullptr, version == "1" ? EVP_sha1() : EVP_sha256(), nullptr,
                             key) == 1 &&
        EVP_DigestVerifyUpdate(ctx, canonical.data(), canonical.size()) == 1 &&
        EVP_DigestVerifyFinal(ctx, reinterpret_cast<const unsigned char*>(signature->data()),
                              signature->size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        return refuse("bad_signature", "the SNS signature does not match the message");
    }
    const auto at = monitor::parse_rfc3339_ms(field("Timestamp"));
    if (!at) {
        return refuse("bad_signature", "the SNS Timestamp is not RFC 3339");
    }
    if (auto stale = check_fresh(*at, now_ms, max_age_ms_)) {
        return stale;
    }
    if (!replays_.first_use("sns:" + field("MessageId"), now_ms, *at + max_age_ms_)) {
        return refuse("replayed", "this SNS message was already received");
    }
    return std::nullopt;
}

std::optional<monitor::Error> confirm_subscription(const std::string& text,
                                                   const std::vector<std::string>& origins) {
    const auto url = allowed_url(text, origin_rules(origins));
    if (!url.ok()) {
        return refuse("bad_field", "SubscribeURL is not an Amazon SNS URL (" +
                                       url.error().message + "); not visited");
    }
    const HttpReply reply =
        http_call("GET", url.value().origin() + url.value().target, {}, "", 5000);
    if (!reply.ok()) {
        return refuse("confirm_failed", "visiting SubscribeURL failed: " + reply.describe());
    }
    return std::nullopt;
}

std::optional<HttpResponse> require_json(const HttpRequest& req) {
    const std::string* type = req.header("content-type");
    std::string media = type != nullptr ? type->substr(0, type->find(';')) : "";
    media.erase(media.find_last_not_of(" \t") + 1);
    for (auto& c : media) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (media == "application/json") {
        return std::nullopt;
    }
    return HttpResponse::error(415, "unsupported_media_type",
                               "send the body as JSON with 'Content-Type: application/json'");
}

HttpResponse unauthorized(const monitor::Error& e) {
    if (e.reason == "key_pending") {
        auto r = HttpResponse::error(503, e.reason, e.message);
        r.headers.emplace_back("Retry-After", "2");
        return r;
    }
    auto r = HttpResponse::error(401, e.reason, e.message);
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
}

bool is_loopback(std::string_view address) {
    return address.rfind("127.", 0) == 0 || address == "::1" ||
           address.rfind("::ffff:127.", 0) == 0;
}

std::optional<monitor::Error> SourceGuard::check(const HttpRequest& req,
                                                 std::int64_t now_ms) const {
    if (open_to_loopback()) {
        if (is_loopback(req.remote_address)) {
            return std::nullopt;
        }
        return refuse("unauthorized", source_ + " has no credentials configured, so only "
                                                "loopback clients may use it; configure a "
                                                "token or signature key for it");
    }
    if (!token_.empty()) {
        if (const std::string* auth = req.header("authorization")) {
            static constexpr std::string_view kBasic = "Basic ";
            if (const auto bearer = bearer_token(*auth);
                bearer && !bearer->empty() && secret_equals(*bearer, token_)) {
                return std::nullopt;
            }
            // Basic authentication with the token as password, for vendors that only offer
            // credentials in the webhook URL (Postmark).
            if (auth->size() > kBasic.size() && auth->compare(0, kBasic.size(), kBasic) == 0) {
                const auto decoded = base64_decode(std::string_view(*auth).substr(kBasic.size()));
                const auto colon = decoded ? decoded->find(':') : std::string::npos;
                if (colon != std::string::npos &&
                    secret_equals(std::string_view(*decoded).substr(colon + 1), token_)) {
                    return std::nullopt;
                }
            }
            if (!verifier_) {
                return refuse("unauthorized", "the bearer token is not the one configured for " +
                                                  source_);
            }
        } else if (!verifier_) {
            return refuse("unauthorized", "missing 'Authorization: Bearer <token>' header");
        }
    }
    return verifier_->verify(req, now_ms);
}

}  // namespace terrain::webhooks
