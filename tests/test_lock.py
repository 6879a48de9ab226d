"""requirements-lock.txt and scripts/check_lock.py: the environment the tests,
the demo data and the demo figures are made with.

The checker runs as the install step does, in a subprocess of this interpreter,
against the real site-packages; only the lock file it reads is edited.
"""
import os.path as osp
import re
import subprocess
import sys
from importlib.metadata import distributions, version

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
LOCK = osp.join(ROOT, 'requirements-lock.txt')
IN_PROJECT_VENV = osp.realpath(sys.prefix) == osp.realpath(osp.join(ROOT, '.venv'))


def _norm(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def _pins():
    pins = {}
    with open(LOCK) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                name, ver = line.split('==')
                pins[_norm(name)] = ver
    return pins


def _check(lock):
    return subprocess.run([sys.executable, osp.join(ROOT, 'scripts', 'check_lock.py'),
                           '--lock', str(lock)], capture_output=True, text=True)


def _edited_lock(tmp_path, edit):
    with open(LOCK) as f:
        text = f.read()
    path = tmp_path / 'requirements-lock.txt'
    path.write_text(edit(text))
    return path


def test_lock_pins_every_package_exactly_and_one_opencv():
    pins = _pins()
    for name in ('torch', 'mmcv', 'mmengine', 'mmsegmentation', 'numpy', 'pillow',
                 'opencv-python', 'scikit-image', 'scipy', 'setuptools', 'pytest'):
        assert name in pins, name
    assert pins['torch'] == '2.13.0' and pins['mmcv'] == '2.1.0'
    assert pins['mmengine'] == '0.10.7' and pins['mmsegmentation'] == '1.2.2'
    assert 'opencv-python-headless' not in pins
    assert 'pip' not in pins and 'mmseg-pseudoseg' not in pins


@pytest.mark.skipif(not IN_PROJECT_VENV,
                    reason='the lock describes the project .venv (make install)')
def test_project_venv_matches_the_lock():
    result = _check(LOCK)
    assert result.returncode == 0, result.stderr
    assert f'{len(_pins())} distributions match requirements-lock.txt' in result.stdout
    cv2_dists = [d.metadata['Name'] for d in distributions()
                 if any(str(p) == 'cv2/__init__.py' for p in d.files or [])]
    assert cv2_dists == ['opencv-python']


@pytest.mark.skipif(not IN_PROJECT_VENV,
                    reason='the lock describes the project .venv (make install)')
def test_a_version_changed_by_hand_is_named_with_both_versions(tmp_path):
    have = version('numpy')
    lock = _edited_lock(tmp_path, lambda t: re.sub(
        r'(?m)^numpy==\S+$', 'numpy==1.26.4', t))
    result = _check(lock)
    assert result.returncode == 1
    assert ('requirements-lock.txt: numpy is %s here, the lock pins 1.26.4' % have
            in result.stderr)
    assert '1 difference(s) from' in result.stderr


@pytest.mark.skipif(not IN_PROJECT_VENV,
                    reason='the lock describes the project .venv (make install)')
def test_unpinned_and_missing_packages_are_named(tmp_path):
    have = version('scipy')
    lock = _edited_lock(tmp_path, lambda t: re.sub(
        r'(?m)^scipy==\S+\n', '', t) + 'left-pad==1.0.0\n')
    result = _check(lock)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert f'requirements-lock.txt: scipy {have} is installed but not in the lock' in lines
    assert 'requirements-lock.txt: left-pad==1.0.0 is pinned but not installed' in lines


def test_a_pin_without_local_label_accepts_local_builds(tmp_path):
    """``torch==2.13.0`` holds for the CPU wheel ``2.13.0+cpu`` (and a CUDA one);
    a pin with a label must match it exactly."""
    torch_version = version('torch')
    public = torch_version.split('+')[0]
    env_lines = ''.join(f'{_norm(d.metadata["Name"])}=={d.version}\n'
                        for d in distributions()
                        if _norm(d.metadata['Name']) not in ('pip', 'mmseg-pseudoseg'))
    names = [line.split('==')[0] for line in env_lines.splitlines()]
    if len(names) != len(set(names)):
        pytest.skip('a package is installed twice on sys.path')
    lock = tmp_path / 'requirements-lock.txt'
    lock.write_text(re.sub(r'(?m)^torch==\S+$', f'torch=={public}', env_lines))
    assert _check(lock).returncode == 0
    lock.write_text(re.sub(r'(?m)^torch==\S+$', f'torch=={public}+other', env_lines))
    result = _check(lock)
    assert result.returncode == 1
    assert (f'requirements-lock.txt: torch is {torch_version} here, the lock pins '
            f'{public}+other') in result.stderr


def test_a_malformed_lock_line_is_an_error_naming_file_and_line(tmp_path):
    lock = tmp_path / 'requirements-lock.txt'
    lock.write_text('# header\nnumpy>=2\n')
    result = _check(lock)
    assert result.returncode != 0
    assert f"{lock}:2: expected name==version, got 'numpy>=2'" in result.stderr


def test_fresh_clone_check_refuses_an_unknown_argument_before_cloning():
    """scripts/check_fresh_clone.sh names a bad argument and exits 2 at once."""
    result = subprocess.run(['bash', osp.join(ROOT, 'scripts', 'check_fresh_clone.sh'),
                             '--bogus'], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith('unknown argument: --bogus (see the header of')
    assert '[fresh]' not in result.stdout
