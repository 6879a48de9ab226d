"""README.md and docs/*.md: their commands run as written and their links resolve.

Every fenced ``bash`` block is read command by command (backslash continuations
joined, ``#`` comments dropped):

* ``python tools/<tool>.py ARGS``: the tool exists and ``ARGS`` parse with the tool's
  own ``parse_args`` (a wrong option or a missing argument fails);
* ``tools/<script>.sh``, and every ``configs/``, ``tools/`` or ``tests/`` path a
  command names, exists (or is the target of a ``cp`` earlier in the block).

A block preceded by the line ``<!-- test: run -->`` is short (a dry run, a help
text, writing split lists) and is run as written with bash in a scratch folder that
links the repository's top-level folders, with ``python`` = this interpreter and an
empty folder made for every ``--data-root``. Long commands (trainings, the demo,
installs) are never marked.

Every relative Markdown link of those pages (and of the model zoo and the released
splits' notice) must name an existing file.
"""
import glob
import os
import os.path as osp
import re
import shlex
import subprocess
import sys

import pytest

from tool_module import load_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PAGES = ['README.md'] + sorted(osp.relpath(p, REPO)
                               for p in glob.glob(osp.join(REPO, 'docs', '*.md')))
LINKED_PAGES = PAGES + ['configs/pseudoseg/README.md', 'configs/baselines/README.md',
                        'mmseg_pseudoseg/datasets/released_splits/README.md']
RUN_MARKER = '<!-- test: run -->'
BLOCK = re.compile(r'(?P<marker><!-- test: run -->[ \t]*\n)?```bash\n(?P<body>.*?)^```',
                   re.M | re.S)
LINK = re.compile(r'\[[^\]]*\]\(([^)\s]+)\)')
CHECKED_DIRS = ('configs/', 'tools/', 'tests/')


def _blocks():
    for page in PAGES:
        with open(osp.join(REPO, page), encoding='utf-8') as f:
            text = f.read()
        for m in BLOCK.finditer(text):
            yield page, bool(m['marker']), m['body']


def _commands(body):
    """Each command of a bash block as a token list (continuations joined)."""
    for line in body.replace('\\\n', ' ').splitlines():
        for part in re.split(r'&&|;', line):
            tokens = shlex.split(part, comments=True)
            while tokens and re.match(r'^[A-Z_]+=', tokens[0]):  # VAR=value prefix
                tokens = tokens[1:]
            if tokens:
                yield tokens


_TOOLS = {}


def _tool(script):
    if script not in _TOOLS:
        _TOOLS[script] = load_tool(osp.basename(script),
                                   'docs_' + osp.splitext(osp.basename(script))[0])
    return _TOOLS[script]


ALL_COMMANDS = [(page, tokens) for page, _, body in _blocks()
                for tokens in _commands(body)]


def test_the_pages_have_commands_and_a_run_marker():
    assert len(ALL_COMMANDS) > 20
    assert sum(run for _, run, _ in _blocks()) >= 2


@pytest.mark.parametrize('page', PAGES)
def test_every_command_names_existing_files_and_parses(page):
    for _, _, body in [b for b in _blocks() if b[0] == page]:
        created = set()
        for tokens in _commands(body):
            where = f'{page}: {" ".join(tokens)}'
            if tokens[0] == 'cp' and len(tokens) == 3:
                created.add(tokens[2])
            for tok in tokens:
                if (tok.startswith(CHECKED_DIRS) and osp.splitext(tok)[1] in
                        ('.py', '.sh', '.md') and tok not in created):
                    assert osp.isfile(osp.join(REPO, tok)), f'{where}: no file {tok}'
            if tokens[0] == 'python' and len(tokens) > 1 and \
                    tokens[1].startswith('tools/'):
                parser_of = _tool(tokens[1]).parse_args
                try:
                    parser_of(tokens[2:])
                except SystemExit as err:
                    pytest.fail(f'{where}: the tool refuses these arguments ({err})')


def _scratch(tmp_path):
    for name in os.listdir(REPO):
        if name in ('.git', '.venv', 'work_dirs', 'data'):
            continue
        os.symlink(osp.join(REPO, name), str(tmp_path / name))
    bin_dir = tmp_path / '.bin'
    bin_dir.mkdir()
    wrapper = bin_dir / 'python'
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1',
               PATH=f'{bin_dir}{os.pathsep}{os.environ.get("PATH", "")}')
    return env


RUN_BLOCKS = [(page, body) for page, run, body in _blocks() if run]


@pytest.mark.parametrize('page, body', RUN_BLOCKS,
                         ids=[f'{p}:{i}' for i, (p, _) in enumerate(RUN_BLOCKS)])
def test_marked_blocks_run_as_written(page, body, tmp_path):
    env = _scratch(tmp_path)
    for tokens in _commands(body):
        for flag, value in zip(tokens, tokens[1:]):
            if flag == '--data-root':
                os.makedirs(str(tmp_path / value), exist_ok=True)
    proc = subprocess.run(['bash', '-e', '-c', body], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f'{page}:\n{body}\n{proc.stdout}\n{proc.stderr}'


@pytest.mark.parametrize('page', LINKED_PAGES)
def test_every_relative_link_exists(page):
    with open(osp.join(REPO, page), encoding='utf-8') as f:
        text = f.read()
    base = osp.dirname(osp.join(REPO, page))
    missing = []
    for target in LINK.findall(text):
        if re.match(r'^[a-z]+:', target) or target.startswith('#'):
            continue
        path = target.split('#')[0]
        if not osp.exists(osp.normpath(osp.join(base, path))):
            missing.append(target)
    assert not missing, f'{page} links to missing files: {missing}'


def test_pages_speak_of_current_behaviour():
    pattern = re.compile(r'earlier settings|this VM|honestly|no GPU was', re.I)
    for page in PAGES:
        with open(osp.join(REPO, page), encoding='utf-8') as f:
            assert not pattern.search(f.read()), page
