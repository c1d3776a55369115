#include "sigbus.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>

namespace infralogs::journal {
namespace {

thread_local uint64_t t_faults = 0;
std::atomic<uint64_t> g_faults{0};
std::once_flag g_installed;

void restore_default_and_return() {
  // Returning with the default action re-executes the access, which faults again and now
  // terminates the process with SIGBUS, exactly as without this handler.
  struct sigaction sa = {};
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, nullptr);
}

// Async-signal-safe: sysconf, mmap and sigaction are, and the counters are lock-free.
void on_sigbus(int, siginfo_t* info, void*) {
  if (info == nullptr || info->si_code != BUS_ADRERR || info->si_addr == nullptr) {
    restore_default_and_return();
    return;
  }
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) page = 4096;
  uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr) & ~(static_cast<uintptr_t>(page) - 1);
  void* p = mmap(reinterpret_cast<void*>(addr), static_cast<size_t>(page), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (p == MAP_FAILED) {
    restore_default_and_return();
    return;
  }
  ++t_faults;
  g_faults.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

void install_sigbus_handler() {
  std::call_once(g_installed, [] {
    struct sigaction sa = {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, nullptr);
  });
}

uint64_t sigbus_faults_on_this_thread() { return t_faults; }

uint64_t sigbus_faults_total() { return g_faults.load(std::memory_order_relaxed); }

}  // namespace infralogs::journal
