#!/usr/bin/python3
"""Kernel resource check (ctest cuda_kernel_resources).

Compiles every kernels/*.cu again with the exact nvcc command of the build
(from BUILD/compile_commands.json) plus `-Xptxas -v`, into a temporary
folder, and reads ptxas' figures for every entry (__global__) function:
registers, spill stores/loads, stack frame, static shared memory, constant
memory. Writes BUILD/kernel_resources.json, prints it, and exits 1 when
  - the fused tile kernel spills (any spill store or load),
  - any kernel has more than 48 KiB of static shared memory,
  - the fused tile kernel is not in the output, or a compile fails,
  - the PTX of any kernels/*.cu (kept with --keep) has a fused multiply-add
    (fma.*.f64/f32): the CPU rounds a*b+c twice, so the kernels must too
    (the build passes --fmad=false, which also stops ptxas fusing).

usage: kernel_resources.py BUILD_DIR SOURCE_DIR [--extra-flag FLAG]...
--extra-flag appends flags to the nvcc command (e.g. -lineinfo). Note that
-maxrregcount does not apply to a kernel with __launch_bounds__: to see this
test fail on a spill, give the kernel a minimum of blocks per SM instead,
e.g. __launch_bounds__(kernels::kBlockThreads, 16) (32 registers: it spills).
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

FUSED = "fused_tile_kernel"
SMEM_LIMIT = 48 * 1024

ENTRY = re.compile(r"ptxas info\s*: Compiling entry function '([^']+)' for '([^']+)'")
PROPS = re.compile(r"ptxas info\s*: Function properties for (\S+)")
FRAME = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
USED = re.compile(r"ptxas info\s*: Used (\d+) registers(.*)")
SMEM = re.compile(r"(\d+) bytes smem")
BARRIERS = re.compile(r"used (\d+) barriers")
CMEM = re.compile(r"(\d+) bytes cmem\[(\d+)\]")


def demangle(names):
    try:
        out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True,
                             check=True).stdout.splitlines()
        if len(out) == len(names):
            return dict(zip(names, out))
    except (OSError, subprocess.CalledProcessError):
        pass
    return {n: n for n in names}


def nvcc_command(entry, obj):
    """The build's command for one .cu file, writing `obj`, without depfile flags."""
    args = entry.get("arguments") or shlex.split(entry["command"])
    out, skip = [], 0
    for a in args:
        if skip:
            skip -= 1
            continue
        if a in ("-o", "-MF", "-MT", "-MQ"):
            skip = 1
            continue
        if a in ("-MD", "-MMD") or a.startswith("-MF") or a.startswith("-MT"):
            continue
        out.append(a)
    return out + ["-o", obj]


def parse(text, source):
    """Entry functions with their figures; ptxas prints, per function:
    'Compiling entry function X for sm_NN', 'Function properties for X',
    '<n> bytes stack frame, <n> bytes spill stores, <n> bytes spill loads',
    'Used <n> registers, ... <n> bytes smem, <n> bytes cmem[0]'."""
    kernels, current, props_of = [], None, None
    for line in text.splitlines():
        m = ENTRY.search(line)
        if m:
            current = {"mangled": m.group(1), "arch": m.group(2), "source": source}
            kernels.append(current)
            props_of = None
            continue
        m = PROPS.search(line)
        if m:
            props_of = m.group(1)
            continue
        m = FRAME.search(line)
        if m and current is not None and props_of == current["mangled"]:
            current["stack_frame_bytes"] = int(m.group(1))
            current["spill_stores_bytes"] = int(m.group(2))
            current["spill_loads_bytes"] = int(m.group(3))
            continue
        m = USED.search(line)
        if m and current is not None and "registers" not in current:
            current["registers"] = int(m.group(1))
            rest = m.group(2)
            s = SMEM.search(rest)
            current["smem_bytes"] = int(s.group(1)) if s else 0
            b = BARRIERS.search(rest)
            current["barriers"] = int(b.group(1)) if b else 0
            cmem = {f"cmem[{bank}]": int(n) for n, bank in CMEM.findall(rest)}
            current["cmem_bytes"] = cmem
            current["constant_bytes"] = sum(cmem.values())
    return kernels


