#pragma once
// Mailbox elements for a fan-out. Each points at the one message that every
// session of a drain shares. A used element goes back, from whichever
// thread let go of it, onto a lock-free stack that the next fan-out takes
// elements from: a drain to thousands of sessions allocates nothing in the
// steady state, and reuses elements that are likely still in the cache
// (malloc handed them out from its arenas' bins and consolidated those bins
// whenever a large allocation came along).
//
// Elements waiting for reuse stay allocated until trimmed: the registry keeps
// one per session once no drain is in flight, so a burst (up to sessions ×
// delivery.batches_in_flight elements at once) leaves nothing extra behind.
#include <caf/mailbox_element.hpp>

#include <cstddef>

namespace herald {

// An asynchronous message without a sender holding `msg`.
caf::mailbox_element_ptr make_fanout_element(caf::message msg);

// Frees the calling thread's waiting elements beyond `keep` (those given
// back by other threads included). Call on the thread that makes elements.
void trim_fanout_elements(size_t keep);

// Elements allocated so far (reused ones are not counted again).
size_t fanout_elements_allocated();

} // namespace herald
