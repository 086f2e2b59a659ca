#!/usr/bin/env bash
# Checks that the tests and scripts need nothing scripts/deps.sh does not install, so that
# `bash scripts/test.sh` works on a fresh Debian 12 machine and not only on one with leftovers.
# Run by .ci/run after scripts/deps.sh; takes a few seconds.
#
# It reads every *.sh, *.py, *.sbatch, *.cmake and CMakeLists.txt under tests/, scripts/, slurm/,
# fuzz/ and .ci/ (plus .ci/run and the top CMakeLists.txt), and
#   - takes every python import in them (in *.py files, in heredocs and in -c strings alike: any
#     `import M` / `from M import` that starts a statement or a quoted string), finds M's file with
#     /usr/bin/python3 (importlib, nothing is imported) and the Debian package owning it (dpkg -S);
#   - takes every word of the code (comments left out) that names a program in /usr/bin, /bin,
#     /usr/sbin or /sbin (shell builtins, keywords and the scripts' own functions left out), and the
#     package owning that program.
# Every such package must be installed by scripts/deps.sh: one it lists, a dependency of one
# (Depends/Pre-Depends, recursively: apt installs those too), or an Essential/required package
# (on every Debian machine). A module that cannot be found at all fails too, as does a program found
# only in /usr/local. Programs of the CUDA toolkit (nvcc, ...) are outside the rule: CUDA is installed
# apart (README), in /usr/local/cuda, and the build finds it or builds without it.
#
# A file with the line "check_test_deps: peers-venv" runs in the venv of scripts/peers_venv.sh
# (Splink, the peer we measure against, is on PyPI only): its imports must be pinned in
# scripts/peers_requirements.txt (or be standard library) instead.
#
# A word that only reads like a program name (in a message, say) is counted as a call: the check
# errs on the side of asking for a package. Exit 0: all covered; 1: a list of what is not.
# usage: scripts/check_test_deps.sh [ROOT]   (default: this checkout)
set -euo pipefail
root=$(cd "${1:-$(dirname "$0")/..}" && pwd)
pkgs=$(bash "$root/scripts/deps.sh" --list)
exec /usr/bin/python3 - "$root" "$pkgs" <<'PY'
import importlib.machinery
import importlib.util
import os
import re
import subprocess
import sys

root, listed = sys.argv[1], sys.argv[2].split()
DIRS = ["tests", "scripts", "slurm", "fuzz", ".ci"]
BIN_DIRS = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]
LOCAL_DIRS = ["/usr/local/bin", "/usr/local/sbin"]


def sources():
    files = [os.path.join(root, "CMakeLists.txt")]
    for d in DIRS:
        for dirpath, _, names in os.walk(os.path.join(root, d)):
            for n in names:
                p = os.path.join(dirpath, n)
                if (n.endswith((".sh", ".py", ".sbatch", ".cmake")) or n == "CMakeLists.txt"
                        or p == os.path.join(root, ".ci", "run")):
                    files.append(p)
    return sorted(f for f in files if os.path.isfile(f))


# Comments: a `#` at the start of a line or after a blank (not `$#`, `${#x}`, `"#"`).
COMMENT = re.compile(r"(^|\s)#.*$")
# An import starts a statement: at a line's start, after `;` or after an opening quote (-c '...').
IMPORT = re.compile(r"(?:^|;|['\"])\s*import\s+([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)")
FROM = re.compile(r"(?:^|;|['\"])\s*from\s+([A-Za-z_][\w.]*)\s+import\b")
DUNDER = re.compile(r"(?:__import__|import_module)\(\s*['\"]([A-Za-z_][\w.]*)")
WORD = re.compile(r"(?<![\w$.\-/{@%])([A-Za-z_][\w.+-]*)(?![\w=(])")
PATHPROG = re.compile(r"(?<![\w.])((?:/usr)?/s?bin|/usr/local/s?bin)/([\w.+-]+)")
FUNC = re.compile(r"^\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)\s*\{?", re.M)
BUILTINS = set("""
alias bg bind break builtin caller case cd command compgen complete compopt continue coproc declare
dirs disown do done echo elif else enable esac eval exec exit export false fc fg fi for function
getopts hash help history if in jobs kill let local logout mapfile popd printf pushd pwd read
readarray readonly return select set shift shopt source suspend test then time times trap true
type typeset ulimit umask unalias unset until wait while
""".split())
CUDA = {"nvcc", "cuobjdump", "nvdisasm", "ptxas", "nvidia-smi", "compute-sanitizer", "ncu", "nsys"}

PYRUN = re.compile(r"python3?\b|\$\{?PY\b")
HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z_]\w*)\2")
PY_C = re.compile(r"(?:python3?|\$\{?PY\}?\"?)\s+(?:-\w+\s+)*-c\s+(['\"])")
PY_WORD = re.compile(r"(['\"])([A-Za-z_][\w.+-]*)\1")  # a python string that is one word
DQUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
SUBST = re.compile(r"\$\([^()]*\)")
FOR_VAR = re.compile(r"\bfor\s+\w+")
CMAKE_PROG = re.compile(r"\bCOMMAND\s+(?:\S*/)?([\w.+-]+)|find_program\(\s*\w+\s+([\w.+-]+)")

