# Model zoo: ablation, VOC 1/16 R101, SimCLR jitter s = 0.25; paper jitter figure.
# Jitter-strength ablation, point s = 0.25: strong-view jitter = SimCLR
# preset (brightness/contrast/saturation 0.8s, hue 0.2s, p 0.8, gray 0.2), 1/16 recipe.
_base_ = ['./deeplabv3plus_r101_voc_1-16.py']
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[1].pipeline[-1].strong[0] = dict(
    type='StrongColorJitter', preset='simclr', strength=0.25)
