// ipvsd's list of owned services (ipvsd/owned_services.h): the pure format
// and parse (hostile input included), the file in a real directory, and the
// daemon releasing, after a restart, what it owned and no longer declares.
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ipvsd/ipvsd.h"
#include "ipvsd/owned_services.h"
#include "tests/unit/expect_text.h"
#include "tests/unit/fake_files.h"
#include "tests/unit/fake_kernel.h"

using namespace hakeep;
using namespace hakeep::ipvsd;

namespace {

ServiceKey service(std::uint16_t protocol, const char* address, std::uint16_t port) {
    ServiceKey key;
    key.address = *Address::parse(address);
    key.family = key.address.family;
    key.protocol = protocol;
    key.port = port;
    return key;
}

ServiceKey fwmark(std::uint32_t mark, int family) {
    ServiceKey key;
    key.family = family;
    key.protocol = 0;
    key.fwmark = mark;
    return key;
}

// A fresh directory standing for the socket directory, removed at the end.
struct TempDir {
    std::string path;
    TempDir() {
        char pattern[] = "/tmp/hk-owned.XXXXXX";
        cr_assert_not_null(mkdtemp(pattern));
        path = pattern;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string read(const std::string& name) const {
        std::ifstream in(path + "/" + name);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }
    void write(const std::string& name, const std::string& text) const {
        std::ofstream(path + "/" + name) << text;
    }
};

OwnedServicesFile open_in(const TempDir& dir) {
    return OwnedServicesFile::open(dir.path, geteuid(), getegid());
}

}  // namespace

Test(owned_services, format_lists_every_kind_of_service) {
    const std::set<ServiceKey> services = {service(IPPROTO_TCP, "192.0.2.100", 80),
                                           service(IPPROTO_UDP, "2001:db8::1", 53),
                                           service(IPPROTO_SCTP, "198.51.100.7", 0),
                                           fwmark(7, AF_INET), fwmark(4294967295u, AF_INET6)};
    EXPECT_TEXT(format_owned_services(services),
                "hakeep-ipvsd-owned-services 1\n"
                "FWM 7 IPv4\n"
                "TCP 192.0.2.100 80\n"
                "SCTP 198.51.100.7 0\n"
                "FWM 4294967295 IPv6\n"
                "UDP 2001:db8::1 53\n");
    const OwnedServicesParse parsed = parse_owned_services(format_owned_services(services), "f");
    cr_expect(parsed.errors.empty());
    cr_expect(parsed.services == services, "format then parse gives the same set back");
}

Test(owned_services, empty_set_is_the_header_alone) {
    EXPECT_TEXT(format_owned_services({}), "hakeep-ipvsd-owned-services 1\n");
    const OwnedServicesParse parsed = parse_owned_services("hakeep-ipvsd-owned-services 1\n", "f");
    cr_expect(parsed.errors.empty());
    cr_expect(parsed.services.empty());
}

Test(owned_services, comments_blank_lines_and_spacing) {
    const OwnedServicesParse parsed = parse_owned_services(
        "hakeep-ipvsd-owned-services 1\n# written by hand\n\n  TCP\t192.0.2.1   8080  \nFWM 3 IPv6",
        "f");
    cr_expect(parsed.errors.empty());
    cr_expect(parsed.services ==
              std::set<ServiceKey>({service(IPPROTO_TCP, "192.0.2.1", 8080), fwmark(3, AF_INET6)}));
}

Test(owned_services, wrong_header_ignores_the_whole_file) {
    for (const char* text : {"hakeep-ipvsd-owned-services 2\nTCP 192.0.2.1 80\n",  // a newer format
                             "TCP 192.0.2.1 80\n", "\nTCP 192.0.2.1 80\n",
                             "hakeep-ipvsd-owned-services 1 \nTCP 192.0.2.1 80\n"}) {
        const OwnedServicesParse parsed =
            parse_owned_services(text, "/run/hakeep/ipvsd/owned-services");
        cr_expect(parsed.services.empty(), "nothing of a file without the header is owned: %s",
                  text);
        cr_assert_eq(parsed.errors.size(), 1u);
        cr_expect(
            parsed.errors[0].starts_with("/run/hakeep/ipvsd/owned-services:1: not ipvsd's list"),
            "%s", parsed.errors[0].c_str());
    }
    const OwnedServicesParse empty = parse_owned_services("", "f");
    cr_expect(empty.services.empty());
    cr_assert_eq(empty.errors.size(), 1u);
    cr_expect(empty.errors[0].starts_with("f:1: empty"), "%s", empty.errors[0].c_str());
}

Test(owned_services, hostile_lines_are_reported_and_ignored) {
    std::string text = "hakeep-ipvsd-owned-services 1\n";
    const std::vector<std::pair<std::string, const char*>> bad = {
        {"TCP 192.0.2.1", "expected PROTOCOL ADDRESS PORT"},
        {"TCP 192.0.2.1 80 extra", "expected PROTOCOL ADDRESS PORT"},
        {"tcp 192.0.2.1 80", "protocol is not"},
        {"ICMP 192.0.2.1 80", "protocol is not"},
        {"TCP 192.0.2.256 80", "not an IPv4 or IPv6 address"},
        {"TCP 192.0.2.1/24 80", "not an IPv4 or IPv6 address"},
        {"TCP example.org 80", "not an IPv4 or IPv6 address"},
        {"TCP 192.0.2.1 65536", "port is not"},
        {"TCP 192.0.2.1 +80", "port is not"},
        {"TCP 192.0.2.1 0x50", "port is not"},
        {"TCP 192.0.2.1 -1", "port is not"},
        {"TCP 192.0.2.1 80\r", "port is not"},
        {"TCP 192.0.2.1 99999999999999999999", "port is not"},
        {"FWM 0 IPv4", "firewall mark"},
        {"FWM 4294967296 IPv4", "firewall mark"},
        {"FWM 7 IPv5", "family is not"},
        {"FWM 7", "expected PROTOCOL ADDRESS PORT"},
        {std::string("TCP 192.0.2.1\0 80", 17), "not an IPv4 or IPv6 address"},
        {std::string(4000, 'A'), "longer than 128"},
        {"\xff\xfe\x01", "expected PROTOCOL ADDRESS PORT"},
    };
    for (std::size_t index = 0; index < bad.size(); ++index) {
        text += bad[index].first + "\n";
        if (index == 3) text += "UDP 198.51.100.9 53\n";  // a good line among the bad
    }
    text += "TCP 203.0.113.5 443";  // the last line, without its newline
    const OwnedServicesParse parsed = parse_owned_services(text, "state");
    cr_expect(parsed.services == std::set<ServiceKey>({service(IPPROTO_UDP, "198.51.100.9", 53),
                                                       service(IPPROTO_TCP, "203.0.113.5", 443)}),
              "the good lines are kept, nothing of the bad ones");
    cr_assert_eq(parsed.errors.size(), bad.size());
    for (std::size_t index = 0; index < bad.size(); ++index) {
        // Line 1 is the header; the good line follows the fourth bad one.
        const std::size_t line = index + 2 + (index > 3 ? 1 : 0);
        const std::string prefix = "state:" + std::to_string(line) + ": ";
        cr_expect(parsed.errors[index].starts_with(prefix), "%s (expected %s)",
                  parsed.errors[index].c_str(), prefix.c_str());
        cr_expect(parsed.errors[index].find(bad[index].second) != std::string::npos,
                  "%s: expected '%s'", parsed.errors[index].c_str(), bad[index].second);
        cr_expect(parsed.errors[index].find('\0') == std::string::npos);
    }
}

Test(owned_services, owned_are_declared_or_released_and_present) {
    const ServiceKey declared = service(IPPROTO_TCP, "192.0.2.100", 80);
    const ServiceKey declared_absent = service(IPPROTO_TCP, "192.0.2.101", 80);
    const ServiceKey released = service(IPPROTO_TCP, "192.0.2.102", 80);
    const ServiceKey released_gone = service(IPPROTO_TCP, "192.0.2.103", 80);
    const ServiceKey foreign = service(IPPROTO_TCP, "198.51.100.7", 443);
    Table desired;
    desired[declared];
    desired[declared_absent];  // the kernel refused it: not in the kernel, not owned
    Table kernel;
    kernel[declared];
    kernel[released];
    kernel[foreign];
    const std::set<ServiceKey> owned = owned_services(desired, kernel, {released, released_gone});
    cr_expect(owned == std::set<ServiceKey>({declared, released}));
}

Test(owned_services, file_is_made_saved_atomically_and_read_back) {
    TempDir dir;
    OwnedServicesFile file = open_in(dir);
    const std::string expected_path = dir.path + "/ipvsd/owned-services";
    EXPECT_TEXT(file.path(), expected_path.c_str());
    struct stat info {};
    cr_assert_eq(stat((dir.path + "/ipvsd").c_str(), &info), 0);
    cr_expect(S_ISDIR(info.st_mode));
    cr_expect_eq(info.st_mode & 07777, 0700u, "ipvsd's own directory: mode 0700");
    OwnedServicesFile::Loaded loaded = file.load();
    cr_expect(loaded.missing, "no file yet: a first start");
    cr_expect(loaded.parse.errors.empty());
    const std::set<ServiceKey> services = {service(IPPROTO_TCP, "192.0.2.100", 80),
                                           fwmark(9, AF_INET)};
    EXPECT_TEXT(file.save(services), "");
    const std::string expected_text = format_owned_services(services);
    EXPECT_TEXT(dir.read("ipvsd/owned-services"), expected_text.c_str());
    cr_expect_not(std::filesystem::exists(dir.path + "/ipvsd/owned-services.new"),
                  "the temporary file was renamed");
    cr_assert_eq(stat((dir.path + "/ipvsd/owned-services").c_str(), &info), 0);
    cr_expect_eq(info.st_mode & 07777, 0600u);
    loaded = open_in(dir).load();  // a restarted ipvsd
    cr_expect_not(loaded.missing);
    cr_expect(loaded.parse.errors.empty());
    cr_expect(loaded.parse.services == services);
    // A temporary file left by a crash is simply overwritten.
    dir.write("ipvsd/owned-services.new", "garbage");
    EXPECT_TEXT(file.save({}), "");
    EXPECT_TEXT(dir.read("ipvsd/owned-services"), "hakeep-ipvsd-owned-services 1\n");
}

Test(owned_services, planted_links_and_loose_modes_are_refused) {
    TempDir dir;
    std::filesystem::create_directory(dir.path + "/elsewhere");
    std::filesystem::create_directory_symlink(dir.path + "/elsewhere", dir.path + "/ipvsd");
    bool refused = false;
    try {
        open_in(dir);
    } catch (const std::runtime_error& error) {
        refused = std::string(error.what()).find("must be a directory") != std::string::npos;
    }
    cr_expect(refused, "a symbolic link in place of the directory is not followed");
    std::filesystem::remove(dir.path + "/ipvsd");
    cr_assert_eq(mkdir((dir.path + "/ipvsd").c_str(), 0777), 0);
    cr_assert_eq(chmod((dir.path + "/ipvsd").c_str(), 0777), 0);
    refused = false;
    try {
        open_in(dir);
    } catch (const std::runtime_error& error) {
        refused = std::string(error.what()).find("writable by it alone") != std::string::npos;
    }
    cr_expect(refused, "a directory others may write is not trusted");
    cr_assert_eq(chmod((dir.path + "/ipvsd").c_str(), 0700), 0);
    // The list itself a link: not followed, reported, nothing owned.
    dir.write("elsewhere/list", "hakeep-ipvsd-owned-services 1\nTCP 192.0.2.1 80\n");
    std::filesystem::create_symlink(dir.path + "/elsewhere/list",
                                    dir.path + "/ipvsd/owned-services");
    const OwnedServicesFile::Loaded loaded = open_in(dir).load();
    cr_expect_not(loaded.missing);
    cr_expect(loaded.parse.services.empty());
    cr_assert_eq(loaded.parse.errors.size(), 1u);
    cr_expect(loaded.parse.errors[0].find("cannot open") != std::string::npos, "%s",
              loaded.parse.errors[0].c_str());
}

Test(owned_services, made_by_root_for_the_account) {
    cr_assert_eq(geteuid(), 0u, "unit tests run as root (make check does)");
    TempDir dir;
    const auto nobody = sandbox::lookup_account("nobody");
    cr_assert(nobody.has_value());
    OwnedServicesFile::open(dir.path, nobody->uid, nobody->gid);
    struct stat info {};
    cr_assert_eq(stat((dir.path + "/ipvsd").c_str(), &info), 0);
    cr_expect_eq(info.st_uid, nobody->uid,
                 "the directory is the account's, which writes in it once sandboxed");
    cr_expect_eq(info.st_gid, nobody->gid);
}

namespace {

const char* const two_services =
    "virtual_server 192.0.2.100 80 {\n real_server 203.0.113.11 8080 { weight 1 }\n}\n"
    "virtual_server 192.0.2.101 80 {\n real_server 203.0.113.12 8080 { weight 1 }\n}\n";
const char* const one_service =
    "virtual_server 192.0.2.101 80 {\n real_server 203.0.113.12 8080 { weight 1 }\n}\n";

IpvsdConfig parse_config(const std::string& text) {
    config::FakeFiles files{{"/ipvsd.conf", text}};
    return load_ipvsd_config("/ipvsd.conf", files);
}

// One run of ipvsd, from start to its first reconciliation, against a
// kernel table that outlives it; returns the table operations it wrote.
std::vector<Operation> run_ipvsd(const std::string& config, Table& kernel_table,
                                 const TempDir& dir) {
    FakeKernel* kernel = nullptr;
    Ipvsd daemon([&]() -> std::unique_ptr<Kernel> {
        auto created = std::make_unique<FakeKernel>();
        created->table = kernel_table;
        kernel = created.get();
        return created;
    });
    IpvsdConfig parsed = parse_config(config);
    parsed.check_snapshot_wait = std::chrono::seconds(0);
    daemon.adopt_config(std::move(parsed));
    daemon.connect_kernel();  // as open_privileged: the kernel, then the list
    daemon.use_owned_file(open_in(dir));
    daemon.begin();  // the first dump and reconciliation
    cr_assert_not_null(kernel);
    kernel_table = kernel->table;
    return kernel->log;
}

ino_t inode(const std::string& path) {
    struct stat info {};
    cr_assert_eq(stat(path.c_str(), &info), 0, "%s", path.c_str());
    return info.st_ino;
}

}  // namespace

Test(owned_services, restart_releases_what_was_owned_and_no_longer_declared) {
    TempDir dir;
    const std::string list = dir.path + "/ipvsd/owned-services";
    const ServiceKey first = service(IPPROTO_TCP, "192.0.2.100", 80);
    const ServiceKey second = service(IPPROTO_TCP, "192.0.2.101", 80);
    const ServiceKey foreign = service(IPPROTO_TCP, "198.51.100.7", 443);  // ipvsadm's
    Table kernel;
    kernel[foreign].settings.scheduler = "rr";
    kernel[foreign].destinations[DestinationKey{*Address::parse("203.0.113.99"), 443}];

    std::vector<Operation> log = run_ipvsd(two_services, kernel, dir);
    cr_expect_eq(log.size(), 4u, "first start: two services, two destinations");
    EXPECT_TEXT(dir.read("ipvsd/owned-services"),
                "hakeep-ipvsd-owned-services 1\nTCP 192.0.2.100 80\nTCP 192.0.2.101 80\n");

    // Restarted with nothing changed: no operation, the list not rewritten.
    const ino_t before = inode(list);
    log = run_ipvsd(two_services, kernel, dir);
    cr_expect(log.empty(), "a restart with nothing changed writes nothing");
    cr_expect_eq(inode(list), before, "nor does it rewrite the list");

    // Stopped, 192.0.2.100 removed from ipvsd.conf, started again.
    log = run_ipvsd(one_service, kernel, dir);
    cr_assert_eq(log.size(), 2u);
    cr_expect(log[0].kind == Operation::Kind::delete_destination && log[0].service == first,
              "its destination first");
    cr_expect(log[1].kind == Operation::Kind::delete_service && log[1].service == first,
              "then the service");
    cr_expect_not(kernel.contains(first));
    cr_expect(kernel.contains(second));
    cr_expect(kernel.contains(foreign), "never declared: never touched");
    cr_expect_eq(kernel[foreign].destinations.size(), 1u);
    EXPECT_TEXT(dir.read("ipvsd/owned-services"),
                "hakeep-ipvsd-owned-services 1\nTCP 192.0.2.101 80\n");
}

Test(owned_services, restart_after_a_service_went_by_hand_keeps_a_later_foreign_one) {
    TempDir dir;
    const ServiceKey first = service(IPPROTO_TCP, "192.0.2.100", 80);
    Table kernel;
    run_ipvsd(two_services, kernel, dir);
    kernel.erase(first);  // deleted with ipvsadm while ipvsd was stopped
    std::vector<Operation> log = run_ipvsd(one_service, kernel, dir);
    cr_expect(log.empty());
    EXPECT_TEXT(dir.read("ipvsd/owned-services"),
                "hakeep-ipvsd-owned-services 1\nTCP 192.0.2.101 80\n");
}

Test(owned_services, missing_or_damaged_list_deletes_nothing) {
    TempDir dir;
    const ServiceKey first = service(IPPROTO_TCP, "192.0.2.100", 80);
    Table kernel;
    kernel[first].settings.scheduler = "rr";  // there before ipvsd ever ran
    std::vector<Operation> log = run_ipvsd(one_service, kernel, dir);
    cr_expect(kernel.contains(first), "no list (a first start): nothing is released");
    // A damaged list: its bad lines are ignored, its good ones still count.
    dir.write("ipvsd/owned-services",
              "hakeep-ipvsd-owned-services 1\nTCP 192.0.2.100 80 junk\nTCP 192.0.2.101 80\n");
    log = run_ipvsd(one_service, kernel, dir);
    cr_expect(log.empty());
    cr_expect(kernel.contains(first), "a line that does not parse deletes nothing");
    EXPECT_TEXT(dir.read("ipvsd/owned-services"),
                "hakeep-ipvsd-owned-services 1\nTCP 192.0.2.101 80\n");
    // A file of another format: nothing in it is owned.
    dir.write("ipvsd/owned-services", "hakeep-ipvsd-owned-services 9\nTCP 192.0.2.100 80\n");
    log = run_ipvsd(one_service, kernel, dir);
    cr_expect(log.empty());
    cr_expect(kernel.contains(first));
}

Test(owned_services, list_that_cannot_be_written_changes_nothing_else) {
    TempDir dir;
    Table kernel;
    FakeKernel* fake = nullptr;
    Ipvsd daemon([&]() -> std::unique_ptr<Kernel> {
        auto created = std::make_unique<FakeKernel>();
        fake = created.get();
        return created;
    });
    IpvsdConfig parsed = parse_config(two_services);
    parsed.check_snapshot_wait = std::chrono::seconds(0);
    daemon.adopt_config(std::move(parsed));
    daemon.connect_kernel();
    daemon.use_owned_file(open_in(dir));
    // Its directory gone under it (the descriptor stays): every write fails.
    std::filesystem::remove(dir.path + "/ipvsd");
    daemon.begin();
    cr_assert_not_null(fake);
    cr_expect_eq(fake->table.size(), 2u, "the kernel is written all the same");
    cr_expect_eq(daemon.counters().operations_applied, 4u);
    cr_expect_not(std::filesystem::exists(dir.path + "/ipvsd"));
    daemon.adopt_config(parse_config(one_service));
    daemon.reconcile_now();  // a second failing write: logged once, no crash
    cr_expect_eq(fake->table.size(), 1u);
}
