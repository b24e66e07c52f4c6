// The control-socket IPC of DESIGN.md §2: roles from credentials, the
// permission table, the codec's refusals, a Server and PeerLink over real
// AF_UNIX SOCK_SEQPACKET sockets in a temporary directory, and the check
// states fed from checkd.
#include <criterion/criterion.h>
#include <grp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include "common/check_feed.h"
#include "common/check_states.h"
#include "common/clock.h"
#include "common/event_loop.h"
#include "common/ipc_client.h"
#include "common/ipc_codec.h"
#include "common/ipc_connection.h"
#include "common/ipc_policy.h"
#include "common/ipc_server.h"
#include "common/roles.h"

namespace ipc = hakeep::ipc;
namespace proto = hakeep::proto;
using hakeep::CheckChange;
using hakeep::CheckStates;
using hakeep::Duration;
using hakeep::EventLoop;
using hakeep::FakeClock;
using hakeep::SystemClock;
using hakeep::TimePoint;
using hakeep::UniqueFd;
using ipc::Body;
using namespace std::chrono_literals;

namespace {

// Criterion evaluates its arguments more than once, so temporaries are pinned first.
#define EXPECT_CONTAINS(text, part)                                                         \
    do {                                                                                    \
        const std::string text_ = (text);                                                   \
        const std::string part_ = (part);                                                   \
        cr_assert(text_.find(part_) != std::string::npos, "\"%s\" does not contain \"%s\"", \
                  text_.c_str(), part_.c_str());                                            \
    } while (0)

#define EXPECT_STR(actual, expected)                                    \
    do {                                                                \
        const std::string actual_text_ = (actual);                      \
        const std::string expected_text_ = (expected);                  \
        cr_assert_str_eq(actual_text_.c_str(), expected_text_.c_str()); \
    } while (0)

// ---------------------------------------------------------------- temp dir
// Removed by the suite's fini, which Criterion runs even after a failed assertion.
std::string temp_dir;

// Also the watchdog: a test that hangs dies of SIGALRM and fails. Not
// Criterion's .timeout, whose bookkeeping the runner leaks under LeakSanitizer
// (48 bytes per run of `make asan`, whenever such a test ends early).
void make_temp_dir() {
    alarm(10);
    char pattern[] = "/tmp/hakeep-test-ipc-XXXXXX";
    const char* made = mkdtemp(pattern);
    cr_assert(made != nullptr, "mkdtemp: %s", std::strerror(errno));
    temp_dir = made;
}

void remove_temp_dir() {
    if (temp_dir.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(temp_dir, ignored);
    temp_dir.clear();
}

std::string temp_path(const std::string& name) {
    return temp_dir + "/" + name;
}

// ---------------------------------------------------------------- messages
proto::Envelope status_request() {
    proto::Envelope envelope;
    envelope.mutable_status_request();
    return envelope;
}

proto::Envelope big_status_reply(std::size_t version_size) {
    proto::Envelope envelope;
    envelope.mutable_status_reply()->set_version(std::string(version_size, 'v'));
    return envelope;
}

proto::Envelope check_event(const std::string& name, bool up, std::uint64_t seq) {
    proto::Envelope envelope;
    proto::CheckEvent* event = envelope.mutable_check_event();
    event->set_name(name);
    event->set_up(up);
    event->set_seq(seq);
    return envelope;
}

proto::CheckSnapshot snapshot_of(
    std::initializer_list<std::tuple<std::string, bool, int, std::uint64_t>> checks,
    std::uint64_t generation = 1) {
    proto::CheckSnapshot snapshot;
    snapshot.set_generation(generation);
    for (const auto& [name, up, weight, seq] : checks) {
        proto::CheckState* state = snapshot.add_checks();
        state->set_name(name);
        state->set_up(up);
        state->set_weight(weight);
        state->set_seq(seq);
    }
    return snapshot;
}

proto::CheckEvent event_of(const std::string& name, bool up, int weight, std::uint64_t seq) {
    proto::CheckEvent event;
    event.set_name(name);
    event.set_up(up);
    event.set_weight(weight);
    event.set_seq(seq);
    return event;
}

// ---------------------------------------------------------------- sockets
void send_bytes(int fd, const std::string& bytes) {
    const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    cr_assert_eq(sent, static_cast<ssize_t>(bytes.size()), "send: %s", std::strerror(errno));
}

void send_envelope(int fd, const proto::Envelope& envelope) {
    const std::optional<std::string> bytes = ipc::encode(envelope);
    cr_assert(bytes.has_value());
    send_bytes(fd, *bytes);
}

// Turns the loop (with max_wait so that nothing hangs) until `done` or the budget ends.
bool run_until(EventLoop& loop, const std::function<bool()>& done, Duration budget = 2s) {
    const auto deadline = std::chrono::steady_clock::now() + budget;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        loop.run_once(5ms);
    }
    return true;
}

struct Received {
    enum Kind { message, closed, nothing } kind = nothing;
    proto::Envelope envelope;
};

// One datagram from a client socket, turning the server's loop meanwhile.
Received receive(EventLoop& loop, int fd, Duration budget = 2s) {
    static std::array<char, ipc::max_message_size + 1> buffer;
    Received received;
    run_until(
        loop,
        [&] {
            const ssize_t size = recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC);
            if (size < 0) {
                // ECONNRESET comes once, ahead of what the server sent before
                // closing with our datagrams unread: read on.
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
                    errno == ECONNRESET)
                    return false;
                cr_assert_fail("recv: %s", std::strerror(errno));
            }
            if (size == 0) {
                received.kind = Received::closed;
                return true;
            }
            const ipc::Decoded decoded =
                ipc::decode(std::string_view(buffer.data(), static_cast<std::size_t>(size)),
                            static_cast<std::size_t>(size));
            cr_assert(decoded.envelope.has_value(), "client got a bad datagram: %s",
                      decoded.error.c_str());
            received.kind = Received::message;
            received.envelope = *decoded.envelope;
            return true;
        },
        budget);
    return received;
}

void expect_error_then_close(EventLoop& loop, int fd, proto::ErrorReply::Code code,
                             const std::string& message_part) {
    const Received reply = receive(loop, fd);
    cr_assert_eq(reply.kind, Received::message, "no ErrorReply (kind %d)", reply.kind);
    cr_assert(reply.envelope.has_error_reply(), "got body %d", reply.envelope.body_case());
    cr_assert_eq(reply.envelope.error_reply().code(), code, "code %d, want %d",
                 reply.envelope.error_reply().code(), code);
    EXPECT_CONTAINS(reply.envelope.error_reply().message(), message_part);
    const Received after = receive(loop, fd);
    cr_assert_eq(after.kind, Received::closed, "the connection stayed open after the refusal");
}

// A daemon's control socket on a real loop, in the temp dir.
struct TestServer {
    SystemClock clock;
    EventLoop loop{clock};
    std::string path = temp_path("testd.sock");
    std::unique_ptr<ipc::Server> server;

    explicit TestServer(const ipc::RoleAccounts& accounts = {}) {
        server = std::make_unique<ipc::Server>(
            loop, ipc::Server::listen(path, 0660, std::nullopt, std::nullopt), accounts, "testd");
    }

    UniqueFd connect() const {
        UniqueFd fd = ipc::connect_unix(path);
        cr_assert(fd.valid(), "connect %s: %s", path.c_str(), std::strerror(errno));
        return fd;
    }

