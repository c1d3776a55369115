// Unit tests of test-vault's helpers: Vault's duration formats, TTL field parsing, username
// templates, DSNs and JWT verification failures.

#include "util.h"

#include <catch2/catch.hpp>
#include <regex>

#include "jwt.h"
#include "mysql_client.h"
#include "username_template.h"

namespace infralogs::vaultd {

TEST_CASE("durations print as Go and as Vault's humanDuration", "[vault][util]") {
  CHECK(go_duration(0) == "0s");
  CHECK(go_duration(45) == "45s");
  CHECK(go_duration(1022) == "17m2s");
  CHECK(go_duration(3600) == "1h0m0s");
  CHECK(go_duration(60) == "1m0s");
  CHECK(human_duration(3600) == "1h");
  CHECK(human_duration(60) == "1m");
  CHECK(human_duration(1022) == "17m2s");
  CHECK(human_duration(4200) == "1h10m");
  CHECK(human_duration(3601) == "1h1s");  // as Vault: "h0m" is cut anywhere
  CHECK(human_duration(768 * 3600) == "768h");
  CHECK(human_duration(0) == "0s");
}

TEST_CASE("duration fields take seconds or Go durations", "[vault][util]") {
  CHECK(*parse_duration(nlohmann::json(3600)) == 3600);
  CHECK(*parse_duration(nlohmann::json("3600")) == 3600);
  CHECK(*parse_duration(nlohmann::json("1h")) == 3600);
  CHECK(*parse_duration(nlohmann::json("1h30m")) == 5400);
  CHECK(*parse_duration(nlohmann::json("90s")) == 90);
  CHECK(*parse_duration(nlohmann::json("2d")) == 172800);
  CHECK(*parse_duration(nlohmann::json(nullptr)) == 0);
  CHECK(*parse_duration(nlohmann::json("")) == 0);
  CHECK(!parse_duration(nlohmann::json("ten")));
  CHECK(!parse_duration(nlohmann::json("10x")));
  CHECK(!parse_duration(nlohmann::json::array()));
}

TEST_CASE("fields parse like Vault's framework", "[vault][util]") {
  nlohmann::json body = {
      {"p", "a, b,c"}, {"l", {"x;y", "z"}}, {"s", "one, two"}, {"b", "true"}, {"n", nullptr}};
  Fields f(body);
  CHECK(*f.comma_list("p") == std::vector<std::string>{"a", "b", "c"});
  CHECK(*f.string_list("l") == std::vector<std::string>{"x;y", "z"});
  CHECK(*f.string_list("s") == std::vector<std::string>{"one, two"});
  CHECK(*f.boolean("b") == true);
  CHECK(*f.integer("n", 7) == 7);
  CHECK(!f.has("n"));
  CHECK(sanitize_policies({"Reader", "default", " reader "}, true) ==
        std::vector<std::string>{"default", "reader"});
  CHECK(sanitize_policies({"a", "root"}, true) == std::vector<std::string>{"root"});
  CHECK(sanitize_policies({}, true) == std::vector<std::string>{"default"});
}

TEST_CASE("the default mysql username template", "[vault][util]") {
  auto t = UsernameTemplate::parse(kMySqlUsernameTemplate);
  REQUIRE(t);
  auto u = t->generate({"kubernetes-logging-infralogs", "infralogs-ro"});
  REQUIRE(u);
  CHECK(u->size() == 32);
  CHECK(std::regex_match(*u, std::regex("v-kubernetes-infralogs--[A-Za-z0-9]{8}")));
  auto legacy = UsernameTemplate::parse(kMySqlLegacyUsernameTemplate);
  REQUIRE(legacy);
  CHECK(std::regex_match(*legacy->generate({"token", "myrolename"}),
                         std::regex("v-myro-[A-Za-z0-9]{9}")));
  auto custom = UsernameTemplate::parse(R"(app_{{ .RoleName | uppercase | replace "-" "_" }})");
  REQUIRE(custom);
  CHECK(*custom->generate({"token", "a-b"}) == "app_A_B");
  CHECK(!UsernameTemplate::parse("{{ nosuch }}"));
  CHECK(!UsernameTemplate::parse("{{ .Other }}"));
  CHECK(!UsernameTemplate::parse("{{ printf \"x\""));
}

TEST_CASE("DSNs are go-sql-driver's", "[vault][util]") {
  auto t = parse_dsn("{{username}}:{{password}}@tcp(127.0.0.1:3307)/app?tls=skip-verify", "u",
                     "p@ss:w/rd");
  REQUIRE(t);
  CHECK(t->user == "u");
  CHECK(t->password == "p@ss:w/rd");
  CHECK(t->host == "127.0.0.1");
  CHECK(t->port == 3307);
  CHECK(t->database == "app");
  CHECK(t->tls);
  CHECK(!t->tls_verify);
  auto plain = parse_dsn("root:pw@unix(/run/mysqld.sock)/", "", "");
  REQUIRE(plain);
  CHECK(plain->unix_socket == "/run/mysqld.sock");
  CHECK(plain->password == "pw");
  CHECK(!parse_dsn("no-slash", "", ""));
  CHECK(!parse_dsn("u:p@tcp(127.0.0.1:3306/", "", ""));
  CHECK(split_statements({"A; B;", " ;C"}) == std::vector<std::string>{"A", "B", "C"});
  CHECK(fill_placeholders("'{{name}}' '{{name}}' {{x}}", {{"name", "n"}}) == "'n' 'n' {{x}}");
}

TEST_CASE("JWT verification refuses malformed and unsigned tokens", "[vault][util]") {
  auto now = std::chrono::system_clock::now();
  CHECK(verify_jwt("abc", {}, now, std::chrono::seconds(0)).error == JwtError::kMalformed);
  // {"alg":"none"} . {} . ""
  CHECK(verify_jwt("eyJhbGciOiJub25lIn0.e30.", {}, now, std::chrono::seconds(0)).error ==
        JwtError::kMalformed);
  CHECK(!check_public_key_pem("not a key").is_ok());
}

}  // namespace infralogs::vaultd
