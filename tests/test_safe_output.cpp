// io/safe_output: identity checks, exclusive temporary files, commit order.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/csv_writer.hpp"
#include "io/safe_output.hpp"
#include "io/table_loader.hpp"
#include "src/errors.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using nm::io::CommitGroup;
using nm::io::CommitKind;
using nm::io::NamedPath;
using nm::io::StagedFile;

namespace {
std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
size_t entries(const nm::test::TempDir& d) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(d.path())) ++n;
  return n;
}
}  // namespace

TEST_CASE("safe_output: outputs are compared with inputs and each other by identity") {
  nm::test::TempDir d;
  const std::string in = d.file("in.csv", "x\n");
  fs::create_hard_link(in, d.file("hard.csv"));
  fs::create_symlink(in, d.file("soft.csv"));
  using V = std::vector<NamedPath>;
  auto refuses = [&](const V& outs, const char* text) {
    CHECK_THROWS_WITH_AS(nm::io::check_output_paths({{in, "--left"}}, outs),
                         doctest::Contains(text), nm::InputError);
  };
  refuses({{in, "--out"}}, "same file as --left");
  refuses({{d.str() + "/./in.csv", "--out"}}, "same file as --left");
  refuses({{d.file("hard.csv"), "--out"}}, "same file as --left");
  refuses({{d.file("soft.csv"), "--out"}}, "same file as --left");
  const std::string other_spelling = (d.path() / ".." / d.path().filename() / "new.csv").string();
  refuses({{d.file("new.csv"), "--out"}, {other_spelling, "--pairs"}},
          "two outputs cannot share one file");
  refuses({{d.str(), "--out"}}, "is a folder");
  refuses({{d.file("x/"), "--out"}}, "names a folder");
  refuses({{d.file("missing/x.csv"), "--out"}}, "missing");
  REQUIRE(::mkfifo(d.file("fifo").c_str(), 0600) == 0);
  refuses({{d.file("fifo"), "--out"}}, "is a FIFO");
  // A side file is replaced, not followed: a link at its name to the input is no clash.
  CHECK_NOTHROW(
      nm::io::check_output_paths({{in, "--left"}}, {{d.file("soft.csv"), "side", false}}));
  CHECK_NOTHROW(
      nm::io::check_output_paths({{in, "--left"}}, {{d.file("new.csv"), "--out"}, {"-", "--out"}}));
}

TEST_CASE(
    "safe_output: a staged file appears only at commit, and a link at the target is replaced") {
  nm::test::TempDir d;
  const std::string precious = d.file("precious.txt", "precious\n");
  const std::string target = d.file("out.csv");
  fs::create_symlink(precious, target);
  {
    StagedFile f(target);
    f.write("new data\n");
    CHECK(fs::is_symlink(target));
    CHECK(f.temp_path().rfind(target + ".partial-", 0) == 0);
    f.commit();
  }
  CHECK_FALSE(fs::is_symlink(target));
  CHECK(slurp(target) == "new data\n");
  CHECK(slurp(precious) == "precious\n");
  CHECK(entries(d) == 2);
}

TEST_CASE(
    "safe_output: an uncommitted file is removed; a temporary name taken over is left alone") {
  nm::test::TempDir d;
  {
    StagedFile f(d.file("a.csv"));
    f.write("x");
  }
  CHECK(entries(d) == 0);
  StagedFile f(d.file("b.csv"));
  f.write("mine");
  f.finish();
  const std::string temp = f.temp_path();
  fs::remove(temp);
  std::ofstream(temp) << "someone else's";
  CHECK_THROWS_WITH_AS(f.commit(), doctest::Contains("replaced"), nm::InputError);
  CHECK_FALSE(fs::exists(d.file("b.csv")));
  CHECK(slurp(temp) == "someone else's");
}

TEST_CASE(
    "safe_output: a commit group renames side files first, the main output last, drops staging") {
  nm::test::TempDir d;
  CommitGroup g;
  g.set_staging(d.file("tmp.csv"), "the staging CSV");
  nm::io::OutputFile main(d.file("main.csv"), &g);
  main.buffer() = "main";
  main.close();
  nm::io::OutputFile staging(d.file("tmp.csv"), &g);
  staging.buffer() = "staging";
  staging.close();
  nm::io::OutputFile side(d.file("main.csv.summary.json"), &g, CommitKind::kSide);
  side.buffer() = "{}";
  side.close();
  const std::string stale = d.file("main.csv.rejects.csv", "stale");
  g.remove_at_commit(stale);
  CHECK_FALSE(fs::exists(d.file("main.csv")));
  CHECK(slurp(g.current_path(d.file("tmp.csv"))) == "staging");
  g.commit();
  CHECK(slurp(d.file("main.csv")) == "main");
  CHECK(slurp(d.file("main.csv.summary.json")) == "{}");
  CHECK_FALSE(fs::exists(d.file("tmp.csv")));
  CHECK_FALSE(fs::exists(stale));
  CHECK(entries(d) == 2);
}

TEST_CASE("safe_output: a group that is not committed leaves nothing") {
  nm::test::TempDir d;
  {
    CommitGroup g;
    nm::io::OutputFile f(d.file("o.csv"), &g);
    f.buffer() += "some rows\n";
    f.close();
    nm::io::RejectsFile r(d.file("o.csv.rejects.csv"));
    r.add("in.csv", 3, "id", "missing id", ",a,b");
    r.commit_to(g);
  }
  CHECK(entries(d) == 0);
}

TEST_CASE("safe_output: resolve_output_path follows a link to its target, leaves other paths") {
  nm::test::TempDir d;
  const std::string real = d.file("real.csv", "x");
  fs::create_symlink(real, d.file("link.csv"));
  CHECK(nm::io::resolve_output_path(d.file("link.csv")) == fs::canonical(real).string());
  CHECK(nm::io::resolve_output_path("rel/x.csv") == "rel/x.csv");
  CHECK(nm::io::resolve_output_path("-") == "-");
}
