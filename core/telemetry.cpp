#include "core/telemetry.h"
#include "core/version.h"

#include <prometheus/text_serializer.h>

namespace terrain::core {

Telemetry::Telemetry()
    : registry(std::make_shared<prometheus::Registry>()),
queue_events(make_family(prometheus::BuildGauge(), *registry, "terrain_pipeline_queue_events",
                        "Events waiting in the pipeline queue")
                       .Add({})),
      queue_capacity(make_family(prometheus::BuildGauge(), *registry,
                          "terrain_pipeline_queue_capacity_events",
                          "Capacity of the pipeline queue in events")
                         .Add({})) {
    make_family(prometheus::BuildGauge(), *registry, "terrain_build_info",
         "terrain version and revision; always 1")
        .Add({{"version", kVersion}, {"revision", kRevision}})
        .Set(1);
}

std::string Telemetry::serialize() const {
    return prometheus::TextSerializer().Serialize(registry->Collect());
}

}  // namespace terrain::core
