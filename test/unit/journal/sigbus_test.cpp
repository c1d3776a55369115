#include "journal/sigbus.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "support/temp_dir.h"

using namespace infralogs::journal;

namespace {

// A file of `pages` pages, page i filled with the byte 'a' + i, mapped read-only and shared
// as libsystemd maps journal files.
struct MappedFile {
  std::string path;
  int fd = -1;
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t size = 0;
  const volatile unsigned char* map = nullptr;

  MappedFile(const std::string& p, size_t pages) : path(p), size(pages * page) {
    fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    for (size_t i = 0; i < pages; ++i) {
      std::string block(page, static_cast<char>('a' + i));
      REQUIRE(write(fd, block.data(), block.size()) == static_cast<ssize_t>(block.size()));
    }
    void* m = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    REQUIRE(m != MAP_FAILED);
    map = static_cast<const volatile unsigned char*>(m);
  }
  ~MappedFile() {
    munmap(const_cast<unsigned char*>(map), size);
    close(fd);
  }
};

}  // namespace

TEST_CASE("a read past the end of a truncated mapped file sees zeros and is counted",
          "[journal][sigbus]") {
  infralogs::test::TempDir dir;
  MappedFile f(dir.path() + "/shrinks.journal", 3);
  install_sigbus_handler();
  install_sigbus_handler();  // idempotent
  REQUIRE(f.map[0] == 'a');
  REQUIRE(f.map[2 * f.page] == 'c');
  REQUIRE(ftruncate(f.fd, static_cast<off_t>(f.page)) == 0);

  uint64_t before = sigbus_faults_on_this_thread();
  uint64_t total_before = sigbus_faults_total();
  // Without the handler this access kills the test binary with SIGBUS.
  CHECK(f.map[2 * f.page + 7] == 0);
  CHECK(sigbus_faults_on_this_thread() == before + 1);
  CHECK(sigbus_faults_total() == total_before + 1);
  // The page stays replaced: reading it again does not fault again.
  CHECK(f.map[2 * f.page] == 0);
  CHECK(sigbus_faults_on_this_thread() == before + 1);
  // What is still inside the file reads as before.
  CHECK(f.map[5] == 'a');
}

TEST_CASE("a SIGBUS is counted on the thread that faulted only", "[journal][sigbus]") {
  infralogs::test::TempDir dir;
  MappedFile f(dir.path() + "/shrinks.journal", 2);
  install_sigbus_handler();
  REQUIRE(ftruncate(f.fd, 0) == 0);
  uint64_t mine = sigbus_faults_on_this_thread();
  uint64_t theirs_before = 0, theirs_after = 0;
  unsigned char seen = 1;
  std::thread t([&] {
    theirs_before = sigbus_faults_on_this_thread();
    seen = f.map[f.page];
    theirs_after = sigbus_faults_on_this_thread();
  });
  t.join();
  CHECK(seen == 0);
  CHECK(theirs_after == theirs_before + 1);
  CHECK(sigbus_faults_on_this_thread() == mine);
}
