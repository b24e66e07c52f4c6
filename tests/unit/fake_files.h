// An in-memory FileSource for configuration tests: paths to texts, with
// include patterns matched by fnmatch(3) as glob(3) would.
#pragma once

#include <fnmatch.h>

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"

namespace hakeep::config {

class FakeFiles final : public FileSource {
public:
    FakeFiles() = default;
    explicit FakeFiles(std::initializer_list<std::pair<const std::string, std::string>> files)
        : files_(files) {}

    void add(const std::string& path, const std::string& text) { files_[path] = text; }

    std::optional<std::string> read(const std::string& path) override {
        const auto found = files_.find(path);
        if (found == files_.end()) return std::nullopt;
        return found->second;
    }
    std::vector<std::string> expand(const std::string& pattern) override {
        patterns.push_back(pattern);
        std::vector<std::string> paths;
        for (const auto& file : files_)
            if (::fnmatch(pattern.c_str(), file.first.c_str(), FNM_PATHNAME) == 0)
                paths.push_back(file.first);
        return paths;
    }

    std::vector<std::string> patterns;  // what the parser asked to expand

private:
    std::map<std::string, std::string> files_;
};

}  // namespace hakeep::config
