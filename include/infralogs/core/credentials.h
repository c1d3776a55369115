#pragma once
// Database credentials. The password never leaves through formatting: to_string() and
// operator<< print the user name and "***".

#include <ostream>
#include <string>

namespace infralogs {

struct Credentials {
  std::string username;
  std::string password;  // secret

  std::string to_string() const { return username + ":***"; }
  bool operator==(const Credentials&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Credentials& c) {
  return os << c.to_string();
}

}  // namespace infralogs
