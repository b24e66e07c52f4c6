// vrrpd: the VRRP election daemon. Keeps CAP_NET_RAW and CAP_NET_ADMIN only.
// See vrrpd(8); the start-up order is common/daemon.cc's.
#include "vrrpd/vrrpd.h"

int main(int argc, char** argv) {
    hakeep::vrrpd::Vrrpd daemon;
    return hakeep::run_daemon(hakeep::vrrpd::vrrpd_spec(), daemon, argc, argv);
}
