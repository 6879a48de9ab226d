"""Split-file reader (docs/method.md §6): both formats, tolerated whitespace, every error."""
import os.path as osp
import re

import pytest

from mmseg_pseudoseg.datasets.split_file import (check_disjoint, check_ids_on_disk,
                                                 parse_split_lines, read_split_file)


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_one_id_per_line_with_blank_lines_and_trailing_whitespace(tmp_path):
    path = _write(tmp_path, 'a.txt', '2007_000733  \n\n2010_004493\t\n  \n2010_000466')
    assert read_split_file(path) == ['2007_000733', '2010_004493', '2010_000466']


def test_two_path_format_voc_and_coco(tmp_path):
    voc = _write(tmp_path, 'voc.txt',
                 'JPEGImages/2007_000733.jpg SegmentationClass/2007_000733.png\n'
                 '/JPEGImages/2010_004493.jpg /SegmentationClassAug/2010_004493.png \n')
    ids = read_split_file(voc, image_dir='JPEGImages')
    assert ids == ['2007_000733', '2010_004493']
    coco = _write(tmp_path, 'coco.txt',
                  'train2017/000000283213.jpg masks/train2017/000000283213.png\n')
    assert read_split_file(coco, image_dir='') == ['train2017/000000283213']


def test_missing_file_names_path_and_tool(tmp_path):
    path = str(tmp_path / 'nope' / '1-16_seed1.txt')
    with pytest.raises(FileNotFoundError, match=re.escape(path)) as err:
        read_split_file(path)
    assert 'tools/make_splits.py' in str(err.value)


def test_empty_file_is_an_error(tmp_path):
    path = _write(tmp_path, 'empty.txt', '\n  \n')
    with pytest.raises(ValueError, match=re.escape(path) + '.*empty'):
        read_split_file(path)


def test_duplicates_name_ids_lines_and_file(tmp_path):
    path = _write(tmp_path, 'dup.txt', 'a\nb\na\nc\nb\n')
    with pytest.raises(ValueError) as err:
        read_split_file(path)
    msg = str(err.value)
    assert path in msg and "'a' (lines [1, 3])" in msg and "'b' (lines [2, 5])" in msg


def test_duplicates_after_format_normalisation(tmp_path):
    lines = ['JPEGImages/x.jpg SegmentationClass/x.png',
             '/JPEGImages/x.jpg /SegmentationClass/x.png']
    with pytest.raises(ValueError, match="'x'"):
        parse_split_lines(lines, source='s.txt', image_dir='JPEGImages')


def test_too_many_fields_and_mixed_formats(tmp_path):
    with pytest.raises(ValueError, match=r'bad\.txt:2: .*3 fields'):
        parse_split_lines(['a', 'b c d'], source='bad.txt')
    with pytest.raises(ValueError, match=r'mix\.txt mixes .*line 1.*line 2'):
        parse_split_lines(['a', 'JPEGImages/b.jpg SegmentationClass/b.png'],
                          source='mix.txt')


def test_check_disjoint_names_both_files_and_ids():
    with pytest.raises(ValueError) as err:
        check_disjoint(['a', 'b', 'c'], 'labelled.txt', ['c', 'b', 'z'], 'val.txt')
    msg = str(err.value)
    assert 'labelled.txt' in msg and 'val.txt' in msg and "'b', 'c'" in msg
    check_disjoint(['a'], 'l.txt', ['b'], 'v.txt')  # no error


def test_check_ids_on_disk(tmp_path):
    (tmp_path / 'img').mkdir()
    (tmp_path / 'img' / 'a.jpg').write_bytes(b'')
    paths = {'image': [str(tmp_path / 'img' / f'{i}.jpg') for i in ('a', 'b')]}
    with pytest.raises(FileNotFoundError) as err:
        check_ids_on_disk(['a', 'b'], paths, 'split.txt')
    msg = str(err.value)
    assert "'b'" in msg and 'split.txt' in msg and osp.join('img', 'b.jpg') in msg
    assert "'a'" not in msg


def test_reads_the_fields_published_lists(reference_dir):
    """The field's standard lists load; their sizes are ceil(N / k)."""
    voc = osp.join(reference_dir, 'official_splits', 'pascal_voc_seg')
    sizes = {'16_clean_3.txt': 92, '16_clean_14.txt': 92, '16_clean_20.txt': 92,
             '8_clean.txt': 183, '4_clean.txt': 366, '2_clean.txt': 732}
    for name, size in sizes.items():
        ids = read_split_file(osp.join(voc, name), image_dir='JPEGImages')
        assert len(ids) == size
        assert all(re.fullmatch(r'\d{4}_\d{6}', i) for i in ids)
    coco = osp.join(reference_dir, 'official_splits', 'coco')
    for k, size in {32: 3697, 64: 1849, 128: 925, 256: 463, 512: 232}.items():
        ids = read_split_file(osp.join(coco, f'{k}_all.txt'), image_dir='')
        assert len(ids) == size
        assert all(re.fullmatch(r'train2017/\d{12}', i) for i in ids)
