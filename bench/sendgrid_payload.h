#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace terrain::bench {

// A SendGrid Event Webhook batch whose sg_event_ids can be renumbered in place, so a load
// generator sends unique events without rebuilding the body. Realistic mix: mostly processed
// and delivered, some opens, clicks, deferrals, bounces, complaints, across campaigns and
// mailbox providers.
class SendgridPayload final {
public:
    SendgridPayload(std::size_t events, std::int64_t start_s);
    // Rewrites every id with a fresh number from `counter` and returns the body.
    const std::string& next(std::uint64_t& counter);
    std::size_t events() const { return id_offsets_.size(); }

private:
    std::string body_;
    std::vector<std::size_t> id_offsets_;
};

}  // namespace terrain::bench
