#pragma once
// What the network offers the actor runtime: its io_context's threads. The
// server (net/) sees only this; asio_coordinator.hpp implements it with CAF,
// so no networking file includes CAF.
#include <cstddef>

namespace boost::asio {
class io_context;
}

namespace herald {

class io_lender {
public:
  virtual ~io_lender() = default;
  // From now on actors run on `ioc`'s threads (at most `threads` at once).
  virtual void lend(boost::asio::io_context& ioc, size_t threads) = 0;
  // Back on the runtime's own thread; returns once no actor runs on the lent
  // io_context any more and none waits there.
  virtual void take_back() = 0;
};

} // namespace herald
