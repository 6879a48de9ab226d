"""Check that this Python environment is exactly ``requirements-lock.txt``.

    python scripts/check_lock.py [--lock requirements-lock.txt]

Every installed distribution must be pinned in the lock at the installed
version, every pinned distribution must be installed, and one distribution
alone may provide ``cv2``. ``pip`` and this project itself are not compared.
A pin without a local version label (``torch==2.13.0``) accepts any local
build of that release (``2.13.0+cpu``, ``2.13.0+cu121``).

Exit status 0 when the environment matches, 1 with one line per difference
otherwise (package, installed version, locked version). Runs with the standard
library only, before or without the project installed.
"""
import argparse
import os.path as osp
import re
import sys
from importlib.metadata import distributions

NOT_COMPARED = ('pip', 'mmseg-pseudoseg')
_PIN = re.compile(r'^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)\s*(?:#.*)?$')


def normalize(name: str) -> str:
    """PEP 503 name: ``Pillow`` and ``pillow``, ``opencv_python`` and
    ``opencv-python`` are one package."""
    return re.sub(r'[-_.]+', '-', name).lower()


def read_lock(path: str) -> dict:
    """``{normalized name: version}`` from a file of ``name==version`` lines;
    blank and ``#`` lines are skipped, any other line is an error."""
    pins = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith('#'):
                continue
            match = _PIN.match(text)
            if match is None:
                raise SystemExit(f'{path}:{lineno}: expected name==version, '
                                 f'got {text!r}')
            name = normalize(match.group(1))
            if name in pins:
                raise SystemExit(f'{path}:{lineno}: {name} is pinned twice')
            pins[name] = match.group(2)
    return pins


def installed() -> dict:
    """``{normalized name: (version, files)}`` of this interpreter's site."""
    found = {}
    for dist in distributions():
        name = normalize(dist.metadata['Name'] or '')
        if name and name not in found:  # first on sys.path wins, as for import
            found[name] = (dist.version, dist.files or [])
    return found


def version_matches(have: str, pinned: str) -> bool:
    if '+' in pinned:
        return have == pinned
    return have.split('+')[0] == pinned


def differences(pins: dict, env: dict, lock_name: str) -> list:
    """One human-readable line per difference between ``env`` and ``pins``."""
    out = []
    for name in sorted(set(pins) | set(env)):
        if name in NOT_COMPARED:
            continue
        if name not in env:
            out.append(f'{lock_name}: {name}=={pins[name]} is pinned but not '
                       'installed')
        elif name not in pins:
            out.append(f'{lock_name}: {name} {env[name][0]} is installed but '
                       'not in the lock')
        elif not version_matches(env[name][0], pins[name]):
            out.append(f'{lock_name}: {name} is {env[name][0]} here, the lock '
                       f'pins {pins[name]}')
    cv2 = sorted(name for name, (_, files) in env.items()
                 if any(str(p).replace('\\', '/') == 'cv2/__init__.py'
                        for p in files))
    if len(cv2) > 1:
        out.append(f'{lock_name}: cv2 is provided by {len(cv2)} distributions '
                   f'({", ".join(cv2)}); they overwrite each other\'s files, '
                   'keep the one the lock pins')
    return out


def main(argv=None) -> int:
    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--lock', default=osp.join(root, 'requirements-lock.txt'))
    args = parser.parse_args(argv)
    pins = read_lock(args.lock)
    lock_name = osp.basename(args.lock)
    problems = differences(pins, installed(), lock_name)
    if problems:
        print('\n'.join(problems), file=sys.stderr)
        print(f'{len(problems)} difference(s) from {args.lock}: '
              '`bash scripts/install.sh` installs the lock into .venv',
              file=sys.stderr)
        return 1
    print(f'[lock] ok: {len(pins)} distributions match {lock_name} '
          f'({sys.prefix})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
