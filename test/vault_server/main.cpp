// test-vault: a Vault-compatible server for the infralogs tests and demo (docs/vault.md).
// Wiring only: options -> CoreOptions -> Core + VaultHttpServer -> run until SIGTERM/SIGINT.

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "core.h"
#include "http_frontend.h"
#include "infralogs/core/log.h"

namespace {

using namespace infralogs;
using namespace infralogs::vaultd;

constexpr const char* kComponent = "test-vault";

struct Options {
  std::string listen = "127.0.0.1:8200";
  std::string port_file;
  std::string root_token_file;
  std::string unseal_key_file;
  std::string tls_cert, tls_key;
  int tick_ms = 100;
};

bool read_secret_file(const std::string& path, std::string* out, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = path + ": cannot read";
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  *out = trim(ss.str());
  if (out->empty()) {
    *error = path + ": empty";
    return false;
  }
  return true;
}

// Writes the port to `path` through a temporary file and rename, so a reader never sees a
// partial number.
bool write_port_file(const std::string& path, int port) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

int run(const Options& o) {
  CoreOptions core_options;
  std::string error;
  if (!read_secret_file(o.root_token_file, &core_options.root_token, &error)) {
    std::fprintf(stderr, "test-vault: --root-token-file %s\n", error.c_str());
    return 2;
  }
  if (!o.unseal_key_file.empty() &&
      !read_secret_file(o.unseal_key_file, &core_options.unseal_key, &error)) {
    std::fprintf(stderr, "test-vault: --unseal-key-file %s\n", error.c_str());
    return 2;
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    std::fprintf(stderr, "test-vault: --tls-cert and --tls-key go together\n");
    return 2;
  }
  size_t colon = o.listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    try {
      port = std::stoi(o.listen.substr(colon + 1));
    } catch (const std::exception&) {
      port = -1;
    }
  }
  if (colon == std::string::npos || port < 0 || port > 65535) {
    std::fprintf(stderr, "test-vault: --listen %s: want HOST:PORT\n", o.listen.c_str());
    return 2;
  }
  std::string host = o.listen.substr(0, colon);
  core_options.tick = std::chrono::milliseconds(o.tick_ms);

  // Signals go to one thread that stops the server; every other thread blocks them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Core core(core_options);
  auto server = VaultHttpServer::create(core, o.tls_cert, o.tls_key);
  if (!server) {
    std::fprintf(stderr, "test-vault: %s\n", server.status().message().c_str());
    return 2;
  }
  int bound = port == 0 ? (*server)->bind_to_any_port(host)
                        : ((*server)->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    std::fprintf(stderr, "test-vault: cannot listen on %s\n", o.listen.c_str());
    return 1;
  }
  if (!o.port_file.empty() && !write_port_file(o.port_file, bound)) {
    std::fprintf(stderr, "test-vault: --port-file %s: cannot write\n", o.port_file.c_str());
    return 1;
  }
  core.start();
  httplib::Server* raw = server->get();
  std::atomic<bool> signalled{false}, exiting{false};
  std::thread signals([&] {
    int sig = 0;
    sigwait(&set, &sig);
    if (exiting) return;  // main's wake-up after the server stopped on its own
    signalled = true;
    log::info(kComponent, "stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    // A signal that comes before the accept loop runs must still stop it.
    while (!raw->is_running() && !exiting) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    raw->stop();
  });
  log::info(kComponent, "listening",
            {{"listen", host + ":" + std::to_string(bound)},
             {"port", bound},
             {"tls", !o.tls_cert.empty()}});
  bool ok = (*server)->listen_after_bind();
  exiting = true;
  core.stop();
  // Wakes the signal thread if no signal came (it has returned otherwise).
  pthread_kill(signals.native_handle(), SIGTERM);
  signals.join();
  if (!ok && !signalled) {
    log::error(kComponent, "the HTTP server stopped with an error");
    return 1;
  }
  log::info(kComponent, "stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "test-vault: a Vault-compatible server for the infralogs tests and demo. It keeps its "
      "state in memory and runs the database engine's SQL on a real MariaDB. See "
      "docs/vault.md."};
  app.add_option("--listen", o.listen, "HOST:PORT to listen on; port 0 picks a free port")
      ->capture_default_str();
  app.add_option("--port-file", o.port_file,
                 "Write the bound port to this file once listening (for --listen HOST:0)");
  app.add_option("--root-token-file", o.root_token_file,
                 "File holding the root token (read once at start)")
      ->required();
  app.add_option("--unseal-key-file", o.unseal_key_file,
                 "File holding the key sys/unseal accepts; without it sys/unseal refuses every "
                 "key and only POST /_test/unseal unseals");
  app.add_option("--tls-cert", o.tls_cert, "PEM certificate chain: serve HTTPS only");
  app.add_option("--tls-key", o.tls_key, "PEM private key for --tls-cert");
  app.add_option("--tick-ms", o.tick_ms,
                 "How often expired tokens and leases are revoked and due static roles rotated")
      ->capture_default_str()
      ->check(CLI::Range(10, 60000));
  app.add_option_function<std::string>(
      "--log-level",
      [](const std::string& v) {
        log::Level level;
        if (!log::parse_level(v, &level)) {
          throw CLI::ValidationError("--log-level", "want debug, info, warn or error");
        }
        log::set_min_level(level);
      },
      "Least severe log level written: debug, info, warn, error (default info). Logs are JSON "
      "lines on stderr and never hold tokens, passwords, secret IDs or JWTs.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return run(o);
}
