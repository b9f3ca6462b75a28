"""Stop the set-up at once, in one line, on a platform or Python the course cannot install on.

`make setup` runs this first, with whatever `$(PYTHON)` is, before it creates .venv: it prints
nothing and exits 0 on a supported platform; otherwise it prints one line to stderr (what is
supported and the way out: how to get a suitable Python on this system, or Colab) and exits 1,
instead of a resolver error minutes later. `--platform-only` leaves the Python version out (the
conda route, where conda brings its own Python: `python3 tools/check_platform.py --platform-only`).

Standard library only, and no syntax newer than Python 3.6 (no `X | None` outside a string), so
that an old interpreter still gets the message rather than a SyntaxError.
"""

import platform
import struct
import sys

# The supported set, stated once (it follows TensorFlow 2.21.0's wheels and pyproject.toml):
# Python >= 3.11.0 (Debian 12's and Raspberry Pi OS's python3 is 3.11.2) and < 3.14 (no TensorFlow
# wheel yet), 64-bit, on these (platform.system(), platform.machine()) pairs.
PYTHON_MIN = (3, 11, 0)
PYTHON_STOP = (3, 14)
PLATFORMS = {
    ("Linux", "x86_64"): "Linux x86-64",
    ("Linux", "aarch64"): "Linux aarch64",
    ("Windows", "AMD64"): "Windows x86-64",
    ("Darwin", "arm64"): "macOS arm64 (Apple silicon)",
}

SUPPORTED = (f"Python {'.'.join(map(str, PYTHON_MIN))}-{PYTHON_STOP[0]}.{PYTHON_STOP[1] - 1} (64-bit) "
             f"on {', '.join(PLATFORMS.values())}")
# How to get a supported interpreter, per system (any of them also has `uv python install 3.12`).
GET_PYTHON = {
    "Linux": "`sudo apt-get install python3` on Debian 12 / Ubuntu 24.04 (3.11/3.12), or `uv python install 3.12`",
    "Darwin": "`brew install python@3.12`, or `uv python install 3.12`",
    "Windows": "`winget install Python.Python.3.12` (then the `py -3.12` launcher), or `uv python install 3.12`",
}
WAY_OUT = ("use a supported interpreter, e.g. `make lab PYTHON=python3.12` (to get one: {get}), "
           "or open the notebooks on Colab (README.md, \"On Colab\")")


def problem(version_info, system, machine, bits=64, check_python=True) -> "str | None":
    """None when the course installs here, else the one line saying why not and what to do.

    version_info: a sys.version_info-like tuple; system, machine: platform.system() and
    platform.machine(); bits: the interpreter's pointer size (a 32-bit Python on a 64-bit OS
    reports the OS's machine); check_python=False: the platform only (conda brings its own Python).
    """
    version = tuple(version_info[:3])
    shown = ".".join(str(part) for part in version)
    if (system, machine) not in PLATFORMS:
        what = f"{system or 'unknown system'} {machine or 'unknown machine'}"
        if (system, machine) == ("Darwin", "x86_64"):
            what = "Intel macOS (Darwin x86_64)"
        reason = "TensorFlow 2.21 has no wheel for " + what
    elif bits != 64:
        reason = f"this Python is {bits}-bit, TensorFlow 2.21 has 64-bit wheels only"
    elif check_python and version < PYTHON_MIN:
        reason = f"Python {shown} is too old"
    elif check_python and version >= PYTHON_STOP:
        reason = f"TensorFlow 2.21 has no wheel for Python {shown}"
    else:
        return None
    get = GET_PYTHON.get(system, "`uv python install 3.12`")
    return f"Unsupported platform: {reason}. The course needs {SUPPORTED}; {WAY_OUT.format(get=get)}."


def main(argv=None):
    check_python = "--platform-only" not in (sys.argv[1:] if argv is None else argv)
    message = problem(sys.version_info, platform.system(), platform.machine(), struct.calcsize("P") * 8,
                      check_python)
    if message:
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
