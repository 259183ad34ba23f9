// poll(2)-based event loop; see event_loop.h.
#include "collect/event_loop.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>

namespace leakscope::collect {

void EventLoop::watch(int fd, short events, Callback cb) {
  watches_.push_back({fd, events, std::move(cb)});
}

void EventLoop::unwatch(int fd) {
  for (auto& w : watches_)
    if (w.fd == fd) w.removed = true;
}

Status EventLoop::run() {
  running_ = true;
  std::vector<pollfd> fds;
  while (running_) {
    watches_.erase(std::remove_if(watches_.begin(), watches_.end(),
                                  [](const Watch& w) { return w.removed; }),
                   watches_.end());
    fds.clear();
    for (const auto& w : watches_) fds.push_back({w.fd, w.events, 0});
    int n = ::poll(fds.data(), fds.size(), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status(errno, "poll failed");
    }
    size_t count = fds.size();
    for (size_t i = 0; i < count && running_; ++i) {
      if (fds[i].revents == 0 || watches_[i].removed) continue;
      // Copy: a callback may add watches and reallocate the vector.
      Callback cb = watches_[i].cb;
      cb(fds[i].revents);
    }
  }
  return Status::ok();
}

}  // namespace leakscope::collect
