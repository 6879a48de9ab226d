"""Import a script of ``tools/`` as a module (the tools are scripts, not a package)."""
import importlib.util
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_tool(script: str, name: str = None, register: bool = False):
    """Execute ``tools/<script>`` as a fresh module named ``name`` (default: the
    script's stem). ``register=True`` also puts it in ``sys.modules`` (for tools
    whose workers or pickled objects look their module up by name)."""
    name = name or osp.splitext(script)[0]
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, 'tools', script))
    module = importlib.util.module_from_spec(spec)
    if register:
        sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
