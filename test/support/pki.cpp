#include "support/pki.h"

#include <catch2/catch.hpp>
#include <vector>

#include "support/process.h"

namespace infralogs::test {
namespace {

void openssl(std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  CommandResult r = run(args);
  INFO("openssl " << args[1] << ": " << r.err);
  REQUIRE(r.exit_code == 0);
}

}  // namespace

Pki::Pki() {
  ca_ = {dir_.file("ca.pem"), dir_.file("ca.key")};
  openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_.key, "-out", ca_.cert,
           "-days", "2", "-subj", "/CN=infralogs test CA"});
  dir_.write("san.ext", "subjectAltName=IP:127.0.0.1\n");
}

CertificateFiles Pki::issue(const std::string& name) {
  CertificateFiles f{dir_.file(name + ".pem"), dir_.file(name + ".key")};
  std::string csr = dir_.file(name + ".csr");
  openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", f.key, "-out", csr, "-subj",
           "/CN=" + name});
  openssl({"x509", "-req", "-in", csr, "-CA", ca_.cert, "-CAkey", ca_.key, "-CAcreateserial",
           "-out", f.cert, "-days", "2", "-extfile", dir_.file("san.ext")});
  return f;
}

}  // namespace infralogs::test
