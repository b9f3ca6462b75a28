"""Stop the set-up at once, in one line, on a platform or Python the course cannot install on.

`make setup` runs this first, with whatever `$(PYTHON)` is, before it creates .venv: it prints
nothing and exits 0 on a supported platform; otherwise it prints one line to stderr (what is
supported and the way out) and exits 1, instead of a resolver error minutes later.

Standard library only, and no syntax newer than Python 3.6 (no `X | None` outside a string), so
that an old interpreter still gets the message rather than a SyntaxError.
"""

import platform
import struct
import sys

# The supported set, stated once (it follows TensorFlow 2.21.0's wheels and pyproject.toml):
# Python >= 3.11.5 (soupsieve, via nbconvert) and < 3.14 (no TensorFlow wheel yet), 64-bit,
# on these (platform.system(), platform.machine()) pairs.
PYTHON_MIN = (3, 11, 5)
PYTHON_STOP = (3, 14)
PLATFORMS = {
    ("Linux", "x86_64"): "Linux x86-64",
    ("Linux", "aarch64"): "Linux aarch64",
    ("Windows", "AMD64"): "Windows x86-64",
    ("Darwin", "arm64"): "macOS arm64 (Apple silicon)",
}

SUPPORTED = (f"Python {'.'.join(map(str, PYTHON_MIN))}-{PYTHON_STOP[0]}.{PYTHON_STOP[1] - 1} (64-bit) "
             f"on {', '.join(PLATFORMS.values())}")
WAY_OUT = ("use a supported interpreter, e.g. `make lab PYTHON=python3.12`, "
           "or open the notebooks on Colab (README.md, \"On Colab\")")


def problem(version_info, system, machine, bits=64) -> "str | None":
    """None when the course installs here, else the one line saying why not and what to do.

    version_info: a sys.version_info-like tuple; system, machine: platform.system() and
    platform.machine(); bits: the interpreter's pointer size (a 32-bit Python on a 64-bit OS
    reports the OS's machine).
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
    elif version < PYTHON_MIN:
        reason = f"Python {shown} is too old"
    elif version >= PYTHON_STOP:
        reason = f"TensorFlow 2.21 has no wheel for Python {shown}"
    else:
        return None
    return f"Unsupported platform: {reason}. The course needs {SUPPORTED}; {WAY_OUT}."


def main():
    message = problem(sys.version_info, platform.system(), platform.machine(), struct.calcsize("P") * 8)
    if message:
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
