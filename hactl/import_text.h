// What the import's translators share: the texts being written, the refusals,
// and keepalived nodes written back out in hakeep's (identical) syntax.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "hactl/import_keepalived.h"

namespace hakeep::hactl::import {

// A vrrp_script's own weight: keepalived applies it to every track_script
// line that gives none; vrrpd needs it on the line (its default is 0).
struct ScriptWeight {
    std::string weight = "0";
    bool reverse = false;
};

struct Translation {
    std::string vrrpd_globals, vrrpd;
    std::string ipvsd_globals, ipvsd;
    std::string checkd_globals, checkd;
    std::vector<Untranslatable> refused;
    std::map<std::string, ScriptWeight> scripts;           // vrrp_script name -> weight
    std::map<std::string, std::string> track_file_paths;   // track_file name -> file
    std::map<std::string, std::string> check_bodies;       // generated check name -> body
    bool skip_check_adv_addr = false;                      // global vrrp_skip_check_adv_addr
    std::map<std::string, config::SourceLocation> defined; // "KIND NAME" -> where

    // False (and refused) when a block of that kind and name came before.
    bool first_definition(const config::ConfigNode& block);

    void refuse(const config::ConfigNode& node, const std::string& reason);
    void refuse(const config::Word& word, const std::string& reason);
};

std::string indent(int depth);
std::string quote(const config::Word& word);
// "keyword arg arg" as written (quoted words quoted again).
std::string words_text(const config::ConfigNode& node);
// The statement and its whole block, at `depth`.
std::string node_text(const config::ConfigNode& node, int depth);
bool in(const std::set<std::string, std::less<>>& set, const std::string& key);

void import_vrrp_instance(Translation& t, const config::ConfigNode& block);
void import_sync_group(Translation& t, const config::ConfigNode& block);
void import_vrrp_script(Translation& t, const config::ConfigNode& block);
void import_track_file(Translation& t, const config::ConfigNode& block);
void import_virtual_server(Translation& t, const config::ConfigNode& block);
void import_virtual_server_group(Translation& t, const config::ConfigNode& block);

}  // namespace hakeep::hactl::import