    // Connects and waits until the server has accepted (or turned away) the client.
    UniqueFd connect_accepted() {
        const std::uint64_t before =
            server->counters().accepted + server->counters().refused_too_many;
        UniqueFd fd = connect();
        cr_assert(run_until(loop, [&] {
            return server->counters().accepted + server->counters().refused_too_many > before;
        }));
        return fd;
    }

    // Installs a StatusRequest handler answering with a StatusReply; counts calls.
    void answer_status(int* calls) {
        server->handle(
            Body::kStatusRequest, [calls](ipc::Connection& from, const proto::Envelope&) {
                ++*calls;
                proto::Envelope reply;
                reply.mutable_status_reply()->set_version("test");
                reply.mutable_status_reply()->set_pid(static_cast<std::uint32_t>(from.peer().pid));
                from.send(reply);
            });
    }

    void expect_status_reply(int fd) {
        send_envelope(fd, status_request());
        const Received reply = receive(loop, fd);
        cr_assert_eq(reply.kind, Received::message);
        cr_assert(reply.envelope.has_status_reply(), "got body %d", reply.envelope.body_case());
        cr_assert_str_eq(reply.envelope.status_reply().version().c_str(), "test");
    }
};

void require_root() {
    if (geteuid() != 0) cr_skip_test("needs root: the peer's roles depend on uid 0");
}

}  // namespace

TestSuite(ipc, .init = make_temp_dir, .fini = remove_temp_dir);

// ---------------------------------------------------------------- roles

namespace {

const ipc::RoleAccounts accounts{101, 102, 103, 200, 201};

ipc::RoleSet roles_for(uid_t uid, gid_t gid, std::vector<gid_t> groups = {},
                       const ipc::RoleAccounts& with = accounts) {
    ipc::PeerCredentials peer;
    peer.pid = 4242;
    peer.uid = uid;
    peer.gid = gid;
    peer.groups = std::move(groups);
    return ipc::roles_of(peer, with);
}

#define EXPECT_ROLES(actual, expected)                                    \
    do {                                                                  \
        const ipc::RoleSet actual_roles_ = (actual);                      \
        const ipc::RoleSet expected_roles_ = (expected);                  \
        cr_assert_eq(actual_roles_, expected_roles_, "roles %s, want %s", \
                     ipc::role_names(actual_roles_).c_str(),              \
                     ipc::role_names(expected_roles_).c_str());           \
    } while (0)

}  // namespace

Test(ipc, roles_root_is_operator_not_daemon) {
    EXPECT_ROLES(roles_for(0, 0), ipc::role_root | ipc::role_admin | ipc::role_reader);
    EXPECT_ROLES(roles_for(0, 0) & ipc::any_daemon, 0u);
    // Even with no accounts on the host at all.
    EXPECT_ROLES(roles_for(0, 0, {}, ipc::RoleAccounts{}),
                 ipc::role_root | ipc::role_admin | ipc::role_reader);
}

Test(ipc, roles_daemon_uids) {
    EXPECT_ROLES(roles_for(101, 999), ipc::role_vrrpd);
    EXPECT_ROLES(roles_for(102, 999), ipc::role_ipvsd);
    EXPECT_ROLES(roles_for(103, 999), ipc::role_checkd);
    // A daemon account in the reader group may also read.
    EXPECT_ROLES(roles_for(103, 201), ipc::role_checkd | ipc::role_reader);
    // The daemon role follows the uid, never the group.
    EXPECT_ROLES(roles_for(5000, 101, {102, 103}), 0u);
}

Test(ipc, roles_admin_group_primary_or_supplementary) {
    EXPECT_ROLES(roles_for(5000, 200), ipc::role_admin | ipc::role_reader);
    EXPECT_ROLES(roles_for(5000, 5000, {7, 200, 9}), ipc::role_admin | ipc::role_reader);
    EXPECT_ROLES(roles_for(5000, 5000, {200, 201}), ipc::role_admin | ipc::role_reader);
}

Test(ipc, roles_reader_group_reads_only) {
    EXPECT_ROLES(roles_for(5000, 201), ipc::role_reader);
    EXPECT_ROLES(roles_for(5000, 5000, {201}), ipc::role_reader);
}

Test(ipc, roles_unknown_and_absent_accounts) {
    EXPECT_ROLES(roles_for(5000, 5000, {1, 2, 3}), 0u);
    // What peer_credentials() reports when SO_PEERCRED fails.
    EXPECT_ROLES(roles_for(static_cast<uid_t>(-1), static_cast<gid_t>(-1)), 0u);
    // Accounts missing on this host: nobody gets those roles, whatever the ids.
    const ipc::RoleAccounts absent{};
    EXPECT_ROLES(roles_for(101, 200, {201}, absent), 0u);
    EXPECT_ROLES(roles_for(102, 201, {}, absent), 0u);
    EXPECT_ROLES(roles_for(103, 0, {200}, absent), 0u);
    ipc::RoleAccounts only_vrrpd{};
    only_vrrpd.vrrpd = 101;
    EXPECT_ROLES(roles_for(101, 200, {201}, only_vrrpd), ipc::role_vrrpd);
}

Test(ipc, role_names_formatting) {
    EXPECT_STR(ipc::role_names(0), "none");
    EXPECT_STR(ipc::role_names(ipc::role_reader), "reader");
    EXPECT_STR(ipc::role_names(ipc::role_root | ipc::role_admin | ipc::role_reader),
               "root,admin,reader");
    // Fixed order, whatever order the bits were set in.
    EXPECT_STR(ipc::role_names(ipc::role_reader | ipc::role_checkd), "checkd,reader");
    EXPECT_STR(ipc::role_names(0x3f), "root,vrrpd,ipvsd,checkd,admin,reader");
    // Unknown bits are not names.
    EXPECT_STR(ipc::role_names(1u << 20), "none");
}

// ---------------------------------------------------------------- permission table

namespace {

struct Expected {
    Body body;
    const char* name;
    ipc::RoleSet senders;
};

constexpr ipc::RoleSet operators = ipc::role_root | ipc::role_admin;
constexpr Expected intended[] = {
    {Body::kStatusRequest, "StatusRequest",
     operators | ipc::role_reader | ipc::role_vrrpd | ipc::role_ipvsd | ipc::role_checkd},
    {Body::kStatusReply, "StatusReply", 0},
    {Body::kErrorReply, "ErrorReply", 0},
    {Body::kCommandReply, "CommandReply", 0},
    {Body::kCheckSnapshot, "CheckSnapshot", ipc::role_checkd},
    {Body::kCheckEvent, "CheckEvent", ipc::role_checkd},
    {Body::kVrrpEvent, "VrrpEvent", ipc::role_vrrpd},
    {Body::kQuorumEvent, "QuorumEvent", ipc::role_ipvsd},
    {Body::kReload, "Reload", operators},
    {Body::kDrain, "Drain", operators},
    {Body::kUndrain, "Undrain", operators},
    {Body::kResign, "Resign", operators},
    {Body::kSetPriority, "SetPriority", operators},
    {Body::kIpvsRequest, "IpvsRequest",
     operators | ipc::role_reader | ipc::role_vrrpd | ipc::role_ipvsd | ipc::role_checkd},
    {Body::kIpvsReply, "IpvsReply", 0},
    {Body::kChecksRequest, "ChecksRequest",
     operators | ipc::role_reader | ipc::role_vrrpd | ipc::role_ipvsd | ipc::role_checkd},
    {Body::kChecksReply, "ChecksReply", 0},
    {Body::kVrrpRequest, "VrrpRequest",
     operators | ipc::role_reader | ipc::role_vrrpd | ipc::role_ipvsd | ipc::role_checkd},
    {Body::kVrrpReply, "VrrpReply", 0},
    // checkd's supervisor-worker link only: no role sends them to a control socket.
    {Body::kWorkerAssign, "WorkerAssign", 0},
    {Body::kProbeResults, "ProbeResults", 0},
    {Body::BODY_NOT_SET, "(empty)", 0},
};

constexpr ipc::Role single_roles[] = {ipc::role_root,   ipc::role_vrrpd, ipc::role_ipvsd,
                                      ipc::role_checkd, ipc::role_admin, ipc::role_reader};

}  // namespace

