"""``ClassCountCheckHook``: the training data and the model agree on the classes.

Runs once before training, where the built datasets and the built model first
meet, and refuses a training dataset with more classes than the model predicts
(:func:`~mmseg_pseudoseg.utils.check_dataset_classes`): its labels would leave
``[0, num_classes)``, which on CUDA is a device-side assert in the middle of a
step instead of a message.
"""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmseg.registry import HOOKS
from mmseg_pseudoseg.utils.config_checks import check_dataset_classes


@HOOKS.register_module()
class ClassCountCheckHook(Hook):
    """No arguments; checks ``runner.train_dataloader.dataset`` (each member of a
    ``ConcatDataset``) against ``model.decode_head.num_classes``."""
    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        num_classes = getattr(model, 'num_classes', None)
        if num_classes is not None:
            check_dataset_classes(runner.train_dataloader.dataset, num_classes)
