#include "common/ipc_codec.h"

namespace hakeep::ipc {

Decoded decode(std::string_view bytes, std::size_t datagram_size) {
    Decoded result;
    if (datagram_size > max_message_size || bytes.size() > max_message_size) {
        result.error = "message of " + std::to_string(datagram_size) + " bytes exceeds " +
                       std::to_string(max_message_size);
        return result;
    }
    if (bytes.size() != datagram_size) {
        result.error = "truncated message";
        return result;
    }
    proto::Envelope envelope;
    if (!envelope.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        result.error = "malformed message";
        return result;
    }
    // Fields this build does not know are kept by protobuf-lite; a message
    // with no body we understand is refused rather than half-read.
    if (envelope.body_case() == proto::Envelope::BODY_NOT_SET) {
        result.error = "message without a known body";
        return result;
    }
    result.envelope = std::move(envelope);
    return result;
}

std::optional<std::string> encode(const proto::Envelope& envelope) {
    std::string bytes;
    if (!envelope.SerializeToString(&bytes) || bytes.size() > max_message_size) return std::nullopt;
    return bytes;
}

}  // namespace hakeep::ipc
