// fake_checkd: plays checkd (or an impostor, or vrrpd) on a daemon's control socket,
// for the ipvsd lab tests (tests/uml/t_ipvsd_*.sh). checkd's real checkers
// are not needed to test what ipvsd does with check states, and an impostor
// must be able to send what a real checkd never would.
//
//   fake_checkd [--linger MS] SOCKET  < COMMANDS
//
// One connection to SOCKET (e.g. /tmp/x/run/ipvsd.sock); then one command a
// line from stdin ('#' starts a comment, blank lines are skipped):
//   snapshot [NAME=up|down[:WEIGHT]]...   a CheckSnapshot (seq 0 each)
//   event NAME up|down SEQ [REASON...]    a CheckEvent
//   weight NAME up|down SEQ WEIGHT        a CheckEvent with a dynamic weight
//   status                                a StatusRequest (its reply is printed)
//   vrrp INSTANCE master|backup|fault     a VrrpEvent (playing vrrpd: run it as vrrpd's uid)
//   raw HEX                               these bytes as one datagram (need not be an Envelope)
//   sleep MS                              wait, printing whatever arrives meanwhile
//   expect MS                             wait until a reply arrives (or the close), MS at most
// Each message sent prints "sent KIND"; each datagram received prints
// "reply ErrorReply CODE_FORBIDDEN: permission denied: ..." (or the body's
// name); the peer closing prints "closed by peer". After the last command it
// waits --linger ms (default 300) for late replies, less if the peer closes.
//
// Run it as checkd's account, or another, with
//   setpriv --reuid UID --regid GID --clear-groups fake_checkd SOCKET
//
// Exit status: 0 every command sent; 1 connect or send failed (the message
// says why); 2 usage or a bad command line.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "common/ipc_client.h"
#include "common/ipc_codec.h"

using namespace hakeep;

namespace {

using Clock = std::chrono::steady_clock;

class Usage : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

const char* error_code_name(proto::ErrorReply::Code code) {
    switch (code) {
    case proto::ErrorReply::CODE_MALFORMED: return "CODE_MALFORMED";
    case proto::ErrorReply::CODE_FORBIDDEN: return "CODE_FORBIDDEN";
    case proto::ErrorReply::CODE_UNSUPPORTED: return "CODE_UNSUPPORTED";
    case proto::ErrorReply::CODE_FAILED: return "CODE_FAILED";
    default: return "CODE_UNSPECIFIED";
    }
}

class Link {
public:
    explicit Link(int fd) : fd_(fd) {}
    bool closed() const { return closed_; }

    // Prints every datagram that arrives within `ms` (0: only what is queued);
    // with `until_reply`, returns after the first one.
    void drain(long ms, bool until_reply = false) {
        const auto deadline = Clock::now() + std::chrono::milliseconds(ms);
        const std::uint64_t before = received_;
        while (!closed_ && !(until_reply && received_ > before)) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            struct pollfd waiting{fd_, POLLIN, 0};
            const int ready = poll(&waiting, 1, static_cast<int>(std::max<long>(0, left.count())));
            if (ready < 0 && errno == EINTR) continue;
            if (ready <= 0) return;
            receive_one();
        }
    }

    bool send_bytes(const std::string& bytes, const std::string& what) {
        drain(0);  // a refusal of the previous message shows before the next send
        struct pollfd waiting{fd_, POLLOUT, 0};
        if (poll(&waiting, 1, 2000) <= 0) {
            std::printf("send %s: socket not writable within 2 s\n", what.c_str());
            return false;
        }
        if (::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
            std::printf("send %s: %s\n", what.c_str(), std::strerror(errno));
            return false;
        }
        std::printf("sent %s\n", what.c_str());
        std::fflush(stdout);
        return true;
    }

    bool send(const proto::Envelope& envelope, const std::string& what) {
        std::optional<std::string> bytes = ipc::encode(envelope);
        if (!bytes) {
            std::printf("send %s: too large\n", what.c_str());
            return false;
        }
        return send_bytes(*bytes, what);
    }

private:
    void receive_one() {
        static std::array<char, ipc::max_message_size + 1> buffer;
        const ssize_t size = recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC);
        if (size < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            // The peer closed with our later datagrams unread: the error comes
            // first (and is cleared), then what it sent before closing, then 0.
            if (errno == ECONNRESET && !reset_) {
                reset_ = true;
                return;
            }
            std::printf("recv: %s\n", std::strerror(errno));
            closed_ = true;
            return;
        }
        if (size == 0) {
            std::printf("closed by peer\n");
            std::fflush(stdout);
            closed_ = true;
            return;
        }
        ++received_;
        const auto datagram = static_cast<std::size_t>(size);
        ipc::Decoded decoded =
            ipc::decode(std::string_view(buffer.data(), std::min(datagram, buffer.size())), datagram);
        if (!decoded.envelope) {
            std::printf("reply (undecodable): %s\n", decoded.error.c_str());
        } else if (decoded.envelope->has_error_reply()) {
            const proto::ErrorReply& error = decoded.envelope->error_reply();
            std::printf("reply ErrorReply %s: %s\n", error_code_name(error.code()), error.message().c_str());
        } else if (decoded.envelope->has_status_reply()) {
            const proto::StatusReply& status = decoded.envelope->status_reply();
            std::printf("reply StatusReply pid %u user %s\n", status.pid(), status.user().c_str());
        } else {
            std::printf("reply body %d\n", static_cast<int>(decoded.envelope->body_case()));
        }
        std::fflush(stdout);
    }

    int fd_;
    bool closed_ = false;
    bool reset_ = false;
    std::uint64_t received_ = 0;
};

bool parse_state(const std::string& word) {
    if (word == "up") return true;
    if (word == "down") return false;
    throw Usage("'" + word + "' is not up or down");
}

