# The paper's ViT-L step (Li et al. 2021): ViT-L reuses ViT-B's lr and wd and
# tunes drop path again. The values are not stated; the chosen 0.3 (every
# init) is bracketed here by {0.1, 0.2, 0.3, 0.4} (inferred), at ViT-B's stage-2
# length (50 epochs; random init 100, inferred).
stage = 2
epochs = 50
search = dict(drop_path=[0.1, 0.2, 0.3, 0.4])  # inferred bracket around 0.3
steps = dict(lr=('mul', 2.0), weight_decay=('mul', 2.0), drop_path=('add', 0.1))
