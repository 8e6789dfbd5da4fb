#pragma once
// How a store keeps a receipt's deliveries as text: "<session> <node> <at ms>"
// (SQLite: one line each; Redis: a hash field per session holding the rest).
#include "persistence/store.hpp"

#include <algorithm>
#include <sstream>

namespace herald::persistence {

// Adds one delivery read back from the store; a session already there, a
// malformed entry or one past receipt_deliveries_max is left out.
inline void add_delivery(receipt_record& out, const std::string& session, const std::string& node,
                         const std::string& at) {
  if (session.empty() || node.empty() || at.empty() || at.size() > 18 ||
      at.find_first_not_of("0123456789") != std::string::npos ||
      out.delivered.size() >= receipt_deliveries_max)
    return;
  if (std::any_of(out.delivered.begin(), out.delivered.end(),
                  [&](auto& d) { return d.session == session; }))
    return;
  out.delivered.push_back({session, node, std::stoll(at)});
}

// Lines of "<session> <node> <at ms>".
inline void add_deliveries(receipt_record& out, const std::string& lines) {
  std::istringstream in(lines);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string session, node, at;
    fields >> session >> node >> at;
    add_delivery(out, session, node, at);
  }
}

} // namespace herald::persistence
