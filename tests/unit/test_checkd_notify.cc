// Notify scripts: what checkd takes from vrrpd.conf, and what it runs for
// each VrrpEvent, in order, with keepalived's arguments.
#include <criterion/criterion.h>

#include <string>

#include "checkd/config.h"
#include "checkd/notify.h"
#include "tests/unit/fake_files.h"
#include "tests/unit/expect_text.h"

using namespace hakeep;

namespace {

const char* vrrpd_conf = R"(global_defs {
    router_id lb1
}
vrrp_script chk { script "/bin/true" }
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        192.0.2.10/24 dev eth0
    }
    track_script {
        chk
    }
    notify_master "/etc/hakeep/master.sh up"
    notify_backup /etc/hakeep/backup.sh
    notify_stop /etc/hakeep/stop.sh
    notify /etc/hakeep/notify.sh
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    notify_fault /etc/hakeep/fault2.sh
}
vrrp_sync_group G1 {
    group {
        VI_2
    }
    notify /etc/hakeep/group.sh
}
)";

checkd::VrrpNotifyConfig load() {
    config::FakeFiles files{{"/v.conf", vrrpd_conf}};
    return checkd::load_vrrp_notify("/v.conf", files);
}

proto::VrrpEvent event(const std::string& instance, const std::string& group, proto::VrrpState state,
                       unsigned priority) {
    proto::VrrpEvent result;
    result.set_instance(instance);
    result.set_group(group);
    result.set_state(state);
    result.set_priority(priority);
    return result;
}

std::string joined(const std::vector<checkd::Command>& commands) {
    std::string text;
    for (const checkd::Command& command : commands) {
        for (const std::string& word : command) text += word + " ";
        text += "| ";
    }
    return text;
}

}  // namespace

Test(checkd_notify, extracts_instance_and_group_scripts) {
    const checkd::VrrpNotifyConfig config = load();
    cr_expect(config.found);
    cr_assert_eq(config.instances.count("VI_1"), 1u);
    const checkd::NotifyScripts& vi1 = config.instances.at("VI_1");
    cr_assert_eq(vi1.master.size(), 2u);
    cr_expect_str_eq(vi1.master[0].c_str(), "/etc/hakeep/master.sh");
    cr_expect_str_eq(vi1.master[1].c_str(), "up");
    cr_expect_str_eq(vi1.backup.at(0).c_str(), "/etc/hakeep/backup.sh");
    cr_expect_str_eq(vi1.stop.at(0).c_str(), "/etc/hakeep/stop.sh");
    cr_expect(vi1.fault.empty());
    cr_expect_eq(config.instances.count("VI_2"), 1u);
    cr_assert_eq(config.groups.count("G1"), 1u);
    cr_expect_str_eq(config.groups.at("G1").notify.at(0).c_str(), "/etc/hakeep/group.sh");
}

Test(checkd_notify, missing_file_is_no_scripts) {
    config::FakeFiles files;
    const checkd::VrrpNotifyConfig config = checkd::load_vrrp_notify("/absent.conf", files);
    cr_expect(!config.found);
    cr_expect(config.instances.empty());
    cr_expect(config.groups.empty());
}

Test(checkd_notify, master_then_notify_with_keepalived_arguments) {
    const auto commands = checkd::notify_commands(load(), event("VI_1", "", proto::VRRP_STATE_MASTER, 100));
    EXPECT_TEXT(joined(commands),
                     "/etc/hakeep/master.sh up | /etc/hakeep/notify.sh INSTANCE VI_1 MASTER 100 | ");
}

Test(checkd_notify, each_state_its_script) {
    const auto config = load();
    EXPECT_TEXT(joined(checkd::notify_commands(config, event("VI_1", "", proto::VRRP_STATE_BACKUP, 90))),
                     "/etc/hakeep/backup.sh | /etc/hakeep/notify.sh INSTANCE VI_1 BACKUP 90 | ");
    EXPECT_TEXT(joined(checkd::notify_commands(config, event("VI_1", "", proto::VRRP_STATE_STOP, 0))),
                     "/etc/hakeep/stop.sh | /etc/hakeep/notify.sh INSTANCE VI_1 STOP 0 | ");
    // No notify_fault: only notify.
    EXPECT_TEXT(joined(checkd::notify_commands(config, event("VI_1", "", proto::VRRP_STATE_FAULT, 100))),
                     "/etc/hakeep/notify.sh INSTANCE VI_1 FAULT 100 | ");
    cr_expect(checkd::notify_commands(config, event("VI_1", "", proto::VRRP_STATE_INIT, 100)).empty());
    cr_expect(checkd::notify_commands(config, event("VI_9", "", proto::VRRP_STATE_MASTER, 100)).empty());
}

Test(checkd_notify, group_scripts_when_the_group_has_some) {
    const auto config = load();
    EXPECT_TEXT(joined(checkd::notify_commands(config, event("VI_2", "G1", proto::VRRP_STATE_MASTER, 50))),
                     "/etc/hakeep/group.sh GROUP G1 MASTER 50 | ");
    EXPECT_TEXT(checkd::notify_key(config, event("VI_2", "G1", proto::VRRP_STATE_MASTER, 50)), "GROUP G1");
    // A group without scripts: the instance's own.
    EXPECT_TEXT(joined(checkd::notify_commands(config, event("VI_1", "G9", proto::VRRP_STATE_MASTER, 100))),
                     "/etc/hakeep/master.sh up | /etc/hakeep/notify.sh INSTANCE VI_1 MASTER 100 | ");
    EXPECT_TEXT(checkd::notify_key(config, event("VI_1", "G9", proto::VRRP_STATE_MASTER, 100)),
                     "INSTANCE VI_1");
}

Test(checkd_notify, vrrpd_config_keyword) {
    config::FakeFiles files{{"/c.conf", "global_defs {\n vrrpd_config /srv/vrrpd.conf\n}\n"},
                            {"/d.conf", "global_defs {\n}\n"}};
    EXPECT_TEXT(checkd::load_checkd_config("/c.conf", files).vrrpd_config, "/srv/vrrpd.conf");
    EXPECT_TEXT(checkd::load_checkd_config("/d.conf", files).vrrpd_config, "/etc/hakeep/vrrpd.conf");
}

namespace {
class Unreadable final : public config::FileSource {
public:
    std::optional<std::string> read(const std::string&) override { return std::nullopt; }
    std::vector<std::string> expand(const std::string&) override { return {}; }
    std::string last_error() const override { return "Permission denied"; }
};
}  // namespace

Test(checkd_notify, unreadable_file_is_an_error) {
    Unreadable files;
    cr_expect_throw(checkd::load_vrrp_notify("/v.conf", files), config::ConfigError);
}
