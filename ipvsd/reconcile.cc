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

void converge_destinations(std::vector<Operation>& operations, const ServiceKey& key,
                           const Service& wanted, const Service& present) {
    // Deletions first: when quorum is lost the real servers leave before the
    // sorry server comes in, never the two mixed.
    for (const auto& [destination, current] : present.destinations)
        if (!wanted.destinations.contains(destination))
            operations.push_back(destination_operation(Operation::Kind::delete_destination, key, destination));
    for (const auto& [destination, target] : wanted.destinations) {
        auto found = present.destinations.find(destination);
        if (found == present.destinations.end())
            operations.push_back(destination_operation(Operation::Kind::add_destination, key,
                                                       destination, target.settings));
        else if (found->second.settings != target.settings)
            operations.push_back(destination_operation(Operation::Kind::edit_destination, key,
                                                       destination, target.settings));
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
    for (const auto& [key, wanted] : desired) {
        auto found = kernel.find(key);
        if (found == kernel.end()) {
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
