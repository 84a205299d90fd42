# Stage 1 of the paper's hyper-parameter protocol (Li et al. 2021, "Hyperparameter
# protocol"): lr x wd, 3x3, centred at lr 1.6e-4 / wd 0.1 with halved and
# doubled values, drop path 0, ViT-B, 25 epochs (random init: 100).
# A grid file names: `name` (run-name prefix), `config` (inherited by every run,
# relative to the grid file), `stage`, `epochs`, `search` (values per axis: lr,
# weight_decay, drop_path), `steps` (how an edge is extended) and `next_stage`.
stage = 1
epochs = 25  # paper: stage 1 at 25 epochs for pre-trained inits
search = dict(
    lr=[8e-5, 1.6e-4, 3.2e-4],  # paper: 1.6e-4, halved and doubled
    weight_decay=[0.05, 0.1, 0.2],  # paper: 0.1, halved and doubled
    drop_path=[0.0])  # paper: dp 0 in stage 1
# paper: "extend the grid when the best value lies on its edge" -> one more
# halving / doubling (lr, wd) or +-0.1 (drop path) beyond the edge.
steps = dict(lr=('mul', 2.0), weight_decay=('mul', 2.0), drop_path=('add', 0.1))
# paper: stage 2 tunes drop path in {0, 0.1, 0.2, 0.3} at 50 epochs (random:
# 100), at stage 1's best lr and wd.
next_stage = dict(stage=2, epochs=50, search=dict(drop_path=[0.0, 0.1, 0.2, 0.3]))
