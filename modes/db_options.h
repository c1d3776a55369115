#pragma once
// The MySQL TLS flags of every mode that connects to MariaDB (docs/modes.md "Credential flags").

#include <CLI/CLI.hpp>
#include <string>

#include "infralogs/core/status.h"
#include "infralogs/storage/mariadb_options.h"

namespace infralogs::modes {

struct DbTlsFlags {
  std::string ca;    // --db-tls-ca
  std::string cert;  // --db-tls-cert
  std::string key;   // --db-tls-key
};

// Registers --db-tls-ca (env INFRALOGS_DB_TLS_CA), --db-tls-cert and --db-tls-key (env
// INFRALOGS_DB_TLS_CERT, INFRALOGS_DB_TLS_KEY) in the group "Database". `flags` must outlive
// the parse.
void add_db_tls_options(CLI::App* sub, DbTlsFlags* flags);

// Copies the flags into `options` and checks that they go together (kInvalidArgument naming
// the flag: a usage error).
Status apply_db_tls(const DbTlsFlags& flags, storage::MariaDbConnectionOptions* options);

}  // namespace infralogs::modes
