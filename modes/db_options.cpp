#include "db_options.h"

namespace infralogs::modes {

void add_db_tls_options(CLI::App* sub, DbTlsFlags* flags) {
  sub->add_option("--db-tls-ca", flags->ca,
                  "CA file (PEM): connect to MySQL over TLS only, verifying the server's "
                  "certificate and host name against it.")
      ->envname("INFRALOGS_DB_TLS_CA")
      ->check(CLI::ExistingFile)
      ->group("Database");
  sub->add_option("--db-tls-cert", flags->cert,
                  "Client certificate (PEM) for servers that want one; with --db-tls-key.")
      ->envname("INFRALOGS_DB_TLS_CERT")
      ->check(CLI::ExistingFile)
      ->group("Database");
  sub->add_option("--db-tls-key", flags->key, "The client certificate's private key (PEM).")
      ->envname("INFRALOGS_DB_TLS_KEY")
      ->check(CLI::ExistingFile)
      ->group("Database");
}

Status apply_db_tls(const DbTlsFlags& flags, storage::MariaDbConnectionOptions* options) {
  options->tls_ca = flags.ca;
  options->tls_cert = flags.cert;
  options->tls_key = flags.key;
  return storage::validate(*options);
}

}  // namespace infralogs::modes
