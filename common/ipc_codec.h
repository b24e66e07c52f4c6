// One Envelope per datagram: the only place that turns control-socket bytes
// into messages. Pure, so that malformed and oversized input is unit-tested.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/proto/hakeep.pb.h"

namespace hakeep::ipc {

constexpr std::size_t max_message_size = 64 * 1024;

struct Decoded {
    std::optional<proto::Envelope> envelope;
    std::string error;  // why not, when envelope is empty
};

// `datagram_size` is the size the kernel reported (recv with MSG_TRUNC), which
// may exceed `bytes.size()`: an oversized datagram is refused before parsing.
Decoded decode(std::string_view bytes, std::size_t datagram_size);

// Serialises; nullopt if the message would exceed max_message_size.
std::optional<std::string> encode(const proto::Envelope& envelope);

}  // namespace hakeep::ipc
