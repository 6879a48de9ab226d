"""After training: checkpoint checks, export to plain mmseg, evaluation protocols."""
from .checkpoint import (TRAINING_ONLY_PREFIXES, CheckpointError, check_classes,
                         check_state_dict, model_num_classes, read_checkpoint,
                         state_dict_of, trained_classes)
from .export import export_stock_model, stock_config, strip_training_only
from .protocols import EVAL_PROTOCOLS, apply_eval_protocol, enable_tta

__all__ = ['CheckpointError', 'EVAL_PROTOCOLS', 'TRAINING_ONLY_PREFIXES',
           'apply_eval_protocol', 'check_classes', 'check_state_dict', 'enable_tta',
           'export_stock_model', 'model_num_classes', 'read_checkpoint',
           'state_dict_of', 'stock_config', 'strip_training_only',
           'trained_classes']
