#include "common/check_feed.h"

#include "common/log.h"

#include <memory>
#include <set>

namespace hakeep {

void feed_check_states(ipc::Server& server, EventLoop& loop, CheckStates& states,
                       CheckChangeHandler on_change, CheckFilter filter) {
    auto refused_names = std::make_shared<std::set<std::string>>();
    // Staleness counts from now: a daemon just started has not lost checkd yet.
    states.peer_lost(loop.now());
    server.handle(ipc::Body::kCheckSnapshot,
                  [&loop, &states, on_change, filter](ipc::Connection&, const proto::Envelope& envelope) {
                      proto::CheckSnapshot snapshot = envelope.check_snapshot();
                      if (filter.tracked) {
                          auto* checks = snapshot.mutable_checks();
                          for (int index = checks->size() - 1; index >= 0; --index)
                              if (!filter.tracked(checks->Get(index).name()))
                                  checks->DeleteSubrange(index, 1);
                      }
                      auto changes = states.apply_snapshot(snapshot, loop.now());
                      HK_LOG_DEBUG("check snapshot: %zu checks, %zu changed", states.size(),
                                   changes.size());
                      if (!changes.empty() && on_change) on_change(changes);
                      if (!snapshot.more() && states.snapshot_received() && filter.snapshot_adopted)
                          filter.snapshot_adopted();
                  });
    server.handle(ipc::Body::kCheckEvent, [&loop, &states, on_change, filter, refused_names](
                                              ipc::Connection&, const proto::Envelope& envelope) {
                      const std::string& name = envelope.check_event().name();
                      if (filter.tracked && !filter.tracked(name)) {
                          if (filter.refused) ++*filter.refused;
                          if (refused_names->size() < 1000 && refused_names->insert(name).second)
                              HK_LOG_NOTICE("check event for '%s', which nothing here tracks: "
                                            "refused", name.c_str());
                          return;
                      }
                      auto change = states.apply_event(envelope.check_event(), loop.now());
                      if (change && on_change) on_change({*change});
                  });
    server.add_disconnect_handler([&server, &loop, &states](ipc::Connection& connection) {
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
