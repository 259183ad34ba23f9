// Redaction: a corpus of paths, command lines and socket names whose home folders, user
// and host names, IPv4/IPv6 and e-mail addresses must all be replaced, and look-alikes
// that must not be (see docs/report.md for the rules these tests pin down).
#include <gtest/gtest.h>

#include "report/redact.h"

namespace leakscope::report {
namespace {

Redactor make(bool enabled = true) {
  Redactor r(enabled);
  r.add_host("buildbox-7.corp.example.com");
  r.add_user("alice");
  return r;
}

TEST(Redact, ReplacesEveryIdentityOfTheCorpus) {
  struct Case {
    std::string in;
    std::vector<std::string> gone;
  };
  const Case corpus[] = {
      {"/home/alice/src/app/main.cc", {"alice"}},
      {"/home/bob/.cache/x", {"bob"}},
      {"/Users/carol/Library/app.log", {"carol"}},
      {"cd /home/alice && ./run --log=/home/alice/log.txt", {"alice"}},
      {"file:/home/alice/data.db", {"alice"}},
      {"owner alice started it", {"alice"}},
      {"alice-build-42", {"alice"}},
      {"ssh buildbox-7 uptime", {"buildbox-7"}},
      {"db.buildbox-7.corp.example.com:5432", {"buildbox-7"}},
      {"BUILDBOX-7.corp.example.com", {"BUILDBOX-7"}},
      {"connect 10.20.30.40:8443", {"10.20.30.40"}},
      {"listen=192.168.1.17", {"192.168.1.17"}},
      {"peer 172.16.0.5/24", {"172.16.0.5"}},
      {"at 8.8.8.8.", {"8.8.8.8"}},
      {"[2001:db8:85a3::8a2e:370:7334]:9000", {"2001:db8:85a3::8a2e:370:7334"}},
      {"fe80::1ff:fe23:4567:890a%eth0", {"fe80::1ff:fe23:4567:890a"}},
      {"fe80::1 link-local", {"fe80::1"}},
      {"2001:0db8:0000:0000:0000:ff00:0042:8329", {"2001:0db8:0000:0000:0000:ff00:0042:8329"}},
      {"::ffff:192.0.2.128", {"192.0.2.128"}},
      {"mail alice@example.com now", {"alice@example.com"}},
      {"notify=ops-team+alerts@mail.example.org,", {"ops-team+alerts@mail.example.org"}},
      {"unix:/run/user/1000/alice.sock", {"alice"}},
      {"@/tmp/.X11-unix/alice-session", {"alice"}},
  };
  for (const auto& c : corpus) {
    Redactor r = make();
    std::string out = r.apply(c.in);
    for (const auto& g : c.gone) {
      EXPECT_EQ(out.find(g), std::string::npos) << c.in << " -> " << out;
    }
    EXPECT_NE(out.find('<'), std::string::npos) << c.in << " -> " << out;
  }
}

TEST(Redact, LeavesLookAlikesAlone) {
  const std::string kept[] = {
      "annotate malice alice2 palace",  // words that merely contain the user name
      "localhost:8080",
      "127.0.0.1:9000 0.0.0.0 ::1 ::",  // loopback and unspecified identify nothing
      "libfoo.so.1.2.3.4.5",             // five dotted numbers: a version
      "release v1.2.3.4",                // a leading v: a version
      "libssl.so.3 glibc-2.36",
      "999.1.1.1 1.2.3",                 // not an address
      "12:34:56 and 12:34:56.789",        // times
      "aa:bb:cc:dd:ee:ff",                // a MAC address (kept: see docs)
      "std::vector<int> Foo::add dead::beef",  // C++ names
      "npm i left-pad@1.3.0 user@localhost",   // no domain with a letter TLD
      "/home/ /homework/alice2",          // no name after /home/, and not /home/
      "buildbox-70 mybuildbox-7",          // other hosts containing the host name
      "/root/.bashrc",                    // root's home names no person
  };
  for (const auto& k : kept) {
    Redactor r = make();
    EXPECT_EQ(r.apply(k), k);
  }
}

TEST(Redact, PlaceholdersAreStableAndNumbered) {
  Redactor r = make();
  EXPECT_EQ(r.apply("/home/alice/x"), "<home>/x");
  EXPECT_EQ(r.apply("alice"), "<user>");
  EXPECT_EQ(r.apply("/home/bob/y bob"), "<home-2>/y <user-2>");
  EXPECT_EQ(r.apply("10.0.0.1 10.0.0.2 10.0.0.1"), "<ip-1> <ip-2> <ip-1>");
  EXPECT_EQ(r.apply("2001:db8::7 10.0.0.2"), "<ip-3> <ip-2>");
  EXPECT_EQ(r.apply("a@example.com b@example.com A@EXAMPLE.COM"), "<email-1> <email-2> <email-1>");
  EXPECT_EQ(r.apply("buildbox-7 and buildbox-7.corp.example.com"), "<host> and <host>");
  // Applying twice changes nothing: placeholders are not identities.
  std::string once = r.apply("/home/alice alice@example.com 10.0.0.1 buildbox-7");
  EXPECT_EQ(r.apply(once), once);
  EXPECT_EQ(r.summary(), "2 home folders, 2 user names, 1 host name, 3 IP addresses, 3 e-mail addresses");
}

TEST(Redact, LearningFixesTheNumberingIndependentlyOfLaterOrder) {
  Redactor a = make(), b = make();
  for (Redactor* r : {&a, &b}) {
    r->learn("10.0.0.9 then 10.0.0.8");
    r->learn("/home/zed/x");
  }
  EXPECT_EQ(a.apply("10.0.0.8"), "<ip-2>");
  EXPECT_EQ(b.apply("10.0.0.9 10.0.0.8 zed"), "<ip-1> <ip-2> <user-2>");
}

TEST(Redact, OffMasksSecretsButKeepsIdentities) {
  Redactor r = make(false);
  EXPECT_EQ(r.apply("/home/alice/app --password=x 10.0.0.1"), "/home/alice/app --password=<masked> 10.0.0.1");
  EXPECT_EQ(r.summary(), "");
}

TEST(Redact, AddressShapes) {
  EXPECT_TRUE(is_ipv4_address("10.0.0.1"));
  EXPECT_FALSE(is_ipv4_address("10.0.0.256"));
  EXPECT_FALSE(is_ipv4_address("10.0.0"));
  EXPECT_TRUE(is_ipv6_address("2001:db8::1"));
  EXPECT_TRUE(is_ipv6_address("1:2:3:4:5:6:7:8"));
  EXPECT_FALSE(is_ipv6_address("1:2:3:4:5:6:7"));
  EXPECT_FALSE(is_ipv6_address("1::2::3"));
  EXPECT_FALSE(is_ipv6_address("abcd"));
  EXPECT_FALSE(is_ipv6_address("12345::1"));
  EXPECT_FALSE(is_ipv6_address("cafe::babe"));  // no digit: a C++-like name
}

}  // namespace
}  // namespace leakscope::report