Test(ipc, permission_table_every_body_every_role) {
    for (const Expected& row : intended) {
        EXPECT_STR(std::string(ipc::message_name(row.body)), row.name);
        for (const ipc::Role role : single_roles) {
            const bool allowed = ipc::may_send(role, row.body);
            const bool want = (row.senders & role) != 0;
            cr_assert_eq(allowed, want, "%s from %s: %s, want %s", row.name,
                         ipc::role_names(role).c_str(), allowed ? "allowed" : "refused",
                         want ? "allowed" : "refused");
        }
        cr_assert_not(ipc::may_send(0, row.body), "%s allowed with no role", row.name);
        // Replies and the empty body have no rule at all.
        cr_assert_eq(ipc::rule_for(row.body) != nullptr, row.senders != 0, "%s", row.name);
    }
}

Test(ipc, permission_table_covers_every_envelope_body) {
    // Every field number the Envelope knows as a body must be in `intended`:
    // a body added to the proto without a decision here fails this test.
    int known = 0;
    for (int field = 1; field < 200; ++field) {
        std::string bytes;
        std::uint32_t tag = static_cast<std::uint32_t>(field) << 3 | 2;  // length-delimited
        while (tag >= 0x80) {
            bytes += static_cast<char>(tag | 0x80);
            tag >>= 7;
        }
        bytes += static_cast<char>(tag);
        bytes += '\0';  // an empty sub-message
        proto::Envelope envelope;
        if (!envelope.ParseFromString(bytes)) continue;
        if (envelope.body_case() == Body::BODY_NOT_SET) continue;
        ++known;
        bool listed = false;
        for (const Expected& row : intended) listed = listed || row.body == envelope.body_case();
        cr_assert(listed, "Envelope body field %d has no row in the permission test", field);
    }
    // Every row but BODY_NOT_SET is a body the Envelope knows.
    cr_assert_eq(known, static_cast<int>(std::size(intended)) - 1);
}

// ---------------------------------------------------------------- codec

Test(ipc, codec_round_trip) {
    proto::Envelope original;
    proto::VrrpEvent* event = original.mutable_vrrp_event();
    event->set_instance("VI_1");
    event->set_group("G1");
    event->set_state(proto::VRRP_STATE_MASTER);
    event->set_priority(150);
    const std::optional<std::string> bytes = ipc::encode(original);
    cr_assert(bytes.has_value());
    const ipc::Decoded decoded = ipc::decode(*bytes, bytes->size());
    cr_assert(decoded.envelope.has_value(), "%s", decoded.error.c_str());
    cr_assert(decoded.error.empty());
    cr_assert(decoded.envelope->has_vrrp_event());
    cr_assert_str_eq(decoded.envelope->vrrp_event().instance().c_str(), "VI_1");
    cr_assert_str_eq(decoded.envelope->vrrp_event().group().c_str(), "G1");
    cr_assert_eq(decoded.envelope->vrrp_event().state(), proto::VRRP_STATE_MASTER);
    cr_assert_eq(decoded.envelope->vrrp_event().priority(), 150u);
    cr_assert(decoded.envelope->SerializeAsString() == *bytes);

    // An empty sub-message is still a body.
    const std::optional<std::string> reload = ipc::encode([] {
        proto::Envelope envelope;
        envelope.mutable_reload();
        return envelope;
    }());
    cr_assert(reload.has_value());
    const ipc::Decoded decoded_reload = ipc::decode(*reload, reload->size());
    cr_assert(decoded_reload.envelope.has_value() && decoded_reload.envelope->has_reload());
}

Test(ipc, codec_oversized_refused_before_parsing) {
    // The kernel said 70 KiB; we hold only the first 64 KiB + 1 of it, which is
    // not a valid message either: the size alone decides.
    const std::string held(ipc::max_message_size + 1, '\xff');
    const ipc::Decoded decoded = ipc::decode(held, 70 * 1024);
    cr_assert_not(decoded.envelope.has_value());
    EXPECT_CONTAINS(decoded.error, "71680");
    EXPECT_CONTAINS(decoded.error, "65536");
    // Just over the limit, with all the bytes of a valid message: still refused.
    const std::optional<std::string> valid = ipc::encode(status_request());
    cr_assert(valid.has_value());
    const ipc::Decoded over = ipc::decode(*valid, ipc::max_message_size + 1);
    cr_assert_not(over.envelope.has_value());
    EXPECT_CONTAINS(over.error, "65537");
}

Test(ipc, codec_size_limit_is_inclusive) {
    // version of n bytes: 1 + 3 (tag and length of status_reply) + 1 + 3 + n.
    proto::Envelope at_limit = big_status_reply(ipc::max_message_size - 8);
    cr_assert_eq(at_limit.ByteSizeLong(), ipc::max_message_size);
    const std::optional<std::string> bytes = ipc::encode(at_limit);
    cr_assert(bytes.has_value(), "a message of exactly 64 KiB is allowed");
    const ipc::Decoded decoded = ipc::decode(*bytes, bytes->size());
    cr_assert(decoded.envelope.has_value(), "%s", decoded.error.c_str());

    proto::Envelope over = big_status_reply(ipc::max_message_size - 7);
    cr_assert_eq(over.ByteSizeLong(), ipc::max_message_size + 1);
    cr_assert_not(ipc::encode(over).has_value());
}

Test(ipc, codec_truncated_refused) {
    const std::optional<std::string> bytes = ipc::encode(check_event("web", true, 7));
    cr_assert(bytes.has_value());
    // The kernel reported more than we hold.
    const ipc::Decoded short_read = ipc::decode(*bytes, bytes->size() + 10);
    cr_assert_not(short_read.envelope.has_value());
    EXPECT_CONTAINS(short_read.error, "truncated");
    // Cut in the middle of a field: never a half message.
    const std::string cut = bytes->substr(0, bytes->size() - 2);
    const ipc::Decoded cut_decoded = ipc::decode(cut, cut.size());
    cr_assert_not(cut_decoded.envelope.has_value());
    cr_assert_not(cut_decoded.error.empty());
}

Test(ipc, codec_garbage_refused_as_malformed) {
    const std::string garbage[] = {
        std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11),  // endless varint
        std::string("\x00\x01\x02\x03", 4),                               // field number 0
        std::string("\x0a\x7f"
                    "abc",
                    5),              // length beyond the end
        std::string("\x0f\x01", 2),  // wire type 7
    };
    for (const std::string& bytes : garbage) {
        const ipc::Decoded decoded = ipc::decode(bytes, bytes.size());
        cr_assert_not(decoded.envelope.has_value());
        EXPECT_CONTAINS(decoded.error, "malformed");
    }
}

Test(ipc, codec_envelope_without_body_refused) {
    const ipc::Decoded empty = ipc::decode("", 0);
    cr_assert_not(empty.envelope.has_value());
    EXPECT_CONTAINS(empty.error, "without a known body");
    // Only a field this build does not know (field 99, varint 1).
    const std::string unknown("\x98\x06\x01", 3);
    const ipc::Decoded decoded = ipc::decode(unknown, unknown.size());
    cr_assert_not(decoded.envelope.has_value());
    EXPECT_CONTAINS(decoded.error, "without a known body");
}

