#pragma once
// Mailbox elements for a fan-out. Each points at the one message that every
// session of a drain shares. A used element goes back, from whichever
// thread let go of it, onto a lock-free stack that the next fan-out takes
// elements from: a drain to thousands of sessions allocates nothing in the
// steady state, and reuses elements that are likely still in the cache
// (malloc handed them out from its arenas' bins and consolidated those bins
// whenever a large allocation came along).
//
// Elements waiting for reuse stay allocated until trimmed: once the registry
// has been idle a moment it frees all but one per session, a slice at a time
// (freeing a burst's peak, up to sessions × delivery.batches_in_flight
// elements, at once would hold its thread for milliseconds).
#include <caf/mailbox_element.hpp>

#include <cstddef>
#include <cstdint>

namespace herald {

// An asynchronous message without a sender holding `msg`.
caf::mailbox_element_ptr make_fanout_element(caf::message msg);

// Frees up to `at_most` waiting elements (this thread's, and those given
// back by other threads) while more than `keep` elements exist in all; true
// when more could be freed. Call on the thread that makes elements.
bool trim_fanout_elements(size_t keep, size_t at_most = SIZE_MAX);

// Elements allocated so far (reused ones are not counted again).
size_t fanout_elements_allocated();

// Elements that exist now: in mailboxes or waiting for reuse.
size_t fanout_elements_alive();

} // namespace herald
