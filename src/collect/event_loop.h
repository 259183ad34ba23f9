// A minimal poll(2) loop: file descriptors with callbacks. The recorder's tick timer, the
// launcher's signalfd and stdout pipe, and (later) allocation-event streams from the
// preload library or eBPF all plug in here, so the collector does not care where events
// come from.
#pragma once

#include <functional>
#include <vector>

#include "base/status.h"

namespace leakscope::collect {

class EventLoop {
 public:
  using Callback = std::function<void(short revents)>;
  // Watches `fd` for `events` (POLLIN...). The fd stays owned by the caller.
  void watch(int fd, short events, Callback cb);
  void unwatch(int fd);
  // Runs until stop() is called. Returns an error only if poll itself fails.
  Status run();
  void stop() { running_ = false; }
  bool running() const { return running_; }

 private:
  struct Watch {
    int fd;
    short events;
    Callback cb;
    bool removed = false;
  };
  std::vector<Watch> watches_;
  bool running_ = false;
};

}  // namespace leakscope::collect
