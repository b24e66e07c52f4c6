// hactl import-keepalived: one keepalived.conf in, vrrpd.conf, ipvsd.conf and
// checkd.conf out. The translator is pure: a parsed keepalived tree in, three
// texts and the list of what it could not translate out. See hactl(8), IMPORT.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"

namespace hakeep::hactl {

// One keepalived statement hakeep cannot express; the import exits 1.
struct Untranslatable {
    config::SourceLocation where;
    std::string keyword;
    std::string reason;
    std::string to_string() const;  // "FILE:LINE:COL: cannot translate KEYWORD: reason"
};

struct ImportedConfigs {
    std::string vrrpd_conf;
    std::string ipvsd_conf;
    std::string checkd_conf;
    std::vector<Untranslatable> refused;  // in the order of the input
};

// keepalived's syntax read without a keyword table: every statement is kept
// with its words to the end of the line and its block, includes followed.
const config::Schema& keepalived_schema();

// `source` names the input in the header comment of each output.
ImportedConfigs import_keepalived(const std::vector<config::ConfigNode>& statements,
                                  const std::string& source);

}  // namespace hakeep::hactl
