"""Build stub CUDA libraries so that the CUDA build of torch from PyPI imports on a CPU-only machine.

The Linux x86_64 torch wheels on PyPI are CUDA builds. Their libtorch_cuda.so and
libtorch_python.so name cuBLAS, cuDNN, NCCL, cuFFT, cuSPARSE, cuSPARSELt, cuFile,
NVRTC and NVSHMEM as DT_NEEDED, and the packages that ship those libraries add up to
several GB. This script compiles one small shared library per missing soname. Each stub
defines every symbol that torch imports from that soname, under the same symbol
version, so the dynamic linker can load torch. The real libcudart and libcupti come
from the small nvidia-cuda-runtime and nvidia-cuda-cupti wheels. With no NVIDIA
driver present, libcudart reports no device, so torch.cuda.is_available() is False.
With stubs that trap when called, rsrae_torch.py train, score and curve ran to the end,
so its CPU code paths do not call them. A stub function that is called anyway returns
999, a nonzero status, and these libraries use 0 for success.

NOTE: the stubs make torch usable on the CPU only. On a machine with an NVIDIA driver,
libcudart finds the GPU and torch would call the stubs. Install the full torch wheel there.

The stubs go into site-packages/nvidia/cu13/lib, which is on the RUNPATH of the torch
libraries. Installing the real CUDA wheels later overwrites them.

Requires gcc and readelf (binutils). Run with the Python of the target environment.
"""

import collections
import os
import re
import subprocess
import sys
import sysconfig
import tempfile

# The CUDA driver is loaded by libcudart with dlopen, so a stub of it would be
# picked up as a real driver. libcaffe2_nvrtc.so, its only user in torch/lib, is
# loaded on demand and is not part of the import closure anyway.
NEVER_STUB = {"libcuda.so.1"}

# Some libraries export unversioned symbols, so the soname that provides an
# unversioned symbol is known only from its name prefix.
UNVERSIONED_PREFIXES = {
    "libnccl.so.2": ("nccl",),
    "libcusparseLt.so.0": ("cusparseLt",),
    "libcufile.so.0": ("cuFile",),
    "libnvshmem_host.so.3": ("nvshmem",),
}

STUB_RETURN_CODE = 999


def run_readelf(*args):
    result = subprocess.run(
        ["readelf", "-W", *args], capture_output=True, text=True, check=True
    )
    return result.stdout


def needed_sonames(path):
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run_readelf("-d", path))


def version_index_to_file(path):
    """Map each version index in the .gnu.version_r section to the soname that defines it."""
    mapping = {}
    current_file = None
    for line in run_readelf("-V", path).splitlines():
        file_match = re.search(r"File: (\S+)", line)
        if file_match:
            current_file = file_match.group(1)
            continue
        name_match = re.search(r"Name: (\S+)\s+Flags: \S+\s+Version: (\d+)", line)
        if name_match and current_file:
            mapping[int(name_match.group(2))] = (current_file, name_match.group(1))
    return mapping


def undefined_symbols(path):
    """Yield (name, type, bind, version index or None) for each undefined dynamic symbol."""
    pattern = re.compile(
        r"^\s*\d+:\s+[0-9a-f]+\s+\d+\s+(\w+)\s+(\w+)\s+\w+\s+UND\s+(\S+)(?:\s+\((\d+)\))?"
    )
    for line in run_readelf("--dyn-syms", path).splitlines():
        match = pattern.match(line)
        if not match or not match.group(3):
            continue
        symbol_type, bind, name, index = match.groups()
        name = name.split("@")[0]
        yield name, symbol_type, bind, int(index) if index else None


def defined_symbols(path):
    defined = set()
    for line in run_readelf("--dyn-syms", path).splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[6] != "UND":
            defined.add(fields[7].split("@")[0])
    return defined


def import_closure(torch_lib, entry):
    """Return the torch libraries loaded when `entry` (torch/_C*.so) is loaded."""
    closure = [entry]
    pending = [entry]
    while pending:
        for soname in needed_sonames(pending.pop()):
            path = os.path.join(torch_lib, soname)
            if os.path.exists(path) and path not in closure:
                closure.append(path)
                pending.append(path)
    return closure


def resolve(soname, search_dirs, system_libraries):
    """Return the path the dynamic linker would load for `soname`, or None."""
    for directory in search_dirs:
        path = os.path.join(directory, soname)
        if os.path.exists(path):
            return path
    return system_libraries.get(soname)