def fma_check(ptx_dir, src):
    """Fused multiply-adds in the PTX nvcc kept for `src` (they round unlike the CPU)."""
    stem = os.path.splitext(os.path.basename(src))[0]
    ptx = [os.path.join(ptx_dir, n) for n in os.listdir(ptx_dir)
           if n.startswith(stem) and n.endswith(".ptx")]
    if not ptx:
        return [f"{src}: nvcc --keep left no PTX in {ptx_dir}"]
    found = 0
    for path in ptx:
        with open(path) as f:
            found += len(re.findall(r"\bfma\.\w+\.f(?:32|64)\b", f.read()))
    if found:
        return [f"{src}: {found} fused multiply-add instructions (fma.*) in the PTX: "
                f"compile with --fmad=false so results equal the CPU's"]
    return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir")
    ap.add_argument("source_dir")
    ap.add_argument("--extra-flag", action="append", default=[])
    opt = ap.parse_args()
    build = os.path.abspath(opt.build_dir)
    kdir = os.path.join(os.path.abspath(opt.source_dir), "kernels")
    with open(os.path.join(build, "compile_commands.json")) as f:
        db = json.load(f)
    by_file = {os.path.realpath(os.path.join(e["directory"], e["file"])): e for e in db}
    sources = sorted(os.path.join(kdir, n) for n in os.listdir(kdir) if n.endswith(".cu"))
    errors, kernels = [], []
    if not sources:
        errors.append(f"no kernels/*.cu in {kdir}")
    with tempfile.TemporaryDirectory(prefix="nm_kernel_resources_") as tmp:
        for src in sources:
            entry = by_file.get(os.path.realpath(src))
            if entry is None:
                errors.append(f"{src}: not in {build}/compile_commands.json (CUDA backend off?)")
                continue
            obj = os.path.join(tmp, os.path.basename(src) + ".o")
            keep = os.path.join(tmp, os.path.basename(src) + ".keep")
            os.makedirs(keep)
            cmd = (nvcc_command(entry, obj) + ["-Xptxas", "-v", "--keep", "--keep-dir", keep]
                   + opt.extra_flag)
            r = subprocess.run(cmd, cwd=entry["directory"], capture_output=True, text=True)
            text = r.stdout + r.stderr
            if r.returncode != 0:
                errors.append(f"{src}: nvcc failed (exit {r.returncode}):\n{text}")
                continue
            kernels += parse(text, os.path.relpath(src, os.path.dirname(kdir)))
            # Every kernel shares double arithmetic with the CPU (Jaro-Winkler).
            errors += fma_check(keep, src)
    names = demangle([k["mangled"] for k in kernels])
    for k in kernels:
        k["name"] = names[k["mangled"]]
        for key in ("registers", "stack_frame_bytes", "spill_stores_bytes", "spill_loads_bytes"):
            if key not in k:
                errors.append(f"{k['name']} ({k['arch']}): ptxas printed no {key}")
        if k.get("smem_bytes", 0) > SMEM_LIMIT:
            errors.append(f"{k['name']} ({k['arch']}): {k['smem_bytes']} bytes of static shared "
                          f"memory (limit {SMEM_LIMIT})")
        if FUSED in k["name"] and (k.get("spill_stores_bytes", 0) or k.get("spill_loads_bytes", 0)):
            errors.append(f"{k['name']} ({k['arch']}): spills ({k['spill_stores_bytes']} bytes "
                          f"stored, {k['spill_loads_bytes']} bytes loaded)")
    if not any(FUSED in k["name"] for k in kernels):
        errors.append(f"no entry function named {FUSED} in the ptxas output")
    report = {"extra_flags": opt.extra_flag, "kernels": kernels, "errors": errors,
              "ok": not errors}
    with open(os.path.join(build, "kernel_resources.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(json.dumps(report, indent=2))
    for e in errors:
        print("kernel_resources: FAIL:", e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
