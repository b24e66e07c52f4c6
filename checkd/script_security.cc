#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "checkd/local_checks.h"

namespace hakeep::checkd {
namespace {

std::string problem_of(const std::string& path, const struct stat& info, uid_t uid, bool directory) {
    if (info.st_uid != 0 && info.st_uid != uid)
        return path + " belongs to uid " + std::to_string(info.st_uid) + " (fix: chown root " + path + ")";
    const bool sticky_directory = directory && (info.st_mode & S_ISVTX);
    if ((info.st_mode & S_IWOTH) && !sticky_directory)
        return path + " is writable by everyone (fix: chmod o-w " + path + ")";
    if ((info.st_mode & S_IWGRP) && info.st_gid != 0 && !sticky_directory)
        return path + " is writable by group " + std::to_string(info.st_gid) + " (fix: chmod g-w " + path + ")";
    return "";
}

}  // namespace

std::string script_security_problem(const std::string& path, uid_t uid) {
    // The file that will really run: symbolic links resolved, each step checked.
    char resolved[PATH_MAX];
    if (realpath(path.c_str(), resolved) == nullptr) return path + ": " + std::strerror(errno);
    const std::string real = resolved;
    struct stat info{};
    if (stat(real.c_str(), &info) != 0) return real + ": " + std::strerror(errno);
    if (!S_ISREG(info.st_mode)) return real + " is not a regular file";
    if (std::string problem = problem_of(real, info, uid, false); !problem.empty()) return problem;
    for (std::size_t slash = real.rfind('/'); slash != std::string::npos; slash = real.rfind('/', slash - 1)) {
        const std::string directory = slash == 0 ? "/" : real.substr(0, slash);
        if (stat(directory.c_str(), &info) != 0) return directory + ": " + std::strerror(errno);
        if (std::string problem = problem_of(directory, info, uid, true); !problem.empty()) return problem;
        if (slash == 0) break;
    }
    return "";
}

}  // namespace hakeep::checkd
