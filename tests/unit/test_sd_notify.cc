// sd_notify written by hand (common/sd_notify.cc): the names NOTIFY_SOCKET may
// hold, the watchdog interval, and real datagrams on sockets of the test's
// own (a path and an abstract name), also after the daemon's sandbox.
#include <criterion/criterion.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>

#include "checkd/checkd.h"
#include "common/daemon.h"
#include "common/sandbox.h"
#include "common/sd_notify.h"
#include "ipvsd/ipvsd.h"
#include "vrrpd/vrrpd.h"

using namespace hakeep;
using std::chrono::microseconds;

namespace {

// A datagram socket standing in for systemd's notify socket.
struct Listener {
    UniqueFd fd;
    std::string name;  // what NOTIFY_SOCKET says
    std::string dir;

    enum Kind { path, abstract };
    explicit Listener(Kind kind) {
        if (kind == path) {
            char tmpl[] = "/tmp/hk-sd-notify.XXXXXX";
            cr_assert_not_null(mkdtemp(tmpl));
            dir = tmpl;
            name = dir + "/notify";
        } else {
            name = "@hakeep-test-sd-notify-" + std::to_string(getpid());
        }
        bind_to(*sd_notify::parse_socket_name(name));
    }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    void bind_to(const sd_notify::SocketAddress& address) {
        fd.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        cr_assert(fd.valid());
        cr_assert_eq(
            bind(fd.get(), reinterpret_cast<const sockaddr*>(&address.address), address.length), 0,
            "bind %s", name.c_str());
        timeval wait{2, 0};
        setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    }
    std::string receive() const {
        char buffer[4096];
        const ssize_t got = recv(fd.get(), buffer, sizeof buffer, 0);
        return got < 0 ? std::string("(nothing)") : std::string(buffer, static_cast<size_t>(got));
    }
    ~Listener() {
        if (!dir.empty()) {
            unlink(name.c_str());
            rmdir(dir.c_str());
        }
    }
};

void clear_environment() {
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
}

}  // namespace

Test(sd_notify, socket_names) {
    auto path = sd_notify::parse_socket_name("/run/systemd/notify");
    cr_assert(path.has_value());
    cr_expect_str_eq(path->address.sun_path, "/run/systemd/notify");
    cr_expect_eq(path->length, offsetof(sockaddr_un, sun_path) + 20);  // with its NUL

    auto abstract = sd_notify::parse_socket_name("@sd-abc");
    cr_assert(abstract.has_value());
    cr_expect_eq(abstract->address.sun_path[0], '\0');
    cr_expect_eq(std::string(abstract->address.sun_path + 1, 6), "sd-abc");
    cr_expect_eq(abstract->length, offsetof(sockaddr_un, sun_path) + 7);  // no NUL at the end

    cr_expect_not(sd_notify::parse_socket_name("").has_value());
    cr_expect_not(sd_notify::parse_socket_name("@").has_value());
    cr_expect_not(sd_notify::parse_socket_name("relative/notify").has_value());
    cr_expect_not(sd_notify::parse_socket_name("/" + std::string(107, 'x')).has_value());
    cr_expect(sd_notify::parse_socket_name("/" + std::string(106, 'x')).has_value());
    cr_expect(sd_notify::parse_socket_name("@" + std::string(107, 'x')).has_value());
    cr_expect_not(sd_notify::parse_socket_name("@" + std::string(108, 'x')).has_value());
}

Test(sd_notify, watchdog_interval_is_half_the_timeout) {
    const pid_t self = 4242;
    auto every = sd_notify::watchdog_interval("10000000", nullptr, self);
    cr_assert(every.has_value());
    cr_expect_eq(every->count(), 5000000);
    cr_expect_eq(sd_notify::watchdog_interval("10000000", "4242", self)->count(), 5000000);
    cr_expect_eq(sd_notify::watchdog_interval("10000000", "", self)->count(), 5000000);
    cr_expect_not(sd_notify::watchdog_interval("10000000", "4243", self).has_value(),
                  "meant for another process");
    cr_expect_not(sd_notify::watchdog_interval("0", nullptr, self).has_value());
    cr_expect_not(sd_notify::watchdog_interval(nullptr, nullptr, self).has_value());
    cr_expect_not(sd_notify::watchdog_interval("10s", nullptr, self).has_value());
    cr_expect_not(sd_notify::watchdog_interval("-5", nullptr, self).has_value());
    cr_expect_not(sd_notify::watchdog_interval("10000000", "42x", self).has_value());
    cr_expect_eq(sd_notify::watchdog_interval("1", nullptr, self)->count(), 1);
}

Test(sd_notify, without_notify_socket_nothing_is_sent) {
    clear_environment();
    sd_notify::Notifier notifier = sd_notify::Notifier::from_environment();
    cr_expect_not(notifier.enabled());
    cr_expect_not(notifier.watchdog().has_value());
    cr_expect_not(notifier.ready("running"));
    cr_expect_not(notifier.watchdog_ping());
}

