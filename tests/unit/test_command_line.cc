// The daemons' shared command line (DESIGN.md §4) and hactl's.
#include <criterion/criterion.h>

#include <map>
#include <string>
#include <vector>

#include "common/command_line.h"
#include "common/daemon.h"
#include "hactl/commands.h"
#include "hactl/options.h"

using namespace hakeep;

namespace {

struct Argv {
    explicit Argv(std::vector<std::string> words) : storage(std::move(words)) {
        for (std::string& word : storage) pointers.push_back(word.data());
        pointers.push_back(nullptr);
    }
    int argc() const { return static_cast<int>(storage.size()); }
    char** argv() { return pointers.data(); }
    std::vector<std::string> storage;
    std::vector<char*> pointers;
};

std::variant<DaemonOptions, CommandLineExit> parse(std::vector<std::string> words) {
    Argv args(std::move(words));
    return parse_daemon_command_line("vrrpd", args.argc(), args.argv());
}

}  // namespace

Test(command_line, defaults) {
    auto parsed = parse({"vrrpd"});
    const auto& options = std::get<DaemonOptions>(parsed);
    cr_expect_str_eq(options.config_file.c_str(), "/etc/hakeep/vrrpd.conf");
    cr_expect_str_eq(options.socket_dir.c_str(), "/run/hakeep");
    cr_expect_not(options.user.has_value());
    cr_expect_not(options.check_only || options.use_syslog || options.verbose ||
                  options.seccomp_log);
}

Test(command_line, every_option) {
    auto parsed = parse({"vrrpd", "-f", "/tmp/x.conf", "--socket-dir", "/tmp/s", "--user",
                         "nobody", "-t", "-s", "-v", "--seccomp-log"});
    const auto& options = std::get<DaemonOptions>(parsed);
    cr_expect_str_eq(options.config_file.c_str(), "/tmp/x.conf");
    cr_expect_str_eq(options.socket_dir.c_str(), "/tmp/s");
    const std::string user = options.user.value_or("");
    cr_expect_str_eq(user.c_str(), "nobody");
    cr_expect(options.check_only && options.use_syslog && options.verbose && options.seccomp_log);
}

Test(command_line, equals_form) {
    auto parsed = parse({"vrrpd", "--socket-dir=/tmp/s", "--user=nobody", "--config-file=/c"});
    const auto& options = std::get<DaemonOptions>(parsed);
    cr_expect_str_eq(options.socket_dir.c_str(), "/tmp/s");
    const std::string user = options.user.value_or("");
    cr_expect_str_eq(user.c_str(), "nobody");
    cr_expect_str_eq(options.config_file.c_str(), "/c");
}

Test(command_line, version_exits_zero) {
    auto parsed = parse({"vrrpd", "--version"});
    const auto& exit = std::get<CommandLineExit>(parsed);
    cr_expect_eq(exit.status, 0);
    cr_expect(exit.output.find("vrrpd (hakeep) " HAKEEP_VERSION) == 0, "%s", exit.output.c_str());
}

Test(command_line, usage_errors_exit_two) {
    const std::vector<std::vector<std::string>> cases = {
        {"vrrpd", "--bogus"}, {"vrrpd", "-f"}, {"vrrpd", "--user"},
        {"vrrpd", "--user="}, {"vrrpd", "extra"}, {"vrrpd", "--socket-dir"},
        {"vrrpd", "-t=1"},
    };
    for (const auto& words : cases) {
        auto parsed = parse(words);
        cr_assert(std::holds_alternative<CommandLineExit>(parsed), "%s accepted", words.back().c_str());
        const auto& exit = std::get<CommandLineExit>(parsed);
        cr_expect_eq(exit.status, 2, "%s", words.back().c_str());
        cr_expect(exit.output.find("usage: vrrpd") != std::string::npos);
    }
}

Test(command_line, hactl_options) {
    Argv args({"hactl", "--socket-dir", "/tmp/s", "--json", "reload", "vrrpd"});
    auto parsed = hactl::parse_options(args.argc(), args.argv());
    const auto& options = std::get<hactl::Options>(parsed);
    cr_expect_str_eq(options.socket_dir.c_str(), "/tmp/s");
    cr_expect(options.json);
    cr_expect_str_eq(options.command.c_str(), "reload");
    cr_assert_eq(options.args.size(), 1u);
    cr_expect_str_eq(options.args[0].c_str(), "vrrpd");
}