long parse_number(const std::string& word) {
    std::size_t used = 0;
    long value = -1;
    try {
        value = std::stol(word, &used, 10);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != word.size() || value < 0) throw Usage("'" + word + "' is not a number");
    return value;
}

std::string from_hex(const std::string& hex) {
    if (hex.size() % 2 != 0) throw Usage("raw: odd number of hex digits");
    std::string bytes;
    for (std::size_t index = 0; index < hex.size(); index += 2) {
        const std::string pair = hex.substr(index, 2);
        if (pair.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
            throw Usage("raw: '" + pair + "' is not hex");
        bytes.push_back(static_cast<char>(std::stoi(pair, nullptr, 16)));
    }
    return bytes;
}

// Runs one command line; false if sending failed.
bool run(Link& link, const std::string& line) {
    std::istringstream stream(line.substr(0, line.find('#')));
    std::vector<std::string> words;
    for (std::string word; stream >> word;) words.push_back(word);
    if (words.empty()) return true;
    const std::string& command = words[0];
    proto::Envelope envelope;
    if (command == "snapshot") {
        proto::CheckSnapshot& snapshot = *envelope.mutable_check_snapshot();
        snapshot.set_generation(1);
        for (std::size_t index = 1; index < words.size(); ++index) {
            const std::string& item = words[index];
            const std::size_t equals = item.find('=');
            if (equals == std::string::npos || equals == 0) throw Usage("snapshot: '" + item + "' is not NAME=up|down");
            proto::CheckState& state = *snapshot.add_checks();
            state.set_name(item.substr(0, equals));
            std::string value = item.substr(equals + 1);
            const std::size_t colon = value.find(':');
            if (colon != std::string::npos) {
                state.set_weight(static_cast<std::int32_t>(parse_number(value.substr(colon + 1))));
                state.set_dynamic_weight(true);
                value.resize(colon);
            }
            state.set_up(parse_state(value));
            state.set_reason(state.up() ? "fake_checkd: up" : "fake_checkd: down");
        }
        return link.send(envelope, "CheckSnapshot");
    }
    if (command == "event" || command == "weight") {
        const bool with_weight = command == "weight";
        if (words.size() < 4 || (with_weight && words.size() != 5))
            throw Usage(with_weight ? "usage: weight NAME up|down SEQ WEIGHT" : "usage: event NAME up|down SEQ [REASON...]");
        proto::CheckEvent& event = *envelope.mutable_check_event();
        event.set_name(words[1]);
        event.set_up(parse_state(words[2]));
        event.set_seq(static_cast<std::uint64_t>(parse_number(words[3])));
        if (with_weight) {
            event.set_weight(static_cast<std::int32_t>(parse_number(words[4])));
            event.set_dynamic_weight(true);
        } else {
            std::string reason;
            for (std::size_t index = 4; index < words.size(); ++index)
                reason += (reason.empty() ? "" : " ") + words[index];
            event.set_reason(reason.empty() ? "fake_checkd" : reason);
        }
        return link.send(envelope, "CheckEvent");
    }
    if (command == "status") {
        envelope.mutable_status_request();
        return link.send(envelope, "StatusRequest");
    }
    if (command == "vrrp") {
        if (words.size() != 3) throw Usage("usage: vrrp INSTANCE master|backup|fault");
        proto::VrrpEvent& event = *envelope.mutable_vrrp_event();
        event.set_instance(words[1]);
        if (words[2] == "master") event.set_state(proto::VRRP_STATE_MASTER);
        else if (words[2] == "backup") event.set_state(proto::VRRP_STATE_BACKUP);
        else if (words[2] == "fault") event.set_state(proto::VRRP_STATE_FAULT);
        else throw Usage("'" + words[2] + "' is not master, backup or fault");
        event.set_priority(100);
        return link.send(envelope, "VrrpEvent");
    }
    if (command == "raw") {
        if (words.size() != 2) throw Usage("usage: raw HEX");
        return link.send_bytes(from_hex(words[1]), "raw " + std::to_string(words[1].size() / 2) + " bytes");
    }
    if (command == "sleep") {
        if (words.size() != 2) throw Usage("usage: sleep MS");
        link.drain(parse_number(words[1]));
        return true;
    }
    if (command == "expect") {
        if (words.size() != 2) throw Usage("usage: expect MS");
        link.drain(parse_number(words[1]), true);
        return true;
    }
    throw Usage("unknown command '" + command + "' (snapshot, event, weight, status, vrrp, raw, sleep, expect)");
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    long linger = 300;
    std::string path;
    try {
        for (int index = 1; index < argc; ++index) {
            const std::string arg = argv[index];
            if (arg == "--linger" && index + 1 < argc) linger = parse_number(argv[++index]);
            else if (!arg.empty() && arg[0] == '-') throw Usage("unknown option " + arg);
            else if (path.empty()) path = arg;
            else throw Usage("one SOCKET only");
        }
        if (path.empty()) throw Usage("usage: fake_checkd [--linger MS] SOCKET < COMMANDS");
    } catch (const Usage& error) {
        std::fprintf(stderr, "fake_checkd: %s\n", error.what());
        return 2;
    }
    UniqueFd fd = ipc::connect_unix(path);
    if (!fd) {
        std::printf("connect %s: %s\n", path.c_str(), std::strerror(errno));
        return 1;
    }
    Link link(fd.get());
    std::string line;
    int status = 0;
    while (std::getline(std::cin, line)) {
        try {
            if (!run(link, line)) {
                status = 1;
                break;
            }
        } catch (const Usage& error) {
            std::fprintf(stderr, "fake_checkd: %s\n", error.what());
            return 2;
        }
    }
    link.drain(linger);
    return status;
}
