# Stage 2 of the paper's protocol (Li et al. 2021) at the paper's chosen lr and
# wd (the init's grid sets them): drop path in {0, 0.1, 0.2, 0.3} for ViT-B at
# 50 epochs (random init: 100). `tools/sweep.py STAGE1_GRID --next-stage`
# writes the same grid from your own stage-1 results instead.
stage = 2
epochs = 50  # paper: stage 2 at 50 epochs for pre-trained inits
search = dict(drop_path=[0.0, 0.1, 0.2, 0.3])  # paper: dp in {0, 0.1, 0.2, 0.3}
steps = dict(lr=('mul', 2.0), weight_decay=('mul', 2.0), drop_path=('add', 0.1))
