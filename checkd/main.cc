// checkd: the health-check engine. No capabilities at all. See checkd(8);
// the start-up order is common/daemon.cc's.
#include "checkd/checkd.h"

int main(int argc, char** argv) {
    hakeep::checkd::Checkd daemon;
    return hakeep::run_daemon(hakeep::checkd::checkd_spec(), daemon, argc, argv);
}