Test(ipc, codec_encode_refuses_oversized) {
    cr_assert_not(ipc::encode(big_status_reply(70 * 1024)).has_value());
    proto::Envelope many;
    for (int index = 0; index < 10000; ++index) many.mutable_command_reply()->add_changes("change");
    cr_assert_not(ipc::encode(many).has_value());
}

// ---------------------------------------------------------------- server end to end

Test(ipc, server_status_request_reaches_handler_and_reply_arrives) {
    require_root();
    TestServer test;
    int calls = 0;
    ipc::RoleSet seen_roles = 0;
    ipc::PeerCredentials seen_peer;
    test.server->handle(Body::kStatusRequest, [&](ipc::Connection& from, const proto::Envelope&) {
        ++calls;
        seen_roles = from.roles();
        seen_peer = from.peer();
        proto::Envelope reply;
        reply.mutable_status_reply()->set_daemon(proto::DAEMON_VRRPD);
        reply.mutable_status_reply()->set_version("test");
        cr_assert(from.send(reply));
    });
    const UniqueFd client = test.connect();
    send_envelope(client.get(), status_request());
    const Received reply = receive(test.loop, client.get());
    cr_assert_eq(reply.kind, Received::message);
    cr_assert(reply.envelope.has_status_reply());
    cr_assert_eq(reply.envelope.status_reply().daemon(), proto::DAEMON_VRRPD);
    cr_assert_eq(calls, 1);
    EXPECT_ROLES(seen_roles, ipc::role_root | ipc::role_admin | ipc::role_reader);
    cr_assert_eq(seen_peer.uid, 0u);
    cr_assert_eq(seen_peer.pid, getpid(), "SO_PEERCRED pid %d", seen_peer.pid);

    // The connection stays open for more requests.
    send_envelope(client.get(), status_request());
    cr_assert_eq(receive(test.loop, client.get()).kind, Received::message);
    cr_assert_eq(calls, 2);
    const ipc::ServerCounters& counters = test.server->counters();
    cr_assert_eq(counters.accepted, 1u);
    cr_assert_eq(counters.messages, 2u);
    cr_assert_eq(counters.refused_forbidden + counters.refused_unsupported +
                     counters.refused_malformed + counters.refused_too_many,
                 0u);
    cr_assert_eq(test.server->connection_count(), 1u);
}

namespace {

// A child process that takes `uid`, `gid` and `groups`, connects to `path` and
// waits for the server to close; exit status 0 when it could connect.
pid_t connect_as(const std::string& path, uid_t uid, gid_t gid, const std::vector<gid_t>& groups) {
    const pid_t child = fork();
    cr_assert(child >= 0, "fork: %s", std::strerror(errno));
    if (child != 0) return child;
    if (setgroups(groups.size(), groups.data()) != 0 || setresgid(gid, gid, gid) != 0 ||
        setresuid(uid, uid, uid) != 0)
        _exit(2);
    const UniqueFd fd = ipc::connect_unix(path);
    if (!fd) _exit(3);
    struct pollfd closed {
        fd.get(), POLLIN, 0
    };
    poll(&closed, 1, 3000);
    _exit(0);
}

}  // namespace

Test(ipc, server_learns_roles_of_unprivileged_peers) {
    require_root();
    cr_assert_eq(chmod(temp_dir.c_str(), 0711), 0);
    SystemClock clock;
    EventLoop loop(clock);
    const std::string path = temp_path("groups.sock");
    ipc::RoleAccounts host{};
    host.vrrpd = 5003;
    host.admin_group = 4200;
    host.reader_group = 4201;
    ipc::Server server(loop, ipc::Server::listen(path, 0666, std::nullopt, std::nullopt), host,
                       "testd");
    std::vector<ipc::PeerCredentials> peers;
    std::vector<ipc::RoleSet> roles;
    server.on_connect([&](ipc::Connection& connection) {
        peers.push_back(connection.peer());
        roles.push_back(connection.roles());
        connection.close();
    });
    std::vector<gid_t> many;  // more than any fixed-size buffer of 256 would hold
    for (gid_t group = 10000; group < 10300; ++group) many.push_back(group);
    many.push_back(4200);
    const struct {
        uid_t uid;
        gid_t gid;
        std::vector<gid_t> groups;
        ipc::RoleSet want;
    } cases[] = {
        {5000, 5000, {7, 4201}, ipc::role_reader},
        {5001, 5001, many, ipc::role_admin | ipc::role_reader},
        {5002, 4200, {}, ipc::role_admin | ipc::role_reader},
        {5003, 5003, {}, ipc::role_vrrpd},
        {5004, 5004, {1, 2, 3}, 0},
    };
    for (const auto& peer : cases) {
        const std::size_t before = peers.size();
        const pid_t child = connect_as(path, peer.uid, peer.gid, peer.groups);
        cr_assert(run_until(loop, [&] { return peers.size() > before; }), "uid %u never connected",
                  peer.uid);
        int status = 0;
        cr_assert_eq(waitpid(child, &status, 0), child);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child for uid %u: status 0x%x",
                  peer.uid, status);
        const ipc::PeerCredentials& seen = peers.back();
        cr_assert_eq(seen.uid, peer.uid);
        cr_assert_eq(seen.gid, peer.gid);
        cr_assert_eq(seen.pid, child);
        cr_assert_eq(seen.groups.size(), peer.groups.size(), "uid %u: %zu groups, want %zu",
                     peer.uid, seen.groups.size(), peer.groups.size());
        for (const gid_t group : peer.groups)
            cr_assert(std::find(seen.groups.begin(), seen.groups.end(), group) != seen.groups.end(),
                      "uid %u: group %u missing", peer.uid, group);
        EXPECT_ROLES(roles.back(), peer.want);
    }
}

Test(ipc, server_socket_mode_applied) {
    TestServer test;
    struct stat status {};
    cr_assert_eq(stat(test.path.c_str(), &status), 0);
    cr_assert(S_ISSOCK(status.st_mode));
    cr_assert_eq(status.st_mode & 07777, 0660u, "mode %o", status.st_mode & 07777);
}

Test(ipc, server_refuses_unsupported_then_closes) {
    require_root();
    TestServer test;
    const UniqueFd client = test.connect();
    proto::Envelope reload;
    reload.mutable_reload();
    send_envelope(client.get(), reload);
    expect_error_then_close(test.loop, client.get(), proto::ErrorReply::CODE_UNSUPPORTED,
                            "testd does not take Reload");
    cr_assert_eq(test.server->counters().refused_unsupported, 1u);
    cr_assert(run_until(test.loop, [&] { return test.server->connection_count() == 0; }),
              "the closed connection was not forgotten");
}

Test(ipc, server_refuses_forbidden_without_calling_the_handler) {
    require_root();
    TestServer test;  // no account is checkd: root has no checkd role
    int calls = 0;
    test.server->handle(Body::kCheckEvent,
                        [&](ipc::Connection&, const proto::Envelope&) { ++calls; });
    test.server->handle(Body::kStatusReply,
                        [&](ipc::Connection&, const proto::Envelope&) { ++calls; });

    const UniqueFd client = test.connect();
    send_envelope(client.get(), check_event("web", false, 1));
    expect_error_then_close(test.loop, client.get(), proto::ErrorReply::CODE_FORBIDDEN,
                            "CheckEvent");
    // A reply sent to a daemon is never accepted, handler or not.
    const UniqueFd second = test.connect();
    send_envelope(second.get(), big_status_reply(10));
    expect_error_then_close(test.loop, second.get(), proto::ErrorReply::CODE_FORBIDDEN,
                            "StatusReply");
    cr_assert_eq(calls, 0);
    cr_assert_eq(test.server->counters().refused_forbidden, 2u);
}