def system_library_paths():
    """Map each soname in the ldconfig cache to its x86-64 path."""
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True)
    paths = {}
    for line in cache.stdout.splitlines():
        match = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if match and "x86-64" in match.group(2):
            paths.setdefault(match.group(1), match.group(3))
    return paths


def main():
    site_packages = sysconfig.get_paths()["purelib"]
    torch_dir = os.path.join(site_packages, "torch")
    torch_lib = os.path.join(torch_dir, "lib")
    stub_dir = os.path.join(site_packages, "nvidia", "cu13", "lib")
    entries = [f for f in os.listdir(torch_dir) if f.startswith("_C.") and f.endswith(".so")]
    if len(entries) != 1:
        sys.exit(f"error: expected one torch/_C*.so in {torch_dir}, found {entries}")
    closure = import_closure(torch_lib, os.path.join(torch_dir, entries[0]))

    search_dirs = [torch_lib, stub_dir]
    system_libraries = system_library_paths()
    missing = set()
    present = set(closure)
    for path in closure:
        for soname in needed_sonames(path):
            resolved = resolve(soname, search_dirs, system_libraries)
            if resolved:
                present.add(resolved)
            elif soname not in NEVER_STUB:
                missing.add(soname)
    if not missing:
        print("make_cuda_stubs: every library torch needs is present, nothing to build")
        return

    # libtorch.so imports libstdc++ symbols without naming libstdc++ as DT_NEEDED, so
    # an unversioned symbol counts as provided when any loaded library defines it.
    defined = set()
    for path in present:
        defined |= defined_symbols(path)

    # soname -> {version name or None: {symbol name: symbol type}}
    stubs = {soname: collections.defaultdict(dict) for soname in missing}
    unassigned = set()
    for path in closure:
        versions = version_index_to_file(path)
        for name, symbol_type, bind, index in undefined_symbols(path):
            if index is not None and index in versions:
                soname, version = versions[index]
                if soname in missing:
                    stubs[soname][version][name] = symbol_type
                continue
            if bind == "WEAK" or name in defined or name.startswith(("Py", "_Py")):
                continue
            owners = [
                soname
                for soname, prefixes in UNVERSIONED_PREFIXES.items()
                if soname in missing and name.startswith(prefixes)
            ]
            if owners:
                stubs[owners[0]][None][name] = symbol_type
            else:
                unassigned.add(name)
    if unassigned:
        sys.exit(
            "error: no stub soname for these undefined symbols, extend "
            f"UNVERSIONED_PREFIXES: {sorted(unassigned)}"
        )

    os.makedirs(stub_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as build_dir:
        for soname, by_version in sorted(stubs.items()):
            build_stub(soname, by_version, build_dir, stub_dir)


def build_stub(soname, by_version, build_dir, stub_dir):
    source_lines = []
    script_lines = []
    for version, symbols in by_version.items():
        for name, symbol_type in sorted(symbols.items()):
            if symbol_type == "OBJECT":
                source_lines.append(f"char {name}[256];")
            else:
                source_lines.append(f"int {name}(void) {{ return {STUB_RETURN_CODE}; }}")
        exported = " ".join(f"{name};" for name in sorted(symbols))
        if version is not None:
            script_lines.append(f"{version} {{ global: {exported} }};")
    unversioned = by_version.get(None)
    if unversioned and not script_lines:
        script_lines.append(f"{{ global: {' '.join(f'{n};' for n in sorted(unversioned))} local: *; }};")

    source_path = os.path.join(build_dir, f"{soname}.c")
    with open(source_path, "w") as source:
        source.write("\n".join(source_lines) + "\n")
    command = ["gcc", "-shared", "-fPIC", "-O0", "-o", os.path.join(stub_dir, soname),
               f"-Wl,-soname,{soname}", source_path]
    if script_lines:
        script_path = os.path.join(build_dir, f"{soname}.map")
        with open(script_path, "w") as script:
            script.write("\n".join(script_lines) + "\n")
        command.append(f"-Wl,--version-script={script_path}")
    subprocess.run(command, check=True)
    count = sum(len(symbols) for symbols in by_version.values())
    print(f"make_cuda_stubs: built {soname} with {count} stub symbols")


if __name__ == "__main__":
    main()
