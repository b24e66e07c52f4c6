// FILE_CHECK: the operator's drain switch. The file holds a number: without
// `weight`, 0 is UP and anything else DOWN; with `weight W [reverse]`, the
// value times W (times -W) is negative for DOWN, and with `dynamic` it is
// the real server's weight. A missing file reads as 0.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>

#include "checkd/local_checks.h"

namespace hakeep::checkd {
namespace {

class FileCheck final : public Attempt {
public:
    FileCheck(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done) : Attempt(loop, std::move(done)) {
        // A regular file, read at once: 64 bytes hold any number.
        UniqueFd file(open(spec.file_path().c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
        FileVerdict verdict;
        if (!file && errno == ENOENT) {
            verdict = judge_file_value("", true, spec);
        } else if (!file) {
            verdict = FileVerdict{false, std::string("file: cannot read: ") + std::strerror(errno), std::nullopt};
        } else {
            char buffer[64];
            const ssize_t size = read(file.get(), buffer, sizeof buffer);
            verdict = size < 0 ? FileVerdict{false, std::string("file: cannot read: ") + std::strerror(errno), std::nullopt}
                               : judge_file_value(std::string(buffer, static_cast<std::size_t>(size)), false, spec);
        }
        soon_ = loop.schedule(Duration::zero(), [this, verdict] { finish(AttemptResult{verdict.ok, verdict.reason, verdict.weight}); });
    }
    ~FileCheck() override { loop_.cancel(soon_); }

private:
    EventLoop::TimerId soon_;
};

}  // namespace

std::unique_ptr<Attempt> start_local_check(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done) {
    if (spec.type() == "FILE_CHECK") return std::make_unique<FileCheck>(loop, spec, std::move(done));
    return start_script_check(loop, spec, std::move(done));
}

FileVerdict judge_file_value(const std::string& text, bool missing, const proto::CheckerSpec& spec) {
    long long value = 0;
    if (!missing) {
        std::size_t start = text.find_first_not_of(" \t\r\n");
        std::size_t end = text.find_last_not_of(" \t\r\n");
        if (start == std::string::npos) start = end = 0;
        const std::string number = text.empty() || start > end ? "0" : text.substr(start, end - start + 1);
        const auto [ptr, error] = std::from_chars(number.data(), number.data() + number.size(), value);
        if (error != std::errc() || ptr != number.data() + number.size() ||
            value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max())
            return FileVerdict{false, "file: not a number", std::nullopt};
    }
    if (spec.file_weight() == 0) {
        if (value != 0) return FileVerdict{false, "file: value " + std::to_string(value), std::nullopt};
        return FileVerdict{true, "", std::nullopt};
    }
    const long long result = value * spec.file_weight();
    const int clamped = static_cast<int>(std::clamp<long long>(result, -2147483647, 2147483647));
    std::optional<int> weight;
    if (spec.file_dynamic()) weight = clamped;
    if (result < 0) return FileVerdict{false, "file: weight " + std::to_string(result), weight};
    return FileVerdict{true, "", weight};
}

}  // namespace hakeep::checkd
