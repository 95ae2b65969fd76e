"""Build the offline install bundle: every wheel kiosk-tickets needs, an install script, the systemd unit, a README.

Run it on a machine with internet access; copy the result to a box without it and run its `install.sh` there.

    python3 packaging/build_offline_bundle.py                   # for a Raspberry Pi (Bookworm: aarch64, CPython 3.11)
    python3 packaging/build_offline_bundle.py --target here     # for machines like this one (its Python, its CPU)
    python3 packaging/build_offline_bundle.py --output /media/usb --no-tarball

The bundle is the directory `kiosk-tickets-offline-VERSION-TARGET/` (and, unless --no-tarball, the same as a
.tar.gz beside it) under --output (default: dist/). How it is made:

1. `pip wheel` builds a wheel of the project and of each dependency for this machine; a dependency published
   only as source (font-roboto) is built into a pure-Python wheel here.
2. For the Pi, `pip download --only-binary=:all:` fetches the wheels of the Pi's platform, taking the wheels
   built in step 1 where PyPI has none. For `here`, the wheels of step 1 are the bundle.
3. A dry run of the install the box will do (`pip install --no-index --find-links wheels`, with the target's
   platform) must resolve every dependency from the bundle alone; otherwise the build fails, naming what is missing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = Path(__file__).resolve().parent / "offline"
UNIT = ROOT / "systemd" / "kiosk-tickets.service"

# Raspberry Pi OS Bookworm (64-bit): CPython 3.11 on aarch64 with glibc 2.36. pip matches a manylinux platform
# tag only as given, so every glibc from manylinux2014's 2.17 up to the Pi's own is listed.
PI_PYTHON = "3.11"
PI_PLATFORMS = ["manylinux2014_aarch64"] + [f"manylinux_2_{minor}_aarch64" for minor in range(17, 37)]
PI_OPTIONS = [
    *(option for platform in PI_PLATFORMS for option in ("--platform", platform)),
    "--python-version", PI_PYTHON, "--implementation", "cp", "--abi", "cp311",
]  # fmt: skip


class BuildFailed(Exception):
    """The bundle cannot be made; one sentence says why."""


def _pip(*args: str) -> str:
    """Run pip of this Python; return its output, or raise BuildFailed with it."""
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildFailed(f"`pip {args[0]}` failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def project_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"])


def runtime_requirements() -> list[str]:
    """The names of the project's runtime dependencies, normalised as pip reports them."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    return sorted(_normalise(re.split(r"[\s<>=!~;\[]", dependency, maxsplit=1)[0]) for dependency in dependencies)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def target_name(target: str) -> str:
    if target == "pi":
        return "linux_aarch64-cp311"
    from sysconfig import get_platform

    return f"{get_platform().replace('-', '_')}-cp{sys.version_info.major}{sys.version_info.minor}"


def _source_tree(work: Path) -> Path:
    """The files the project's wheel is built from, copied, so the build leaves nothing in the checkout."""
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "kiosk_tickets", source / "kiosk_tickets", ignore=shutil.ignore_patterns("__pycache__"))
    return source


def build_wheels(target: str, wheels: Path, work: Path) -> list[str]:
    """Fill `wheels` for `target`; return the names of the distributions built from source here."""
    local = work / "local"
    # Without pip's cache, each build makes its wheels from source anew (a wheel cached from another Python or
    # another version of a build tool is not reused), and says which they are.
    output = _pip("wheel", "--no-cache-dir", "--wheel-dir", str(local), str(_source_tree(work)))
    built = sorted(_normalise(name) for name in re.findall(r"Created wheel for (\S+):", output))
    (project_wheel,) = local.glob("kiosk_tickets-*.whl")
    if target == "here":
        shutil.copytree(local, wheels)
    else:
        options = ["--only-binary=:all:", *PI_OPTIONS, "--find-links", str(local)]
        _pip("download", "--dest", str(wheels), *options, str(project_wheel))
    return built


