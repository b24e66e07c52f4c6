// checkd's messages as unit tests need them.
#pragma once

#include <map>
#include <string>

#include "common/proto/hakeep.pb.h"

namespace hakeep {

// A whole snapshot: each check UP ("ok") or DOWN ("connect: refused").
inline proto::CheckSnapshot check_snapshot(const std::map<std::string, bool>& states) {
    proto::CheckSnapshot message;
    for (const auto& [name, up] : states) {
        proto::CheckState& state = *message.add_checks();
        state.set_name(name);
        state.set_up(up);
        state.set_reason(up ? "ok" : "connect: refused");
    }
    return message;
}

}  // namespace hakeep
