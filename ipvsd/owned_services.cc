#include "ipvsd/owned_services.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <variant>

namespace hakeep::ipvsd {
namespace {

constexpr const char* directory_name = "ipvsd";
constexpr const char* file_name = "owned-services";
constexpr const char* temporary_name = "owned-services.new";
// A service line is at most "SCTP " + an IPv6 address (45) + " 65535".
constexpr std::size_t longest_line = 128;
// 64 bytes a line: a million services, far more than any kernel table.
constexpr off_t largest_file = 64 * 1024 * 1024;

// The file's own spelling, both ways; fixed by its version, whatever the logs say.
struct ProtocolWord {
    std::uint16_t number;
    std::string_view word;
};
constexpr ProtocolWord protocol_words[] = {
    {IPPROTO_TCP, "TCP"}, {IPPROTO_UDP, "UDP"}, {IPPROTO_SCTP, "SCTP"}};

std::string_view protocol_word(std::uint16_t protocol) {
    for (const ProtocolWord& entry : protocol_words)
        if (entry.number == protocol) return entry.word;
    return {};
}

std::optional<std::uint16_t> protocol_number(std::string_view word) {
    for (const ProtocolWord& entry : protocol_words)
        if (entry.word == word) return entry.number;
    return std::nullopt;
}

// Decimal digits only (no sign, no space, no hex), at most `maximum`.
std::optional<std::uint64_t> number(std::string_view text, std::uint64_t maximum) {
    if (text.empty() || text.size() > 10) return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (value > maximum) return std::nullopt;
    return value;
}

std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> found;
    std::size_t at = 0;
    while (at < line.size() && found.size() <= 3) {
        const std::size_t start = line.find_first_not_of(" \t", at);
        if (start == std::string_view::npos) break;
        const std::size_t end = std::min(line.find_first_of(" \t", start), line.size());
        found.push_back(line.substr(start, end - start));
        at = end;
    }
    return found;
}

// One service line, or why it is not one.
std::variant<ServiceKey, std::string> parse_line(std::string_view line) {
    const std::vector<std::string_view> word = words(line);
    if (word.size() != 3)
        return std::string("expected PROTOCOL ADDRESS PORT or FWM MARK IPv4|IPv6");
    ServiceKey key;
    if (word[0] == "FWM") {
        const auto mark = number(word[1], 0xffffffffu);
        if (!mark || *mark == 0)
            return std::string("firewall mark is not a number from 1 to 4294967295");
        if (word[2] != "IPv4" && word[2] != "IPv6")
            return std::string("family is not IPv4 or IPv6");
        key.family = word[2] == "IPv6" ? AF_INET6 : AF_INET;
        key.protocol = 0;
        key.fwmark = static_cast<std::uint32_t>(*mark);
        return key;
    }
    const auto protocol = protocol_number(word[0]);
    if (!protocol) return std::string("protocol is not TCP, UDP, SCTP or FWM");
    // inet_pton would stop at a NUL inside the word and accept what precedes it.
    const bool address_characters =
        word[1].find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
    const auto address = address_characters ? Address::parse(std::string(word[1])) : std::nullopt;
    if (!address) return std::string("not an IPv4 or IPv6 address");
    const auto port = number(word[2], 65535);
    if (!port) return std::string("port is not a number from 0 to 65535");
    key.family = address->family;
    key.protocol = *protocol;
    key.address = *address;
    key.port = static_cast<std::uint16_t>(*port);
    return key;
}

std::string failure(const std::string& what, const std::string& path) {
    return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

std::string format_owned_services(const std::set<ServiceKey>& services) {
    std::string text(owned_services_header);
    text += '\n';
    for (const ServiceKey& key : services) {
        if (key.fwmark != 0) {
            text += "FWM " + std::to_string(key.fwmark) +
                    (key.family == AF_INET6 ? " IPv6\n" : " IPv4\n");
            continue;
        }
        const std::string_view protocol = protocol_word(key.protocol);
        if (protocol.empty()) continue;  // no such service in the kernel's IPVS
        text += std::string(protocol) + " " + key.address.to_string() + " " +
                std::to_string(key.port) + "\n";
    }
    return text;
}

OwnedServicesParse parse_owned_services(std::string_view text, const std::string& file_name) {
    OwnedServicesParse parsed;
    std::size_t line_number = 0;
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t end = std::min(text.find('\n', at), text.size());
        const std::string_view line = text.substr(at, end - at);
        at = end + 1;
        ++line_number;
        const std::string where = file_name + ":" + std::to_string(line_number) + ": ";
        if (line_number == 1) {
            if (line == owned_services_header) continue;
            parsed.errors.push_back(
                where + "not ipvsd's list of owned services (the first line is not '" +
                std::string(owned_services_header) + "'): ignored, nothing in it is deleted");
            return parsed;
        }
        if (line.empty() || line.front() == '#') continue;
        if (line.size() > longest_line) {
            parsed.errors.push_back(where + "line longer than " + std::to_string(longest_line) +
                                    " characters: ignored");
            continue;
        }
        auto result = parse_line(line);
        if (auto* key = std::get_if<ServiceKey>(&result))
            parsed.services.insert(*key);
        else
            parsed.errors.push_back(where + std::get<std::string>(result) + ": line ignored");
    }
    if (line_number == 0)
        parsed.errors.push_back(file_name + ":1: empty, not even the header line: ignored");
    return parsed;
}

std::set<ServiceKey> owned_services(const Table& desired, const Table& kernel,
                                    const std::set<ServiceKey>& released) {
    std::set<ServiceKey> owned;
    for (const auto& [key, ignored] : kernel)
        if (desired.contains(key) || released.contains(key)) owned.insert(owned.end(), key);
    return owned;
}

OwnedServicesFile OwnedServicesFile::open(const std::string& socket_dir, uid_t owner, gid_t group) {
    const std::string path = socket_dir + "/" + directory_name;
    UniqueFd parent(::open(socket_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!parent) throw std::runtime_error(failure("cannot open", socket_dir));
    const bool made = ::mkdirat(parent.get(), directory_name, 0700) == 0;
    if (!made && errno != EEXIST) throw std::runtime_error(failure("cannot create", path));
    // O_NOFOLLOW: a symbolic link planted there is refused, not followed.
    UniqueFd directory(
        ::openat(parent.get(), directory_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!directory)
        throw std::runtime_error(failure("cannot open", path) + " (it must be a directory)");
    if (made && ::geteuid() == 0 && ::fchown(directory.get(), owner, group) != 0)
        throw std::runtime_error(failure("cannot give the account", path));
    struct stat info {};
    if (::fstat(directory.get(), &info) != 0)
        throw std::runtime_error(failure("cannot stat", path));
    if (info.st_uid != owner || (info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
        throw std::runtime_error(path + " must belong to uid " + std::to_string(owner) +
                                 " (ipvsd's account) and be writable by it alone; it has uid " +
                                 std::to_string(info.st_uid) + ", mode " + mode);
    }
    return OwnedServicesFile(std::move(directory), path + "/" + file_name);
}

OwnedServicesFile::Loaded OwnedServicesFile::load() const {
    Loaded loaded;
    UniqueFd file(
        ::openat(directory_.get(), file_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!file) {
        if (errno == ENOENT)
            loaded.missing = true;
        else
            loaded.parse.errors.push_back(failure("cannot open", path_) +
                                          ": nothing in it is deleted");
        return loaded;
    }
    struct stat info {};
    if (::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode) || info.st_size > largest_file) {
        loaded.parse.errors.push_back(path_ + ": not a regular file of at most " +
                                      std::to_string(largest_file) +
                                      " bytes: nothing in it is deleted");
        return loaded;
    }
    std::string text(static_cast<std::size_t>(info.st_size), '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        const ssize_t n = ::read(file.get(), text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            loaded.parse.errors.push_back(failure("cannot read", path_) +
                                          ": nothing in it is deleted");
            return loaded;
        }
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    text.resize(got);
    loaded.parse = parse_owned_services(text, path_);
    return loaded;
}

std::string OwnedServicesFile::save(const std::set<ServiceKey>& services) const {
    const std::string text = format_owned_services(services);
    const std::string temporary = path_ + ".new";
    UniqueFd file(::openat(directory_.get(), temporary_name,
                           O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!file) return failure("cannot create", temporary);
    std::size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(file.get(), text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return failure("cannot write", temporary);
        written += static_cast<std::size_t>(n);
    }
    // No fsync: the file describes the kernel's IPVS table, which does not
    // outlive a crash of the machine either.
    if (::close(file.release()) != 0) return failure("cannot write", temporary);
    if (::renameat(directory_.get(), temporary_name, directory_.get(), file_name) != 0)
        return failure("cannot rename " + temporary + " to", path_);
    return {};
}

}  // namespace hakeep::ipvsd