def platform_mismatches(wheels: Path) -> list[str]:
    """Wheels of the Pi bundle that are neither pure Python nor for the Pi's platform."""
    wrong = []
    for wheel in sorted(wheels.glob("*.whl")):
        platforms = wheel.name[: -len(".whl")].split("-")[-1].split(".")
        if not any(platform == "any" or platform in PI_PLATFORMS for platform in platforms):
            wrong.append(wheel.name)
    return wrong


def resolve_offline(target: str, wheels: Path, work: Path, version: str) -> dict[str, str]:
    """Resolve the install from the bundle alone, as the box will; return {distribution: version}."""
    report = work / "report.json"
    platform = [*PI_OPTIONS, "--only-binary=:all:"] if target == "pi" else []
    _pip(
        "install", "--dry-run", "--ignore-installed", "--no-index", "--find-links", str(wheels),
        "--target", str(work / "target"), "--report", str(report), *platform, f"kiosk-tickets=={version}",
    )  # fmt: skip
    installed = json.loads(report.read_text(encoding="utf-8"))["install"]
    return {_normalise(item["metadata"]["name"]): item["metadata"]["version"] for item in installed}


def write_checksums(wheels: Path) -> None:
    lines = [f"{hashlib.sha256(wheel.read_bytes()).hexdigest()}  {wheel.name}\n" for wheel in sorted(wheels.glob("*"))]
    (wheels / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")


def build(target: str, output: Path, tarball: bool) -> Path:
    """Make the bundle for `target` ("pi" or "here") under `output`; return its directory."""
    version = project_version()
    bundle = output / f"kiosk-tickets-offline-{version}-{target_name(target)}"
    if bundle.exists():
        raise BuildFailed(f"{bundle} exists already; remove it or choose another --output.")
    with tempfile.TemporaryDirectory(prefix="kiosk-tickets-bundle-") as scratch:
        work = Path(scratch)
        staged = work / bundle.name
        built = build_wheels(target, staged / "wheels", work)
        if target == "pi" and (wrong := platform_mismatches(staged / "wheels")):
            raise BuildFailed("wheels for another platform: " + ", ".join(wrong))
        resolved = resolve_offline(target, staged / "wheels", work, version)
        missing = sorted(set(runtime_requirements()) - set(resolved))
        if missing:
            raise BuildFailed("the bundle lacks runtime dependencies: " + ", ".join(missing))
        write_checksums(staged / "wheels")
        for name in ("install.sh", "README.md"):
            shutil.copy2(FILES / name, staged / name)
        shutil.copy2(UNIT, staged / UNIT.name)
        output.mkdir(parents=True, exist_ok=True)
        shutil.move(staged, bundle)
    if tarball:
        with tarfile.open(f"{bundle}.tar.gz", "w:gz") as archive:
            archive.add(bundle, arcname=bundle.name)
    size = sum(path.stat().st_size for path in (bundle / "wheels").glob("*.whl"))
    print(f"Bundle for {target_name(target)}: {bundle}" + (f" (and {bundle}.tar.gz)" if tarball else ""))
    print(f"{len(resolved)} distributions, {size / 1e6:.1f} MB of wheels, resolved offline from the bundle alone:")
    for name, found in sorted(resolved.items()):
        print(f"  {name} {found}" + ("  (built from source here)" if name in built else ""))
    return bundle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--target",
        choices=("pi", "here"),
        default="pi",
        help="pi: Raspberry Pi OS Bookworm, aarch64, CPython 3.11; here: this machine's platform and Python "
        "(default: pi)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "dist", help="where the bundle goes (default: dist/)")
    parser.add_argument("--no-tarball", action="store_true", help="make the directory only, no .tar.gz of it")
    args = parser.parse_args(argv)
    try:
        build(args.target, args.output.resolve(), tarball=not args.no_tarball)
    except BuildFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
