#pragma once

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/signature.h"
#include "webhooks/guard.h"
#include "webhooks/sources/sendgrid/signature.h"
#include "webhooks/sources/mailgun/signature.h"
#include "webhooks/sources/zendesk/signature.h"
#include "webhooks/sources/ses/signature.h"
#include "alerts/slack/signature.h"
#include "alerts/mattermost/receiver.h"

namespace terrain::testing {

using nlohmann::json;
using core::base64_encode;

// A local stand-in for SNS's certificate host: a fresh RSA key and self-signed certificate,
// served over loopback HTTP, and a signer for SNS's canonical strings.
class SnsStandIn {
public:
    SnsStandIn() {
        key_ = EVP_RSA_gen(2048);
        X509* cert = X509_new();
        ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert), 0);
        X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
        X509_set_pubkey(cert, key_);
        X509_NAME* name = X509_get_subject_name(cert);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("sns.test"), -1, -1, 0);
        X509_set_issuer_name(cert, name);
        X509_sign(cert, key_, EVP_sha256());
        BIO* bio = BIO_new(BIO_s_mem());
        PEM_write_bio_X509(bio, cert);
        char* data = nullptr;
        const long n = BIO_get_mem_data(bio, &data);
        pem_.assign(data, static_cast<std::size_t>(n));
        BIO_free(bio);
        X509_free(cert);
        server_.Get("/cert.pem", [this](const httplib::Request&, httplib::Response& res) {
            ++cert_fetches;
            res.set_content(pem_, "text/plain");
        });
        server_.Get("/confirm", [this](const httplib::Request& req, httplib::Response& res) {
            confirmed_token = req.get_param_value("Token");
            res.set_content("<ConfirmSubscriptionResponse/>", "text/xml");
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        while (!server_.is_running()) {
            std::this_thread::yield();
        }
    }
    ~SnsStandIn() {
        server_.stop();
        thread_.join();
        EVP_PKEY_free(key_);
    }
    std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

    // Fills SigningCertURL, SignatureVersion and Signature the way SNS does.
    json sign(json message, const std::string& version = "2") {
        message["SigningCertURL"] = base() + "/cert.pem";
        message["SignatureVersion"] = version;
        const bool notification = message["Type"] == "Notification";
        std::string canonical;
        for (const char* k : notification
                                 ? std::vector<const char*>{"Message", "MessageId", "Subject",
                                                            "Timestamp", "TopicArn", "Type"}
                                 : std::vector<const char*>{"Message", "MessageId", "SubscribeURL",
                                                            "Timestamp", "Token", "TopicArn",
                                                            "Type"}) {
            if (message.contains(k)) {
                canonical += std::string(k) + "\n" + message[k].get<std::string>() + "\n";
            }
        }
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        std::size_t len = 0;
        EVP_DigestSignInit(ctx, nullptr, version == "1" ? EVP_sha1() : EVP_sha256(), nullptr, key_);
        EVP_DigestSign(ctx, nullptr, &len,
                       reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size());
        std::string sig(len, '\0');
        EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size());
        EVP_MD_CTX_free(ctx);
        sig.resize(len);
        message["Signature"] = core::base64_encode(sig);
        return message;
    }

    std::atomic<int> cert_fetches{0};
    std::string confirmed_token;

private:
    EVP_PKEY* key_ = nullptr;
    std::string pem_;
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
};

}  // namespace terrain::testing
