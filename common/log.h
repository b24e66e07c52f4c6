// Logging to stderr (journald picks it up) or syslog (-s), with levels.
// printf-style so that the compiler checks every format string.
#pragma once

#include <string_view>

namespace hakeep::log {

enum class Level { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

// Called once by the daemon start-up; before that, messages go to stderr at info.
void init(std::string_view program, bool use_syslog, bool verbose);
bool verbose();

void write(Level level, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace hakeep::log

#define HK_LOG_ERROR(...) ::hakeep::log::write(::hakeep::log::Level::error, __VA_ARGS__)
#define HK_LOG_WARNING(...) ::hakeep::log::write(::hakeep::log::Level::warning, __VA_ARGS__)
#define HK_LOG_NOTICE(...) ::hakeep::log::write(::hakeep::log::Level::notice, __VA_ARGS__)
#define HK_LOG_INFO(...) ::hakeep::log::write(::hakeep::log::Level::info, __VA_ARGS__)
#define HK_LOG_DEBUG(...) ::hakeep::log::write(::hakeep::log::Level::debug, __VA_ARGS__)
