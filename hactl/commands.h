// hactl's commands; each prints its result and returns the exit status.
#pragma once

#include "hactl/options.h"

namespace hakeep::hactl {

int command_status(const Options& options);
int command_reload(const Options& options);
int command_ipvs(const Options& options);
int command_drain(const Options& options);
int command_undrain(const Options& options);
int command_checks(const Options& options);
int command_vrrp(const Options& options);
int command_resign(const Options& options);
int command_set_priority(const Options& options);
int command_import_keepalived(const Options& options);
int command_metrics(const Options& options);
int command_explain(const Options& options);

}  // namespace hakeep::hactl
