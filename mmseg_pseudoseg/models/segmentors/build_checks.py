"""The checks of a ``PseudoSeg`` config, run once when the model is built."""
import copy


def with_num_classes(cfg: dict, key: str, num_classes: int) -> dict:
    """A copy of the head config ``cfg`` (config key ``key``) with ``num_classes``
    defaulting to the decode head's; a different value is an error."""
    cfg = copy.deepcopy(cfg)
    if cfg.setdefault('num_classes', num_classes) != num_classes:
        raise ValueError(f"Class count mismatch: {key}.num_classes="
                         f"{cfg['num_classes']} but decode_head.num_classes="
                         f'{num_classes}')
    return cfg


def check_pseudoseg_parts(model) -> None:
    """Raise if the built heads cannot make a pseudo label together."""
    if model.decode_head.out_channels != model.num_classes:
        raise ValueError(
            'PseudoSeg needs a softmax decode head: decode_head.out_channels='
            f'{model.decode_head.out_channels} != num_classes={model.num_classes}.\n'
            'A sigmoid head gives no class distribution for the fusion; use '
            'out_channels=num_classes and a softmax loss (use_sigmoid=False).')
    if model.sgc_head is None and model.semi_train_cfg.use_image_labels:
        raise ValueError('semi_train_cfg.use_image_labels=True needs an '
                         'sgc_head (image labels feed the CAM and L_x)')
    if len(model.pseudo_labeler.state_dict()) > 0:
        raise ValueError('pseudo_labeler must have no parameters or buffers (the '
                         'test-time model is the EncoderDecoder); found '
                         f'{list(model.pseudo_labeler.state_dict())}')
    if model.sgc_head is None and model.pseudo_labeler.needs_sgc:
        raise ValueError(
            f'pseudo_labeler uses the SGC (source={model.pseudo_labeler.source!r})'
            " but no sgc_head is configured; add one or set source='decoder'")
