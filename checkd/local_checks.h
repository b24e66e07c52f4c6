// The checkers of the script worker: MISC_CHECK and vrrp_script run a
// program; FILE_CHECK reads a number from a file.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "checkd/attempt.h"

namespace hakeep::checkd {

std::unique_ptr<Attempt> start_local_check(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done);
std::unique_ptr<Attempt> start_script_check(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done);

// keepalived's enable_script_security, always on: empty if `path` may be
// run by `uid`, else what is wrong and how to fix it. The script and every
// directory above it must belong to root or `uid`, and be writable by no
// one else (a directory writable by all is accepted only with its sticky bit).
std::string script_security_problem(const std::string& path, uid_t uid);

// FILE_CHECK's verdict on a file's text (`missing`: no such file, read as 0).
struct FileVerdict {
    bool ok = false;
    std::string reason;
    std::optional<int> weight;
};
FileVerdict judge_file_value(const std::string& text, bool missing, const proto::CheckerSpec& spec);

}  // namespace hakeep::checkd
