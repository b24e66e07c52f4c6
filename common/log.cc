#include "common/log.h"

#include <syslog.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <string>

namespace hakeep::log {
namespace {

struct Settings {
    std::string program = "hakeep";
    bool use_syslog = false;
    bool verbose = false;
};

Settings& settings() {
    static Settings instance;
    return instance;
}

const char* level_name(Level level) {
    switch (level) {
    case Level::error: return "error";
    case Level::warning: return "warning";
    case Level::notice: return "notice";
    case Level::info: return "info";
    case Level::debug: return "debug";
    }
    return "?";
}

}  // namespace

void init(std::string_view program, bool use_syslog, bool verbose_logging) {
    Settings& s = settings();
    s.program = std::string(program);
    s.use_syslog = use_syslog;
    s.verbose = verbose_logging;
    // LOG_NDELAY: connect to /dev/log now, before the sandbox forbids it.
    if (use_syslog) openlog(s.program.c_str(), LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

bool verbose() { return settings().verbose; }

void write(Level level, const char* format, ...) {
    const Settings& s = settings();
    if (level == Level::debug && !s.verbose) return;
    char message[2048];
    va_list args;
    va_start(args, format);
    std::vsnprintf(message, sizeof message, format, args);
    va_end(args);
    if (s.use_syslog) {
        syslog(static_cast<int>(level), "%s", message);
        return;
    }
    // One write(2) per line so that lines of concurrent processes never interleave.
    char line[2200];
    const int length = std::snprintf(line, sizeof line, "%s[%d]: %s: %s\n", s.program.c_str(),
                                     static_cast<int>(getpid()), level_name(level), message);
    if (length > 0) {
        const auto size = static_cast<std::size_t>(length) < sizeof line
                              ? static_cast<std::size_t>(length)
                              : sizeof line - 1;
        [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, line, size);
    }
}

}  // namespace hakeep::log