Test(ipc, server_messages_after_a_refusal_are_not_handled) {
    require_root();
    TestServer test;
    int calls = 0;
    test.answer_status(&calls);
    const UniqueFd client = test.connect();
    // Three datagrams queued at once: the refusal of the first closes the
    // connection, and the ones behind it must not reach the handler.
    send_envelope(client.get(), check_event("web", false, 1));
    send_envelope(client.get(), status_request());
    send_envelope(client.get(), status_request());
    expect_error_then_close(test.loop, client.get(), proto::ErrorReply::CODE_FORBIDDEN,
                            "CheckEvent");
    cr_assert_eq(calls, 0);
    cr_assert_eq(test.server->counters().messages, 1u);
}

Test(ipc, server_refuses_oversized_datagram) {
    TestServer test;
    int calls = 0;
    test.answer_status(&calls);
    const UniqueFd client = test.connect();
    send_bytes(client.get(), std::string(70 * 1024, 'x'));
    expect_error_then_close(test.loop, client.get(), proto::ErrorReply::CODE_MALFORMED, "71680");
    cr_assert_eq(test.server->counters().refused_malformed, 1u);
    cr_assert_eq(calls, 0);
}

Test(ipc, server_refuses_garbage_datagram) {
    TestServer test;
    const UniqueFd client = test.connect();
    send_bytes(client.get(), std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11));
    expect_error_then_close(test.loop, client.get(), proto::ErrorReply::CODE_MALFORMED,
                            "malformed");
    cr_assert_eq(test.server->counters().refused_malformed, 1u);
}

Test(ipc, server_counters_and_keeps_serving_after_refusals) {
    require_root();
    TestServer test;
    int calls = 0;
    test.answer_status(&calls);

    const UniqueFd forbidden = test.connect();
    send_envelope(forbidden.get(), check_event("web", true, 2));
    expect_error_then_close(test.loop, forbidden.get(), proto::ErrorReply::CODE_FORBIDDEN, "");

    const UniqueFd unsupported = test.connect();
    proto::Envelope drain;
    drain.mutable_drain()->set_virtual_server("vs");
    send_envelope(unsupported.get(), drain);
    expect_error_then_close(test.loop, unsupported.get(), proto::ErrorReply::CODE_UNSUPPORTED,
                            "Drain");

    const UniqueFd oversized = test.connect();
    send_bytes(oversized.get(), std::string(70 * 1024, 'x'));
    expect_error_then_close(test.loop, oversized.get(), proto::ErrorReply::CODE_MALFORMED, "");

    const UniqueFd garbage = test.connect();
    send_bytes(garbage.get(), std::string("\x0f\x01", 2));
    expect_error_then_close(test.loop, garbage.get(), proto::ErrorReply::CODE_MALFORMED, "");

    // A zero-length datagram reads like an orderly close: closed, no reply.
    const UniqueFd empty = test.connect();
    send_bytes(empty.get(), "");
    cr_assert_eq(receive(test.loop, empty.get()).kind, Received::closed);

    // A client that goes away without a word.
    { const UniqueFd silent = test.connect_accepted(); }

    cr_assert(run_until(test.loop, [&] { return test.server->connection_count() == 0; }));
    const UniqueFd good = test.connect();
    test.expect_status_reply(good.get());
    test.expect_status_reply(good.get());

    const ipc::ServerCounters& counters = test.server->counters();
    cr_assert_eq(counters.accepted, 7u);
    cr_assert_eq(counters.refused_forbidden, 1u);
    cr_assert_eq(counters.refused_unsupported, 1u);
    cr_assert_eq(counters.refused_malformed, 2u);
    cr_assert_eq(counters.refused_too_many, 0u);
    cr_assert_eq(counters.messages, 4u, "dispatched: forbidden, unsupported, two requests");
    cr_assert_eq(calls, 2);
}

Test(ipc, server_closes_connections_beyond_the_limit) {
    require_root();
    TestServer test;
    int calls = 0;
    test.answer_status(&calls);
    constexpr std::size_t extra = 3;
    std::vector<UniqueFd> clients;
    for (std::size_t index = 0; index < ipc::Server::max_connections + extra; ++index)
        clients.push_back(test.connect_accepted());
    cr_assert_eq(test.server->counters().accepted, ipc::Server::max_connections);
    cr_assert_eq(test.server->counters().refused_too_many, extra);
    cr_assert_eq(test.server->connection_count(), ipc::Server::max_connections);

    for (std::size_t index = ipc::Server::max_connections; index < clients.size(); ++index) {
        // Told why (so hactl can say it), then closed.
        Received why = receive(test.loop, clients[index].get());
        cr_assert_eq(why.kind, Received::message, "client %zu got no reason", index);
        cr_assert(why.envelope.has_error_reply());
        cr_assert_eq(why.envelope.error_reply().code(), proto::ErrorReply::CODE_FAILED);
        cr_assert(why.envelope.error_reply().message().find("too many connections") !=
                  std::string::npos);
        cr_assert_eq(receive(test.loop, clients[index].get()).kind, Received::closed,
                     "client %zu beyond the limit was not closed", index);
    }
    // The admitted ones are still served, the first and the last.
    test.expect_status_reply(clients.front().get());
    test.expect_status_reply(clients[ipc::Server::max_connections - 1].get());

    // A slot freed is a slot available again.
    clients[1].reset();
    cr_assert(run_until(test.loop, [&] {
        return test.server->connection_count() == ipc::Server::max_connections - 1;
    }));
    const UniqueFd late = test.connect_accepted();
    cr_assert_eq(test.server->counters().accepted, ipc::Server::max_connections + 1);
    test.expect_status_reply(late.get());
}

