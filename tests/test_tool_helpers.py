"""The tools' shared helpers: the config walker, the progress runner, the summary."""
import io

from mmengine.config import Config

from mmseg_pseudoseg.utils import iter_config_dicts, summary_line, track_jobs


def square(x):
    return x * x


def test_walker_visits_every_dict_depth_first_and_sees_edits():
    cfg = Config(dict(model=dict(type='A', head=dict(type='B')),
                      pipeline=[dict(type='C'), (dict(type='D'), 3)], lr=0.1))
    assert [n.get('type') for n in iter_config_dicts(cfg)] == \
        [None, 'A', 'B', 'C', 'D']
    seen = []
    for node in iter_config_dicts(cfg):  # an edit is walked into
        seen.append(node.get('type'))
        if node.get('type') == 'B':
            node['inner'] = dict(type='E')
    assert seen == [None, 'A', 'B', 'E', 'C', 'D']
    assert list(iter_config_dicts([1, 'x', None])) == []


def test_track_jobs_keeps_order_and_draws_the_bar():
    for nproc in (1, 2):
        out = io.StringIO()
        assert track_jobs(square, list(range(7)), nproc=nproc, file=out) == \
            [x * x for x in range(7)]
        text = out.getvalue()
        assert '7/7' in text and 'task/s' in text and 'ETA' in text, text


def test_summary_line_counts_skips_by_reason():
    assert summary_line('masks', 3, 'out') == '3 masks written to out; skipped 0'
    assert summary_line('masks', 3, 'out', {'existing': 2, 'unreadable': 0,
                                            'empty': 1}, 'extra text') == \
        '3 masks written to out; skipped 3 (2 existing, 1 empty); extra text'
