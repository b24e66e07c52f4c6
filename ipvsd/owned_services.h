// The IPVS services ipvsd owns, remembered across restarts: those it declares
// in ipvsd.conf and has in the kernel, and those a reload or restart dropped
// from ipvsd.conf that it has not deleted yet. A restarted ipvsd deletes the
// ones it no longer declares, as a reload would have; a service it never
// owned (added with ipvsadm by someone else) is never in the file.
//
// The file is SOCKET_DIR/ipvsd/owned-services (ipvsd(8), FILES): in the
// runtime directory, so it lives exactly as long as the kernel's IPVS table
// (both are gone after a reboot). One line a service after a header line:
//
//   hakeep-ipvsd-owned-services 1
//   TCP 192.0.2.100 80
//   UDP 2001:db8::1 53
//   FWM 7 IPv4
//
// The file is input like any other: a line that does not parse is reported
// (FILE:LINE: message) and ignored, never guessed at; a file without the
// header is ignored whole. Nothing not listed is ever deleted.
#pragma once

#include <sys/types.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/unique_fd.h"
#include "ipvsd/ipvs_table.h"

namespace hakeep::ipvsd {

inline constexpr std::string_view owned_services_header = "hakeep-ipvsd-owned-services 1";

// Pure: the header, then one line per service in the set's order.
std::string format_owned_services(const std::set<ServiceKey>& services);

struct OwnedServicesParse {
    std::set<ServiceKey> services;
    std::vector<std::string> errors;  // "FILE:LINE: message", in the file's order
};
// Pure: never throws, whatever `text` holds.
OwnedServicesParse parse_owned_services(std::string_view text, const std::string& file_name);

// Pure: the services of `kernel` ipvsd owns after a reconciliation: declared
// (every declared service is a key of `desired`) or released and still there.
std::set<ServiceKey> owned_services(const Table& desired, const Table& kernel,
                                    const std::set<ServiceKey>& released);

// The state file's directory, opened once before the sandbox and used by
// descriptor afterwards (openat, renameat: no path is looked up again).
class OwnedServicesFile {
public:
    // SOCKET_DIR/ipvsd, made mode 0700 if missing and, when running as root,
    // given to `owner` (the account ipvsd is about to become). An existing
    // one must be a directory (not a symbolic link) of `owner` that nobody
    // else may write. Throws std::runtime_error saying what is wrong.
    static OwnedServicesFile open(const std::string& socket_dir, uid_t owner, gid_t group);

    const std::string& path() const { return path_; }
    // `missing`: no file (a first start). Errors of the file itself (too
    // large, unreadable) come back in `parse.errors` with an empty set.
    struct Loaded {
        bool missing = false;
        OwnedServicesParse parse;
    };
    Loaded load() const;
    // Writes a temporary file beside it and renames it over the file: a
    // reader (or a crash) sees the old list or the new one, never half.
    // Returns "" or what failed.
    std::string save(const std::set<ServiceKey>& services) const;

private:
    OwnedServicesFile(UniqueFd directory, std::string path)
        : directory_(std::move(directory)), path_(std::move(path)) {}
    UniqueFd directory_;
    std::string path_;
};

}  // namespace hakeep::ipvsd
