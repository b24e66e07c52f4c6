#include "ipvsd/reconcile.h"

namespace hakeep::ipvsd {
namespace {

Operation service_operation(Operation::Kind kind, const ServiceKey& key,
                            const ServiceSettings& settings = {}) {
    Operation operation{};
    operation.kind = kind;
    operation.service = key;
    operation.service_settings = settings;
    return operation;
}

Operation destination_operation(Operation::Kind kind, const ServiceKey& service,
                                const DestinationKey& key, const DestinationSettings& settings = {}) {
    Operation operation{};
    operation.kind = kind;
    operation.service = service;
    operation.destination = key;
    operation.destination_settings = settings;
    return operation;
}

void delete_service(std::vector<Operation>& operations, const ServiceKey& key, const Service& service) {
    for (const auto& [destination, ignored] : service.destinations)
        operations.push_back(destination_operation(Operation::Kind::delete_destination, key, destination));
    operations.push_back(service_operation(Operation::Kind::delete_service, key));
}

// Both maps are sorted by the same key: one walk over the two, not a
// search per destination (37,000 of them at the largest tables).
void converge_destinations(std::vector<Operation>& operations, const ServiceKey& key,
                           const Service& wanted, const Service& present) {
    // Deletions first: when quorum is lost the real servers leave before the
    // sorry server comes in, never the two mixed.
    auto target = wanted.destinations.begin();
    for (const auto& [destination, current] : present.destinations) {
        while (target != wanted.destinations.end() && target->first < destination) ++target;
        if (target == wanted.destinations.end() || destination < target->first)
            operations.push_back(destination_operation(Operation::Kind::delete_destination, key, destination));
    }
    auto found = present.destinations.begin();
    for (const auto& [destination, wanted_one] : wanted.destinations) {
        while (found != present.destinations.end() && found->first < destination) ++found;
        if (found == present.destinations.end() || destination < found->first)
            operations.push_back(destination_operation(Operation::Kind::add_destination, key,
                                                       destination, wanted_one.settings));
        else if (found->second.settings != wanted_one.settings)
            operations.push_back(destination_operation(Operation::Kind::edit_destination, key,
                                                       destination, wanted_one.settings));
    }
}

}  // namespace

std::vector<Operation> reconcile(const Table& desired, const Table& kernel,
                                 const std::set<ServiceKey>& released) {
    std::vector<Operation> operations;
    for (const ServiceKey& key : released) {
        if (desired.contains(key)) continue;  // declared again: not released after all
        auto found = kernel.find(key);
        if (found != kernel.end()) delete_service(operations, key, found->second);
    }
    auto found = kernel.begin();
    for (const auto& [key, wanted] : desired) {
        while (found != kernel.end() && found->first < key) ++found;  // both sorted: one walk
        if (found == kernel.end() || key < found->first) {
            operations.push_back(service_operation(Operation::Kind::add_service, key, wanted.settings));
            converge_destinations(operations, key, wanted, Service{});
            continue;
        }
        if (found->second.settings != wanted.settings)
            operations.push_back(service_operation(Operation::Kind::edit_service, key, wanted.settings));
        converge_destinations(operations, key, wanted, found->second);
    }
    return operations;
}

}  // namespace hakeep::ipvsd