Test(command_line, hactl_usage_errors_exit_two) {
    for (const std::vector<std::string>& words :
         {std::vector<std::string>{"hactl"}, {"hactl", "--json"}, {"hactl", "--nope", "status"},
          {"hactl", "--socket-dir"}}) {
        Argv args(words);
        auto parsed = hactl::parse_options(args.argc(), args.argv());
        cr_assert(std::holds_alternative<hactl::UsageExit>(parsed));
        cr_expect_eq(std::get<hactl::UsageExit>(parsed).status, 2);
    }
}

namespace {

// A status with `config` in config_summary and `counters` in counters.
proto::StatusReply status_of(const std::map<std::string, std::string>& config,
                             const std::map<std::string, std::string>& counters = {}) {
    proto::StatusReply reply;
    reply.mutable_config_summary()->insert(config.begin(), config.end());
    reply.mutable_counters()->insert(counters.begin(), counters.end());
    return reply;
}

}  // namespace

// hactl set-priority's VALUE: a plain decimal number; vrrpd judges the range.
Test(command_line, hactl_count_argument) {
    cr_expect_eq(hactl::parse_count("150"), std::optional<std::uint32_t>(150));
    cr_expect_eq(hactl::parse_count("0"), std::optional<std::uint32_t>(0));
    cr_expect_eq(hactl::parse_count("300"), std::optional<std::uint32_t>(300), "out of 1..254: vrrpd says so");
    cr_expect_eq(hactl::parse_count("4294967295"), std::optional<std::uint32_t>(4294967295u));
    for (const char* bad : {"", "-1", "+5", " 5", "5 ", "1e2", "0x10", "15O", "4294967296", "99999999999999999999"})
        cr_expect_not(hactl::parse_count(bad).has_value(), "'%s' is not a count", bad);
}

// Usage errors exit 2 before any daemon is asked.
Test(command_line, hactl_set_priority_usage) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{}, {"VI_1"}, {"VI_1", "high"}, {"VI_1", "-5"}, {"VI_1", "150", "extra"}}) {
        hactl::Options options;
        options.command = "set-priority";
        options.args = args;
        options.socket_dir = "/nonexistent";
        cr_expect_eq(hactl::command_set_priority(options), 2, "%zu arguments", args.size());
    }
}

// hactl reload's one line: what the reload changed in the daemon's summary.
Test(reload_report, summary_changes_in_one_line) {
    const proto::StatusReply before = status_of({{"instances", "2"}, {"sync_groups", "0"}, {"vrrp_scripts", "1"}});
    const proto::StatusReply after = status_of({{"instances", "1"}, {"vips", "3"}, {"vrrp_scripts", "1"}});
    const std::vector<std::string> changes = summary_changes(before, after);
    cr_assert_eq(changes.size(), 3u);
    const std::string line = reload_message("vrrpd", "/etc/hakeep/vrrpd.conf", changes);
    cr_expect_str_eq(line.c_str(), "vrrpd: configuration reloaded from /etc/hakeep/vrrpd.conf: "
                                   "instances 2 -> 1, vips 3 (new), sync_groups gone (was 0)");
    const std::string same = reload_message("checkd", "c.conf", summary_changes(before, before));
    cr_expect_str_eq(same.c_str(), "checkd: configuration reloaded from c.conf: the same counts as before");
}

// Counters of what happens (checks run, heap, workers) move between the two
// looks of a reload: whatever their names, they are never reported; a count
// of the configuration that moved beside them is.
Test(reload_report, counters_are_not_configuration) {
    const proto::StatusReply running =
        status_of({{"checks", "2"}, {"probes", "2"}}, {{"runs", "10"}, {"heap_in_use_kb", "133"}, {"workers", "1"}});
    const proto::StatusReply later =
        status_of({{"checks", "2"}, {"probes", "2"}}, {{"runs", "15"}, {"heap_in_use_kb", "134"}, {"new_counter", "1"}});
    cr_expect(summary_changes(running, later).empty(), "a counter reported as a change of the configuration");
    const proto::StatusReply reloaded =
        status_of({{"checks", "3"}, {"probes", "2"}}, {{"runs", "16"}, {"heap_in_use_kb", "140"}});
    const std::vector<std::string> changes = summary_changes(running, reloaded);
    cr_assert_eq(changes.size(), 1u, "changes: %zu", changes.size());
    cr_expect_str_eq(changes[0].c_str(), "checks 2 -> 3");
    // The same name in both maps: only the configuration's counts.
    const proto::StatusReply both_before = status_of({{"instances", "1"}}, {{"instances", "7"}});
    const proto::StatusReply both_after = status_of({{"instances", "1"}}, {{"instances", "9"}});
    cr_expect(summary_changes(both_before, both_after).empty(), "a counter named like a count reported");
}