modules = {}   # top-level module -> first "file:line" using it, and the file's folder
# A file marked VENV_MARK runs in the peer venv (scripts/peers_venv.sh installs it from PyPI, not
# Debian): its imports must come from scripts/peers_requirements.txt instead.
VENV_MARK = "check_test_deps: peers-venv"
venv_modules = {}  # top-level module -> first "file:line" using it, in such files
in_venv_file = False
words = {}     # word -> first "file:line"


def add_imports(code, where, here):
    if in_venv_file:
        for name in IMPORT.findall(code):
            for n in name.split(","):
                venv_modules.setdefault(n.strip().split(".")[0], where)
        for rx in (FROM, DUNDER):
            for m in rx.finditer(code):
                venv_modules.setdefault(m.group(1).split(".")[0], where)
        return
    for m in IMPORT.finditer(code):
        for name in m.group(1).split(","):
            modules.setdefault(name.strip().split(".")[0], (where, here))
    for rx in (FROM, DUNDER):
        for m in rx.finditer(code):
            modules.setdefault(m.group(1).split(".")[0], (where, here))


def add_python_words(code, where):
    # Python code calls a program by a string naming it (subprocess.run(["mariadb", ...])); its
    # identifiers are not calls.
    for m in PY_WORD.finditer(code):
        if not (code[:m.start()].endswith("[") and code[m.end():].startswith("]")):  # d["key"]
            words.setdefault(m.group(2), where)


def add_shell_words(code, where):
    # Every word of the code is a possible call, but not a double-quoted text (messages, data)
    # other than its $(...) commands, nor a for loop's variable.
    code = DQUOTED.sub(lambda m: " ".join(SUBST.findall(m.group(0))), code)
    code = FOR_VAR.sub(" ", code)
    for m in PATHPROG.finditer(code):
        words.setdefault(m.group(2), where)
    for m in WORD.finditer(code):
        words.setdefault(m.group(1), where)


def scan(f):
    rel, here = os.path.relpath(f, root), os.path.dirname(f)
    text = open(f, encoding="utf-8", errors="replace").read()
    global in_venv_file
    in_venv_file = VENV_MARK in text and not f.endswith("check_test_deps.sh")
    lines = text.split("\n")
    kind = "python" if f.endswith(".py") else \
        "cmake" if f.endswith((".cmake", "CMakeLists.txt")) else "shell"
    functions.update(FUNC.findall(text) if kind == "shell" else [])
    heredoc = None   # (delimiter, strip tabs, python?) while inside one
    pyquote = None   # the quote ending a multi-line python -c string
    for no, line in enumerate(lines, 1):
        where = "%s:%d" % (rel, no)
        if kind == "python":
            code = COMMENT.sub("", line)
            add_imports(code, where, here)
            add_python_words(code, where)
            continue
        if kind == "cmake":
            code = COMMENT.sub("", line)
            for m in CMAKE_PROG.finditer(code):
                words.setdefault(m.group(1) or m.group(2), where)
            continue
        if heredoc:
            delim, strip, is_py = heredoc
            if (line.lstrip("\t") if strip else line) == delim:
                heredoc = None
            elif is_py:
                code = COMMENT.sub("", line)
                add_imports(code, where, here)
                add_python_words(code, where)
            else:
                add_shell_words(COMMENT.sub("", line), where)
            continue
        if pyquote:
            end = line.find(pyquote)
            add_imports(line if end < 0 else line[:end], where, here)
            add_python_words(line if end < 0 else line[:end], where)
            if end < 0:
                continue
            pyquote, line = None, line[end + 1:]
        code = COMMENT.sub("", line)
        add_imports(code, where, here)  # python -c strings on this line
        m = PY_C.search(code)
        if m:
            q = m.group(1)
            end = code.find(q, m.end())
            add_python_words(code[m.end():] if end < 0 else code[m.end():end], where)
            if end < 0:
                pyquote = q
                code = code[:m.start()]
            else:
                code = code[:m.start()] + code[end + 1:]
        h = HEREDOC.search(code)
        if h:
            heredoc = (h.group(3), h.group(1) == "-", bool(PYRUN.search(code)))
        add_shell_words(code, where)


functions = set()
for f in sources():
    scan(f)

problems = []
owned = {}  # file whose package is wanted -> what needs it
venv_req = os.path.join(root, "scripts", "peers_requirements.txt")
venv_pkgs = set(sys.builtin_module_names) | set(sys.stdlib_module_names)
if os.path.exists(venv_req):
    for line in open(venv_req):
        req = re.match(r"\s*([A-Za-z0-9_.-]+)", line.split("#")[0])
        if req:
            venv_pkgs.add(req.group(1).lower().replace("-", "_"))
