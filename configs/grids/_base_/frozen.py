# The frozen-backbone track's grid (configs/_base_/protocols/frozen_lsj-36e.py): it tunes what still trains,
# lr (Battle of the Backbones' grid {8e-5, 1e-4, 2e-4, 3e-4}) x weight decay (the paper's {0.05, 0.1, 0.2}), at
# the protocol's 36 epochs; drop path does not apply to a frozen backbone. Fields as in paper_stage1.py.
stage = 1
epochs = 36  # BoB: 3x schedule
search = dict(
    lr=[8e-5, 1e-4, 2e-4, 3e-4],  # BoB
    weight_decay=[0.05, 0.1, 0.2],  # the paper's stage-1 values
    drop_path=[0.0])  # frozen: nothing to drop
steps = dict(lr=('mul', 1.5), weight_decay=('mul', 2.0), drop_path=('add', 0.1))
