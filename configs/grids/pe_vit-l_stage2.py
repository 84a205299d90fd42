# Drop path for the PE Core init, ViT-L, at ViT-B's lr / wd (paper protocol).
# ViT-B's lr / wd come from running pe_vit-b_stage1.py (and --next-stage);
# until then the grid centre stands in: replace both with ViT-B's winners.
_base_ = './_base_/paper_stage2_vit-l.py'
name = 'pe_vit-l'
config = '../pe/mask-rcnn_vit-l-pe-core_fpn_lsj-100e_coco.py'
search = dict(
    lr=[1.6e-4],  # ViT-B's lr (grid centre until ViT-B's grid has run)
    weight_decay=[0.1])  # ViT-B's wd (grid centre until ViT-B's grid has run)
