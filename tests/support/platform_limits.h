#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/chat/limits.h"

namespace terrain::testing {

// What a platform would refuse in a payload terrain sends it: every documented limit of
// alerts/chat/limits.h, checked as the platform counts (characters, not bytes). Empty when the
// platform accepts it. Used by the chat stand-ins (which refuse as the platforms do) and by
// the property test of hostile alert content.
class PlatformLimits final {
public:
    static std::size_t characters(const std::string& s) {
        std::size_t n = 0;
        for (unsigned char c : s) {
            n += (c & 0xC0) != 0x80 ? 1 : 0;
        }
        return n;
    }

    static std::vector<std::string> slack(const nlohmann::json& message) {
        namespace l = alerts::limits::slack;
        PlatformLimits v;
        v.at_most("text", text(message, "text"), l::kMessageText);
        const auto& blocks = member(message, "blocks");
        v.count("blocks", blocks, l::kBlocks);
        std::set<std::string> action_ids;
        for (const auto& b : blocks) {
            const std::string type = b.value("type", "");
            v.at_most("block_id", text(b, "block_id"), l::kBlockId);
            if (type == "header") {
                v.at_most("header text", text(member(b, "text"), "text"), l::kHeaderText);
            } else if (type == "section") {
                v.at_most("section text", text(member(b, "text"), "text"), l::kSectionText);
                v.count("section fields", member(b, "fields"), l::kFields);
                for (const auto& f : member(b, "fields")) {
                    v.at_most("field text", text(f, "text"), l::kFieldText);
                }
            } else if (type == "context") {
                v.count("context elements", member(b, "elements"), l::kContextElements);
                for (const auto& e : member(b, "elements")) {
                    v.at_most("context text", text(e, "text"), l::kContextText);
                }
            } else if (type == "actions") {
                v.count("actions elements", member(b, "elements"), l::kActionsElements);
                for (const auto& e : member(b, "elements")) {
                    v.element(e, action_ids);
                }
            }
        }
        return v.found_;
    }

    static std::vector<std::string> mattermost(const nlohmann::json& post) {
        namespace l = alerts::limits::mattermost;
        PlatformLimits v;
        v.at_most("message", text(post, "message"), l::kMessage);
        if (post.contains("props")) {
            v.at_most("props", post["props"].dump(), l::kProps);
            for (const auto& a : member(member(post, "props"), "attachments")) {
                v.count("attachment actions", member(a, "actions"), l::kActions);
            }
        }
        return v.found_;
    }

    static std::vector<std::string> pagerduty(const nlohmann::json& event) {
        namespace l = alerts::limits::pagerduty;
        PlatformLimits v;
        v.at_most("event", event.dump(), l::kEvent);
        v.at_most("dedup_key", text(event, "dedup_key"), l::kDedupKey);
        if (event.value("event_action", "") == "trigger") {
            const auto& p = member(event, "payload");
            v.at_most("payload.summary", text(p, "summary"), l::kSummary);
            if (text(p, "summary").empty() || text(p, "source").empty()) {
                v.found_.push_back("payload.summary and payload.source are required");
            }
            static const std::set<std::string> kSeverities = {"critical", "error", "warning",
                                                              "info"};
            if (kSeverities.count(text(p, "severity")) == 0) {
                v.found_.push_back("payload.severity '" + text(p, "severity") +
                                   "' is not critical, error, warning or info");
            }
        }
        return v.found_;
    }

    static std::vector<std::string> teams(const nlohmann::json& activity) {
        PlatformLimits v;
        v.at_most("activity", activity.dump(), alerts::limits::teams::kActivity);
        return v.found_;
    }

private:
    static const nlohmann::json& member(const nlohmann::json& j, const char* key) {
        static const nlohmann::json kNone = nlohmann::json::array();
        if (!j.is_object()) {
            return kNone;
        }
        auto it = j.find(key);
        return it == j.end() ? kNone : *it;
    }
    static std::string text(const nlohmann::json& j, const char* key) {
        const auto& m = member(j, key);
        return m.is_string() ? m.get<std::string>() : "";
    }

    void at_most(const std::string& what, const std::string& s, std::size_t max) {
        if (characters(s) > max) {
            found_.push_back(what + ": " + std::to_string(characters(s)) +
                             " characters, more than " + std::to_string(max));
        }
    }
    void count(const std::string& what, const nlohmann::json& list, std::size_t max) {
        if (list.is_array() && list.size() > max) {
            found_.push_back(what + ": " + std::to_string(list.size()) + ", more than " +
                             std::to_string(max));
        }
    }
    void element(const nlohmann::json& e, std::set<std::string>& action_ids) {
        namespace l = alerts::limits::slack;
        const std::string id = text(e, "action_id");
        at_most("action_id", id, l::kActionId);
        if (!action_ids.insert(id).second) {
            found_.push_back("action_id '" + id + "' is used twice");
        }
        if (e.value("type", "") == "button") {
            at_most("button text", text(member(e, "text"), "text"), l::kButtonText);
            at_most("button value", text(e, "value"), l::kButtonValue);
        } else if (e.value("type", "") == "static_select") {
            at_most("placeholder", text(member(e, "placeholder"), "text"), l::kPlaceholder);
            count("options", member(e, "options"), l::kOptions);
            for (const auto& o : member(e, "options")) {
                at_most("option text", text(member(o, "text"), "text"), l::kOptionText);
                at_most("option value", text(o, "value"), l::kOptionValue);
            }
        }
        if (e.contains("confirm")) {
            const auto& c = e["confirm"];
            at_most("confirm title", text(member(c, "title"), "text"), l::kConfirmTitle);
            at_most("confirm text", text(member(c, "text"), "text"), l::kConfirmText);
            at_most("confirm button", text(member(c, "confirm"), "text"), l::kConfirmButton);
            at_most("deny button", text(member(c, "deny"), "text"), l::kConfirmButton);
        }
    }

    std::vector<std::string> found_;
};

}  // namespace terrain::testing
