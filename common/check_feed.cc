#include "common/check_feed.h"

#include "common/log.h"

namespace hakeep {

void feed_check_states(ipc::Server& server, EventLoop& loop, CheckStates& states,
                       CheckChangeHandler on_change) {
    server.handle(ipc::Body::kCheckSnapshot,
                  [&loop, &states, on_change](ipc::Connection&, const proto::Envelope& envelope) {
                      auto changes = states.apply_snapshot(envelope.check_snapshot(), loop.now());
                      HK_LOG_DEBUG("check snapshot: %zu checks, %zu changed", states.size(),
                                   changes.size());
                      if (!changes.empty() && on_change) on_change(changes);
                  });
    server.handle(ipc::Body::kCheckEvent,
                  [&loop, &states, on_change](ipc::Connection&, const proto::Envelope& envelope) {
                      auto change = states.apply_event(envelope.check_event(), loop.now());
                      if (change && on_change) on_change({*change});
                  });
    server.on_disconnect([&server, &loop, &states](ipc::Connection& connection) {
        // The closing connection is still counted as open here only if it is
        // not this one; another checkd connection keeps the states fresh.
        if ((connection.roles() & ipc::role_checkd) == 0) return;
        if (server.connections_with(ipc::role_checkd) == 0) {
            HK_LOG_NOTICE("checkd went away; keeping its last check states until they go stale");
            states.peer_lost(loop.now());
        }
    });
}

}  // namespace hakeep
