# Stage 1 (lr x wd at dp 0) for the random init, ViT-B: see _base_/paper_stage1.py.
_base_ = './_base_/paper_stage1.py'
name = 'random_vit-b'
config = '../random/mask-rcnn_vit-b-random_fpn_lsj-400e_coco.py'
epochs = 100  # paper: stage 1 at 100 epochs for random init
next_stage = dict(epochs=100)  # paper: stage 2 at 100 epochs for random init
