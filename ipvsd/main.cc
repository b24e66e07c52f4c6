// ipvsd: the IPVS writer. Keeps CAP_NET_ADMIN only; writes only the services
// declared in ipvsd.conf. See ipvsd(8); the start-up order is common/daemon.cc's.
#include "ipvsd/ipvsd.h"

int main(int argc, char** argv) {
    hakeep::ipvsd::Ipvsd daemon;
    return hakeep::run_daemon(hakeep::ipvsd::ipvsd_spec(), daemon, argc, argv);
}