Test(ipc, connection_reads_what_the_peer_sent_before_a_reset) {
    SystemClock clock;
    EventLoop loop(clock);
    int fds[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    UniqueFd peer(fds[1]);
    ipc::Connection connection(loop, UniqueFd(fds[0]), ipc::PeerCredentials{}, 0, "link to test");
    std::vector<proto::Envelope> received;
    bool closed = false;
    connection.set_handlers(
        [&](ipc::Connection&, const proto::Envelope& envelope) { received.push_back(envelope); },
        [&](ipc::Connection& from, const std::string&) { from.close(); },
        [&](ipc::Connection&) { closed = true; });
    // Two messages the peer never reads; it refuses and closes, so the kernel
    // reports ECONNRESET ahead of the refusal.
    cr_assert(connection.send(status_request()));
    cr_assert(connection.send(status_request()));
    proto::Envelope refusal;
    refusal.mutable_error_reply()->set_code(proto::ErrorReply::CODE_FORBIDDEN);
    refusal.mutable_error_reply()->set_message("permission denied");
    send_envelope(peer.get(), refusal);
    peer.reset();
    cr_assert(run_until(loop, [&] { return closed; }));
    cr_assert_eq(received.size(), 1u, "the refusal sent before the reset was lost");
    cr_assert(received[0].has_error_reply());
    cr_assert_not(connection.open());
    cr_assert_not(connection.send(status_request()), "sent on a closed connection");
}

Test(ipc, listen_refuses_a_regular_file) {
    const std::string path = temp_path("not-a-socket");
    { std::ofstream(path) << "precious\n"; }
    bool threw = false;
    try {
        ipc::Server::listen(path, 0660, std::nullopt, std::nullopt);
    } catch (const std::system_error& error) {
        threw = true;
        cr_assert_eq(error.code().value(), EEXIST, "%s", error.what());
        EXPECT_CONTAINS(error.what(), "not a socket");
    }
    cr_assert(threw, "replaced a regular file");
    std::ifstream kept(path);
    std::string line;
    std::getline(kept, line);
    cr_assert_str_eq(line.c_str(), "precious");
}

Test(ipc, listen_refuses_a_live_socket) {
    const std::string path = temp_path("live.sock");
    const UniqueFd first = ipc::Server::listen(path, 0660, std::nullopt, std::nullopt);
    bool threw = false;
    try {
        ipc::Server::listen(path, 0660, std::nullopt, std::nullopt);
    } catch (const std::system_error& error) {
        threw = true;
        cr_assert_eq(error.code().value(), EADDRINUSE, "%s", error.what());
        EXPECT_CONTAINS(error.what(), "in use");
    }
    cr_assert(threw, "took over the socket of a running daemon");
    // The first one still owns the path.
    const UniqueFd client = ipc::connect_unix(path);
    cr_assert(client.valid(), "connect: %s", std::strerror(errno));
}

Test(ipc, listen_refuses_a_live_socket_with_a_full_backlog) {
    // A daemon that is alive but not accepting (stopped, or busy): its backlog
    // fills up. Probing it must neither block nor take its socket away.
    const std::string path = temp_path("busy.sock");
    const UniqueFd busy = ipc::Server::listen(path, 0660, std::nullopt, std::nullopt);
    std::vector<UniqueFd> waiting;
    for (int index = 0; index < 100; ++index) {
        UniqueFd fd = ipc::connect_unix(path);
        if (!fd) {
            cr_assert_eq(errno, EAGAIN, "connect: %s", std::strerror(errno));
            break;
        }
        waiting.push_back(std::move(fd));
    }
    cr_assert(waiting.size() < 100, "the backlog never filled");
    bool threw = false;
    try {
        ipc::Server::listen(path, 0660, std::nullopt, std::nullopt);
    } catch (const std::system_error& error) {
        threw = true;
        cr_assert_eq(error.code().value(), EADDRINUSE, "%s", error.what());
    }
    cr_assert(threw, "took over the socket of a running daemon");
    struct stat status {};
    cr_assert_eq(lstat(path.c_str(), &status), 0, "the live socket was unlinked");
}

Test(ipc, listen_refuses_a_live_socket_of_another_kind) {
    // Someone else's SOCK_STREAM server at our path: not ours to remove.
    const std::string path = temp_path("stream.sock");
    const UniqueFd other(socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path.c_str());
    cr_assert_eq(bind(other.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    cr_assert_eq(::listen(other.get(), 4), 0);
    bool threw = false;
    try {
        ipc::Server::listen(path, 0660, std::nullopt, std::nullopt);
    } catch (const std::system_error& error) {
        threw = true;
        cr_assert_eq(error.code().value(), EPROTOTYPE, "%s", error.what());
    }
    cr_assert(threw, "replaced a live socket of another kind");
    struct stat status {};
    cr_assert_eq(lstat(path.c_str(), &status), 0);
}

Test(ipc, listen_replaces_a_stale_socket) {
    const std::string path = temp_path("stale.sock");
    {
        // A daemon that died: its socket file stays, nobody listens.
        UniqueFd dead(socket(AF_UNIX, SOCK_SEQPACKET, 0));
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strcpy(address.sun_path, path.c_str());
        cr_assert_eq(bind(dead.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address),
                     0);
    }
    struct stat status {};
    cr_assert_eq(lstat(path.c_str(), &status), 0);
    const UniqueFd fd = ipc::Server::listen(path, 0660, std::nullopt, std::nullopt);
    cr_assert(fd.valid());
    const UniqueFd client = ipc::connect_unix(path);
    cr_assert(client.valid(), "connect: %s", std::strerror(errno));
}

Test(ipc, listen_refuses_a_path_too_long) {
    bool threw = false;
    try {
        ipc::Server::listen(temp_path(std::string(200, 'a')), 0660, std::nullopt, std::nullopt);
    } catch (const std::system_error& error) {
        threw = true;
        cr_assert_eq(error.code().value(), ENAMETOOLONG);
    }
    cr_assert(threw);
    cr_assert_not(ipc::connect_unix(std::string(200, 'a')).valid());
    cr_assert_eq(errno, ENAMETOOLONG);
}

Test(ipc, server_drops_a_client_that_never_reads_large_messages) {
    require_root();
    TestServer test;
    constexpr int attempts = 400;  // 400 x 60 KB is far beyond the 8 MiB queue cap
    int accepted_sends = 0;
    bool refused = false;
    long long handler_ms = 0;
    bool open_after = true;
    test.server->handle(Body::kStatusRequest, [&](ipc::Connection& from, const proto::Envelope&) {
        const auto start = std::chrono::steady_clock::now();
        const proto::Envelope big = big_status_reply(60000);
        for (int index = 0; index < attempts; ++index) {
            if (!from.send(big)) {
                refused = true;
                break;
            }
            ++accepted_sends;
        }
        handler_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count();
        open_after = from.open();
    });
    const UniqueFd lazy = test.connect();
    send_envelope(lazy.get(), status_request());
    cr_assert(run_until(test.loop, [&] { return refused || accepted_sends == attempts; }));
    cr_assert(refused, "all %d messages were queued", attempts);
    cr_assert(accepted_sends > 0 && accepted_sends < attempts, "queued %d", accepted_sends);
    // 8 MiB of 60 KB messages is 139; a few more sat in the socket buffer.
    cr_assert(accepted_sends <= 139 + 32, "queued %d", accepted_sends);
    cr_assert(handler_ms < 1000, "send blocked: %lld ms", handler_ms);
    cr_assert_not(open_after);
    cr_assert(run_until(test.loop, [&] { return test.server->connection_count() == 0; }));

    // What reached the socket before the drop can still be read, then the close.
    int delivered = 0;
    for (;;) {
        const Received received = receive(test.loop, lazy.get());
        if (received.kind != Received::message) {
            cr_assert_eq(received.kind, Received::closed);
            break;
        }
        cr_assert(received.envelope.has_status_reply());
        ++delivered;
    }
    cr_assert(delivered >= 1 && delivered < accepted_sends, "delivered %d of %d", delivered,
              accepted_sends);

    // The server is not hurt.
    const UniqueFd other = test.connect();
    send_envelope(other.get(), status_request());
    cr_assert(run_until(test.loop, [&] { return test.server->counters().messages == 2; }));
}

Test(ipc, broadcast_drops_only_the_client_that_never_reads) {
    require_root();
    TestServer test;
    const UniqueFd lazy = test.connect_accepted();
    const UniqueFd reader = test.connect_accepted();
    cr_assert_eq(test.server->connection_count(), 2u);

    proto::Envelope event;
    event.mutable_vrrp_event()->set_instance("VI_1");
    const auto start = std::chrono::steady_clock::now();
    constexpr int rounds = 3000;  // well past the 1024-message queue cap
    int lazy_dropped_at = -1;
    int reader_received = 0;
    std::array<char, 256> buffer{};
    for (int round = 0; round < rounds; ++round) {
        const std::size_t sent = test.server->broadcast(ipc::role_reader, event);
        if (lazy_dropped_at < 0 && sent < 2) lazy_dropped_at = round;
        if (lazy_dropped_at >= 0)
            cr_assert_eq(sent, 1u, "round %d: the reader was dropped too", round);
        while (recv(reader.get(), buffer.data(), buffer.size(), MSG_DONTWAIT) > 0)
            ++reader_received;
    }
    const long long took = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - start)
                               .count();
    cr_assert(lazy_dropped_at > 0, "the client that never reads was never dropped");
    cr_assert(lazy_dropped_at <= static_cast<int>(ipc::Connection::max_queued_messages) + 1000,
              "dropped only after %d messages", lazy_dropped_at);
    cr_assert(took < 2000, "broadcast took %lld ms", took);
    cr_assert_eq(reader_received, rounds);
    cr_assert(run_until(test.loop, [&] { return test.server->connection_count() == 1; }));
    cr_assert_eq(test.server->connections_with(ipc::role_reader), 1u);
}

// ---------------------------------------------------------------- PeerLink

Test(ipc, peer_link_waits_for_connects_and_reconnects) {
    require_root();
    SystemClock clock;
    EventLoop loop(clock);
    const std::string path = temp_path("peer.sock");
    ipc::PeerLink link(loop, "testd", path);
    int hooks = 0;
    int replies = 0;
    link.on_connect([&](ipc::PeerLink& self) {
        ++hooks;
        cr_assert(self.connected());
        cr_assert(self.send(status_request()));
    });
    link.on_message([&](const proto::Envelope& envelope) {
        if (envelope.has_status_reply()) ++replies;
    });

    link.start();  // nothing there yet
    cr_assert_not(link.connected());
    cr_assert_not(link.send(status_request()));
    cr_assert_eq(loop.pending_timers(), 1u, "no retry scheduled");
    run_until(
        loop, [] { return false; }, 80ms);  // a retry or two, still absent
    cr_assert_not(link.connected());
    cr_assert_eq(link.connects(), 0u);
    cr_assert_eq(loop.pending_timers(), 1u);

    int requests = 0;
    auto make_server = [&] {
        auto server = std::make_unique<ipc::Server>(
            loop, ipc::Server::listen(path, 0660, std::nullopt, std::nullopt), ipc::RoleAccounts{},
            "testd");
        server->handle(Body::kStatusRequest, [&](ipc::Connection& from, const proto::Envelope&) {
            ++requests;
            from.send(big_status_reply(4));
        });
        return server;
    };
    auto server = make_server();
    cr_assert(run_until(
                  loop, [&] { return requests == 1 && replies == 1; }, 3s),
              "requests %d replies %d", requests, replies);
    cr_assert(link.connected());
    cr_assert_eq(link.connects(), 1u);
    cr_assert_eq(hooks, 1);

    server.reset();  // the peer goes away...
    cr_assert(run_until(
        loop, [&] { return !link.connected(); }, 2s));
    cr_assert_not(link.send(status_request()));
    server = make_server();  // ...and comes back on the same (stale) path
    cr_assert(run_until(
                  loop, [&] { return requests == 2 && replies == 2; }, 3s),
              "requests %d replies %d", requests, replies);
    cr_assert_eq(link.connects(), 2u);
    cr_assert_eq(hooks, 2);
    cr_assert(link.send(status_request()));
    cr_assert(run_until(loop, [&] { return requests == 3; }));
}

namespace {

// Fires the retry timer if due, and checks when it was due.
void expect_retry_after(FakeClock& clock, EventLoop& loop, Duration delay) {
    const std::optional<TimePoint> next = loop.next_deadline();
    cr_assert(next.has_value(), "no retry scheduled");
    const long long want = std::chrono::duration_cast<std::chrono::milliseconds>(delay).count();
    const long long got =
        std::chrono::duration_cast<std::chrono::milliseconds>(*next - clock.now()).count();
    cr_assert_eq(got, want, "retry after %lld ms, want %lld ms", got, want);
    clock.advance(delay - 1ms);
    cr_assert_eq(loop.run_due_timers(), 0u);
    clock.advance(1ms);
    cr_assert_eq(loop.run_due_timers(), 1u);
}

// Socket I/O on a FakeClock loop: epoll only, the timers stay with the test.
bool pump_until(EventLoop& loop, const std::function<bool()>& done) {
    for (int round = 0; round < 400; ++round) {
        if (done()) return true;
        loop.run_once(5ms);
    }
    return done();
}

}  // namespace

Test(ipc, peer_link_backoff_doubles_from_50ms_and_caps_at_1s) {
    FakeClock clock;
    EventLoop loop(clock);
    const std::string path = temp_path("backoff.sock");
    ipc::PeerLink link(loop, "testd", path);
    link.start();
    for (const Duration delay : {50ms, 100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms, 1000ms}) {
        expect_retry_after(clock, loop, delay);
        cr_assert_not(link.connected());
    }
    cr_assert_eq(loop.pending_timers(), 1u);

    // The peer appears: the next retry (still 1 s) connects.
    auto server = std::make_unique<ipc::Server>(
        loop, ipc::Server::listen(path, 0660, std::nullopt, std::nullopt), ipc::RoleAccounts{},
        "testd");
    expect_retry_after(clock, loop, 1000ms);
    cr_assert(link.connected());
    cr_assert_eq(loop.pending_timers(), 0u);
    cr_assert(pump_until(loop, [&] { return server->connection_count() == 1; }));

    // Up for a while, then gone: the first retry is quick again.
    clock.advance(5s);
    server.reset();
    cr_assert(pump_until(loop, [&] { return !link.connected(); }));
    expect_retry_after(clock, loop, 50ms);
    expect_retry_after(clock, loop, 100ms);  // still absent: doubling again

    // A peer that accepts and drops us at once does not earn the quick retry.
    server = std::make_unique<ipc::Server>(
        loop, ipc::Server::listen(path, 0660, std::nullopt, std::nullopt), ipc::RoleAccounts{},
        "testd");
    expect_retry_after(clock, loop, 200ms);
    cr_assert(link.connected());
    cr_assert(pump_until(loop, [&] { return server->connection_count() == 1; }));
    server.reset();
    cr_assert(pump_until(loop, [&] { return !link.connected(); }));
    expect_retry_after(clock, loop, 400ms);
}

// ---------------------------------------------------------------- check states

Test(ipc, check_states_same_snapshot_twice_changes_nothing) {
    CheckStates states;
    const TimePoint now{std::chrono::seconds(5000)};
    const proto::CheckSnapshot snapshot =
        snapshot_of({{"web", true, 1, 4}, {"db", false, 0, 2}, {"dns", true, 3, 9}});
    const std::vector<CheckChange> first = states.apply_snapshot(snapshot, now);
    cr_assert_eq(first.size(), 3u);
    for (const CheckChange& change : first) cr_assert_not(change.removed);
    cr_assert_eq(states.size(), 3u);
    cr_assert(states.find("web") && states.find("web")->up && states.find("web")->weight == 1);
    cr_assert(states.find("db") && !states.find("db")->up);

    // checkd restarted: a new generation, the same states.
    proto::CheckSnapshot again = snapshot;
    again.set_generation(2);
    cr_assert(states.apply_snapshot(again, now + 1s).empty(), "a restart flapped the checks");
    // seq and reason alone are not changes either.
    proto::CheckSnapshot renumbered =
        snapshot_of({{"web", true, 1, 1}, {"db", false, 0, 1}, {"dns", true, 3, 1}}, 3);
    renumbered.mutable_checks(1)->set_reason("connect: refused");
    cr_assert(states.apply_snapshot(renumbered, now + 2s).empty());
    cr_assert_str_eq(states.find("db")->reason.c_str(), "connect: refused");
    // A weight or state difference is.
    const std::vector<CheckChange> changed = states.apply_snapshot(
        snapshot_of({{"web", true, 5, 2}, {"db", true, 0, 2}, {"dns", true, 3, 1}}, 3), now + 3s);
    cr_assert_eq(changed.size(), 2u);
    cr_assert_str_eq(changed[0].name.c_str(), "web");  // snapshot order
    cr_assert_eq(changed[0].status.weight, 5);
    cr_assert_str_eq(changed[1].name.c_str(), "db");
    cr_assert(changed[1].status.up);
}

Test(ipc, check_states_snapshot_reports_removed_checks) {
    CheckStates states;
    const TimePoint now{std::chrono::seconds(5000)};
    states.apply_snapshot(snapshot_of({{"web", true, 1, 4}, {"db", false, 0, 2}}), now);
    const std::vector<CheckChange> changes =
        states.apply_snapshot(snapshot_of({{"web", true, 1, 4}}), now);
    cr_assert_eq(changes.size(), 1u);
    cr_assert_str_eq(changes[0].name.c_str(), "db");
    cr_assert(changes[0].removed);
    cr_assert_not(changes[0].status.up, "the last known state comes with the removal");
    cr_assert(states.find("db") == nullptr);
    cr_assert_eq(states.size(), 1u);
    // An empty snapshot removes everything.
    const std::vector<CheckChange> all = states.apply_snapshot(proto::CheckSnapshot{}, now);
    cr_assert_eq(all.size(), 1u);
    cr_assert(all[0].removed);
    cr_assert_eq(states.size(), 0u);
}

Test(ipc, check_states_events_by_seq) {
    CheckStates states;
    const TimePoint now{std::chrono::seconds(5000)};
    states.apply_snapshot(snapshot_of({{"web", true, 1, 10}}), now);

    cr_assert_not(states.apply_event(event_of("web", false, 1, 9), now).has_value(), "older seq");
    cr_assert_not(states.apply_event(event_of("web", false, 1, 10), now).has_value(),
                  "replayed seq");
    cr_assert(states.find("web")->up, "an old event overwrote a newer state");

    const std::optional<CheckChange> down = states.apply_event(event_of("web", false, 1, 11), now);
    cr_assert(down.has_value());
    cr_assert_str_eq(down->name.c_str(), "web");
    cr_assert_not(down->status.up);
    cr_assert_eq(states.find("web")->seq, 11u);

    // A newer event with the same state changes nothing, but its seq counts.
    cr_assert_not(states.apply_event(event_of("web", false, 1, 12), now).has_value());
    cr_assert_not(states.apply_event(event_of("web", true, 1, 12), now).has_value());
    cr_assert_not(states.find("web")->up);
    // Weight alone is a change.
    const std::optional<CheckChange> weight =
        states.apply_event(event_of("web", false, 7, 13), now);
    cr_assert(weight.has_value());
    cr_assert_eq(weight->status.weight, 7);
    // A check first heard of by event.
    const std::optional<CheckChange> added = states.apply_event(event_of("new", true, 0, 1), now);
    cr_assert(added.has_value());
    cr_assert_eq(states.size(), 2u);
}

Test(ipc, check_states_staleness) {
    CheckStates states;
    const TimePoint start{std::chrono::seconds(5000)};
    cr_assert_not(states.peer_present(), "no checkd seen yet");
    states.apply_snapshot(snapshot_of({{"web", true, 1, 1}}), start);
    cr_assert(states.peer_present());
    cr_assert_not(states.stale(start + std::chrono::hours(24), 30s), "present is never stale");

    const TimePoint lost = start + 10s;
    states.peer_lost(lost);
    cr_assert_not(states.peer_present());
    cr_assert_not(states.stale(lost, 30s));
    cr_assert_not(states.stale(lost + 29s, 30s));
    cr_assert(states.stale(lost + 30s, 30s));
    cr_assert(states.find("web") && states.find("web")->up, "last known state kept while stale");

    // checkd is back: its snapshot ends the staleness, and changes nothing.
    cr_assert(states.apply_snapshot(snapshot_of({{"web", true, 1, 1}}, 2), lost + 60s).empty());
    cr_assert(states.peer_present());
    cr_assert_not(states.stale(lost + 60s, 30s));
}

Test(ipc, feed_check_states_over_the_socket) {
    require_root();
    ipc::RoleAccounts checkd_is_root{};
    checkd_is_root.checkd = 0;  // the test's own uid plays checkd
    TestServer test(checkd_is_root);
    CheckStates states;
    std::vector<std::vector<CheckChange>> batches;
    hakeep::feed_check_states(
        *test.server, test.loop, states,
        [&](const std::vector<CheckChange>& changes) { batches.push_back(changes); });

    const proto::CheckSnapshot snapshot = snapshot_of({{"web", true, 1, 5}, {"db", false, 0, 3}});
    proto::Envelope envelope;
    *envelope.mutable_check_snapshot() = snapshot;
    {
        const UniqueFd checkd = test.connect();
        send_envelope(checkd.get(), envelope);
        cr_assert(run_until(test.loop, [&] { return batches.size() == 1; }));
        cr_assert_eq(batches[0].size(), 2u);
        cr_assert(states.peer_present());
    }  // checkd dies
    cr_assert(run_until(test.loop, [&] { return !states.peer_present(); }),
              "the last checkd connection closing did not mark the states lost");
    cr_assert_not(states.stale(test.loop.now(), 30s));
    cr_assert(states.stale(test.loop.now() + 30s, 30s));

    // The restarted checkd sends the same snapshot: no change, no flap.
    const UniqueFd checkd = test.connect();
    envelope.mutable_check_snapshot()->set_generation(2);
    send_envelope(checkd.get(), envelope);
    cr_assert(run_until(test.loop, [&] { return states.peer_present(); }));
    cr_assert_eq(batches.size(), 1u);

    // An event, then an older one that must be ignored.
    send_envelope(checkd.get(), check_event("db", true, 4));
    cr_assert(run_until(test.loop, [&] { return batches.size() == 2; }));
    cr_assert_str_eq(batches[1][0].name.c_str(), "db");
    cr_assert(batches[1][0].status.up);
    send_envelope(checkd.get(), check_event("db", false, 3));
    test.loop.run_once(20ms);
    int calls = 0;
    test.answer_status(&calls);
    test.expect_status_reply(checkd.get());  // everything before it was handled
    cr_assert_eq(batches.size(), 2u, "an older event was applied");
    cr_assert(states.find("db")->up);

    // A second checkd connection closing does not make the states lost.
    { const UniqueFd other = test.connect_accepted(); }
    cr_assert(run_until(test.loop, [&] { return test.server->connection_count() == 1; }));
    cr_assert(states.peer_present());

    // Removal from the snapshot.
    proto::Envelope smaller;
    *smaller.mutable_check_snapshot() = snapshot_of({{"web", true, 1, 5}}, 2);
    send_envelope(checkd.get(), smaller);
    cr_assert(run_until(test.loop, [&] { return batches.size() == 3; }));
    cr_assert_eq(batches[2].size(), 1u);
    cr_assert_str_eq(batches[2][0].name.c_str(), "db");
    cr_assert(batches[2][0].removed);
}
