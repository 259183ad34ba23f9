// Secret masking: every secret of the corpus is masked wherever it sits in a command line,
// and the look-alikes (ordinary options, hashes, build ids, versions, long identifiers)
// are left as they are.
#include <gtest/gtest.h>

#include "report/secrets.h"

namespace leakscope::report {
namespace {

struct Case {
  std::string in;
  std::string secret;  // must be gone from the output
};

TEST(Secrets, MasksEveryKindOfSecret) {
  const Case cases[] = {
      {"app --password=hunter2", "hunter2"},
      {"app --db-password=s3cr3t-pw --port 80", "s3cr3t-pw"},
      {"app --token abc123def", "abc123def"},
      {"app --token 'quoted secret value'", "quoted secret value"},
      {"app --api-key=AbCdEf012345", "AbCdEf012345"},
      {"app --apiKey=k-9988", "k-9988"},
      {"PGPASSWORD=pgpass1 psql -h db", "pgpass1"},
      {"GITHUB_TOKEN=tok_value_1 make release", "tok_value_1"},
      {"curl 'https://api.example.com/v1?user=bob&token=qwerty123&page=2'", "qwerty123"},
      {"curl https://api.example.com/?api_key=zz99yy88", "zz99yy88"},
      {"git clone https://bob:pa55word@git.example.com/repo.git", "pa55word"},
      {"curl -H 'Authorization: Bearer eyJhbGciOi.eyJzdWIiOiIx.SflKxwRJSMeKK'", "SflKxwRJSMeKK"},
      {"curl -H 'Authorization: Basic dXNlcjpwYXNz'", "dXNlcjpwYXNz"},
      {"app --client-secret=cs_1234", "cs_1234"},
      {"app --secret-key topsecretvalue", "topsecretvalue"},
      {"app --session-id=sess42abc", "sess42abc"},
      {"deploy sk-proj-A1b2C3d4E5f6G7h8I9j0K1l2", "sk-proj-A1b2C3d4E5f6G7h8I9j0K1l2"},
      {"gh ghp_Xk29QmTz81LpVw03RsYu67BnCd45EfGh12Ij", "ghp_Xk29QmTz81LpVw03RsYu67BnCd45EfGh12Ij"},
      {"aws AKIAIOSFODNN7EXAMPLE s3 ls", "AKIAIOSFODNN7EXAMPLE"},
      {"slack xoxb-123456789012-abcdefABCDEF", "xoxb-123456789012-abcdefABCDEF"},
      {"gcloud AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"},
      {"glab glpat-Ab12Cd34Ef56Gh78Ij90", "glpat-Ab12Cd34Ef56Gh78Ij90"},
      {"jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
       "eyJzdWIiOiIxMjM0NTY3ODkwIn0"},
      {"app --seed=Q7rT2xLp9ZkW4mNv8BcY3hJd6FgS1aEu", "Q7rT2xLp9ZkW4mNv8BcY3hJd6FgS1aEu"},
  };
  for (const auto& c : cases) {
    std::string out = mask_secrets(c.in);
    EXPECT_EQ(out.find(c.secret), std::string::npos) << c.in << " -> " << out;
    EXPECT_NE(out.find(kMasked), std::string::npos) << c.in << " -> " << out;
  }
}

TEST(Secrets, KeepsTheNameOfTheOptionAndTheRestOfTheLine) {
  EXPECT_EQ(mask_secrets("app --password=hunter2 --port=80"), "app --password=<masked> --port=80");
  EXPECT_EQ(mask_secrets("app --token abc123def -v"), "app --token <masked> -v");
  EXPECT_EQ(mask_secrets("git clone https://bob:pa55word@git.example.com/r.git"),
            "git clone https://bob:<masked>@git.example.com/r.git");
  EXPECT_EQ(mask_secrets("curl -H 'Authorization: Bearer abcdef123456'"),
            "curl -H 'Authorization: Bearer <masked>'");
}

TEST(Secrets, LeavesLookAlikesAlone) {
  const std::string kept[] = {
      "app --author=Alice --max-tokens=512 --tokenizer=bpe",
      "app --no-password ./input.txt",
      "app --use-token-cache /tmp/cache",
      "ls /usr/lib/debug/.build-id/ab/cdef0123456789abcdef0123456789abcdef01.debug",
      "git checkout 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39",
      "uuid 123e4567-e89b-12d3-a456-426614174000",
      "make -j8 VERSION=1.2.3 CFLAGS=-O2",
      "python3 -m http.server 8000",
      "node ThisIsAVeryLongCamelCaseFunctionNameInCode.js",
      "app --key-file=/etc/app/key.pem --pass 3",
      "app --password",
      "passwd alice",
  };
  for (const auto& k : kept) {
    std::string out = mask_secrets(k);
    if (k == "app --key-file=/etc/app/key.pem --pass 3") {
      // `--pass` names a password option: its value is masked, the key file is not.
      EXPECT_EQ(out, "app --key-file=/etc/app/key.pem --pass <masked>");
      continue;
    }
    EXPECT_EQ(out, k);
  }
}

TEST(Secrets, ArgvMasksTheWordAfterASecretFlag) {
  std::vector<std::string> argv = {"app", "--token", "abc", "--password", "p w d", "--verbose",
                                   "--api-key=xyz", "--secret", "--other"};
  auto out = mask_secrets_argv(argv);
  ASSERT_EQ(out.size(), argv.size());
  EXPECT_EQ(out[2], kMasked);
  EXPECT_EQ(out[4], kMasked);
  EXPECT_EQ(out[5], "--verbose");
  EXPECT_EQ(out[6], "--api-key=<masked>");
  EXPECT_EQ(out[8], "--other");  // a flag after --secret is not its value
}

TEST(Secrets, KeyNames) {
  for (const char* k : {"password", "db-password", "DB_PASSWORD", "apiKey", "api_key", "GITHUB_TOKEN",
                        "accessToken", "client_secret", "auth", "Authorization", "x-api-key",
                        "private-key", "session_id", "pgpassword"})
    EXPECT_TRUE(is_secret_key(k)) << k;
  for (const char* k : {"author", "max-tokens", "tokenizer", "keyboard", "key-file", "passive",
                        "compass", "port", "user", "monkey"})
    EXPECT_FALSE(is_secret_key(k)) << k;
}

}  // namespace
}  // namespace leakscope::report
