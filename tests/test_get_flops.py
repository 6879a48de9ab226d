"""``tools/get_flops.py``: mmseg's ``get_flops.py`` computation on an exported
config (test-time network: no auxiliary head, no SGC head)."""
import sys

from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmseg_pseudoseg  # noqa: F401  (registration)
from mmseg.registry import MODELS
from mmseg_pseudoseg.apis import stock_config
from test_export import TINY_RESNET, run, tiny_config
from tool_module import load_tool


def test_counts_the_test_time_network(voc_root, tmp_path):
    config = tiny_config(tmp_path, 'deeplabv3plus_r101_voc_1-16.py', TINY_RESNET,
                         voc_root)
    stock, _ = stock_config(Config.fromfile(config))
    exported = tmp_path / 'exported.py'
    exported.write_text(stock.pretty_text)
    init_default_scope('mmseg')
    model = MODELS.build(stock.model)
    want = sum(p.numel() for n, p in model.named_parameters()
               if not n.startswith('auxiliary_head.'))
    tool = load_tool('get_flops.py', 'get_flops_tool')
    small = tool.complexity(str(exported), (64, 64))
    assert small['params'] == want
    # the training config counts the same network (SGC head left out)
    assert tool.complexity(config, (64, 64)) == small
    assert tool.complexity(str(exported), (128, 128))['flops'] > 3.5 * small['flops']
    proc = run([sys.executable, 'tools/get_flops.py', str(exported), '--shape', '64',
                '64'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == (
        f'input 1x3x64x64: {small["flops"] / 1e9:.2f} GFLOPs, '
        f'{small["params"] / 1e6:.2f} M parameters')
