#include "common/global_defs.h"

namespace hakeep {

const config::Schema& global_defs_schema() {
    using config::KeywordSpec;
    static const config::Schema schema{{
        {"vrrpd_user", KeywordSpec{1, 1}},
        {"ipvsd_user", KeywordSpec{1, 1}},
        {"checkd_user", KeywordSpec{1, 1}},
        {"admin_group", KeywordSpec{1, 1}},
        {"reader_group", KeywordSpec{1, 1}},
        {"peer_stale_timeout", KeywordSpec{1, 1}},
        {"router_id", KeywordSpec{1, 1}},
    }};
    return schema;
}

GlobalDefs read_global_defs(const std::vector<config::ConfigNode>& top) {
    GlobalDefs defs;
    for (const config::ConfigNode& block : top) {
        if (block.keyword.text != "global_defs") continue;
        for (const config::ConfigNode& node : block.children) {
            const std::string& key = node.keyword.text;
            if (key == "vrrpd_user") defs.accounts.vrrpd_user = node.string_arg();
            else if (key == "ipvsd_user") defs.accounts.ipvsd_user = node.string_arg();
            else if (key == "checkd_user") defs.accounts.checkd_user = node.string_arg();
            else if (key == "admin_group") defs.accounts.admin_group = node.string_arg();
            else if (key == "reader_group") defs.accounts.reader_group = node.string_arg();
            else if (key == "router_id") defs.router_id = node.string_arg();
            else if (key == "peer_stale_timeout")
                defs.peer_stale_timeout = std::chrono::milliseconds(node.fixed_arg(0, 3, 1000, 3600000));
        }
    }
    return defs;
}

}  // namespace hakeep
