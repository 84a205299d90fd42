# Ablation of the RoPE rule in window blocks, PE-Core ViT-B: window blocks rotate q
# and k by each token's coordinates in the whole image grid (as global blocks
# do), instead of by its coordinates within its window (the default of
# configs/pe/mask-rcnn_vit-b-pe-core_fpn_lsj-100e_coco.py, where each window is a
# pre-training-sized crop, EVA-02's detection rule). Everything else is that config.
_base_ = '../../pe/mask-rcnn_vit-b-pe-core_fpn_lsj-100e_coco.py'

model = dict(backbone=dict(rope=dict(window_coords='image')))