for name, where in sorted(venv_modules.items()):
    if name.lower() not in venv_pkgs:
        problems.append("python module %s (%s): a peers-venv file, but "
                        "scripts/peers_requirements.txt does not pin it" % (name, where))

for name, (where, here) in sorted(modules.items()):
    if name in sys.builtin_module_names:
        continue
    if os.path.exists(os.path.join(here, name + ".py")):
        continue  # the tests' own module, next to its user
    # Where a fresh machine finds it: the Debian paths first (a copy in /usr/local or ~/.local
    # would shadow it here, but is not what the check is about), then anywhere.
    debian_path = [p for p in sys.path if p.startswith("/usr/lib/")]
    try:
        spec = importlib.machinery.PathFinder.find_spec(name, debian_path) or \
            importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        problems.append("python module %s (%s): /usr/bin/python3 cannot find it (no package "
                        "installs it)" % (name, where))
        continue
    origin = spec.origin if spec.origin not in (None, "namespace") else \
        next(iter(spec.submodule_search_locations or []), None)
    if origin in ("built-in", "frozen"):
        continue
    if origin is None or origin.startswith(root + os.sep):
        if origin is None:
            problems.append("python module %s (%s): no file to look up" % (name, where))
        continue
    owned[origin] = "python module %s (%s)" % (name, where)

for w, where in sorted(words.items()):
    if w in BUILTINS or w in functions or w in CUDA:
        continue
    # A package's copy first (a fresh machine has only that one), else one in /usr/local.
    for d in BIN_DIRS:
        p = os.path.join(d, w)
        if os.access(p, os.X_OK) and not os.path.isdir(p):
            owned[p] = "program %s (%s)" % (w, where)
            break
    else:
        for d in LOCAL_DIRS:
            if os.access(os.path.join(d, w), os.X_OK) and not os.path.isdir(os.path.join(d, w)):
                problems.append("program %s (%s): in %s, from no package" % (w, where, d))
                break


def owners(paths):
    """path -> package, asking dpkg once for all paths and their other spellings (usrmerge,
    alternatives symlinks)."""
    ask = {}
    for p in paths:
        for q in (p, os.path.realpath(p),
                  p[4:] if p.startswith("/usr/") else "/usr" + p):
            ask.setdefault(q, set()).add(p)
    r = subprocess.run(["dpkg-query", "-S", *sorted(ask)], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    got = {}
    for line in r.stdout.splitlines():
        pk, _, path = line.partition(": ")
        if path in ask and "diversion" not in pk:
            for p in ask[path]:
                got.setdefault(p, pk.split(",")[0].split(":")[0].strip())
    return got


# The packages deps.sh puts on a machine: the listed ones and their dependencies, and the
# Essential/required ones every Debian machine has.
r = subprocess.run(["dpkg-query", "-W", "-f",
                    "${Package}\t${Status}\t${Essential}\t${Priority}\t${Provides}\t"
                    "${Depends}, ${Pre-Depends}\n"], stdout=subprocess.PIPE, check=True, text=True)
deps, provides, allowed = {}, {}, set()
for line in r.stdout.splitlines():
    name, status, essential, prio, prov, dep = line.split("\t")
    if not status.endswith(" installed"):
        continue
    deps[name] = [[a.strip().split()[0].split(":")[0] for a in alt.split("|") if a.strip()]
                  for alt in dep.split(",") if alt.strip()]
    for v in prov.split(","):
        if v.strip():
            provides.setdefault(v.strip().split()[0], []).append(name)
    if essential == "yes" or prio == "required":
        allowed.add(name)
missing_listed = [p for p in listed if p not in deps and p not in provides]
seen, todo = set(), list(listed)
while todo:
    p = todo.pop()
    for q in [p] if p in deps else provides.get(p, []):
        if q not in seen:
            seen.add(q)
            for alt in deps[q]:
                todo.extend(alt)  # every installed alternative: apt picked one of them
allowed |= seen

pkg_of = owners(owned)
for path, what in sorted(owned.items(), key=lambda kv: kv[1]):
    pk = pkg_of.get(path)
    if pk is None:
        problems.append("%s: %s belongs to no Debian package" % (what, path))
    elif pk not in allowed:
        problems.append("%s: %s is in package %s, which scripts/deps.sh does not install"
                        % (what, path, pk))
for p in missing_listed:
    problems.append("package %s (listed in scripts/deps.sh) is not installed: run scripts/deps.sh" % p)

if problems:
    print("check_test_deps: %d thing(s) the tests or scripts use that scripts/deps.sh does not "
          "install:" % len(problems), file=sys.stderr)
    for p in problems:
        print("  " + p, file=sys.stderr)
    sys.exit(1)
print("check_test_deps: %d python modules and %d programs, all from the %d packages of "
      "scripts/deps.sh (with dependencies) or essential ones"
      % (len(modules), len(owned) - sum(1 for w in owned.values() if w.startswith("python")),
         len(listed)))
PY
