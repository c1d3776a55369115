#pragma once
// A throwaway certificate authority for TLS tests, made with the openssl command line.

#include <string>

#include "support/temp_dir.h"

namespace infralogs::test {

// PEM file paths of a certificate and its unencrypted private key.
struct CertificateFiles {
  std::string cert;
  std::string key;
};

// A CA (RSA 2048, valid 2 days) whose files live in the Pki's own TempDir, removed with it.
// Not thread-safe.
class Pki {
 public:
  // Creates the CA; fails the test if openssl fails.
  Pki();
  Pki(const Pki&) = delete;
  Pki& operator=(const Pki&) = delete;

  // The CA certificate, for --tls-client-ca, ca_file and set_ca_cert_path.
  const std::string& ca_cert() const { return ca_.cert; }
  // A certificate for CN=`name` signed by the CA, with subjectAltName IP:127.0.0.1 so that it
  // serves as a loopback server's certificate as well as a client's. `name` must be a plain
  // file name; issuing the same name twice replaces the files.
  CertificateFiles issue(const std::string& name);

 private:
  TempDir dir_;
  CertificateFiles ca_;
};

}  // namespace infralogs::test
