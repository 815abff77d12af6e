#pragma once

#include <openssl/evp.h>

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "tests/support/builders.h"

namespace terrain::testing {

using nlohmann::json;

inline std::string base64(const std::string& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

inline std::string unbase64(const std::string& text) {
    std::string out(text.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
    int pad = 0;
    for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) {
        ++pad;
    }
    out.resize(static_cast<std::size_t>(n - pad));
    return out;
}

// Signs like SendGrid's Signed Event Webhook, with the private key published beside the
// vendor's test vector A.
class SendgridSigner final {
public:
    SendgridSigner() {
        const auto v = json::parse(testing::fixture("sendgrid_signed_webhook_vector_A.json"));
        public_key_ = v["public_key_b64_der_spki"];
        const std::string der = unbase64(v["private_key_b64_der_sec1_from_go_test"]);
        const auto* p = reinterpret_cast<const unsigned char*>(der.data());
        key_ = d2i_PrivateKey(EVP_PKEY_EC, nullptr, &p, static_cast<long>(der.size()));
        if (key_ == nullptr) {
            throw std::runtime_error("cannot read vector A's private key");
        }
    }
    ~SendgridSigner() { EVP_PKEY_free(key_); }
    const std::string& public_key() const { return public_key_; }

    httplib::Headers headers(const std::string& body, std::int64_t ts_s) const {
        const std::string ts = std::to_string(ts_s);
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        std::string sig(128, '\0');
        std::size_t len = sig.size();
        EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_);
        EVP_DigestSignUpdate(ctx, ts.data(), ts.size());
        EVP_DigestSignUpdate(ctx, body.data(), body.size());
        EVP_DigestSignFinal(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len);
        EVP_MD_CTX_free(ctx);
        sig.resize(len);
        return {{"X-Twilio-Email-Event-Webhook-Signature", base64(sig)},
                {"X-Twilio-Email-Event-Webhook-Timestamp", ts}};
    }

private:
    std::string public_key_;
    EVP_PKEY* key_ = nullptr;
};

}  // namespace terrain::testing