Test(sd_notify, messages_on_a_path_socket) {
    clear_environment();
    Listener listener(Listener::path);
    setenv("NOTIFY_SOCKET", listener.name.c_str(), 1);
    setenv("WATCHDOG_USEC", "6000000", 1);
    setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
    sd_notify::Notifier notifier = sd_notify::Notifier::from_environment();
    cr_assert(notifier.enabled());
    cr_assert(notifier.watchdog().has_value());
    cr_expect_eq(notifier.watchdog()->count(), 3000000);
    // Nothing the daemon forks inherits them.
    cr_expect_null(getenv("NOTIFY_SOCKET"));
    cr_expect_null(getenv("WATCHDOG_USEC"));
    cr_expect_null(getenv("WATCHDOG_PID"));

    cr_expect(notifier.ready("running as hakeep-vrrp"));
    cr_expect_eq(listener.receive(), "READY=1\nSTATUS=running as hakeep-vrrp");
    cr_expect(notifier.watchdog_ping());
    cr_expect_eq(listener.receive(), "WATCHDOG=1");
    cr_expect(notifier.reloading());
    const std::string reloading = listener.receive();
    cr_expect(reloading.rfind("RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=", 0) == 0, "%s",
              reloading.c_str());
    const std::string usec = reloading.substr(reloading.rfind('=') + 1);
    cr_expect(!usec.empty() && usec.find_first_not_of("0123456789") == std::string::npos, "%s",
              usec.c_str());
    cr_expect(notifier.stopping());
    cr_expect_eq(listener.receive(), "STOPPING=1\nSTATUS=stopping");
}

Test(sd_notify, messages_on_an_abstract_socket) {
    clear_environment();
    Listener listener(Listener::abstract);
    setenv("NOTIFY_SOCKET", listener.name.c_str(), 1);
    sd_notify::Notifier notifier = sd_notify::Notifier::from_environment();
    cr_assert(notifier.enabled());
    cr_expect_not(notifier.watchdog().has_value(), "no WATCHDOG_USEC, no watchdog");
    cr_expect(notifier.ready("up"));
    cr_expect_eq(listener.receive(), "READY=1\nSTATUS=up");
}

Test(sd_notify, a_vanished_manager_is_not_fatal) {
    clear_environment();
    std::string name;
    {
        Listener listener(Listener::path);
        name = listener.name;
    }
    setenv("NOTIFY_SOCKET", name.c_str(), 1);
    sd_notify::Notifier notifier = sd_notify::Notifier::from_environment();
    cr_assert(notifier.enabled());
    cr_expect_not(notifier.ready("running"));
    cr_expect_not(notifier.watchdog_ping(), "logged once, still no throw");
}

Test(sd_notify, bad_names_disable_notification) {
    clear_environment();
    setenv("NOTIFY_SOCKET", "notify", 1);
    sd_notify::Notifier notifier = sd_notify::Notifier::from_environment();
    cr_expect_not(notifier.enabled());
    cr_expect_null(getenv("NOTIFY_SOCKET"));
}

// In the "sandbox" suite: left out of the ASan run like the other seccomp
// tests. The notifier opened before a daemon's sandbox still works inside it:
// no syscall beyond the daemon's allow-list, or the test dies of SIGSYS.
namespace {

void notify_inside_the_sandbox_of(const DaemonSpec& spec) {
    cr_assert_eq(geteuid(), 0u, "sandbox tests run as root (make check does)");
    clear_environment();
    Listener listener(Listener::abstract);  // no file permissions after the account switch
    setenv("NOTIFY_SOCKET", listener.name.c_str(), 1);
    setenv("WATCHDOG_USEC", "2000000", 1);
    sd_notify::Notifier notifier = sd_notify::Notifier::from_environment();

    sandbox::Policy policy;
    policy.account = sandbox::lookup_account("nobody");
    cr_assert(policy.account.has_value(), "the test needs the 'nobody' account");
    policy.capabilities = spec.capabilities;
    policy.syscalls = sandbox::runtime_syscalls();
    policy.syscalls.insert(policy.syscalls.end(), spec.syscalls->begin(), spec.syscalls->end());
    policy.syscalls.push_back({"poll", "Criterion: reporting to the test runner"});
    policy.syscalls.push_back({"ppoll", "Criterion: reporting to the test runner"});
    sandbox::enter(policy);

    cr_expect(notifier.ready("running as nobody"));
    cr_expect(notifier.watchdog_ping());
    cr_expect(notifier.reloading());
    cr_expect(notifier.stopping());
    cr_expect_eq(listener.receive(), "READY=1\nSTATUS=running as nobody");
    cr_expect_eq(listener.receive(), "WATCHDOG=1");
    cr_expect(listener.receive().rfind("RELOADING=1\n", 0) == 0);
    cr_expect_eq(listener.receive(), "STOPPING=1\nSTATUS=stopping");
}

}  // namespace

Test(sandbox, sd_notify_inside_vrrpd) {
    notify_inside_the_sandbox_of(vrrpd::vrrpd_spec());
}
Test(sandbox, sd_notify_inside_ipvsd) {
    notify_inside_the_sandbox_of(ipvsd::ipvsd_spec());
}
Test(sandbox, sd_notify_inside_checkd) {
    notify_inside_the_sandbox_of(checkd::checkd_spec());
}
