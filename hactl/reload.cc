// hactl reload [DAEMON]: each daemon re-reads its configuration and says
// what changed, or why it kept the running one.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "hactl/commands.h"
#include "hactl/json.h"
#include "hactl/query.h"

namespace hakeep::hactl {

int command_reload(const Options& options) {
    std::vector<std::string> targets(options.args.begin(), options.args.end());
    if (targets.empty()) targets.assign(std::begin(daemon_names), std::end(daemon_names));
    proto::Envelope request;
    request.mutable_reload();
    for (const std::string& daemon : targets)
        if (std::find(std::begin(daemon_names), std::end(daemon_names), daemon) == std::end(daemon_names)) {
            std::fprintf(stderr, "hactl: reload: unknown daemon '%s' (vrrpd, ipvsd or checkd)\n", daemon.c_str());
            return 2;
        }
    std::vector<Link> links = connect_all(options.socket_dir, targets);
    confine();
    int status = 0;
    JsonWriter json;
    json.begin_object().key("reload").begin_array();
    for (const Link& link : links) {
        const std::string& daemon = link.daemon;
        Answer answer = ask(link, request);
        const bool ok = answer.reply && answer.reply->has_command_reply() &&
                        answer.reply->command_reply().ok();
        const std::string message = !answer.reply ? answer.problem
                                    : answer.reply->has_command_reply()
                                        ? answer.reply->command_reply().message()
                                        : daemon + ": unexpected reply";
        if (!ok) status = 1;
        json.begin_object().key("name").value(daemon).key("ok").value(ok).key("message").value(message);
        json.key("changes").begin_array();
        if (answer.reply && answer.reply->has_command_reply())
            for (const std::string& change : answer.reply->command_reply().changes()) json.value(change);
        json.end_array().end_object();
        if (!options.json) std::fprintf(ok ? stdout : stderr, "%s%s\n", ok ? "" : "hactl: ", message.c_str());
    }
    json.end_array().end_object();
    if (options.json) std::printf("%s\n", json.text().c_str());
    return status;
}

}  // namespace hakeep::hactl
