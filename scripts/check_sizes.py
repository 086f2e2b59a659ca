#!/usr/bin/env python3
"""Reports source files over MAX_FILE lines and functions over MAX_FUNC lines
in the product's folders (src, kernels, partition, io, jobs). Data tables
(files named in DATA_TABLES) are exempt from the file limit. Exit 1 when
anything is over. A function is a brace block opened after a ')' (a
parameter list, possibly followed by const/noexcept/override/-> type) at
namespace or class level; lambdas count towards the function holding them.
usage: check_sizes.py [SOURCE_DIR]"""
import os
import re
import sys

MAX_FILE = 500
MAX_FUNC = 150
FOLDERS = ["src", "kernels", "partition", "io", "jobs"]
DATA_TABLES = {"jobs/generate/name_pools.cpp", "jobs/generate/accents.cpp"}


def strip(text):
    """Source with comments, string and char literals blanked (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * max(0, j - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(text):
    """(name, first line, lines) of every function body at namespace/class level."""
    s = strip(text)
    found, stack = [], []  # stack of (kind, start offset)
    for i, c in enumerate(s):
        if c == "{":
            head = s[max(0, i - 400):i]
            head = head[max(head.rfind(";"), head.rfind("}"), head.rfind("{")) + 1:]
            inside_function = any(e[0] == "f" for e in stack)
            is_func = (not inside_function
                       and re.search(r"\)\s*(const|noexcept|override|final|mutable|->[^{]*|\s)*$", head)
                       and not re.search(r"\b(namespace|class|struct|enum|union)\b[^()]*$", head)
                       and not re.search(r"=\s*[^=]*$", head.split(")")[0]))
            stack.append(("f" if is_func else "o", i, head))
        elif c == "}" and stack:
            kind, start, head = stack.pop()
            if kind == "f":
                a = s.count("\n", 0, start) + 1
                b = s.count("\n", 0, i) + 1
                m = re.search(r"([~\w:<>]+)\s*\([^()]*(\([^()]*\)[^()]*)*\)[^()]*$", head)
                found.append((m.group(1) if m else head.strip()[:40], a, b - a + 1))
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    bad = 0
    for folder in FOLDERS:
        for dp, _, files in os.walk(os.path.join(root, folder)):
            for f in sorted(files):
                if not f.endswith((".cpp", ".hpp", ".cu", ".h")):
                    continue
                path = os.path.join(dp, f)
                rel = os.path.relpath(path, root)
                text = open(path, encoding="utf-8", errors="replace").read()
                n = text.count("\n")
                if n > MAX_FILE and rel not in DATA_TABLES:
                    print(f"{rel}: {n} lines (limit {MAX_FILE})")
                    bad += 1
                for name, line, length in functions(text):
                    if length > MAX_FUNC:
                        print(f"{rel}:{line}: function {name}: {length} lines (limit {MAX_FUNC})")
                        bad += 1
    print(f"check_sizes: {bad} over the limits")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
