// Unit tests of experiment files: a full file parses into the settings it states, and every
// mistake a user can make gives one exact line naming the file, the line and the fix.
#include <gtest/gtest.h>

#include <cmath>

#include "analyze/experiment_config.h"
#include "analyze/experiment_runner.h"

namespace leakscope::analyze {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

const char* kGood = R"(title = "Fix the overlay leak"
repeats = 2

[workload]
command = ["/bin/true", "6"]
env = { LEAK_C = "1", DEPTH = 3 }
duration = "5s"
interval = "50ms"

[measure]
process = "overlay"
series = "anon"
warmup = "1s"

[[variant]]
name = "control"
control = true
baseline = "270MiB/min"
env = { LEAK_A = "1", LEAK_B = "1" }

[[variant]]
name = "fix-a"
env = { LEAK_B = "1" }
args = ["--no-cache"]
predicted = "1.5MiB/s"

[[variant]]
name = "fix-b"
env = { LEAK_A = "1" }
predicted = "0"

[[variant]]
name = "fix-ab"
components = ["fix-a", "fix-b"]
)";

std::string error_of(const std::string& text) {
  auto c = parse_experiment(text, "fix.toml");
  return c.is_ok() ? std::string("(parsed)") : c.status().message();
}

TEST(ExperimentConfig, ParsesEverySetting) {
  auto c = parse_experiment(kGood, "/tmp/exp/fix.toml");
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->title, "Fix the overlay leak");
  EXPECT_EQ(c->repeats, 2);
  EXPECT_EQ(c->workload.command, (std::vector<std::string>{"/bin/true", "6"}));
  EXPECT_EQ(c->workload.cwd, "/tmp/exp");
  EXPECT_DOUBLE_EQ(c->workload.duration_s, 5);
  EXPECT_EQ(c->workload.interval, "50ms");
  EXPECT_EQ(c->measure.role, ProcessRole::kName);
  EXPECT_EQ(c->measure.name, "overlay");
  EXPECT_DOUBLE_EQ(c->measure.warmup_s, 1);
  ASSERT_EQ(c->variants.size(), 4u);
  const VariantSpec& control = c->variants[0];
  EXPECT_TRUE(control.control);
  ASSERT_TRUE(control.baseline);
  EXPECT_NEAR(*control.baseline, 4.5 * kMiB, 1e-6);
  EXPECT_NEAR(*c->variants[1].predicted, 1.5 * kMiB, 1e-6);
  EXPECT_EQ(*c->variants[2].predicted, 0);
  EXPECT_EQ(c->variants[3].components, (std::vector<std::string>{"fix-a", "fix-b"}));
  EXPECT_EQ(c->command_of(c->variants[1]),
            (std::vector<std::string>{"/bin/true", "6", "--no-cache"}));
  EXPECT_EQ(c->env_of(c->variants[1]),
            (std::vector<std::string>{"DEPTH=3", "LEAK_C=1", "LEAK_B=1"}));  // by key
  // What a run records differs between variants; predictions do not enter it.
  EXPECT_NE(c->run_fingerprint(c->variants[0]), c->run_fingerprint(c->variants[1]));
  auto again = parse_experiment(std::string(kGood).replace(std::string(kGood).find("1.5MiB/s"), 8, "9MiB/s"),
                                "/tmp/exp/fix.toml");
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(c->run_fingerprint(c->variants[1]), again->run_fingerprint(again->variants[1]));
}

TEST(ExperimentConfig, InterleavedSchedule) {
  auto c = parse_experiment(kGood, "fix.toml");
  ASSERT_TRUE(c.is_ok());
  std::vector<ScheduledRun> s = schedule_runs(*c);
  ASSERT_EQ(s.size(), 8u);
  std::vector<std::pair<size_t, int>> got;
  for (const auto& r : s) got.push_back({r.variant, r.repeat});
  EXPECT_EQ(got, (std::vector<std::pair<size_t, int>>{
                     {0, 1}, {1, 1}, {2, 1}, {3, 1}, {0, 2}, {1, 2}, {2, 2}, {3, 2}}));
}

TEST(ExperimentConfig, BadTomlNamesLineAndColumn) {
  EXPECT_EQ(error_of("[workload]\ncommand = [\"a\",\nrepeats = 3\n"),
            "bad TOML in fix.toml at line 3, column 1 (Error while parsing value: could not "
            "determine value type; fix the syntax there)");
}

