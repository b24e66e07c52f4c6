// hactl import-keepalived FILE --out DIR: reads FILE and its includes, opens
// the three outputs, confines itself, then translates and writes.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "common/unique_fd.h"
#include "hactl/commands.h"
#include "hactl/import_keepalived.h"
#include "hactl/query.h"

namespace hakeep::hactl {
namespace {

bool write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t count = ::write(fd, text.data() + done, text.size() - done);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) return false;
        done += static_cast<std::size_t>(count);
    }
    return true;
}

}  // namespace

int command_import_keepalived(const Options& options) {
    std::string input, out_dir;
    for (std::size_t index = 0; index < options.args.size(); ++index) {
        const std::string& arg = options.args[index];
        if (arg == "--out" && index + 1 < options.args.size()) out_dir = options.args[++index];
        else if (arg.starts_with("--out=")) out_dir = arg.substr(6);
        else if (input.empty() && !arg.starts_with("-")) input = arg;
        else {
            std::fprintf(stderr, "hactl: import-keepalived: unexpected '%s'\n", arg.c_str());
            return 2;
        }
    }
    if (input.empty() || out_dir.empty()) {
        std::fprintf(stderr, "usage: hactl import-keepalived KEEPALIVED.CONF --out DIR\n");
        return 2;
    }
    config::ParsedConfig parsed;
    try {
        config::DiskFileSource files;
        parsed = config::parse_file(input, keepalived_schema(), files);
    } catch (const config::ConfigError& error) {
        std::fprintf(stderr, "%s\n", error.what());
        return 2;
    }
    if (::mkdir(out_dir.c_str(), 0750) != 0 && errno != EEXIST) {
        std::fprintf(stderr, "hactl: import-keepalived: %s: %s\n", out_dir.c_str(), std::strerror(errno));
        return 2;
    }
    const UniqueFd dir(::open(out_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) {
        std::fprintf(stderr, "hactl: import-keepalived: %s: %s\n", out_dir.c_str(), std::strerror(errno));
        return 2;
    }
    const char* const names[] = {"vrrpd.conf", "ipvsd.conf", "checkd.conf"};
    UniqueFd outputs[3];
    for (int index = 0; index < 3; ++index) {
        outputs[index] = UniqueFd(::openat(dir.get(), names[index],
                                           O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640));
        if (!outputs[index]) {
            std::fprintf(stderr, "hactl: import-keepalived: %s/%s: %s\n", out_dir.c_str(), names[index],
                         std::strerror(errno));
            return 2;
        }
    }
    confine();  // from here on: no file is opened
    const ImportedConfigs imported = import_keepalived(parsed.statements, input);
    const std::string* texts[] = {&imported.vrrpd_conf, &imported.ipvsd_conf, &imported.checkd_conf};
    for (int index = 0; index < 3; ++index)
        if (!write_all(outputs[index].get(), *texts[index])) {
            std::fprintf(stderr, "hactl: import-keepalived: %s/%s: %s\n", out_dir.c_str(), names[index],
                         std::strerror(errno));
            return 2;
        }
    for (const Untranslatable& item : imported.refused) std::fprintf(stderr, "%s\n", item.to_string().c_str());
    return imported.refused.empty() ? 0 : 1;
}

}  // namespace hakeep::hactl
