"""The umqtt.simple peer of the MQTT bench: micropython-lib's client, fetched from PyPI.

PyPI's ``micropython-umqtt.simple`` is an sdist pip cannot install (it has neither a
setup.py nor a pyproject.toml: micropython-lib's ``mip`` is its installer), and the
repository does not copy its code.  So the bench downloads the pinned sdist itself, checks
its SHA-256 against the one written here, and extracts ``umqtt/simple.py`` alone into
``bench/build/umqtt-<version>/``, where later runs find it without the network.

The file's URL is asked of PyPI: its JSON API first, then its Simple index (PEP 503), the
index pip reads; the hash pinned here is what decides, not the one the index gives.  When
the download or the check fails, :func:`simple_py` raises ``RuntimeError`` with the reason,
and the bench writes its umqtt.simple rows as ERROR rows saying it.
"""

import hashlib
import io
import json
import os
import re
import tarfile
import urllib.request

PROJECT = "micropython-umqtt.simple"
VERSION = "1.3.4"
SHA256 = "b6a2520239e3992c63a7de9370ee9b3d9d27819a90359c521f1c0f7ccab8d12f"
SDIST = "micropython-umqtt.simple-%s.tar.gz" % VERSION
MEMBER = "umqtt/simple.py"
JSON_URL = "https://pypi.org/pypi/%s/%s/json" % (PROJECT, VERSION)
# PEP 503's normalised name: runs of -_. become one -.
SIMPLE_URL = "https://pypi.org/simple/%s/" % re.sub(r"[-_.]+", "-", PROJECT).lower()
TIMEOUT_S = 30
LIMIT = 1 << 20  # the sdist is about 5 KB: a larger answer is not it


def _get(url: str) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": "remora-bench"})
    with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
        return resp.read(LIMIT + 1)


def sdist_url() -> str:
    """The sdist's download URL, from PyPI's JSON API or else its Simple index."""
    errors = []
    try:
        doc = json.loads(_get(JSON_URL))
        for f in doc.get("urls", ()):
            if f.get("filename") == SDIST:
                return str(f["url"])
        errors.append("%s lists no %s" % (JSON_URL, SDIST))
    except (OSError, ValueError) as exc:
        errors.append("%s: %s" % (JSON_URL, exc))
    try:
        page = _get(SIMPLE_URL).decode("utf-8", "replace")
        for href in re.findall(r'href="([^"]+)"', page):
            if href.split("#")[0].endswith("/" + SDIST):
                return href.split("#")[0]
        errors.append("%s lists no %s" % (SIMPLE_URL, SDIST))
    except (OSError, ValueError) as exc:
        errors.append("%s: %s" % (SIMPLE_URL, exc))
    raise RuntimeError("; ".join(errors))


def simple_py(build_dir: str) -> str:
    """The path of umqtt/simple.py from the pinned sdist, downloaded (and checked) on
    first use into build_dir/umqtt-VERSION/; RuntimeError saying why when it cannot be."""
    folder = os.path.join(build_dir, "umqtt-%s" % VERSION)
    path = os.path.join(folder, MEMBER)
    stamp = os.path.join(folder, "sha256")
    if os.path.exists(path) and os.path.exists(stamp):
        with open(stamp) as f:
            if f.read().strip() == SHA256:
                return path
    try:
        url = sdist_url()
        data = _get(url)
    except (OSError, ValueError) as exc:
        raise RuntimeError("downloading %s %s from PyPI failed: %s" % (PROJECT, VERSION, exc))
    except RuntimeError as exc:
        raise RuntimeError("no URL for %s %s on PyPI: %s" % (PROJECT, VERSION, exc))
    got = hashlib.sha256(data).hexdigest()
    if got != SHA256:
        raise RuntimeError("%s from %s has SHA-256 %s, not the pinned %s" % (SDIST, url, got,
                                                                            SHA256))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            # Only the one member, read as bytes: no path from the archive is written.
            member = tar.getmember("micropython-umqtt.simple-%s/%s" % (VERSION, MEMBER))
            src = tar.extractfile(member)
            if src is None:
                raise KeyError(MEMBER)
            code = src.read()
    except (tarfile.TarError, KeyError, OSError) as exc:
        raise RuntimeError("%s has no readable %s: %s" % (SDIST, MEMBER, exc))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "wb") as f:
        f.write(code)
    os.replace(path + ".tmp", path)
    with open(stamp, "w") as f:
        f.write(SHA256 + "\n")
    return path


if __name__ == "__main__":  # fetch it alone: python -m bench.umqtt_peer
    print(simple_py(os.environ.get("REMORA_BUILD") or os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "build")))