TEST(ExperimentConfig, UnknownKeysAreNamed) {
  EXPECT_EQ(error_of("[workload]\ncomand = [\"a\"]\n"),
            "unknown key 'workload.comand' in fix.toml at line 2 (not an experiment setting; "
            "did you mean 'workload.command'?)");
  EXPECT_EQ(error_of("[workload]\ncommand = [\"a\"]\n[[variant]]\nname = \"c\"\ncontrol = true\n"
                     "colour = \"red\"\n"),
            "unknown key 'variant.colour' in fix.toml at line 6 (not an experiment setting; see "
            "docs/experiment.md for the keys)");
  EXPECT_EQ(error_of("repeat = 3\n"),
            "unknown key 'repeat' in fix.toml at line 1 (not an experiment setting; did you "
            "mean 'repeats'?)");
}

TEST(ExperimentConfig, VariantsNeedOneControl) {
  const std::string head = "[workload]\ncommand = [\"a\"]\n";
  EXPECT_EQ(error_of(head + "[[variant]]\nname = \"fix\"\nenv = { A = \"1\" }\n"),
            "no control variant in fix.toml (every variant is measured against a control; mark "
            "the unchanged program's variant with control = true)");
  EXPECT_EQ(error_of(head),
            "no variants in fix.toml (an experiment compares variants with a control; add "
            "[[variant]] tables, one of them with control = true)");
  EXPECT_EQ(error_of(head + "[[variant]]\nname = \"a\"\ncontrol = true\n[[variant]]\nname = \"b\"\n"
                            "control = true\n"),
            "more than one control variant in fix.toml (the effects are measured against a "
            "single control; keep control = true on one variant)");
  EXPECT_EQ(error_of(head + "[[variant]]\ncontrol = true\n"),
            "a variant without a name in fix.toml at line 3 (reports and components refer to "
            "variants by name; add name = \"...\")");
  EXPECT_EQ(error_of(head + "[[variant]]\nname = \"c\"\ncontrol = true\n[[variant]]\nname = \"ab\"\n"
                            "components = [\"a\", \"b\"]\n"),
            "variant 'ab' lists component 'a' in fix.toml (there is no variant of that name; "
            "name the variants that apply each part of the fix alone)");
  EXPECT_EQ(error_of(head + "[[variant]]\nname = \"c\"\ncontrol = true\npredicted = \"1MiB/s\"\n"),
            "the control 'c' has a prediction in fix.toml at line 6 (the control is measured "
            "against its baseline; write baseline = ... instead)");
}

TEST(ExperimentConfig, ValuesAreChecked) {
  const std::string head = "[workload]\ncommand = [\"a\"]\n";
  const std::string control = "[[variant]]\nname = \"c\"\ncontrol = true\n";
  EXPECT_EQ(error_of("[workload]\ncommand = \"a b\"\n" + control),
            "bad value of 'workload.command' in fix.toml at line 2 (expected an array of "
            "strings; see docs/experiment.md for the keys)");
  EXPECT_EQ(error_of("[workload]\ncommand = [\"a\"]\nduration = \"soon\"\n" + control),
            "bad value of 'workload.duration' in fix.toml at line 3 (expected a positive "
            "duration like \"6s\" or \"2m\"; see docs/experiment.md for the keys)");
  EXPECT_EQ(error_of(head + "[measure]\nseries = \"fds\"\n" + control + "baseline = \"1MiB/s\"\n"),
            "bad value of 'variant.baseline' in fix.toml at line 8 (its unit does not fit the "
            "measured series 'fds'; use bytes for memory series, fds/min for fds, threads/min "
            "for threads)");
  EXPECT_EQ(error_of(head + "[measure]\nseries = \"heap\"\n" + control),
            "bad value of 'measure.series' in fix.toml at line 4 (not a series leakscope "
            "judges; use anon, file, shmem, swap, fds or threads)");
  EXPECT_EQ(error_of(head + "[measure]\nrole = \"tree\"\nwarmup = \"2s\"\n" + control),
            "measure.warmup and measure.phases do not apply to role \"tree\" in fix.toml (they "
            "cut a process's own series; measure a process (process = or role =))");
  EXPECT_EQ(error_of(head + "[measure]\nrole = \"child:0\"\n" + control),
            "bad value of 'measure.role' in fix.toml at line 4 (expected root, largest, tree or "
            "child:N; see docs/experiment.md for the keys)");
  auto child = parse_experiment(head + "[measure]\nrole = \"child:2\"\nseries = \"fds\"\n" + control +
                                    "baseline = \"5fds/min\"\n",
                                "fix.toml");
  ASSERT_TRUE(child.is_ok()) << child.status().message();
  EXPECT_EQ(child->measure.role, ProcessRole::kChild);
  EXPECT_EQ(child->measure.child_index, 2);
  EXPECT_EQ(child->measure.describe(), "child:2");
}

TEST(ExperimentConfig, MissingFile) {
  auto c = load_experiment("/nonexistent/fix.toml");
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().message(),
            "cannot read experiment file /nonexistent/fix.toml (No such file or directory; give "
            "the path of a .toml experiment file)");
}

}  // namespace
}  // namespace leakscope::analyze
