// Reconcile, never flush: the operations that turn the kernel's table into
// the desired one, and nothing else. Pure, so every ordering rule is tested.
//  - a service is added before its destinations, its destinations are
//    deleted before it;
//  - a kernel service that ipvsd does not own (never declared in ipvsd.conf,
//    added with ipvsadm by someone else) is never touched;
//  - equal settings produce no operation: a restart with nothing changed
//    writes nothing.
#pragma once

#include <set>
#include <vector>

#include "ipvsd/ipvs_table.h"

namespace hakeep::ipvsd {

// `desired`: what ipvsd.conf, the check states and the drains ask for.
// `kernel`: what a dump shows now.
// `released`: services ipvsd owned and no longer declares (removed from the
// configuration by a reload); they are deleted if present.
std::vector<Operation> reconcile(const Table& desired, const Table& kernel,
                                 const std::set<ServiceKey>& released);

}  // namespace hakeep::ipvsd
