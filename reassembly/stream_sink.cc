#include "reassembly/stream_sink.h"

namespace tcpfollow {

const char* CloseReasonName(CloseReason r) {
  switch (r) {
    case CloseReason::kFin: return "fin";
    case CloseReason::kRst: return "rst";
    case CloseReason::kIdleTimeout: return "idle_timeout";
    case CloseReason::kEndOfInput: return "end_of_input";
    case CloseReason::kEvicted: return "evicted";
    case CloseReason::kPortReuse: return "port_reuse";
  }
  return "unknown";
}

}  // namespace tcpfollow
