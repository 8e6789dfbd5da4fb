#pragma once
// What an exception that escaped a handler says, for the log and the actor's last error.
#include <exception>
#include <string>

namespace herald {

inline std::string exception_text(const std::exception_ptr& eptr) {
  try {
    std::rethrow_exception(eptr);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
  }
  return "unknown exception";
}

} // namespace herald
