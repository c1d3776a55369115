#pragma once
// SIGBUS from journal files that shrink under a reader.
//
// libsystemd reads journal files through mmap. When a file is truncated (or replaced by a
// shorter one through the same inode) while a session reads it, touching a page past the new
// end raises SIGBUS, whose default action kills the agent and every response in flight.
// journalctl survives this with systemd's src/basic/sigbus.c: the handler maps an anonymous
// zero page over the faulting address, so the read goes on and sees zeros, which libsystemd
// rejects as a damaged object. This is the same handler, plus a per-thread count the session
// checks after each call into libsystemd so the page ends with a clear error instead of
// serving whatever the zeros decoded to.

#include <cstdint>

namespace infralogs::journal {

// Installs the handler once per process (later calls do nothing). A SIGBUS that is not a
// mapped-file access error (si_code other than BUS_ADRERR), or that cannot be remapped, gets
// the default action as before.
void install_sigbus_handler();

// How many SIGBUS faults the handler has absorbed on the calling thread. A synchronous SIGBUS
// is delivered to the thread that faulted, so a session compares this before and after a call.
uint64_t sigbus_faults_on_this_thread();

// Faults absorbed by every thread since the process started (for the agent's metrics).
uint64_t sigbus_faults_total();

}  // namespace infralogs::journal
