"""configs/pseudoseg/README.md, the model zoo: every recipe listed once, every config it
names exists, and each config's one-line header agrees with its row's paper number."""
import glob
import os.path as osp
import re

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO, 'configs', 'pseudoseg')
ZOO = osp.join(CONFIGS, 'README.md')
ROW = re.compile(r'^\| \[(?P<name>[^\]]+)\]\((?P<link>[^)]+)\) \|(?P<cells>.*)\|$', re.M)


def _rows():
    with open(ZOO, encoding='utf-8') as f:
        return [(m['name'], m['link'], [c.strip() for c in m['cells'].split('|')])
                for m in ROW.finditer(f.read())]


def _recipes():
    return sorted(osp.relpath(p, CONFIGS)
                  for p in glob.glob(osp.join(CONFIGS, '**', '*.py'), recursive=True)
                  if '_base_' not in osp.relpath(p, CONFIGS).split(osp.sep))


def test_every_recipe_is_listed_once_and_every_listed_config_exists():
    links = [link for _, link, _ in _rows()]
    missing = [link for link in links if not osp.isfile(osp.join(CONFIGS, link))]
    assert not missing, f'the model zoo names configs that do not exist: {missing}'
    assert sorted(links) == _recipes()
    for name, link, _ in _rows():
        assert osp.basename(link) == name


def test_rows_have_every_column():
    # backbone, labelled split, extra data, GPUs x (l + e), iterations, lr, paper, ours
    for name, _, cells in _rows():
        assert len(cells) == 8, name
        assert all(cells[:7]), f'{name}: empty cell in {cells[:7]}'
        assert cells[7] == '', f'{name}: "ours" is filled without a measured run'


@pytest.mark.parametrize('link', _recipes())
def test_config_header_names_its_row(link):
    with open(osp.join(CONFIGS, link), encoding='utf-8') as f:
        first = f.readline()
    assert first.startswith(('# Model zoo:', '# Paper Table 7', '# Embedded demo')), link
    paper = {lk: cells[6] for _, lk, cells in _rows()}[link]
    cited = re.match(r'(\d+\.\d+)', paper)
    header_number = re.search(r'paper (\d+\.\d+)', first)
    if cited:  # a row with the paper's number: the header cites the same number
        assert header_number and header_number.group(1) == cited.group(1), (link, first)
    elif header_number:
        assert header_number.group(1) in paper, (link, first, paper)
