#include "webhooks/sources/ses/signature.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <map>
#include <mutex>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/duration.h"
#include "core/fetcher.h"
#include "core/json_poster.h"
#include "core/url.h"
#include "webhooks/sources/document.h"

namespace terrain::webhooks {

using core::base64_decode;
using core::check_fresh;
using core::refuse;

namespace {

constexpr std::int64_t kRetryFailedFetchMs = 60'000;  // a certificate that failed, at most so often

std::vector<core::OriginRule> origin_rules(const std::vector<std::string>& origins) {
    std::vector<core::OriginRule> rules;
    for (const auto& o : origins) {
        auto rule = core::OriginRule::parse(o);
        if (!rule.ok()) {
            throw std::invalid_argument("'" + o + "' is not an origin: " + rule.error().message);
        }
        rules.push_back(std::move(rule.value()));
    }
    return rules;
}

// The URL, parsed, when one of the rules allows it; otherwise why not.
core::Result<core::Url> allowed_url(std::string_view text,
                                          const std::vector<core::OriginRule>& rules) {
    auto url = core::parse_url(text);
    if (!url.ok()) {
        return url;
    }
    for (const auto& r : rules) {
        if (r.matches(url.value())) {
            return url;
        }
    }
    return core::Error{"bad_url", "its origin " + url.value().origin() + " is not allowed", -1, ""};
}

}  // namespace

struct SnsSignature::Certs {
    std::vector<core::OriginRule> rules;
    std::mutex mutex;
    std::map<std::string, EVP_PKEY*> by_url;
    std::map<std::string, std::pair<std::int64_t, std::string>> failed;  // url -> (when, why)
    core::BackgroundFetcher fetcher;
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

std::optional<core::Error> SnsSignature::verify(const HttpRequest& req,
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
    const auto at = core::parse_rfc3339_ms(field("Timestamp"));
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

std::optional<core::Error> confirm_subscription(const std::string& text,
                                                   const std::vector<std::string>& origins) {
    const auto url = allowed_url(text, origin_rules(origins));
    if (!url.ok()) {
        return refuse("bad_field", "SubscribeURL is not an Amazon SNS URL (" +
                                       url.error().message + "); not visited");
    }
    const core::HttpReply reply =
        core::http_call("GET", url.value().origin() + url.value().target, {}, "", 5000);
    if (!reply.ok()) {
        return refuse("confirm_failed", "visiting SubscribeURL failed: " + reply.describe());
    }
    return std::nullopt;
}

}  // namespace terrain::webhooks
